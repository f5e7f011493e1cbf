"""Tickets: reading one, changing one (versions, timeline, SLA clocks and audit in one transaction), claims,
their search entries and their findings (part of the store: all SQL lives in this package)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Concatenate, ParamSpec

from console.shared import model
from console.shared.errors import StaleVersion
from console.store import plugin_events, ticket_upserts
from console.store.base import Base
from console.store.db_identity import acting_as
from console.store.directory import DirectoryRepo
from console.store.ticket_columns import ClockKeeper, as_changed, changed_columns
from console.tickets.search_text import search_form

FINDING_COLUMNS = (
    "ticketSeq",
    "plugin",
    "checkId",
    "family",
    "severity",
    "title",
    "explanation",
    "suggestedAction",
    "boundary",
    "vehicle",
    "audience",
    "subject",
    "createdDate",
)
_INSERT_FINDING = (
    f"INSERT INTO findings ({', '.join(FINDING_COLUMNS)}) VALUES ({', '.join(':' + c for c in FINDING_COLUMNS)})"
)
_INSERT_EVENT = (
    "INSERT INTO timeline (ticketSeq, kind, author, createdDate, text, fromValue, toValue) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


P = ParamSpec("P")


def _read_back(
    write: Callable[Concatenate[TicketRepo, str, P], None],
) -> Callable[Concatenate[TicketRepo, str, P], dict[str, Any]]:
    """``write``, then the ticket as it is after it (:meth:`TicketRepo.update_ticket`)."""

    def update_ticket(repo: TicketRepo, ticket_id: str, /, *args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        write(repo, ticket_id, *args, **kwargs)
        fresh = repo.ticket(ticket_id)
        assert fresh is not None
        return fresh

    update_ticket.__doc__ = f":meth:`write_update`, then the ticket as it is after it.\n\n{write.__doc__}"
    return update_ticket


class TicketRepo:
    """The tickets table, its timeline, its search entries and its findings."""

    def __init__(self, db: Base, directory: DirectoryRepo | None = None) -> None:
        self.db = db
        self.directory = directory  #: notes each written ticket's caller (the customer directory)
        #: Recomputes a ticket's SLA fields from its stored row (set by the core: ``console.sla.clocks.keep_clocks``).
        self.clock_keeper: ClockKeeper | None = None
        #: Inside :meth:`console.store.workspace.Workspace.bulk_load` (set by it).
        self.bulk = False

    # -- reading -----------------------------------------------------------------------------------
    def empty(self) -> bool:
        """Whether the workspace holds no ticket at all."""
        return self.db.conn.execute("SELECT 1 FROM tickets LIMIT 1").fetchone() is None

    def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        """One ticket by readable id, with the customer's company name."""
        row = self.db.conn.execute(
            "SELECT t.*, c.companyName, c.domain FROM tickets t JOIN customers c ON c.id = t.customerId WHERE t.id = ?",
            (ticket_id.strip().upper(),),
        ).fetchone()
        return dict(row) if row else None

    def timeline(self, seq: int) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(
            "SELECT kind, author, createdDate, text, fromValue, toValue FROM timeline "
            "WHERE ticketSeq = ? ORDER BY createdDate, id",
            (seq,),
        )
        return [dict(r) for r in rows]

    def iter_tickets(self, *, open_only: bool = True, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Tickets in number order, ``batch`` at a time (keyset paging: constant memory)."""
        last = 0
        where = "isOpen = 1 AND " if open_only else ""
        while True:
            rows = [
                dict(r)
                for r in self.db.conn.execute(
                    f"SELECT * FROM tickets WHERE {where}seq > ? ORDER BY seq LIMIT ?", (last, batch)
                )
            ]
            if not rows:
                return
            yield rows
            last = rows[-1]["seq"]

    def iter_open_by_customer(self, *, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """The open tickets customer by customer (each one's in number order), in batches of about ``batch``:
        what reads each customer's account (triage) reads it once per customer, however many customers the
        desk serves (in number order, a desk of 5,000 customers read an account for nearly every ticket)."""
        rows: list[dict[str, Any]] = []
        for (customer_id,) in self.db.conn.execute("SELECT id FROM customers ORDER BY id").fetchall():
            found = self.db.conn.execute(
                "SELECT * FROM tickets WHERE customerId = ? AND isOpen = 1 ORDER BY seq", (customer_id,)
            ).fetchall()
            for row in found:  # a customer with many open tickets still goes ``batch`` at a time
                rows.append(dict(row))
                if len(rows) >= batch:
                    yield rows
                    rows = []
        if rows:
            yield rows

    def open_count_of(self, customer_id: str) -> int:
        """How many open tickets the customer has (all of them, however many :meth:`open_tickets_of` lists)."""
        statuses = [s.value for s in model.OPEN_STATUSES]
        row = self.db.conn.execute(
            f"SELECT count(*) FROM tickets WHERE customerId = ? AND isOpen = 1 "
            f"AND status IN ({self.db.dialect.marks(len(statuses))})",
            (customer_id, *statuses),
        ).fetchone()
        return int(row[0])

    def open_tickets_of(self, customer_id: str, limit: int = 1000) -> list[dict[str, Any]]:
        statuses = [s.value for s in model.OPEN_STATUSES]
        rows = self.db.conn.execute(
            f"SELECT id, title, status, severity, service, slaDueDate, assignee FROM tickets "
            f"WHERE customerId = ? AND isOpen = 1 AND status IN ({self.db.dialect.marks(len(statuses))}) "
            "ORDER BY slaDueDate, seq LIMIT ?",
            (customer_id, *statuses, limit),
        )
        return [dict(r) for r in rows]

    def ticket_editor(self, ticket_id: str) -> str | None:
        """Who last changed the ticket (from the audit log)."""
        row = self.db.conn.execute(
            "SELECT agent FROM audit_log WHERE entity = 'ticket' AND entityId = ? ORDER BY id DESC LIMIT 1",
            (ticket_id,),
        ).fetchone()
        return row[0] if row else None

    # -- changing one ticket -----------------------------------------------------------------------
    def refresh_clock(self, seq: int) -> dict[str, Any] | None:
        """Recompute and store one ticket's SLA fields (inside the caller's transaction, if any)."""
        if self.clock_keeper is None:
            return None
        row = dict(self.db.conn.execute("SELECT * FROM tickets WHERE seq = ?", (seq,)).fetchone())
        fields = self.clock_keeper(row, ())
        moved = changed_columns(row, fields)
        if moved:
            assignments = ", ".join(f"{column} = :{column}" for column in moved)
            self.db.conn.execute(f"UPDATE tickets SET {assignments} WHERE seq = :seq", {**moved, "seq": seq})
        return fields

    def write_update(
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
        audit: dict[str, Any] | None = None,
        locked: dict[str, Any] | None = None,
    ) -> None:
        """Apply ``changes`` to a ticket and append timeline ``events``, in one transaction (the caller's, when
        one is open: a claim reads the ticket back after its commit, not in its turn to write).

        ``precondition(current)`` runs inside the transaction, after the read: raising there refuses the
        change atomically (a claim checks that nobody else holds the ticket).

        With ``expected_version`` the change is refused (:class:`StaleVersion`) when the ticket moved on
        since the agent read it. Derived columns (open flag, next SLA due, severity rank) are recomputed.
        ``also(current)`` runs last inside the same transaction: writes that must land with the change.
        ``audit`` is added to the audit row's detail (who else had a hand in it: a plugin's action). ``locked``:
        the ticket as the caller's transaction read it with :meth:`locked` (not read again).
        """
        now = self.db.now()
        with self.db.writing():  # (or the caller's: the mail intake joins a reply and records the mail at once)
            current = locked if locked is not None else self._current(ticket_id, expected_version)
            if precondition is not None:
                precondition(current)
            stored = as_changed(current, changes, events, now, self.clock_keeper)
            values = changed_columns(current, stored)
            self.db.dialect.one_at_a_time(self.db.conn)  # (a claim's writes: after its reads, before its first)
            assignments = "".join(f"{column} = :{column}, " for column in values)
            self.db.conn.execute(
                f"UPDATE tickets SET {assignments}version = version + 1 WHERE seq = :seq",
                {**values, "seq": current["seq"]},
            )
            self.add_events(current["seq"], events, agent, now)
            if any(e["kind"] in ("note", "reply") for e in events) or {"title", "body"} & set(changes):
                self.reindex_tickets([current["seq"]])
            detail = {
                # what the change stored: after the clock keeper ran, its due times in business hours, not the
                # defaults the change was built with (found trying the console: a severity change audited a
                # wall-clock due date the ticket never had)
                "before": {k: current.get(k) for k in changes},
                "after": {k: stored[k] for k in changes},
                "events": [e["kind"] for e in events],
                **(audit or {}),
            }
            self.db.audit(agent, action, "ticket", ticket_id, detail)
            if also is not None:
                also(current)

    update_ticket = _read_back(write_update)

    def locked(self, ticket_id: str) -> dict[str, Any]:
        """The ticket as stored, inside the caller's write transaction, locked until its end on PostgreSQL
        (:class:`LookupError` when there is none)."""
        self.db.require_transaction("locked")
        return self._current(ticket_id, None)

    def _current(self, ticket_id: str, expected_version: int | None) -> dict[str, Any]:
        """The ticket as stored, refused (:class:`StaleVersion`) when it is not at ``expected_version``."""
        # (locked until the commit on PostgreSQL, where claims run side by side holding their tickets' rows)
        row = self.db.conn.execute(f"SELECT * FROM tickets WHERE id = ?{self.db.dialect.for_update}", (ticket_id,))
        row = row.fetchone()
        if row is None:
            raise LookupError(f"no ticket {ticket_id}")
        current = dict(row)
        if expected_version is not None and current["version"] != expected_version:
            current["lastModifiedBy"] = self.ticket_editor(ticket_id)
            raise StaleVersion(current, expected_version)
        return current

    def add_events(self, seq: int, events: Iterable[dict[str, Any]], author: str, now: str) -> None:
        """Append timeline ``events`` (``kind``, and optionally ``text``, ``fromValue``, ``toValue``,
        ``createdDate``) to ticket ``seq`` (inside the caller's transaction)."""
        rows = [
            (seq, e["kind"], author, e.get("createdDate", now), e.get("text"), e.get("fromValue"), e.get("toValue"))
            for e in events
        ]
        if len(rows) == 1:
            self.db.conn.execute(_INSERT_EVENT, rows[0])
        elif rows:  # (on PostgreSQL in one pipeline: one round trip for them all)
            self.db.conn.executemany(_INSERT_EVENT, rows)

    def add_event(
        self, seq: int, kind: str, author: str, text: str, when: str, from_v: str | None = None, to_v: str | None = None
    ) -> None:
        """Append one timeline event to ticket ``seq`` (inside the caller's transaction)."""
        self.db.conn.execute(_INSERT_EVENT, (seq, kind, author, when, text, from_v, to_v))

    def create_ticket(self, record: dict[str, Any], agent: str, fields: Sequence[tuple[str, str, str]] = ()) -> str:
        """Store a new, validated ticket record (it gets the next number) with its plugins' intake ``fields``
        (``(plugin, field id, value)``, checked by the desk); return its readable id."""
        with self.db.writing():  # (or the caller's: the mail intake records the mail with its ticket)
            self.upsert_tickets([{**record, "id": None}], agent)
            seq = self.db.conn.execute("SELECT max(seq) FROM tickets").fetchone()[0]
            ticket_id = f"CSP-{seq:06d}"
            self.refresh_clock(seq)
            self.db.conn.executemany(
                "INSERT INTO ticket_fields (ticketSeq, plugin, fieldId, value) VALUES (?, ?, ?, ?)",
                [(seq, plugin, field, value) for plugin, field, value in fields],
            )
            detail: dict[str, Any] = {"channel": record["channel"]}
            if fields:
                detail["fields"] = {field: value for _, field, value in fields}
            self.db.audit(agent, "ticket.create", "ticket", ticket_id, detail)
            plugin_events.record_created(self.db.conn, seq, self.db.now(), record["channel"])
        return ticket_id

    def fields_of(self, seq: int) -> dict[str, str]:
        """The plugins' intake fields of ticket ``seq``: value by field id."""
        rows = self.db.conn.execute("SELECT fieldId, value FROM ticket_fields WHERE ticketSeq = ?", (seq,))
        return {r[0]: r[1] for r in rows}

    def fields_among(self, seqs: Sequence[int]) -> dict[int, tuple[tuple[str, str], ...]]:
        """The intake fields of the tickets ``seqs`` (a page of the queue) that have any."""
        found: dict[int, list[tuple[str, str]]] = {}
        marks = self.db.dialect.marks(len(seqs))
        sql = f"SELECT ticketSeq, fieldId, value FROM ticket_fields WHERE ticketSeq IN ({marks}) ORDER BY ticketSeq, id"
        for seq, field, value in self.db.conn.execute(sql, list(seqs)):
            found.setdefault(seq, []).append((field, value))
        return {seq: tuple(pairs) for seq, pairs in found.items()}

    def upsert_tickets(self, records: Sequence[dict[str, Any]], agent: str) -> tuple[int, int]:
        """Insert or update validated ticket records (inside the caller's transaction): derived columns, a
        version bump on update, the customer's name and the search entry. Returns ``(inserted, updated)``
        (:func:`console.store.ticket_upserts.upsert_tickets`)."""
        return ticket_upserts.upsert_tickets(self, records, agent)

    def reindex_tickets(self, seqs: Iterable[int]) -> None:
        """Rebuild the search entry (title, body, notes and replies) of each ticket in ``seqs``."""
        conn = self.db.conn
        for seq in seqs:
            row = conn.execute("SELECT title, body, isOpen FROM tickets WHERE seq = ?", (seq,)).fetchone()
            notes = " ".join(
                r[0]
                for r in conn.execute(
                    "SELECT text FROM timeline WHERE ticketSeq = ? AND kind IN ('note', 'reply', 'microsoft', 'mail')",
                    (seq,),
                )
                if r[0]
            )
            conn.execute("DELETE FROM ticket_search WHERE rowid = ?", (seq,))
            conn.execute("DELETE FROM open_search WHERE rowid = ?", (seq,))
            if row is not None:
                entry = (seq, search_form(row[0]), search_form(row[1]), search_form(notes))
                conn.execute("INSERT INTO ticket_search (rowid, title, body, notes) VALUES (?, ?, ?, ?)", entry)
                if row[2]:
                    conn.execute("INSERT INTO open_search (rowid, title, body, notes) VALUES (?, ?, ?, ?)", entry)

    def bulk_index(self, rows: Iterable[tuple[int, str, str, str]]) -> None:
        """Add search entries ``(seq, title, body, notes)`` for new tickets, already in search form."""
        self.db.conn.executemany("INSERT INTO ticket_search (rowid, title, body, notes) VALUES (?, ?, ?, ?)", rows)

    # -- claims ------------------------------------------------------------------------------------
    def holder(self, ticket_id: str) -> dict[str, Any] | None:
        """The ticket's ``assignee`` and ``claimedUntil`` as stored now (``None``: no such ticket)."""
        row = self.db.conn.execute("SELECT assignee, claimedUntil FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return None if row is None else {"assignee": row[0], "claimedUntil": row[1]}

    def renew_claims(self, agent: str, ticket_ids: Sequence[str], until: str) -> int:
        """Extend the agent's live claims on these tickets (activity keeps a claim alive)."""
        if not ticket_ids:
            return 0
        with self.db.transaction():
            cursor = self.db.conn.execute(
                f"UPDATE tickets SET claimedUntil = ? WHERE assignee = ? AND claimedUntil IS NOT NULL "
                f"AND id IN ({self.db.dialect.marks(len(ticket_ids))})",
                (until, agent, *ticket_ids),
            )
        return cursor.rowcount

    def session_claims(self, agent: str, session: str) -> list[str]:
        """The agent's live claims taken in console ``session`` (not those of its other sessions, nor the ones
        taken from the command line)."""
        rows = self.db.conn.execute(
            "SELECT id FROM tickets WHERE claimedUntil IS NOT NULL AND assignee = ? AND claimSession = ? ORDER BY seq",
            (agent, session),
        )
        return [r[0] for r in rows]

    def release_expired_claims(self, now: str) -> list[str]:
        """Claims whose lease ran out go back to the pool; returns the tickets released."""
        with self.db.transaction():
            rows = self.db.conn.execute(
                "SELECT id, assignee FROM tickets WHERE claimedUntil IS NOT NULL AND claimedUntil < ?", (now,)
            ).fetchall()
            system = acting_as(self.db, "system") if rows else "system"  # (an agent's own role: its name)
            for ticket_id, assignee in rows:
                self.db.conn.execute(
                    "UPDATE tickets SET assignee = NULL, claimedUntil = NULL, claimSession = NULL, "
                    "version = version + 1, lastModifiedDate = ? WHERE id = ?",
                    (self.db.now(), ticket_id),
                )
                self.db.audit(
                    system,
                    "ticket.claim_expired",
                    "ticket",
                    ticket_id,
                    {"before": {"assignee": assignee}, "after": {"assignee": None}},
                )
        return [r[0] for r in rows]

    # -- what the plugins' checks found ------------------------------------------------------------
    def replace_findings(self, seq: int, rows: Sequence[dict[str, Any]]) -> None:
        """Replace a ticket's findings (inside the caller's transaction)."""
        self.db.conn.execute("DELETE FROM findings WHERE ticketSeq = ?", (seq,))
        self.db.conn.executemany(_INSERT_FINDING, [{**row, "ticketSeq": seq} for row in rows])

    def findings(self, seq: int) -> list[dict[str, Any]]:
        rows = self.db.conn.execute("SELECT * FROM findings WHERE ticketSeq = ? ORDER BY id", (seq,))
        return [dict(r) for r in rows]
