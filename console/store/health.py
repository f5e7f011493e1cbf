"""The queue-health board's queries (part of the store). Each reads one small covering index; nothing
here scans the tickets table."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

OPEN = "isOpen = 1"


class HealthStoreMixin:
    """Mixed into :class:`console.store.Workspace`."""

    conn: sqlite3.Connection

    def health_backlog(self) -> list[tuple[str, str, str, int]]:
        """(status, service, severity, open tickets)."""
        rows = self.conn.execute(
            "SELECT status, coalesce(service, ''), severity, count(*) FROM tickets INDEXED BY idx_health_open "
            f"WHERE {OPEN} GROUP BY 1, 2, 3"
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def health_created_since(self, bounds: Sequence[str]) -> list[int]:
        """Open tickets created at or after each bound (ISO, newest bound first)."""
        return [
            self.conn.execute(
                f"SELECT count(*) FROM tickets INDEXED BY idx_open_by_created WHERE {OPEN} AND createdDate >= ?",
                (bound,),
            ).fetchone()[0]
            for bound in bounds
        ]

    def health_due_before(self, bounds: Sequence[str]) -> list[int]:
        """Open tickets whose next SLA target is at or before each bound."""
        return [
            self.conn.execute(
                "SELECT count(*) FROM tickets INDEXED BY idx_tickets_open_sla WHERE isOpen = 1 AND slaDueDate <= ?",
                (bound,),
            ).fetchone()[0]
            for bound in bounds
        ]

    def health_resolved_since(self, since: str) -> dict[str, Any]:
        """Tickets resolved since ``since``: how many, how many within target, total hours to resolve."""
        row = self.conn.execute(
            "SELECT count(*), sum(resolutionDueDate IS NULL OR resolvedDate <= resolutionDueDate), "
            "sum((julianday(resolvedDate) - julianday(createdDate)) * 24), max(resolvedDate) "
            "FROM tickets INDEXED BY idx_health_resolved WHERE resolvedDate IS NOT NULL AND resolvedDate >= ?",
            (since,),
        ).fetchone()
        return {"resolved": row[0], "met": row[1] or 0, "hours": row[2] or 0.0, "last": row[3]}

    def health_first_responses_since(self, since: str) -> tuple[int, int]:
        """First responses since ``since``: how many, how many within target."""
        row = self.conn.execute(
            "SELECT count(*), sum(firstResponseDueDate IS NULL OR firstResponseDate <= firstResponseDueDate) "
            "FROM tickets INDEXED BY idx_health_first_response "
            "WHERE firstResponseDate IS NOT NULL AND firstResponseDate >= ?",
            (since,),
        ).fetchone()
        return row[0], row[1] or 0

    def health_first_contact_resolved(self, since: str) -> int:
        """Tickets resolved since ``since`` with at most one reply, never waiting on the customer and never
        escalated: resolved at first contact."""
        row = self.conn.execute(
            "SELECT count(*) FROM tickets t INDEXED BY idx_health_resolved "
            "WHERE t.resolvedDate IS NOT NULL AND t.resolvedDate >= ? "
            "AND (SELECT count(*) FROM timeline r WHERE r.ticketSeq = t.seq AND r.kind = 'reply') <= 1 "
            "AND NOT EXISTS (SELECT 1 FROM timeline w WHERE w.ticketSeq = t.seq AND w.kind = 'status_change' "
            "AND w.toValue IN ('waiting_customer', 'waiting_microsoft')) "
            "AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.ticketSeq = t.seq)",
            (since,),
        ).fetchone()
        return row[0]

    def health_escalations(self) -> list[tuple[str, str, int]]:
        rows = self.conn.execute("SELECT vehicle, state, count(*) FROM escalations GROUP BY 1, 2")
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def health_oldest_waiting(self) -> dict[str, Any] | None:
        """The oldest escalation still waiting on Microsoft (not closed, not failed)."""
        row = self.conn.execute(
            "SELECT e.vehicle, e.createdDate, e.microsoftCaseId, t.id FROM escalations e "
            "JOIN tickets t ON t.seq = e.ticketSeq WHERE e.state IN ('pending', 'awaiting_case_number', 'open') "
            "AND t.isOpen = 1 ORDER BY e.createdDate LIMIT 1"
        ).fetchone()
        return dict(row) if row else None

    def health_agents(self, now: str, since: str) -> list[dict[str, Any]]:
        """Per agent: open tickets held, live claims, in progress; and resolved since ``since``."""
        out: dict[str, dict[str, Any]] = {}
        for login, held, claimed, working in self.conn.execute(
            "SELECT assignee, count(*), sum(claimedUntil IS NOT NULL AND claimedUntil > ?), "
            "sum(status = 'in_progress') FROM tickets INDEXED BY idx_health_open_assignee "
            "WHERE isOpen = 1 AND assignee IS NOT NULL GROUP BY assignee",
            (now,),
        ):
            out[login] = {"agent": login, "open": held, "claimed": claimed or 0, "inProgress": working or 0}
        for login, resolved in self.conn.execute(
            "SELECT assignee, count(*) FROM tickets INDEXED BY idx_health_resolved "
            "WHERE resolvedDate IS NOT NULL AND resolvedDate >= ? AND assignee IS NOT NULL GROUP BY assignee",
            (since,),
        ):
            out.setdefault(login, {"agent": login, "open": 0, "claimed": 0, "inProgress": 0})["resolvedToday"] = (
                resolved
            )
        for row in out.values():
            row.setdefault("resolvedToday", 0)
        return sorted(out.values(), key=lambda r: (-r["open"], r["agent"]))

    def health_top_customers(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT o.customerId, c.companyName, o.n FROM (SELECT customerId, count(*) AS n "
            f"FROM tickets INDEXED BY idx_health_open_customer WHERE {OPEN} GROUP BY customerId "
            "ORDER BY n DESC, customerId LIMIT ?) o JOIN customers c ON c.id = o.customerId "
            "ORDER BY o.n DESC, c.companyName",
            (limit,),
        )
        return [{"customerId": r[0], "name": r[1], "open": r[2]} for r in rows]

    def health_overdue(self, today: str) -> list[tuple[str, str]]:
        """(customer, oldest due date) of every customer with an unpaid receivable past due."""
        rows = self.conn.execute(
            "SELECT customerId, min(dueDate) FROM receivables WHERE status IN ('open', 'partial', 'disputed') "
            "AND dueDate < ? GROUP BY customerId",
            (today,),
        )
        return [(r[0], r[1]) for r in rows]

    # -- samples for the trends ------------------------------------------------------------------
    def record_health_sample(self, at: str, backlog: int, breached: int, not_since: str) -> bool:
        """Record a sample unless one was taken since ``not_since`` (any session may sample; one wins)."""
        with self.transaction():  # type: ignore[attr-defined]
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO health_samples (at, backlog, breached) SELECT ?, ?, ? "
                "WHERE NOT EXISTS (SELECT 1 FROM health_samples WHERE at > ?)",
                (at, backlog, breached, not_since),
            )
        return cursor.rowcount > 0

    def insert_health_samples(self, rows: Sequence[tuple[str, int, int]]) -> None:
        with self.transaction():  # type: ignore[attr-defined]
            self.conn.executemany("INSERT OR IGNORE INTO health_samples (at, backlog, breached) VALUES (?, ?, ?)", rows)

    def health_samples(self, since: str) -> list[tuple[str, int, int]]:
        rows = self.conn.execute("SELECT at, backlog, breached FROM health_samples WHERE at >= ? ORDER BY at", (since,))
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def health_backlog_at(self, moments: Sequence[str]) -> list[tuple[str, int, int]]:
        """Open backlog and resolution breaches at past moments, rebuilt from ticket history (to seed the
        trend of a new workspace)."""
        out = []
        for at in moments:
            row = self.conn.execute(
                "SELECT count(*), coalesce(sum(resolutionDueDate < ?), 0) FROM tickets "
                "WHERE createdDate <= ? AND (resolvedDate IS NULL OR resolvedDate > ?)",
                (at, at, at),
            ).fetchone()
            out.append((at, row[0], row[1]))
        return out
