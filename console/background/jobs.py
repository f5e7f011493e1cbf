"""The console's background jobs, in one place: what each one does, how often, and whether it runs once per
workspace under a :class:`console.background.leases.Lease`.

Every console open on a workspace runs the same list (:func:`console_jobs`). A job runs again only an interval
after its previous run *ended* (the app's timer for the next run is set when a run finishes), so a slow run
never piles up behind itself. A job that runs once per workspace takes its lease first and, while another live
process holds it, does nothing (the others see its writes through the live poll); a job whose work takes the
lease itself (the Microsoft round, :meth:`console.desk.door.Desk.microsoft_sync`, which the command line calls too)
says so with ``lease_in_work``.

A failure is reported once: the first failing run writes the traceback to the log and puts the job on
:meth:`Jobs.failures` (the team lead's health board shows it, with its error and since when); the runs that
fail after it say nothing more, and the first one that succeeds again takes it off and logs that it
recovered. This module runs no timer itself (the app drives it with Textual timers and thread workers) and
never imports Textual.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from console.background.leases import Lease, jittered
from console.shared.clock import Clock, utcnow

if TYPE_CHECKING:
    from console.desk.door import Desk

log = logging.getLogger(__name__)

#: Seconds between two looks for expired claims, and between two breach sweeps.
MINUTE = 60.0
#: Seconds between two checkpoints of the workspace's write-ahead log (every console: a checkpoint that finds
#: another running, or nothing to copy, does nothing), so that no agent's commit pays for one
#: (:data:`console.store.dialect.AUTOCHECKPOINT_PAGES`).
CHECKPOINT_SECONDS = 2.0
#: Seconds between two deliveries of the plugins' ticket events (console.desk.plugin_events).
EVENT_SECONDS = 5.0
#: A job's lease lives this many of its intervals, so a holder that dies is replaced within a few runs.
LEASE_INTERVALS = 3


@dataclass(frozen=True)
class Job:
    """One background job: ``work`` runs in a worker thread; its return value goes back to the app (a string
    is the note recorded on the job's lease)."""

    name: str
    title: str
    every: Callable[[], float]
    work: Callable[[], object]
    lease: Lease | None = None
    lease_in_work: bool = False
    first: float | None = None
    repeat: bool = True

    @property
    def once_per_workspace(self) -> bool:
        return self.lease is not None

    def first_delay(self) -> float:
        """Seconds from the start of the console to the first run (one interval unless said otherwise)."""
        return self.every() if self.first is None else self.first


@dataclass(frozen=True)
class Failure:
    """A job that is failing: its last error in one line, and when it started failing."""

    job: str
    title: str
    error: str
    since: datetime


@dataclass(frozen=True)
class Outcome:
    """What one run did: whether the job ran here (not when another process holds its lease), what it
    returned, and whether this run started or ended a failure (so the app tells the screen)."""

    job: Job
    ran: bool
    value: object = None
    error: BaseException | None = None
    started_failing: bool = False
    recovered: bool = False


class Jobs:
    """Runs jobs and remembers which of them are failing. Thread-safe: each run happens in its own worker."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self._failing: dict[str, Failure] = {}
        self._lock = threading.Lock()

    def run(self, job: Job) -> Outcome:
        """Run ``job`` once (under its lease, if it has one); never raises an ``Exception``."""
        try:
            ran, value = self._run(job)
        except Exception as exc:
            return self._failed(job, exc)
        with self._lock:
            recovered = self._failing.pop(job.name, None) is not None
        if recovered:
            log.info("background job %s works again", job.name)
        if ran and not job.repeat:
            log.info("background job %s: %s", job.name, value)
        return Outcome(job, ran, value, recovered=recovered)

    def _run(self, job: Job) -> tuple[bool, object]:
        lease = job.lease
        if lease is None or job.lease_in_work:
            return True, job.work()
        with lease.lock:
            if not lease.acquire():  # another live process does this workspace's run
                return False, None
            value = job.work()
            lease.ran(value if isinstance(value, str) else "ran")
            return True, value

    def _failed(self, job: Job, exc: Exception) -> Outcome:
        failure = Failure(job.name, job.title, f"{type(exc).__name__}: {exc}", self.clock())
        with self._lock:
            first = job.name not in self._failing
            if first:
                self._failing[job.name] = failure
        if first:  # once: the runs that fail after it add nothing until one succeeds
            log.error("background job %s failed", job.name, exc_info=exc)
        return Outcome(job, True, error=exc, started_failing=first)

    def failures(self) -> list[Failure]:
        """The jobs failing now, the longest failing first."""
        with self._lock:
            return sorted(self._failing.values(), key=lambda f: (f.since, f.job))

    def release(self, jobs: list[Job]) -> None:
        """On a clean exit: stop the jobs' child processes (a job's work with a ``stop``) and give up the leases
        this process holds, so the next console takes over at once."""
        for job in jobs:
            stop = getattr(job.work, "stop", None)
            if callable(stop):
                stop()
            if job.lease is not None and job.lease.held:
                job.lease.release()


class ClockUpgrade:
    """The SLA clock upgrade as a job: the open tickets' clocks recomputed once, in a child process (minutes
    at a million tickets, which in a thread would slow every keystroke); :meth:`stop` ends it on exit (the next
    start runs it again)."""

    def __init__(self, workspace: Path | str, config: Path | None, now: Clock) -> None:
        self.workspace = workspace
        self.config = config
        self.now = now
        self.proc: subprocess.Popen[str] | None = None

    def __call__(self) -> str:
        from console.sla import upgrade as sla_upgrade

        proc = sla_upgrade.start(self.workspace, self.config, self.now())
        self.proc = proc
        try:
            moved = sla_upgrade.finish(proc)
        except RuntimeError:
            if proc.returncode is not None and proc.returncode < 0:  # stopped as the console quit
                return "stopped before it finished; the next start runs it again"
            raise
        return f"{moved} open tickets' clocks recomputed"

    def stop(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()


def lease_for(desk: Desk, name: str, seconds: float) -> Lease:
    """The lease of a once-per-workspace job that runs every ``seconds``."""
    return Lease(desk.ws, name, timedelta(seconds=LEASE_INTERVALS * seconds), agent=desk.agent)


def console_jobs(desk: Desk, clock: Clock, *, upgrade: ClockUpgrade | None = None) -> list[Job]:
    """The console's jobs: the log checkpoint and claim expiry (every console), the breach
    sweep and the health samples (once per workspace), the Microsoft round (under the Microsoft lease, when
    Microsoft is configured), the mail round (under the mail lease, when ``[mail]`` names a server), the SLA
    clock upgrade (once, when a workspace was upgraded to it) and the audit chain's check (once, at start:
    :func:`console.desk.audit_chain.start_check`)."""
    from console.desk import audit_chain
    from console.health.board import SAMPLE_MINUTES

    sample_every = SAMPLE_MINUTES * 60.0

    def expire() -> str:
        return f"{len(desk.expire_claims())} expired claims released"

    def sweep() -> str:
        return f"{desk.record_breaches()} breaches recorded, {desk.notices.warn_breaching()} about to breach told"

    def sample() -> str:
        return "sampled" if desk.sample_health(clock()) else "a recent sample exists"

    def checkpoint() -> str:
        frames, copied = desk.ws.checkpoint()
        return f"{copied} of {frames} log pages written back"

    jobs = [
        Job("checkpoint", "Write-ahead log checkpoint", lambda: CHECKPOINT_SECONDS, checkpoint),
        Job("claim-expiry", "Claim expiry", lambda: MINUTE, expire),
        Job("breach-sweep", "Breach sweep", lambda: MINUTE, sweep, lease=lease_for(desk, "breach-sweep", MINUTE)),
        Job(
            "health-samples",
            "Health samples",
            lambda: sample_every,
            sample,
            lease=lease_for(desk, "health-samples", sample_every),
        ),
    ]
    if desk.microsoft_configured:
        # Deliver what the outbox owes and read Microsoft's answers: now, then a poll interval (moved at random
        # by up to a fifth) after each round ended. Only the console holding the Microsoft lease talks to
        # Microsoft; a round of another console's returns None (nothing to say).
        lease = desk.microsoft_lease

        def microsoft() -> object:
            report = desk.microsoft_sync(keep=True)
            return report if lease.held else None

        poll = desk.config.microsoft.poll_seconds
        jobs.append(
            Job("microsoft", "Microsoft delivery and polling", lambda: jittered(poll), microsoft, lease, True, 0.0)
        )
    jobs += _mail_jobs(desk)
    if upgrade is not None:
        jobs.append(Job("sla-upgrade", "SLA clock upgrade", lambda: 0.0, upgrade, first=0.0, repeat=False))
    jobs += _plugin_event_jobs(desk)
    check = audit_chain.StartCheck(desk)
    jobs.append(Job("audit-chain", "Audit chain check", lambda: 0.0, check, first=0.0, repeat=False))
    return jobs


class MailRoundFailed(RuntimeError):
    """A mail round that could not read the mailbox or send (the health board lists the job as failing)."""


def _mail_jobs(desk: Desk) -> list[Job]:
    """With a ``[mail]`` mailbox or SMTP server: read the mailbox and send the outbox under the mail lease, soon
    after start, then a poll interval (moved at random by up to a fifth) after each round ended."""
    mail = desk.mail
    if not (mail.configured and (mail.settings.imap_host or mail.settings.smtp_host)):
        return []
    lease = mail.lease

    def mail_round() -> object:
        done = mail.run(keep=True)
        if done.failed:
            raise MailRoundFailed(str(done))
        return str(done) if lease.held else None

    every = mail.settings.poll_seconds
    return [Job("mail", "Mail intake and replies", lambda: jittered(every), mail_round, lease, True, 2.0)]


def _plugin_event_jobs(desk: Desk) -> list[Job]:
    """With plugins' event receivers: say what they want (every console, once, at start), and deliver what is
    owed to them (once per workspace, every :data:`EVENT_SECONDS`)."""
    from console.desk import plugin_events

    if not desk.host.receivers:
        return []

    def announce() -> str:
        plugin_events.announce(desk)
        return f"{len(desk.host.receivers)} event receiver(s) announced"

    def deliver() -> str:
        return str(plugin_events.deliver_events(desk))

    return [
        Job("plugin-event-wants", "Plugin event receivers", lambda: 0.0, announce, first=0.0, repeat=False),
        Job(
            "plugin-events",
            "Plugin event delivery",
            lambda: EVENT_SECONDS,
            deliver,
            lease=lease_for(desk, "plugin-events", EVENT_SECONDS),
            first=1.0,
        ),
    ]
