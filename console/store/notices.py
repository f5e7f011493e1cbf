"""The agents' notices and their read markers on tickets (part of the store: all SQL lives in this package).

A notice is written inside the transaction of the change that causes it (the caller's: :meth:`NoticeRepo.add`
and its kin refuse to run outside one), so a change and its notice land together or not at all. The consoles
read them by agent and id (``idx_notices_agent``), only past the last id they showed.

``ticket_seen`` keeps, per agent and ticket, the last timeline event the agent saw; the queue asks, for the
tickets of the page it shows and no others, which of them gained an event by someone else since."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from console.store.base import Base

_COLUMNS = ("agent", "kind", "ticketId", "customerId", "text", "createdAt", "dedupe", "dueAt")
_SELECT = "SELECT id, agent, kind, ticketId, customerId, text, createdAt, seenAt, dueAt FROM notices"
#: How long the seen marker waits for another writer's lock before it gives way (the next load tries again).
SEEN_WAIT_SECONDS = 0.25


class NoticeRepo:
    """Notices to agents, and what each agent last saw of a ticket."""

    def __init__(self, db: Base) -> None:
        self.db = db
        self._unseen = db.dialect.indexed_by("idx_notices_unseen")

    # -- writing (inside the causing change's transaction) ------------------------------------------
    def add(
        self,
        agent: str,
        kind: str,
        text: str,
        *,
        ticket_id: str | None = None,
        customer_id: str | None = None,
        dedupe: str | None = None,
        due_at: str | None = None,
    ) -> bool:
        """One notice to ``agent``; with ``dedupe``, none if the agent already has one of that key. Whether
        it was written."""
        self.db.require_transaction("a notice")
        cursor = self.db.conn.execute(
            self.db.dialect.insert("notices", _COLUMNS, self.db.dialect.insert_or_ignore),
            (agent, kind, ticket_id, customer_id, text, self.db.now(), dedupe, due_at),
        )
        return cursor.rowcount > 0

    def to_assignee(self, seq: int, kind: str, text: Callable[[str], str], *, otherwise: str | None = None) -> bool:
        """A notice to the assignee of ticket ``seq`` (to ``otherwise`` when it has none; to nobody when neither),
        ``text(ticket id)`` saying what."""
        row = self.db.conn.execute("SELECT id, assignee, customerId FROM tickets WHERE seq = ?", (seq,)).fetchone()
        agent = (row["assignee"] or otherwise) if row is not None else None
        if not agent:
            return False
        return self.add(agent, kind, text(row["id"]), ticket_id=row["id"], customer_id=row["customerId"])

    def add_many(self, rows: Iterable[dict[str, Any]]) -> int:
        """Notices given as dicts of ``agent``, ``kind``, ``text`` and optionally ``ticketId``, ``customerId``,
        ``dedupe``, ``dueAt``, each skipped when its agent already has its key; how many were written."""
        self.db.require_transaction("a notice")
        now = self.db.now()
        sql = self.db.dialect.insert("notices", _COLUMNS, self.db.dialect.insert_or_ignore)
        written = 0
        for row in rows:
            values = (row["agent"], row["kind"], row.get("ticketId"), row.get("customerId"), row["text"], now)
            written += self.db.conn.execute(sql, (*values, row.get("dedupe"), row.get("dueAt"))).rowcount
        return written

    def assignees_of_customer(self, customer_id: str) -> dict[str, int]:
        """The agents holding open tickets of the customer, with how many (``idx_tickets_customer``)."""
        rows = self.db.conn.execute(
            "SELECT assignee, count(*) FROM tickets WHERE customerId = ? AND isOpen = 1 AND assignee IS NOT NULL "
            "GROUP BY assignee ORDER BY assignee",
            (customer_id,),
        )
        return {r[0]: int(r[1]) for r in rows}

    def breaching(self, now: str, until: str) -> list[dict[str, Any]]:
        """Assigned open tickets whose next SLA target falls after ``now`` and by ``until``, clock running (a
        range of the open tickets' due-time index)."""
        rows = self.db.conn.execute(
            "SELECT id, customerId, assignee, slaDueDate, firstResponseDate, title FROM tickets "
            "WHERE isOpen = 1 AND slaDueDate > ? AND slaDueDate <= ? AND assignee IS NOT NULL "
            "AND slaPausedSince IS NULL ORDER BY slaDueDate, seq",
            (now, until),
        )
        return [dict(r) for r in rows]

    def prune(self, before: str) -> int:
        """Forget the notices written before ``before`` (inside the caller's transaction); how many."""
        self.db.require_transaction("pruning notices")
        return self.db.conn.execute("DELETE FROM notices WHERE createdAt < ?", (before,)).rowcount

    # -- reading -------------------------------------------------------------------------------
    def news(self, agent: str, after: int, newest: int) -> tuple[int, int, list[dict[str, Any]]]:
        """What is past id ``after`` for the agent, seen or not (one already seen in another console is still
        news to this one): how many, the last id (``after`` when none), and the ``newest`` latest of them,
        oldest first. Two ranges of ``idx_notices_agent``, however many came."""
        count, last = self.db.conn.execute(
            "SELECT count(*), max(id) FROM notices WHERE agent = ? AND id > ?", (agent, after)
        ).fetchone()
        last = int(last or after)
        rows = self.db.conn.execute(  # up to the last one counted: one written in between is the next news
            f"{_SELECT} WHERE agent = ? AND id > ? AND id <= ? ORDER BY id DESC LIMIT ?", (agent, after, last, newest)
        ).fetchall()
        return int(count), last, [dict(r) for r in reversed(rows)]

    def recent(self, agent: str, limit: int = 200) -> list[dict[str, Any]]:
        """The agent's latest notices, newest first, seen or not."""
        rows = self.db.conn.execute(f"{_SELECT} WHERE agent = ? ORDER BY id DESC LIMIT ?", (agent, limit))
        return [dict(r) for r in rows]

    def unseen_count(self, agent: str) -> int:
        row = self.db.conn.execute(
            f"SELECT count(*) FROM notices{self._unseen} WHERE agent = ? AND seenAt IS NULL", (agent,)
        ).fetchone()
        return int(row[0])

    def last_id(self, agent: str) -> int:
        """The id of the agent's latest notice (0 for none)."""
        row = self.db.conn.execute("SELECT max(id) FROM notices WHERE agent = ?", (agent,)).fetchone()
        return int(row[0] or 0)

    # -- seen ----------------------------------------------------------------------------------
    def mark_seen(self, agent: str, ids: Sequence[int]) -> int:
        """Mark these notices of the agent seen (those already seen keep their time); how many changed."""
        if not ids:
            return 0
        marks = self.db.dialect.marks(len(ids))
        with self.db.writing():
            cursor = self.db.conn.execute(
                f"UPDATE notices SET seenAt = ? WHERE agent = ? AND seenAt IS NULL AND id IN ({marks})",
                (self.db.now(), agent, *ids),
            )
        return cursor.rowcount

    def mark_all_seen(self, agent: str, up_to: int) -> int:
        """Mark every notice of the agent up to id ``up_to`` seen, however many (one statement); a notice
        that came after (the list the agent looked at did not show it) stays unseen. How many changed."""
        with self.db.writing():
            cursor = self.db.conn.execute(
                "UPDATE notices SET seenAt = ? WHERE agent = ? AND seenAt IS NULL AND id <= ?",
                (self.db.now(), agent, up_to),
            )
        return cursor.rowcount

    def see_ticket(self, agent: str, ticket_id: str, *, wait: float = SEEN_WAIT_SECONDS) -> bool | None:
        """The agent was shown the ticket: remember its last timeline event (and version), and mark the agent's
        notices about it seen. Writes only when something is new since the agent's marker (the first look, a
        new event, a notice about it unseen), so a console refreshing an open ticket on every change of the
        workspace does not itself change it again; and gives way to another writer: with the workspace's write
        lock held longer than ``wait`` seconds it writes nothing. Whether it wrote (``None``: it gave way, to
        be tried again later)."""
        try:
            return self._see_ticket(agent, ticket_id, wait)
        except sqlite3.OperationalError as exc:
            if self.db.dialect.is_busy(exc):
                return None
            raise

    def _see_ticket(self, agent: str, ticket_id: str, wait: float) -> bool:
        conn = self.db.conn
        ticket = conn.execute("SELECT seq, version FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if ticket is None:
            return False
        last = conn.execute("SELECT max(id) FROM timeline WHERE ticketSeq = ?", (ticket[0],)).fetchone()[0] or 0
        seen = conn.execute(
            "SELECT seenVersion, seenEvent FROM ticket_seen WHERE agent = ? AND ticketId = ?", (agent, ticket_id)
        ).fetchone()
        unseen = conn.execute(
            f"SELECT 1 FROM notices{self._unseen} WHERE agent = ? AND ticketId = ? AND seenAt IS NULL",
            (agent, ticket_id),
        ).fetchone()
        if seen is not None and seen["seenEvent"] == last and unseen is None:
            return False
        now = self.db.now()
        upsert = self.db.dialect.upsert(
            "ticket_seen", ("agent", "ticketId", "seenVersion", "seenEvent", "seenAt"), "agent, ticketId"
        )
        with self.db.dialect.patience(conn, wait), self.db.writing():
            conn.execute(upsert, (agent, ticket_id, ticket[1], last, now))
            conn.execute(
                "UPDATE notices SET seenAt = ? WHERE agent = ? AND ticketId = ? AND seenAt IS NULL",
                (now, agent, ticket_id),
            )
        return True

    def changed_among(self, agent: str, ticket_ids: Sequence[str]) -> set[str]:
        """Of these tickets (a page of the queue), those the agent opened before and that gained a timeline
        event by someone else since: one query over the page's ids, by key, whatever the queue's size."""
        if not ticket_ids:
            return set()
        rows = self.db.conn.execute(
            "SELECT s.ticketId FROM ticket_seen s JOIN tickets t ON t.id = s.ticketId "
            f"WHERE s.agent = ? AND s.ticketId IN ({self.db.dialect.marks(len(ticket_ids))}) AND EXISTS ("
            "SELECT 1 FROM timeline e WHERE e.ticketSeq = t.seq AND e.id > s.seenEvent AND e.author <> ?)",
            (agent, *ticket_ids, agent),
        )
        return {r[0] for r in rows}
