"""The workspace: one SQLite file, shared by every agent on the host. All SQL lives in this package."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from console.records.kinds import KINDS, TICKETS, Kind
from console.shared import model
from console.shared.clock import to_iso, utcnow
from console.store import health_rollups as rollups
from console.store import open_search
from console.store.agents import AgentStoreMixin
from console.store.billing import BillingStoreMixin
from console.store.connection import WorkspaceError, connect, transaction, within
from console.store.escalations import EscalationStoreMixin
from console.store.gdap import GdapStoreMixin
from console.store.health import HealthStoreMixin
from console.store.leases import LeaseStoreMixin
from console.store.microsoft_data import MicrosoftDataStoreMixin
from console.store.migrations import MIGRATIONS, current_version, migrate
from console.store.queue import QueueStoreMixin
from console.store.tickets import TicketStoreMixin
from console.tickets.search_text import search_form

T = TypeVar("T")
FAR_FUTURE = "9999-12-31T23:59:59Z"
#: The audit log's entity name of each record kind.
ENTITY = {
    "customers": "customer",
    "subscriptions": "subscription",
    "receivables": "receivable",
    "offers": "offer",
    "tickets": "ticket",
}
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


def ticket_columns(rec: dict[str, Any], now: str) -> dict[str, Any]:
    """Derived columns of a ticket record: sequence number, severity rank, open flag, next SLA due."""
    is_open = rec["status"] in {s.value for s in model.OPEN_STATUSES}
    if not is_open:
        due = None
    elif rec.get("firstResponseDate") is None:
        due = rec.get("firstResponseDueDate") or rec.get("resolutionDueDate")
    else:
        due = rec.get("resolutionDueDate")
    return {
        "severityRank": model.SEVERITY_RANK[model.Severity(rec["severity"])],
        "isOpen": int(is_open),
        "slaDueDate": due or FAR_FUTURE,
        "lastModifiedDate": now,
    }


class Workspace(
    BillingStoreMixin,
    TicketStoreMixin,
    AgentStoreMixin,
    EscalationStoreMixin,
    MicrosoftDataStoreMixin,
    GdapStoreMixin,
    HealthStoreMixin,
    LeaseStoreMixin,
    QueueStoreMixin,
):
    """A handle on the workspace file. Each thread gets its own connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        self._left_running: list[sqlite3.Connection] = []  # see close()
        self._match_counts: dict[tuple[str, str], int] = {}

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str, *, create: bool = True) -> Workspace:
        """Open the workspace at ``path``, applying any pending migrations."""
        path = Path(path)
        if not create and not path.exists():
            raise WorkspaceError(f"{path}: no workspace here (run 'csp-console demo' to create one)")
        ws = cls(path)
        try:
            migrate(ws.conn)
        except sqlite3.DatabaseError as exc:
            ws.close()
            raise WorkspaceError(f"{path}: not a usable SQLite workspace ({exc})") from exc
        except RuntimeError as exc:
            ws.close()
            raise WorkspaceError(f"{path}: {exc}") from exc
        return ws

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._lock:
                # Worker threads come and go: close the connections of threads that have ended.
                for thread, old in self._all:
                    if not thread.is_alive():
                        old.close()
                self._all = [item for item in self._all if item[0].is_alive()]
                self._all.append((threading.current_thread(), conn))
        return conn

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._all)

    def close(self) -> None:
        """Close the connections of this thread and of ended threads. A connection of a thread still alive
        may be in the middle of a query (a worker the console left running as it quit): closing it from here
        would free what that query is using and crash the process, so it is interrupted and kept until the
        process ends instead."""
        me = threading.current_thread()
        with self._lock:
            for thread, conn in self._all:
                if thread is me or not thread.is_alive():
                    conn.close()
                else:
                    conn.interrupt()
                    self._left_running.append(conn)
            self._all.clear()
            if self._watch is not None:  # only ever used under the lock
                self._watch.close()
                self._watch = None
        self._local = threading.local()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def within(self, seconds: float, read: Callable[[], T]) -> T | None:
        """``read()`` on this thread's connection if it succeeds within ``seconds``, else ``None``."""
        return within(self.conn, seconds, read)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with transaction(self.conn) as conn:
            yield conn

    @contextmanager
    def bulk_load(self) -> Iterator[sqlite3.Connection]:
        """A write transaction for loading many tickets (the demo, an import): the health rollups' triggers
        are off while it writes and the rollups are refilled in one pass at the end, in the same transaction
        (no other writer can slip in between; a failure rolls the triggers back with everything else)."""
        with self.transaction() as conn:
            for name in [*rollups.TRIGGERS, *open_search.TRIGGERS]:
                conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            yield conn
            for statement in rollups.CLEARS + rollups.FILLS + list(rollups.TRIGGERS.values()):
                conn.execute(statement)
            for statement in [*open_search.REFILL, *open_search.TRIGGERS.values()]:
                conn.execute(statement)

    def analyze(self) -> None:
        """Refresh the query planner's statistics after a bulk load, so that every sort order of the queue
        picks its index (about 1.5 s at 1,000,000 tickets)."""
        self.conn.execute("PRAGMA analysis_limit = 0")
        self.conn.execute("ANALYZE")

    def schema_version(self) -> int:
        return current_version(self.conn)

    @staticmethod
    def latest_schema_version() -> int:
        return len(MIGRATIONS)

    # -- reading basics ------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Rows per record kind, plus open tickets."""
        out = {
            name: self.conn.execute(f"SELECT count(*) FROM {kind.table}").fetchone()[0] for name, kind in KINDS.items()
        }
        out["open tickets"] = self.conn.execute("SELECT count(*) FROM tickets WHERE isOpen = 1").fetchone()[0]
        return out

    def existing_keys(self, kind: Kind, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` already exist as records of ``kind``."""
        column = "id"
        found: set[str] = set()
        batch: list[str] = []
        for key in keys:
            batch.append(key)
            if len(batch) == 500:
                found |= self._existing(kind.table, column, batch)
                batch = []
        if batch:
            found |= self._existing(kind.table, column, batch)
        return found

    def _existing(self, table: str, column: str, keys: list[str]) -> set[str]:
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", keys)
        return {r[0] for r in rows}

    def iter_records(self, kind: Kind) -> Iterator[dict[str, Any]]:
        """Every record of ``kind`` in stored form, in key order (the export's source)."""
        cols = ", ".join([*kind.field_names, *(("version", "lastModifiedDate") if kind is TICKETS else ())])
        order = "seq" if kind is TICKETS else "id"
        for row in self.conn.execute(f"SELECT {cols} FROM {kind.table} ORDER BY {order}"):
            yield dict(row)

    # -- writing records -----------------------------------------------------------------------
    def upsert(self, kind: Kind, records: Sequence[dict[str, Any]], agent: str = "import") -> tuple[int, int]:
        """Insert or update validated records of ``kind`` (by id) inside the caller's transaction.

        Returns ``(inserted, updated)``. Tickets get their derived columns, a version bump on update and
        their search index entry.
        """
        if not self.conn.in_transaction:
            raise RuntimeError("upsert() must run inside Workspace.transaction()")
        if not records:
            return 0, 0
        if kind is TICKETS:
            return self._upsert_tickets(records, agent)
        existing = self.existing_keys(kind, [r["id"] for r in records])
        self._audit_updates(kind, [r for r in records if r["id"] in existing], agent)
        cols = kind.field_names
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
        sql = (
            f"INSERT INTO {kind.table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}"
        )
        self.conn.executemany(sql, ([r[c] for c in cols] for r in records))
        if kind.name == "customers" and existing:
            self.conn.executemany(
                "UPDATE tickets SET customerName = ? WHERE customerId = ? AND customerName != ?",
                ((r["companyName"], r["id"], r["companyName"]) for r in records if r["id"] in existing),
            )
        updated = len(existing)
        return len(records) - updated, updated

    def _audit_updates(self, kind: Kind, records: Sequence[dict[str, Any]], agent: str) -> None:
        """Before and after of every field an import changes on an existing record."""
        key = "id"
        for start in range(0, len(records), 500):
            chunk = records[start : start + 500]
            marks = ",".join("?" * len(chunk))
            old = {
                r[key]: dict(r)
                for r in self.conn.execute(
                    f"SELECT {', '.join(kind.field_names)} FROM {kind.table} WHERE {key} IN ({marks})",
                    [r[key] for r in chunk],
                )
            }
            for record in chunk:
                before = old.get(record[key], {})
                changed = {f: record[f] for f in kind.field_names if f in before and before[f] != record[f]}
                if changed:
                    self.audit(
                        agent,
                        f"{ENTITY[kind.name]}.update",
                        ENTITY[kind.name],
                        record[key],
                        {"before": {f: before[f] for f in changed}, "after": changed},
                    )

    def _upsert_tickets(self, records: Sequence[dict[str, Any]], agent: str) -> tuple[int, int]:
        now = to_iso(utcnow())
        next_seq = (self.conn.execute("SELECT max(seq) FROM tickets").fetchone()[0] or 0) + 1
        given = [r["id"] for r in records if r["id"]]
        existing = self.existing_keys(TICKETS, given)
        self._audit_updates(TICKETS, [r for r in records if r["id"] in existing], agent)
        cols = [c for c in TICKETS.field_names]
        derived = ["severityRank", "isOpen", "slaDueDate", "lastModifiedDate"]
        all_cols = ["seq", *cols, *derived, "version"]
        updates = ", ".join(f"{c} = excluded.{c}" for c in [*cols, *derived] if c != "id")
        sql = (
            f"INSERT INTO tickets ({', '.join(all_cols)}) VALUES ({', '.join('?' * len(all_cols))}) "
            f"ON CONFLICT(seq) DO UPDATE SET {updates}, version = version + 1"
        )
        touched: list[int] = []
        for rec in records:
            rec = dict(rec)
            if rec["id"]:
                seq = model.ticket_seq(rec["id"])
                assert seq is not None
            else:
                seq = next_seq
                rec["id"] = model.ticket_id(seq)
            next_seq = max(next_seq, seq + 1)
            values = {**rec, **ticket_columns(rec, now), "seq": seq}
            # A new ticket from an export keeps its version and last change (the importer passes them only
            # for new tickets); an update bumps the version (ON CONFLICT) and is changed now.
            values["version"] = rec.get("version") or 1
            values["lastModifiedDate"] = rec.get("lastModifiedDate") or now
            self.conn.execute(sql, [values[c] for c in all_cols])
            touched.append(seq)
        for start in range(0, len(touched), 500):
            chunk = touched[start : start + 500]
            self.conn.execute(
                "UPDATE tickets SET customerName = (SELECT companyName FROM customers WHERE id = tickets.customerId) "
                f"WHERE seq IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        self.reindex_tickets(touched)
        updated = sum(1 for r in records if r["id"] in existing)
        return len(records) - updated, updated

    def reindex_tickets(self, seqs: Iterable[int]) -> None:
        """Rebuild the search entry (title, body, notes and replies) of each ticket in ``seqs``."""
        conn = self.conn
        for seq in seqs:
            row = conn.execute("SELECT title, body, isOpen FROM tickets WHERE seq = ?", (seq,)).fetchone()
            notes = " ".join(
                r[0]
                for r in conn.execute(
                    "SELECT text FROM timeline WHERE ticketSeq = ? AND kind IN ('note', 'reply', 'microsoft')", (seq,)
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

    def audit(self, agent: str, action: str, entity: str, entity_id: str, detail: dict[str, Any]) -> None:
        """Record who did what (inside the caller's transaction)."""
        self.conn.execute(
            "INSERT INTO audit_log (at, agent, action, entity, entityId, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (to_iso(utcnow()), agent, action, entity, entity_id, json.dumps(detail, ensure_ascii=False)),
        )

    def audit_entries(self, entity: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT at, agent, action, entity, entityId, detail FROM audit_log"
        args: tuple[Any, ...] = ()
        if entity is not None:
            sql += " WHERE entity = ?"
            args = (entity,)
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    def offers_by_customer(self, customer_ids: Iterable[str]) -> dict[str, str]:
        """The support offer id of each of ``customer_ids`` that has one."""
        ids = list(dict.fromkeys(customer_ids))
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.conn.execute(
                f"SELECT customerId, id FROM support_offers WHERE customerId IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            out.update({r[0]: r[1] for r in rows})
        return out

    # -- bulk loading (demo) -------------------------------------------------------------------
    def bulk_insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Plain ``executemany`` of new rows, for the demo generator (inside the caller's transaction)."""
        if table not in {k.table for k in KINDS.values()} | {"timeline", "agents", "agent_roles"}:
            raise ValueError(f"bulk_insert into unknown table {table!r}")
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self.conn.executemany(sql, rows)

    def bulk_index(self, rows: Iterable[tuple[int, str, str, str]]) -> None:
        """Add search entries ``(seq, title, body, notes)`` for new tickets, already in search form."""
        self.conn.executemany("INSERT INTO ticket_search (rowid, title, body, notes) VALUES (?, ?, ?, ?)", rows)

    # -- tickets -------------------------------------------------------------------------------
    def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        """One ticket by readable id, with the customer's company name."""
        row = self.conn.execute(
            "SELECT t.*, c.companyName, c.domain FROM tickets t JOIN customers c ON c.id = t.customerId WHERE t.id = ?",
            (ticket_id.strip().upper(),),
        ).fetchone()
        return dict(row) if row else None

    def timeline(self, seq: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT kind, author, createdDate, text, fromValue, toValue FROM timeline "
            "WHERE ticketSeq = ? ORDER BY createdDate, id",
            (seq,),
        )
        return [dict(r) for r in rows]

    # -- what the plugins' checks read and write -----------------------------------------------
    def account_rows(self, customer_id: str) -> dict[str, Any] | None:
        """A customer with its subscriptions, receivables and support offer, as stored."""
        customer = self.conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
        if customer is None:
            return None
        q = self.conn.execute
        return {
            "customer": dict(customer),
            "subscriptions": [
                dict(r) for r in q("SELECT * FROM subscriptions WHERE customerId = ? ORDER BY id", (customer_id,))
            ],
            "receivables": [
                dict(r) for r in q("SELECT * FROM receivables WHERE customerId = ? ORDER BY dueDate", (customer_id,))
            ],
            "offer": (
                dict(o)
                if (o := q("SELECT * FROM support_offers WHERE customerId = ?", (customer_id,)).fetchone())
                else None
            ),
        }

    def customer_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM customers ORDER BY companyName, id")]

    def iter_tickets(self, *, open_only: bool = True, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Tickets in number order, ``batch`` at a time (keyset paging: constant memory)."""
        last = 0
        where = "isOpen = 1 AND " if open_only else ""
        while True:
            rows = [
                dict(r)
                for r in self.conn.execute(
                    f"SELECT * FROM tickets WHERE {where}seq > ? ORDER BY seq LIMIT ?", (last, batch)
                )
            ]
            if not rows:
                return
            yield rows
            last = rows[-1]["seq"]

    def replace_findings(self, seq: int, rows: Sequence[dict[str, Any]]) -> None:
        """Replace a ticket's findings (inside the caller's transaction)."""
        self.conn.execute("DELETE FROM findings WHERE ticketSeq = ?", (seq,))
        self.conn.executemany(
            _INSERT_FINDING,
            [{**row, "ticketSeq": seq} for row in rows],
        )

    def findings(self, seq: int) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM findings WHERE ticketSeq = ? ORDER BY id", (seq,))
        return [dict(r) for r in rows]
