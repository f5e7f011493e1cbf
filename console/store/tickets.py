"""Ticket writes and account reads (part of the store: all SQL lives in this package)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from console.shared.clock import to_iso, utcnow
from console.shared.model import OPEN_STATUSES
from console.tickets.queue_query import QueueQuery

#: A change to any of these moves a ticket's SLA clocks.
CLOCK_FIELDS = frozenset({"status", "severity", "firstResponseDate", "resolvedDate", "createdDate", "customerId"})


class StaleVersion(Exception):
    """A change based on an older version of the ticket; ``current`` is the ticket as it is now."""

    def __init__(self, current: dict[str, Any], expected: int) -> None:
        who = current.get("lastModifiedBy") or "another session"
        super().__init__(
            f"{current['id']} was changed by {who} at {current['lastModifiedDate']} (now version "
            f"{current['version']}; your change was based on version {expected}). Nothing was saved: "
            "the fresh ticket is shown."
        )
        self.current = current


class TicketStoreMixin:
    """Mixed into :class:`console.store.Workspace`."""

    if TYPE_CHECKING:
        # The workspace's per-thread connection (a read-only property of :class:`Workspace`).
        @property
        def conn(self) -> sqlite3.Connection: ...

    #: Set by the core (``console.sla.clocks.keep_clocks``): recomputes a ticket's SLA fields from its stored row.
    clock_keeper: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None

    def refresh_clock(self, seq: int) -> dict[str, Any] | None:
        """Recompute and store one ticket's SLA fields (inside the caller's transaction, if any)."""
        if self.clock_keeper is None:
            return None
        row = dict(self.conn.execute("SELECT * FROM tickets WHERE seq = ?", (seq,)).fetchone())
        fields = self.clock_keeper(self, row)
        assignments = ", ".join(f"{column} = :{column}" for column in fields)
        self.conn.execute(f"UPDATE tickets SET {assignments} WHERE seq = :seq", {**fields, "seq": seq})
        return fields

    def update_ticket(
        self,
        ticket_id: str,
        *,
        expected_version: int | None,
        changes: dict[str, Any],
        events: Sequence[dict[str, Any]],
        agent: str,
        action: str,
        precondition: Callable[[dict[str, Any]], None] | None = None,
        also: Callable[[dict[str, Any]], object] | None = None,
    ) -> dict[str, Any]:
        """Apply ``changes`` to a ticket and append timeline ``events``, in one transaction.

        ``precondition(current)`` runs inside the transaction, after the read: raising there refuses the
        change atomically (a claim checks that nobody else holds the ticket).

        With ``expected_version`` the change is refused (:class:`StaleVersion`) when the ticket moved on
        since the agent read it. Derived columns (open flag, next SLA due, severity rank) are recomputed.
        ``also(current)`` runs last inside the same transaction: writes that must land with the change.
        """
        from console.store.workspace import ticket_columns

        now = to_iso(utcnow())
        with self.transaction():  # type: ignore[attr-defined]
            row = self.conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
            if row is None:
                raise LookupError(f"no ticket {ticket_id}")
            current = dict(row)
            if expected_version is not None and current["version"] != expected_version:
                current["lastModifiedBy"] = self.ticket_editor(ticket_id)
                raise StaleVersion(current, expected_version)
            if precondition is not None:
                precondition(current)
            merged = {**current, **changes}
            derived = ticket_columns(merged, now)
            values = {**changes, **derived}
            assignments = ", ".join(f"{column} = :{column}" for column in values)
            self.conn.execute(
                f"UPDATE tickets SET {assignments}, version = version + 1 WHERE seq = :seq",
                {**values, "seq": current["seq"]},
            )
            for event in events:
                self.conn.execute(
                    "INSERT INTO timeline (ticketSeq, kind, author, createdDate, text, fromValue, toValue) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        current["seq"],
                        event["kind"],
                        agent,
                        event.get("createdDate", now),
                        event.get("text"),
                        event.get("fromValue"),
                        event.get("toValue"),
                    ),
                )
            before = {k: current.get(k) for k in changes}
            if any(e["kind"] in ("note", "reply") for e in events) or {"title", "body"} & set(changes):
                self.reindex_tickets([current["seq"]])  # type: ignore[attr-defined]
            after = dict(changes)
            if self.clock_keeper is not None and CLOCK_FIELDS & set(changes):
                self.refresh_clock(current["seq"])
                # The audit says what was stored: the clock keeper's due times in business hours, not the
                # defaults the change was built with (found trying the console: a severity change audited a
                # wall-clock due date the ticket never had).
                stored = self.conn.execute("SELECT * FROM tickets WHERE seq = ?", (current["seq"],)).fetchone()
                after = {k: stored[k] for k in changes}
            self.audit(  # type: ignore[attr-defined]
                agent,
                action,
                "ticket",
                ticket_id,
                {"before": before, "after": after, "events": [e["kind"] for e in events]},
            )
            if also is not None:
                also(current)
        fresh = self.ticket(ticket_id)  # type: ignore[attr-defined]
        assert fresh is not None
        return fresh

    def create_ticket(self, record: dict[str, Any], agent: str) -> str:
        """Store a new, validated ticket record (it gets the next number); return its readable id."""
        from console.records.kinds import TICKETS

        with self.transaction():  # type: ignore[attr-defined]
            self.upsert(TICKETS, [{**record, "id": None}], agent)  # type: ignore[attr-defined]
            seq = self.conn.execute("SELECT max(seq) FROM tickets").fetchone()[0]
            ticket_id = f"CSP-{seq:06d}"
            self.refresh_clock(seq)
            self.audit(agent, "ticket.create", "ticket", ticket_id, {"channel": record["channel"]})  # type: ignore[attr-defined]
        return ticket_id

    def renew_claims(self, agent: str, ticket_ids: Sequence[str], until: str) -> int:
        """Extend the agent's live claims on these tickets (activity keeps a claim alive)."""
        if not ticket_ids:
            return 0
        with self.transaction():  # type: ignore[attr-defined]
            cursor = self.conn.execute(
                f"UPDATE tickets SET claimedUntil = ? WHERE assignee = ? AND claimedUntil IS NOT NULL "
                f"AND id IN ({','.join('?' * len(ticket_ids))})",
                (until, agent, *ticket_ids),
            )
        return cursor.rowcount

    def claimed_by(self, agent: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT id FROM tickets WHERE assignee = ? AND claimedUntil IS NOT NULL ORDER BY seq", (agent,)
        )
        return [r[0] for r in rows]

    def ticket_editor(self, ticket_id: str) -> str | None:
        """Who last changed the ticket (from the audit log)."""
        row = self.conn.execute(
            "SELECT agent FROM audit_log WHERE entity = 'ticket' AND entityId = ? ORDER BY id DESC LIMIT 1",
            (ticket_id,),
        ).fetchone()
        return row[0] if row else None

    def agent_logins(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT login FROM agents ORDER BY login")]

    # -- accounts ------------------------------------------------------------------------------
    def customer_directory(self) -> list[dict[str, Any]]:
        """Every customer's id, name and domain, for the intake's type-ahead."""
        rows = self.conn.execute("SELECT id, companyName, domain FROM customers ORDER BY companyName")
        return [dict(r) for r in rows]

    def open_tickets_of(self, customer_id: str, limit: int = 200) -> list[dict[str, Any]]:
        statuses = [s.value for s in OPEN_STATUSES]
        rows = self.conn.execute(
            f"SELECT id, title, status, severity, service, slaDueDate, assignee FROM tickets "
            f"WHERE customerId = ? AND isOpen = 1 AND status IN ({','.join('?' * len(statuses))}) "
            "ORDER BY slaDueDate, seq LIMIT ?",
            (customer_id, *statuses, limit),
        )
        return [dict(r) for r in rows]

    def escalations_of(self, customer_id: str, *, open_only: bool = True) -> list[dict[str, Any]]:
        where = "AND e.state NOT IN ('closed', 'cancelled')" if open_only else ""
        rows = self.conn.execute(
            "SELECT e.*, t.id AS ticketId FROM escalations e JOIN tickets t ON t.seq = e.ticketSeq "
            f"WHERE t.customerId = ? {where} ORDER BY e.createdDate",
            (customer_id,),
        )
        return [dict(r) for r in rows]

    # -- saved views ---------------------------------------------------------------------------
    def saved_views(self, owner: str) -> list[tuple[str, dict[str, Any]]]:
        rows = self.conn.execute("SELECT name, query FROM saved_views WHERE owner = ? ORDER BY id", (owner,))
        return [(r[0], json.loads(r[1])) for r in rows]

    def save_view(self, owner: str, name: str, query: dict[str, Any]) -> None:
        """Inside the caller's transaction (the desk's, with its audit row), or one of its own."""
        with self._writing():
            self.conn.execute(
                "INSERT INTO saved_views (owner, name, query, createdDate) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (owner, name) DO UPDATE SET query = excluded.query",
                (owner, name, json.dumps(query, ensure_ascii=False), to_iso(utcnow())),
            )

    def delete_view(self, owner: str, name: str) -> bool:
        with self._writing():
            cursor = self.conn.execute("DELETE FROM saved_views WHERE owner = ? AND name = ?", (owner, name))
        return cursor.rowcount > 0

    def _writing(self) -> AbstractContextManager[Any]:
        """The caller's open transaction, or a transaction of its own."""
        return nullcontext() if self.conn.in_transaction else self.transaction()  # type: ignore[attr-defined]

    def view_counts(self, queries: Sequence[QueueQuery]) -> list[int]:
        return [self.queue_count(q) for q in queries]  # type: ignore[attr-defined]
