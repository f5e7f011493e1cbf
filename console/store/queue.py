"""The queue's queries (part of the store): a filtered, sorted page of tickets and its count.

A search is planned by how many tickets its words match, read first from the full-text index (a few
milliseconds even for a common word). A rare word drives the query: its few matches are fetched and sorted.
A common word only filters: the queue walks the index of its sort order and stops after a page, instead of
fetching and sorting tens of thousands of scattered rows (at 1,000,000 tickets, "in" over the open tickets:
about 20-40 ms instead of 1-2 s).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from console.shared import model
from console.store.base import Base
from console.tickets.queue_query import QueueQuery, QueueRow
from console.tickets.search_text import SearchQuery, build_query

#: Sort keys of the queue -> SQL expression (never NULL, so keyset paging compares cleanly).
SORT_SQL = {
    "id": "t.seq",
    "created": "t.createdDate",
    "sla": "t.slaDueDate",
    "severity": "t.severityRank",
    "service": "coalesce(t.service, '')",
    "category": "coalesce(t.category, '')",
    "customer": "t.customerName",
    "title": "t.title",
    "assignee": "coalesce(t.assignee, '')",
    "status": "t.status",
}

QUEUE_COLUMNS = (
    "t.seq, t.id, t.createdDate, t.slaDueDate, t.firstResponseDate, t.severity, t.service, t.category,"
    " t.customerId, c.companyName, t.title, t.assignee, t.status, t.claimedUntil, t.channel, t.contactName"
)

SEARCH_DRIVES_UP_TO = 1500
"""A search matching at most this many tickets drives the query from the full-text index; one matching more
filters the walk of the sort order's index."""

_OPEN_VALUES = frozenset(s.value for s in model.OPEN_STATUSES)


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)
    #: The full-text matches counted afresh, when the search's index holds exactly the tickets the other
    #: clauses allow (so it is also the view's count).
    index_count: int | None = None

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) or "1 = 1"


