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
        rows = self.conn.execute("SELECT status, service, severity, n FROM health_open_class WHERE n > 0")
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def health_created_between(self, bounds: Sequence[str]) -> list[int]:
        """Open tickets created in each span between consecutive bounds (ISO, newest first; the first span is
        open-ended): range counts, each index entry counted once (SQLite counts them without decoding)."""
        spans = [(bounds[0], None), *zip(bounds[1:], bounds[:-1], strict=False)]
        return [
            self.conn.execute(
                f"SELECT count(*) FROM tickets INDEXED BY idx_open_by_created WHERE {OPEN} AND createdDate >= ?"
                + ("" if hi is None else " AND createdDate < ?"),
                (lo,) if hi is None else (lo, hi),
            ).fetchone()[0]
            for lo, hi in spans
        ]

    def health_due_between(self, now: str, bounds: Sequence[str]) -> tuple[int, list[int]]:
        """Open tickets past their next SLA target at ``now``, and those due between ``now`` and each bound."""
        sql = "SELECT count(*) FROM tickets INDEXED BY idx_tickets_open_sla WHERE isOpen = 1 AND slaDueDate <= ?"
        breached = self.conn.execute(sql, (now,)).fetchone()[0]
        soon = [self.conn.execute(sql + " AND slaDueDate > ?", (bound, now)).fetchone()[0] for bound in bounds]
        return breached, soon

    def health_resolved_since(self, since: str) -> dict[str, Any]:
        """Tickets resolved since ``since``: how many, how many within target, how many at first contact (at
        most one reply, never waiting, never escalated), total hours to resolve."""
        row = self.conn.execute(
            "SELECT count(*), sum(resolutionDueDate IS NULL OR resolvedDate <= resolutionDueDate), "
            "sum(replyCount <= 1 AND NOT detoured), sum((julianday(resolvedDate) - julianday(createdDate)) * 24) "
            "FROM tickets INDEXED BY idx_health_resolved WHERE resolvedDate IS NOT NULL AND resolvedDate >= ?",
            (since,),
        ).fetchone()
        return {"resolved": row[0], "met": row[1] or 0, "first_contact": row[2] or 0, "hours": row[3] or 0.0}

    def health_first_responses_since(self, since: str) -> tuple[int, int]:
        """First responses since ``since``: how many, how many within target."""
        row = self.conn.execute(
            "SELECT count(*), sum(firstResponseDueDate IS NULL OR firstResponseDate <= firstResponseDueDate) "
            "FROM tickets INDEXED BY idx_health_first_response "
            "WHERE firstResponseDate IS NOT NULL AND firstResponseDate >= ?",
            (since,),
        ).fetchone()
        return row[0], row[1] or 0

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

        def row(login: str) -> dict[str, Any]:
            return out.setdefault(login, {"agent": login, "open": 0, "claimed": 0, "inProgress": 0, "resolvedToday": 0})

        for login, held, working in self.conn.execute(
            "SELECT assignee, n, inProgress FROM health_open_assignee WHERE n > 0"
        ):
            row(login).update(open=held, inProgress=working)
        for login, claimed in self.conn.execute(
            "SELECT assignee, count(*) FROM tickets INDEXED BY idx_tickets_claims "
            "WHERE claimedUntil IS NOT NULL AND claimedUntil > ? AND isOpen = 1 GROUP BY assignee",
            (now,),
        ):
            row(login)["claimed"] = claimed
        for login, resolved in self.conn.execute(
            "SELECT assignee, count(*) FROM tickets INDEXED BY idx_health_resolved "
            "WHERE resolvedDate IS NOT NULL AND resolvedDate >= ? AND assignee IS NOT NULL GROUP BY assignee",
            (since,),
        ):
            row(login)["resolvedToday"] = resolved
        return sorted(out.values(), key=lambda r: (-r["open"], r["agent"]))

    def health_top_customers(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT o.customerId, c.companyName, o.n FROM health_open_customer o INDEXED BY idx_health_open_customer_n "
            "JOIN customers c ON c.id = o.customerId WHERE o.n > 0 ORDER BY o.n DESC, c.companyName LIMIT ?",
            (limit,),
        )
        return [{"customerId": r[0], "name": r[1], "open": r[2]} for r in rows]

    def health_dunning_counts(self, today: str, stages: Sequence[tuple[int, str]]) -> dict[str, int]:
        """Customers per dunning stage of their oldest unpaid receivable past due (``stages``: days overdue
        at which each stage starts, ascending)."""
        cases = " ".join(f"WHEN days >= {int(days)} THEN ?" for days, _ in reversed(stages))
        rows = self.conn.execute(
            f"SELECT CASE {cases} END AS stage, count(*) FROM ("
            "SELECT julianday(?) - julianday(min(dueDate)) AS days FROM receivables INDEXED BY idx_health_receivables "
            "WHERE status IN ('open', 'partial', 'disputed') AND dueDate < ? GROUP BY customerId"
            ") WHERE stage IS NOT NULL GROUP BY stage",
            (*[name for _, name in reversed(stages)], today, today),
        )
        return {r[0]: r[1] for r in rows}

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
                "SELECT count(*), coalesce(sum(resolutionDueDate < :at OR (firstResponseDueDate < :at "
                "AND (firstResponseDate IS NULL OR firstResponseDate > :at))), 0) FROM tickets "
                "WHERE createdDate <= :at AND (resolvedDate IS NULL OR resolvedDate > :at)",
                {"at": at},
            ).fetchone()
            out.append((at, row[0], row[1]))
        return out
