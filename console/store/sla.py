"""The SLA clocks' bookkeeping on the tickets: status history, breaches, bulk recomputes (part of the store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from console.store.base import Base

CLOCK_COLUMNS = (
    "firstResponseDueDate",
    "resolutionDueDate",
    "firstResponseBreachedDate",
    "resolutionBreachedDate",
    "slaPausedSince",
    "slaDueDate",
)


class SlaRepo:
    """Reads and writes of the tickets' SLA fields."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def status_history(self, seq: int) -> list[tuple[str, str, str | None]]:
        """``(when, to, from)`` of every status change of a ticket, oldest first: its ``status_change`` events,
        the agents' and an escalation's alike. (An ``escalation`` event's values are the case's: case numbers
        and Microsoft's states, ``closed`` among them, never the ticket's status.)"""
        rows = self.db.conn.execute(
            "SELECT createdDate, toValue, fromValue FROM timeline WHERE ticketSeq = ? AND kind = 'status_change' "
            "ORDER BY createdDate, id",
            (seq,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def record_breaches(self, now: str) -> int:
        """Mark every open ticket whose SLA target has passed unmet with the time it passed; return how many
        clocks were marked. Only due dates already stored are used, so this is cheap to run every minute."""
        changed = 0
        with self.db.writing():
            changed += self.db.conn.execute(
                "UPDATE tickets SET firstResponseBreachedDate = firstResponseDueDate "
                "WHERE isOpen = 1 AND slaDueDate <= ? AND firstResponseDate IS NULL "
                "AND firstResponseBreachedDate IS NULL AND firstResponseDueDate <= ?",
                (now, now),
            ).rowcount
            changed += self.db.conn.execute(
                "UPDATE tickets SET resolutionBreachedDate = resolutionDueDate "
                "WHERE isOpen = 1 AND slaDueDate <= ? AND resolutionDueDate <= ? AND resolutionBreachedDate IS NULL "
                "AND slaPausedSince IS NULL",
                (now, now),
            ).rowcount
        return changed

    def open_ticket_clocks(self, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Open tickets with what their SLA clocks need, in number order from ``after_seq``."""
        rows = self.db.conn.execute(
            "SELECT seq, id, customerId, severity, status, createdDate, firstResponseDate, resolvedDate, "
            "firstResponseDueDate, resolutionDueDate, firstResponseBreachedDate, resolutionBreachedDate, "
            "slaPausedSince, slaDueDate FROM tickets WHERE isOpen = 1 AND seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        )
        return [dict(r) for r in rows]

    def set_clocks(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store recomputed SLA fields (``seq`` plus the fields) without touching versions: they are derived."""
        with self.db.writing():
            self.db.conn.executemany(
                f"UPDATE tickets SET {', '.join(f'{f} = ?' for f in CLOCK_COLUMNS)} WHERE seq = ?",
                [[r[f] for f in CLOCK_COLUMNS] + [r["seq"]] for r in rows],
            )