class QueueRepo:
    """The queue's pages and counts, and the views agents save."""

    def __init__(self, db: Base) -> None:
        self.db = db
        #: How many tickets a search matched when last counted, by (index, MATCH expression): a page after the
        #: first plans as the first did instead of counting again.
        self._match_counts: dict[tuple[str, str], int] = {}

    def _queue_where(self, q: QueueQuery, *, fresh: bool = True, exact: bool = False) -> _Where:
        w = _Where()
        all_open = bool(q.statuses) and set(q.statuses) == _OPEN_VALUES
        if q.statuses:
            if all_open:
                w.clauses.append("t.isOpen = 1")
            else:
                w.clauses.append(f"t.status IN ({self.db.dialect.marks(len(q.statuses))})")
                w.args += list(q.statuses)
        for column, values in (("service", q.services), ("category", q.categories), ("severity", q.severities)):
            if values:
                w.clauses.append(f"t.{column} IN ({self.db.dialect.marks(len(values))})")
                w.args += list(values)
        if q.assignee == "":
            w.clauses.append("t.assignee IS NULL")
        elif q.assignee is not None:
            w.clauses.append("t.assignee = ?")
            w.args.append(q.assignee)
        if q.customer_id:
            w.clauses.append("t.customerId = ?")
            w.args.append(q.customer_id)
        if q.due_before:
            w.clauses.append("t.slaDueDate <= ?")
            w.args.append(q.due_before)
        if q.search.strip():
            self._search_where(q, w, fresh, exact)
        return w

    def _matches(self, index: str, match: str, fresh: bool, exact: bool) -> int:
        """How many tickets of ``index`` match: to plan, counted only up to one past
        :data:`SEARCH_DRIVES_UP_TO` (all a plan needs, and a common word's full count is the slow part on
        PostgreSQL's index); ``exact`` for the view's count."""
        key = (index, match)
        known = None if fresh or exact else self._match_counts.get(key)
        if known is not None:
            return known
        matching = f"FROM {index} WHERE {self.db.dialect.fts_match(index)}"
        sql = (
            f"SELECT count(*) {matching}"
            if exact
            else f"SELECT count(*) FROM (SELECT 1 {matching} LIMIT {SEARCH_DRIVES_UP_TO + 1}) m"
        )
        count = int(self.db.conn.execute(sql, (self.db.dialect.fts_arg(match),)).fetchone()[0])
        if len(self._match_counts) >= 64:
            self._match_counts.clear()
        self._match_counts[key] = count
        return count

    def _search_where(self, q: QueueQuery, w: _Where, fresh: bool, exact: bool) -> None:
        number = q.ticket_number
        if number is not None and not number[1]:  # a ticket's id: that ticket
            w.clauses.append("t.seq = ?")
            w.args.append(number[0])
            return
        sq = build_query(q.search)
        if number is not None:  # a bare number: that ticket, or the tickets that mention it
            self._text_where(q, sq, w, fresh, exact, also_seq=number[0])
        else:
            self._text_where(q, sq, w, fresh, exact)

    def _text_where(
        self, q: QueueQuery, sq: SearchQuery, w: _Where, fresh: bool, exact: bool, also_seq: int | None = None
    ) -> None:
        dialect = self.db.dialect
        # Only open tickets wanted: the open-only index is an eighth of the size at scale.
        open_only = bool(q.statuses) and set(q.statuses) <= _OPEN_VALUES
        index = "open_search" if open_only else "ticket_search"
        if sq.match:
            index_only = not sq.likes and also_seq is None and w.clauses == (["t.isOpen = 1"] if open_only else [])
            matches = self._matches(index, sq.match, fresh, exact and index_only)
            # Many matches: the planner must not drive the query by them; it walks the sort order instead.
            seq_column = "t.seq" if matches <= SEARCH_DRIVES_UP_TO else dialect.not_driving("t.seq")
            if index_only and (exact or (fresh and matches <= SEARCH_DRIVES_UP_TO)):
                w.index_count = matches
            if also_seq is not None:
                w.clauses.append(f"(t.seq = ? OR {seq_column} IN ({dialect.fts_rowids(index)}))")
                w.args += [also_seq, dialect.fts_arg(sq.match)]
            else:
                w.clauses.append(f"{seq_column} IN ({dialect.fts_rowids(index)})")
                w.args.append(dialect.fts_arg(sq.match))
        elif also_seq is not None:
            w.clauses.append("t.seq = ?")
            w.args.append(also_seq)
        for like in sq.likes:
            escaped = like.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            contains = " OR ".join(dialect.like_escaped(c) for c in ("title", "body", "notes"))
            w.clauses.append(f"t.seq IN (SELECT rowid FROM {index} WHERE {contains})")
            w.args += [f"%{escaped}%"] * 3

    def queue_count(self, q: QueueQuery) -> int:
        """The view's count, never a remembered one: the search's matches counted in full when they are the view,
        else its rows (planned by the matches the first page counted)."""
        w = self._queue_where(q, fresh=False, exact=True)
        if w.index_count is not None:
            return w.index_count
        return self.db.conn.execute(f"SELECT count(*) FROM tickets t WHERE {w.sql}", w.args).fetchone()[0]

    def queue_page(
        self,
        q: QueueQuery,
        *,
        limit: int,
        after: tuple[object, int] | None = None,
        before: tuple[object, int] | None = None,
        offset: int = 0,
        from_end: bool = False,
    ) -> list[QueueRow]:
        """A page of the queue in ``q``'s order.

        Keyset paging: ``after`` (or ``before``) is the ``(sort_value, seq)`` of the row next to the page;
        ``from_end`` reads the last ``limit`` rows; ``offset`` is the slow fallback for a jump into the middle.
        """
        # The first page of a view counts its search's matches afresh; the pages after it plan the same way.
        w = self._queue_where(q, fresh=after is None and before is None and not offset and not from_end)
        where, args = w.sql, w.args
        expr = SORT_SQL[q.sort]
        reverse = from_end or before is not None
        descending = q.descending != reverse
        direction = "DESC" if descending else "ASC"
        if after is not None or before is not None:
            key = after if after is not None else before
            assert key is not None
            op = "<" if descending else ">"
            where += f" AND ({expr}, t.seq) {op} (?, ?)"
            args = [*args, key[0], key[1]]
        sql = (
            f"SELECT {QUEUE_COLUMNS}, {expr} AS sort_value FROM tickets t "
            f"JOIN customers c ON c.id = t.customerId WHERE {where} "
            f"ORDER BY {expr} {direction}, t.seq {direction} LIMIT ? OFFSET ?"
        )
        rows = [QueueRow(**dict(r)) for r in self.db.conn.execute(sql, [*args, limit, offset])]
        if reverse:
            rows.reverse()
        return rows

    def next_unassigned(self, q: QueueQuery) -> str | None:
        """The first open, unassigned ticket of ``q``'s view in its order (``None``: there is none). Run inside
        the claim's write transaction (:func:`console.tickets.ops.claim_next`), so the ticket it names is still
        unassigned when it is claimed: of agents taking "next" at once, each gets another ticket (on PostgreSQL
        the pick locks it, passing over tickets other claims hold: ``FOR UPDATE SKIP LOCKED``)."""
        self.db.require_transaction("next_unassigned")
        w = self._queue_where(q)
        expr, direction = SORT_SQL[q.sort], "DESC" if q.descending else "ASC"
        row = self.db.conn.execute(
            f"SELECT t.id FROM tickets t WHERE {w.sql} AND t.isOpen = 1 AND t.assignee IS NULL "
            f"ORDER BY {expr} {direction}, t.seq {direction} LIMIT 1{self.db.dialect.skip_locked}",
            w.args,
        ).fetchone()
        return None if row is None else str(row[0])

    def view_counts(self, queries: Sequence[QueueQuery]) -> list[int]:
        return [self.queue_count(q) for q in queries]

    def in_view(self, q: QueueQuery, ids: Sequence[str]) -> set[str]:
        """Which of the tickets ``ids`` (the queue's marks) the view of ``q`` holds now."""
        w = self._queue_where(q)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            sql = f"SELECT t.id FROM tickets t WHERE {w.sql} AND t.id IN ({self.db.dialect.marks(len(chunk))})"
            found.update(r[0] for r in self.db.conn.execute(sql, [*w.args, *chunk]))
        return found

    # -- saved views -------------------------------------------------------------------------------
    def saved_views(self, owner: str) -> list[tuple[str, dict[str, Any]]]:
        rows = self.db.conn.execute("SELECT name, query FROM saved_views WHERE owner = ? ORDER BY id", (owner,))
        return [(r[0], json.loads(r[1])) for r in rows]

    def save_view(self, owner: str, name: str, query: dict[str, Any]) -> None:
        """Inside the caller's transaction (the desk's, with its audit row), or one of its own."""
        with self.db.writing():
            self.db.conn.execute(
                "INSERT INTO saved_views (owner, name, query, createdDate) VALUES (?, ?, ?, ?) "
                + self.db.dialect.upsert_set("owner, name", "query = excluded.query"),
                (owner, name, json.dumps(query, ensure_ascii=False), self.db.now()),
            )

    def delete_view(self, owner: str, name: str) -> bool:
        with self.db.writing():
            cursor = self.db.conn.execute("DELETE FROM saved_views WHERE owner = ? AND name = ?", (owner, name))
        return cursor.rowcount > 0
