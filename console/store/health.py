"""The queue-health board's queries (part of the store). Each reads one small covering index; nothing
here scans the tickets table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from console.store.base import Base
from console.store.portable import count_if


def _after(moment: str) -> str:
    """The smallest ISO timestamp after ``moment`` in the stored form (for "at or before" as "before")."""
    return moment + "\x01"


#: A ticket past a target at moment ``m.at`` (its resolution, or a first response not given by then).
_BREACHED_AT = (
    "t.resolutionDueDate < m.at OR (t.firstResponseDueDate < m.at "
    "AND (t.firstResponseDate IS NULL OR t.firstResponseDate > m.at))"
)


def _next_hour(moment: str) -> str:
    """The first whole hour (``YYYY-MM-DDTHH``, UTC) at or after ISO ``moment``."""
    if moment[13:] in (":00:00Z", ":00Z"):
        return moment[:13]
    start = datetime.strptime(moment[:13], "%Y-%m-%dT%H").replace(tzinfo=UTC) + timedelta(hours=1)
    return start.strftime("%Y-%m-%dT%H")


class HealthRepo:
    """The queue-health board's figures and the samples of its trends."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def health_backlog(self) -> list[tuple[str, str, str, int]]:
        """(status, service, severity, open tickets)."""
        rows = self.db.conn.execute("SELECT status, service, severity, n FROM health_open_class WHERE n > 0")
        return [tuple(r) for r in rows]

    def _hourly_count(self, table: str, column: str, lo: str | None, hi: str | None, index: str) -> int:
        """Open tickets with ``column`` in [lo, hi): whole hours from the hourly rollup ``table``, the partial
        hours at either end from the tickets' index."""
        lo_hour = _next_hour(lo) if lo else None
        hi_hour = hi[:13] if hi else None
        if lo_hour is not None and hi_hour is not None and lo_hour >= hi_hour:  # within one hour: exact
            return self._range_count(column, lo, hi, index)
        total = 0
        if lo is not None and lo_hour is not None:
            total += self._range_count(column, lo, f"{lo_hour}:00:00Z", index)
        if hi is not None and hi_hour is not None:
            total += self._range_count(column, f"{hi_hour}:00:00Z", hi, index)
        where, args = [], []
        if lo_hour is not None:
            where.append("hour >= ?")
            args.append(lo_hour)
        if hi_hour is not None:
            where.append("hour < ?")
            args.append(hi_hour)
        sql = f"SELECT coalesce(sum(n), 0) FROM {table}" + (f" WHERE {' AND '.join(where)}" if where else "")
        return total + self.db.conn.execute(sql, args).fetchone()[0]

    def _range_count(self, column: str, lo: str | None, hi: str | None, index: str) -> int:
        sql = f"SELECT count(*) FROM tickets{self.db.dialect.indexed_by(index)} WHERE isOpen = 1"
        args = []
        if lo is not None:
            sql += f" AND {column} >= ?"
            args.append(lo)
        if hi is not None:
            sql += f" AND {column} < ?"
            args.append(hi)
        return self.db.conn.execute(sql, args).fetchone()[0]

    def health_created_between(self, bounds: Sequence[str]) -> list[int]:
        """Open tickets created in each span between consecutive bounds (ISO, newest first; the first span is
        open-ended)."""
        spans: list[tuple[str, str | None]] = [(bounds[0], None), *zip(bounds[1:], bounds[:-1], strict=False)]
        return [
            self._hourly_count("health_open_created_hourly", "createdDate", lo, hi, "idx_open_by_created")
            for lo, hi in spans
        ]

    def health_due_between(self, now: str, bounds: Sequence[str]) -> tuple[int, list[int]]:
        """Open tickets past their next SLA target at ``now``, and those due after ``now`` up to each bound."""
        breached = self._hourly_count("health_open_due_hourly", "slaDueDate", None, _after(now), "idx_tickets_open_sla")
        soon = [self._range_count("slaDueDate", _after(now), _after(bound), "idx_tickets_open_sla") for bound in bounds]
        return breached, soon

    def health_resolved_since(self, since: str) -> dict[str, Any]:
        """Tickets resolved since ``since``: how many, how many within target, how many at first contact (at
        most one reply, never waiting, never escalated), total hours to resolve. Whole hours come from the
        hourly rollup, the part of an hour before the first whole one from the tickets' index."""
        d = self.db.dialect
        hour = _next_hour(since)
        head = self.db.conn.execute(
            f"SELECT count(*), {count_if('resolutionDueDate IS NULL OR resolvedDate <= resolutionDueDate')}, "
            f"{count_if('replyCount <= 1 AND detoured = 0')}, "
            f"coalesce(sum({d.hours_between('createdDate', 'resolvedDate')}), 0) "
            f"FROM tickets{d.indexed_by('idx_health_resolved')} "
            "WHERE resolvedDate IS NOT NULL AND resolvedDate >= ? AND resolvedDate < ?",
            (since, f"{hour}:00:00Z"),
        ).fetchone()
        rest = self.db.conn.execute(
            "SELECT coalesce(sum(resolved), 0), coalesce(sum(met), 0), coalesce(sum(firstContact), 0), "
            "coalesce(sum(hours), 0) FROM health_resolved_hourly WHERE hour >= ?",
            (hour,),
        ).fetchone()
        total = [a + b for a, b in zip(head, rest, strict=True)]
        return {"resolved": total[0], "met": total[1], "first_contact": total[2], "hours": total[3]}

    def health_first_responses_since(self, since: str) -> tuple[int, int]:
        """First responses since ``since``: how many, how many within target (hourly rollup + the head)."""
        hour = _next_hour(since)
        head = self.db.conn.execute(
            "SELECT count(*), "
            f"{count_if('firstResponseDueDate IS NULL OR firstResponseDate <= firstResponseDueDate')} "
            f"FROM tickets{self.db.dialect.indexed_by('idx_health_first_response')} "
            "WHERE firstResponseDate IS NOT NULL AND firstResponseDate >= ? AND firstResponseDate < ?",
            (since, f"{hour}:00:00Z"),
        ).fetchone()
        rest = self.db.conn.execute(
            "SELECT coalesce(sum(responded), 0), coalesce(sum(met), 0) FROM health_first_response_hourly "
            "WHERE hour >= ?",
            (hour,),
        ).fetchone()
        return head[0] + rest[0], head[1] + rest[1]

    def health_waiting_microsoft(self) -> list[tuple[str | None, str | None, int]]:
        """The tickets waiting on Microsoft, the backlog's ``waiting_microsoft`` (open tickets in that status),
        per vehicle and state of each one's latest case (``None``: no case recorded), from the rollup."""
        rows = self.db.conn.execute(
            "SELECT nullif(vehicle, ''), nullif(state, ''), n FROM health_waiting_case WHERE n > 0"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def health_oldest_waiting(self) -> dict[str, Any] | None:
        """The ticket waiting longest on Microsoft (of those :meth:`health_waiting_microsoft` counts): since its
        last move to ``waiting_microsoft`` (else its last change), with its latest case: the rollup's first row."""
        row = self.db.conn.execute(
            "SELECT t.id, w.since, w.vehicle, w.caseId AS microsoftCaseId "
            f"FROM health_waiting w{self.db.dialect.indexed_by('idx_health_waiting_since')} "
            "JOIN tickets t ON t.seq = w.seq ORDER BY w.since, w.seq LIMIT 1"
        ).fetchone()
        return dict(row) if row else None

    def health_agents(self, now: str, since: str) -> list[dict[str, Any]]:
        """Per agent: open tickets held, live claims, in progress; and resolved since ``since``."""
        d = self.db.dialect
        out: dict[str, dict[str, Any]] = {}

        def row(login: str) -> dict[str, Any]:
            return out.setdefault(login, {"agent": login, "open": 0, "claimed": 0, "inProgress": 0, "resolvedToday": 0})

        for login, held, working in self.db.conn.execute(
            "SELECT assignee, n, inProgress FROM health_open_assignee WHERE n > 0"
        ):
            row(login).update(open=held, inProgress=working)
        for login, claimed in self.db.conn.execute(
            f"SELECT assignee, count(*) FROM tickets{d.indexed_by('idx_health_claims')} "
            "WHERE claimedUntil IS NOT NULL AND isOpen = 1 AND claimedUntil > ? GROUP BY assignee",
            (now,),
        ):
            row(login)["claimed"] = claimed
        hour = _next_hour(since)  # the part of an hour before the first whole one from the index, then the rollup
        for login, resolved in self.db.conn.execute(
            f"SELECT assignee, count(*) FROM tickets{d.indexed_by('idx_health_resolved')} "
            "WHERE resolvedDate IS NOT NULL AND resolvedDate >= ? AND resolvedDate < ? AND assignee IS NOT NULL "
            "GROUP BY assignee "
            "UNION ALL SELECT assignee, sum(resolved) FROM health_resolved_agent_hourly WHERE hour >= ? "
            "GROUP BY assignee",
            (since, f"{hour}:00:00Z", hour),
        ):
            if resolved:
                row(login)["resolvedToday"] += resolved
        return sorted(out.values(), key=lambda r: (-r["open"], r["agent"]))

    def health_top_customers(self, limit: int = 10) -> list[dict[str, Any]]:
        """The ``limit`` customers with the most open tickets (ties by name). Only the customers at or above the
        ``limit``-th count are joined and sorted, read from the count's index: sorting every customer made the
        refresh grow with the desk (issue 23: 0.6 ms of 2 at 5,000 customers)."""
        index = self.db.dialect.indexed_by("idx_health_open_customer_n")
        least = self.db.conn.execute(
            f"SELECT n FROM health_open_customer{index} WHERE n > 0 ORDER BY n DESC LIMIT 1 OFFSET ?",
            (max(0, limit - 1),),
        ).fetchone()
        rows = self.db.conn.execute(
            f"SELECT o.customerId, c.companyName, o.n FROM health_open_customer o{index} "
            "JOIN customers c ON c.id = o.customerId WHERE o.n >= ? ORDER BY o.n DESC, c.companyName LIMIT ?",
            (least[0] if least else 1, limit),
        )
        return [{"customerId": r[0], "name": r[1], "open": r[2]} for r in rows]

    def health_dunning_counts(self, today: str, stages: Sequence[tuple[int, str]]) -> dict[str, int]:
        """Customers per dunning stage of their oldest unpaid receivable past due (``stages``: days overdue
        at which each stage starts, ascending): range counts over each customer's oldest due date."""
        day = date.fromisoformat(today)
        out = {}
        for index, (days, name) in enumerate(stages):
            newest = (day - timedelta(days=days)).isoformat()  # due on or before: at least ``days`` overdue
            older = stages[index + 1][0] if index + 1 < len(stages) else None
            sql = "SELECT count(*) FROM health_customer_due WHERE oldestDue <= ?"
            args = [newest]
            if older is not None:
                sql += " AND oldestDue > ?"
                args.append((day - timedelta(days=older)).isoformat())
            out[name] = self.db.conn.execute(sql, args).fetchone()[0]
        return out

    # -- samples for the trends ------------------------------------------------------------------
    def record_health_sample(self, at: str, backlog: int, breached: int, not_since: str) -> bool:
        """Record a sample unless one was taken since ``not_since`` (any session may sample; one wins).

        A read first: most refreshes find a recent sample and write nothing, so they open no write transaction
        (on PostgreSQL every commit is a change notice to every console, which would refresh its board again)."""
        recent = "SELECT 1 FROM health_samples WHERE at > ?"
        if self.db.conn.execute(recent, (not_since,)).fetchone() is not None:
            return False
        with self.db.transaction():
            cursor = self.db.conn.execute(
                f"{self.db.dialect.insert_or_ignore} INTO health_samples (at, backlog, breached) SELECT ?, ?, ? "
                f"WHERE NOT EXISTS ({recent})",
                (at, backlog, breached, not_since),
            )
        return cursor.rowcount > 0

    def insert_health_samples(self, rows: Sequence[tuple[str, int, int]]) -> None:
        with self.db.transaction():
            self.db.conn.executemany(
                f"{self.db.dialect.insert_or_ignore} INTO health_samples (at, backlog, breached) VALUES (?, ?, ?)", rows
            )

    def health_samples(self, since: str) -> list[tuple[str, int, int]]:
        rows = self.db.conn.execute(
            "SELECT at, backlog, breached FROM health_samples WHERE at >= ? ORDER BY at", (since,)
        )
        return [tuple(r) for r in rows]

    def health_backlog_at(self, moments: Sequence[str]) -> list[tuple[str, int, int]]:
        """Open backlog and resolution breaches at past moments, rebuilt from ticket history (to seed the
        trend of a new workspace)."""
        if not moments:
            return []
        # One pass over the tickets (the outer loop of a CROSS JOIN), each checked against every moment,
        # instead of one scan of the whole table per moment.
        values = ", ".join("(?)" for _ in moments)
        rows = self.db.conn.execute(
            f"WITH m(at) AS (VALUES {values}) "
            f"SELECT m.at, count(*), {count_if(_BREACHED_AT)} "
            "FROM (SELECT createdDate, resolvedDate, resolutionDueDate, firstResponseDueDate, firstResponseDate "
            "      FROM tickets WHERE resolvedDate IS NULL OR resolvedDate > ?) AS t CROSS JOIN m "
            "WHERE t.createdDate <= m.at AND (t.resolvedDate IS NULL OR t.resolvedDate > m.at) GROUP BY m.at",
            (*moments, min(moments)),
        ).fetchall()
        found = {r[0]: (r[1], r[2]) for r in rows}
        return [(at, *found.get(at, (0, 0))) for at in moments]
