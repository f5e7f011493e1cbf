"""Reading the desk's mailbox: each message stored once, then moved to the processed folder.

One round (:func:`fetch`) lists the folder's UIDs, skips those the workspace has under the folder's current
UIDVALIDITY (RFC 3501 section 2.3.1.1: UIDs are only meaningful with it; a new UIDVALIDITY makes every UID new,
and the Message-ID then finds what the desk has), fetches the others in batches, stores each with what it did
(:class:`console.mail.intake.Intake`, one transaction per message) and, only after those commits, moves the
batch to the processed folder. A round stopped anywhere (the connection lost, the runner killed) leaves every
message either stored and still in the folder (moved by the next round without being stored again) or not
stored and still in the folder (stored by the next round): never lost, never twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from console.mail.intake import Arrival, Intake

log = logging.getLogger(__name__)

#: Messages fetched per round trip, and stored before their batch is moved.
BATCH = 50


class Mailbox(Protocol):
    """What a round needs of an open mailbox (:class:`console.mail.imap.ImapMailbox`)."""

    uidvalidity: int

    def uids(self) -> list[int]: ...

    def fetch(self, uids: Sequence[int]) -> Any: ...

    def move_to_processed(self, uids: Sequence[int]) -> None: ...


@dataclass
class FetchReport:
    """What one round did: messages by what became of them, moved, and left for the next round."""

    mailbox: str
    found: int = 0
    states: Counter[str] = field(default_factory=Counter)
    reopened: int = 0
    moved: int = 0
    left: int = 0

    @property
    def read(self) -> int:
        return sum(self.states.values())

    def __str__(self) -> str:
        s = self.states
        parts = [
            f"{self.read} read",
            f"{s['ticket']} new tickets",
            f"{s['joined']} joined" + (f" ({self.reopened} reopened)" if self.reopened else ""),
            f"{s['unmatched']} unmatched",
            f"{s['ignored']} ignored",
        ]
        if s["duplicate"]:
            parts.append(f"{s['duplicate']} already stored")
        if self.left:
            parts.append(f"{self.left} left for the next round")
        return ", ".join(parts)


def fetch(
    intake: Intake,
    open_mailbox: Callable[[], AbstractContextManager[Mailbox]],
    name: str,
    *,
    limit: int = 1000,
    keep_alive: Callable[[], bool] | None = None,
) -> FetchReport:
    """One round over the mailbox ``open_mailbox`` opens (``name``: how the workspace calls it)."""
    report = FetchReport(name)
    with open_mailbox() as box:
        uids = box.uids()
        report.found = len(uids)
        known = intake.ws.mail.known_uids(name, box.uidvalidity, uids)
        stored_before = [u for u in uids if u in known]  # stored by a round that stopped before moving them
        todo = [u for u in uids if u not in known]
        report.left = max(0, len(todo) - limit)
        todo = todo[:limit]
        if stored_before:
            box.move_to_processed(stored_before)
            report.moved += len(stored_before)
        for start in range(0, len(todo), BATCH):
            if keep_alive is not None and not keep_alive():
                report.left += len(todo) - start
                break
            done: list[int] = []
            for fetched in box.fetch(todo[start : start + BATCH]):
                arrival = Arrival(fetched.raw, fetched.internaldate, name, box.uidvalidity, fetched.uid)
                taken = intake.take(arrival)
                report.states[taken.state] += 1
                report.reopened += int(taken.reopened)
                done.append(fetched.uid)
            if done:
                box.move_to_processed(done)
                report.moved += len(done)
    return report
