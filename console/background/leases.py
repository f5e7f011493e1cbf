"""Leases: exactly one process of a workspace does a background job at a time.

Every console open on a workspace could do the same background work (deliver the escalation outbox, read
Microsoft's open cases); with a lease, one of them does it and the others only show what it wrote (they see
it through the workspace's live updates). A lease is a row in the workspace (:mod:`console.store.leases`):
who holds it (``host:pid:random``, one per :class:`Lease` object), the agent behind it, and until when. The
holder renews it each time it runs and gives it up when it ends cleanly; a holder that dies without that
(SIGKILL, a crash, a lost SSH session) is replaced at once by the next process that finds its pid gone on this
host, and in any case once the lease expires.

Time: leases use the **wall clock in UTC** (:func:`console.shared.clock.utcnow` by default), never the desk's clock,
which a demo or a test may freeze: an expiry must mean the same moment to every process on the workspace. A
workspace is one SQLite file in WAL mode, which only works between processes of one host, so every holder
reads the same clock. Times are stored to the second; a lease lives several poll intervals (tens of seconds
at least), so a second's rounding does not matter.

This module is general: the Microsoft outbox and poller is its first user (:data:`MICROSOFT`); other
background jobs (claim expiry, breach sweep, health samples) take leases of their own names the same way.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from console.shared.clock import Clock, parse_iso, to_iso, utcnow
from console.shared.errors import UserError
from console.store import Workspace

#: The lease of the process that delivers the escalation outbox and polls open Microsoft cases.
MICROSOFT = "microsoft"
#: How far a wait is moved at random, either way (0.2: a 120 s wait becomes 96 to 144 s).
JITTER = 0.2


def new_holder() -> str:
    """A holder id unique to this process and call: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_parts(holder: str) -> tuple[str, int | None]:
    """The host and pid named in a holder id (``None`` for the pid if it does not name one)."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return holder, None
    return parts[0], int(parts[1])


def holder_gone(holder: str) -> bool:
    """Whether the process behind ``holder`` has certainly ended: it ran on this host and its pid is no longer
    a live process. Another host's holder, a pid still alive (even one reused by another program) or a
    platform without a cheap check count as alive: such a lease is taken over only when it expires."""
    host, pid = holder_parts(holder)
    if pid is None or host != socket.gethostname() or pid == os.getpid():
        return False
    return not _running(pid)


def _running(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    try:  # a killed process its parent has not reaped yet is a zombie: it holds nothing any more
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    fields = stat.rsplit(")", 1)[-1].split()
    return not fields or fields[0] not in ("Z", "X")


def jittered(seconds: float, spread: float = JITTER, rng: Callable[[], float] = random.random) -> float:
    """``seconds`` moved at random by up to ``spread`` (a fraction) either way, so that processes waiting the
    same time (consoles started together, retries after one outage) do not all act at the same moment."""
    return seconds * (1 - spread + 2 * spread * rng())


@dataclass(frozen=True)
class LeaseState:
    """A lease as stored: who has (or last had) it, until when, and its job's last run."""

    name: str
    holder: str
    agent: str
    acquired: datetime
    renewed: datetime
    expires: datetime
    last_run: datetime | None
    last_note: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LeaseState:
        return cls(
            name=row["name"],
            holder=row["holder"],
            agent=row["agent"],
            acquired=parse_iso(row["acquiredDate"]),
            renewed=parse_iso(row["renewedDate"]),
            expires=parse_iso(row["expiresDate"]),
            last_run=parse_iso(row["lastRunDate"]) if row["lastRunDate"] else None,
            last_note=row["lastRunNote"],
        )

    def live(self, now: datetime) -> bool:
        """Held at ``now`` (not expired, not released)."""
        return self.expires > now

    @property
    def who(self) -> str:
        """The holder in words: ``aiko.tanaka's process 4242 on deskhost``."""
        host, pid = holder_parts(self.holder)
        process = f"process {pid} on {host}" if pid is not None else f"process {self.holder}"
        return f"{self.agent}'s {process}" if self.agent else process

    def describe(self, now: datetime) -> str:
        """One line for a notice, a command's refusal or the health board."""
        last = f"; last ran {to_iso(self.last_run)}" if self.last_run else ""
        if self.live(now):
            return f"held by {self.who} until {to_iso(self.expires)}{last}"
        return f"free (last held by {self.who}){last}"


