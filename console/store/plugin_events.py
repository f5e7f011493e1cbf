"""The plugins' event outbox (part of the store; migration 32): which receivers want which kinds, the events
recorded with the changes that made them, and each event's delivery to each receiver."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from console.store.base import Base
from console.store.portable import count_if

_PENDING = "state = 'pending'"
_DELIVERED = "state = 'delivered'"

CREATED = "ticket.created"


def record_created(conn: sqlite3.Connection, seq: int, at: str, channel: str) -> None:
    """Record ``ticket.created`` for ticket ``seq`` (inside the intake's transaction) if a receiver wants it."""
    conn.execute(
        "INSERT INTO plugin_events (kind, ticketSeq, at, details) SELECT ?, ?, ?, ? "
        "WHERE EXISTS (SELECT 1 FROM plugin_event_wants WHERE instr(kinds, ?) > 0)",
        (CREATED, seq, at, json.dumps({"channel": channel}), f'"{CREATED}"'),
    )


class PluginEventRepo:
    """What the plugins' receivers are owed and what they were given."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def set_wants(self, receivers: Mapping[str, Sequence[str]]) -> None:
        """Receiver id -> the event kinds it wants, from now on (a receiver's earlier wants are replaced; the
        date it first wanted anything is kept)."""
        now = self.db.now()
        with self.db.transaction() as conn:
            for receiver, kinds in receivers.items():
                wanted = json.dumps(sorted(kinds))
                changed = conn.execute(
                    "UPDATE plugin_event_wants SET kinds = ? WHERE receiver = ?", (wanted, receiver)
                ).rowcount
                if not changed:
                    conn.execute(
                        "INSERT INTO plugin_event_wants (receiver, kinds, since) VALUES (?, ?, ?)",
                        (receiver, wanted, now),
                    )

    def wants(self) -> dict[str, list[str]]:
        rows = self.db.conn.execute("SELECT receiver, kinds FROM plugin_event_wants ORDER BY receiver")
        return {r[0]: json.loads(r[1]) for r in rows}

    def due(self, receivers: Sequence[str], now: str, limit: int = 100) -> list[dict[str, Any]]:
        """Deliveries to ``receivers`` due at ``now``, oldest event first, each with its event and its ticket's
        row."""
        if not receivers:
            return []
        marks = ", ".join("?" for _ in receivers)
        rows = self.db.conn.execute(
            "SELECT d.eventSeq, d.receiver, d.attempts, e.kind, e.at, e.details, e.ticketSeq "
            f"FROM plugin_deliveries d JOIN plugin_events e ON e.seq = d.eventSeq "
            f"WHERE d.state = 'pending' AND (d.nextAttemptDate IS NULL OR d.nextAttemptDate <= ?) "
            f"AND d.receiver IN ({marks}) "
            "ORDER BY d.eventSeq LIMIT ?",
            (now, *receivers, limit),
        ).fetchall()
        out = []
        for row in rows:
            ticket = self.db.conn.execute("SELECT * FROM tickets WHERE seq = ?", (row["ticketSeq"],)).fetchone()
            if ticket is None:
                continue
            out.append({**dict(row), "details": json.loads(row["details"]), "ticket": dict(ticket)})
        return out

    def delivered(self, event_seq: int, receiver: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE plugin_deliveries SET state = 'delivered', deliveredDate = ?, attempts = attempts + 1, "
                "lastError = NULL WHERE eventSeq = ? AND receiver = ?",
                (self.db.now(), event_seq, receiver),
            )

    def failed(self, event_seq: int, receiver: str, error: str, next_attempt: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE plugin_deliveries SET attempts = attempts + 1, lastError = ?, nextAttemptDate = ? "
                "WHERE eventSeq = ? AND receiver = ?",
                (error[:500], next_attempt, event_seq, receiver),
            )

    def backlog(self) -> list[dict[str, Any]]:
        """Per receiver: deliveries pending, how many of them failed at least once, the last error, delivered."""
        rows = self.db.conn.execute(
            f"SELECT receiver, {count_if(_PENDING)} AS pending, {count_if(_PENDING + ' AND attempts > 0')} AS failing,"
            f" {count_if(_DELIVERED)} AS delivered, max(CASE WHEN {_PENDING} THEN lastError END) AS lastError"
            " FROM plugin_deliveries GROUP BY receiver ORDER BY receiver"
        )
        return [dict(r) for r in rows]

    def deliveries(self, receiver: str | None = None) -> list[dict[str, Any]]:
        """Every delivery (of ``receiver``), oldest first, with its event's kind and ticket id."""
        rows = self.db.conn.execute(
            "SELECT d.*, e.kind, t.id AS ticketId FROM plugin_deliveries d JOIN plugin_events e ON e.seq = d.eventSeq "
            "JOIN tickets t ON t.seq = e.ticketSeq WHERE CAST(? AS TEXT) IS NULL OR d.receiver = ? ORDER BY d.eventSeq",
            (receiver, receiver),
        )
        return [dict(r) for r in rows]