class LeaseHeld(UserError):
    """Another live process holds the lease: this one must not do the job."""

    title = "Done by another process"

    def __init__(self, state: LeaseState, now: datetime) -> None:
        self.state = state
        super().__init__(f"the {state.name} lease is {state.describe(now)}")


class Lease:
    """One process's handle on the lease ``name`` of a workspace.

    ``acquire()`` takes it (or renews it) when it is free, expired, already this handle's, or held by a
    process that is gone; ``ran()`` records a run and renews it; ``release()`` gives it up. ``lock`` keeps two
    threads of this process from running the job at once (the lease itself only tells processes apart).
    """

    def __init__(
        self,
        ws: Workspace,
        name: str,
        ttl: timedelta,
        *,
        agent: str = "",
        holder: str | None = None,
        clock: Clock = utcnow,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError(f"lease {name}: the time to live must be positive, not {ttl}")
        self.ws = ws
        self.name = name
        self.ttl = ttl
        self.agent = agent
        self.holder = holder or new_holder()
        self.clock = clock
        self.state: LeaseState | None = None  # as last read or written by this handle
        self.lock = threading.Lock()

    def read(self) -> LeaseState | None:
        """The lease as stored now (``None`` if nobody ever took it)."""
        row = self.ws.leases.lease_row(self.name)
        self.state = LeaseState.from_row(row) if row else None
        return self.state

    def acquire(self) -> bool:
        """Take or renew the lease; ``False`` while another live process holds it (then nothing is written,
        so the consoles that only wait do not wake every other console's live update)."""
        now = self.clock()
        current = self.read()
        displace = None
        if current is not None and current.holder != self.holder and current.live(now):
            if not holder_gone(current.holder):
                return False
            displace = current.holder
        row = self.ws.leases.take_lease(
            self.name, self.holder, self.agent, to_iso(now), to_iso(now + self.ttl), displace=displace
        )
        self.state = LeaseState.from_row(row)
        return self.state.holder == self.holder

    @property
    def held(self) -> bool:
        """Whether this handle held the lease when it last looked, and it has not expired since."""
        return self.state is not None and self.state.holder == self.holder and self.state.live(self.clock())

    def other(self) -> LeaseState | None:
        """The lease as stored now if another live process holds it (one that is gone does not count)."""
        current = self.read()
        if current is None or current.holder == self.holder or not current.live(self.clock()):
            return None
        return None if holder_gone(current.holder) else current

    def keep(self) -> bool:
        """For a long run, before each step: ``True`` while this handle holds the lease, renewing it (one write)
        only once a third of its life has passed, so a round of many deliveries does not wake every console's
        live update at each one; ``False`` when another live process took it over."""
        now = self.clock()
        current = self.read()
        fresh = current is not None and current.holder == self.holder and current.live(now)
        if fresh and current is not None and now - current.renewed < self.ttl / 3:
            return True
        return self.acquire()

    def ran(self, note: str) -> bool:
        """Record a run of the job (``note``: what it did, one line) and renew the lease; ``False`` if this
        handle lost the lease meanwhile (it expired and another process took it)."""
        now = self.clock()
        kept = self.ws.leases.lease_ran(self.name, self.holder, to_iso(now), to_iso(now + self.ttl), note)
        self.read()
        return kept

    def release(self) -> bool:
        """Give the lease up at once, if this handle holds it (on a clean exit)."""
        released = self.ws.leases.release_lease(self.name, self.holder, to_iso(self.clock()))
        if released:
            self.read()
        return released
