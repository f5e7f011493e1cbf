"""Records by kind (customers, subscriptions, receivables, offers, tickets) as the import, the export and the
demo move them in bulk (part of the store: all SQL lives in this package)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from console.records.kinds import KINDS, TICKETS, Kind
from console.store.base import Base
from console.store.import_runs import ImportRuns
from console.store.rows import ENTITY, audit_updates, existing_keys
from console.store.tickets import TicketRepo

#: The tables the demo generator may fill with plain inserts.
_BULK_TABLES = frozenset({k.table for k in KINDS.values()} | {"timeline", "agents", "agent_roles"})


class RecordRepo:
    """Every record kind's rows: counts, keys, upserts, the export's reads."""

    def __init__(self, db: Base, tickets: TicketRepo) -> None:
        self.db = db
        self.tickets = tickets
        self.runs = ImportRuns(db)

    def counts(self) -> dict[str, int]:
        """Rows per record kind, plus open tickets."""
        conn = self.db.conn
        out = {name: conn.execute(f"SELECT count(*) FROM {kind.table}").fetchone()[0] for name, kind in KINDS.items()}
        out["open tickets"] = conn.execute("SELECT count(*) FROM tickets WHERE isOpen = 1").fetchone()[0]
        return out

    def counts_of(self, kind: Kind) -> int:
        """How many records of ``kind`` there are (0 or not, at once: the count of an indexed table)."""
        return int(self.db.conn.execute(f"SELECT count(*) FROM {kind.table}").fetchone()[0])

    def versions(self, ticket_ids: Sequence[str]) -> dict[str, int]:
        """The stored version of each of these tickets that exists."""
        out: dict[str, int] = {}
        for start in range(0, len(ticket_ids), 500):
            batch = list(ticket_ids[start : start + 500])
            rows = self.db.conn.execute(
                f"SELECT id, version FROM tickets WHERE id IN ({self.db.dialect.marks(len(batch))})", batch
            )
            out.update((row[0], row[1]) for row in rows)
        return out

    def existing_keys(self, kind: Kind, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` already exist as records of ``kind``."""
        return existing_keys(self.db, kind, keys)

    def iter_records(self, kind: Kind) -> Iterator[dict[str, Any]]:
        """Every record of ``kind`` in stored form, in key order (the export's source)."""
        cols = ", ".join([*kind.field_names, *(("version", "lastModifiedDate") if kind is TICKETS else ())])
        order = "seq" if kind is TICKETS else "id"
        for row in self.db.conn.execute(f"SELECT {cols} FROM {kind.table} ORDER BY {order}"):
            yield dict(row)

    def upsert(
        self, kind: Kind, records: Sequence[dict[str, Any]], agent: str = "import", *, audit_page: bool = False
    ) -> tuple[int, int]:
        """Insert or update validated records of ``kind`` (by id) inside the caller's transaction.

        Returns ``(inserted, updated)``. Tickets get their derived columns, a version bump on update and
        their search index entry. Each update is audited; with ``audit_page`` the call too, in one row naming the new
        records (``customer.sync``: a page of the Partner Center sync, written again even where nothing changed,
        has its audit row like every change of the desk's records, console/store/pg_audited.py).
        """
        self.db.require_transaction("upsert()")
        if not records:
            return 0, 0
        if kind is TICKETS:
            return self.tickets.upsert_tickets(records, agent)
        existing = existing_keys(self.db, kind, [r["id"] for r in records])
        audit_updates(self.db, kind, [r for r in records if r["id"] in existing], agent)
        added = [r["id"] for r in records if r["id"] not in existing]
        if audit_page:
            detail = {"records": len(records), "added": added}
            self.db.audit(agent, f"{ENTITY[kind.name]}.sync", ENTITY[kind.name], records[0]["id"], detail)
        cols = kind.field_names
        self.db.conn.executemany(
            self.db.dialect.upsert(kind.table, cols, "id"), ([r[c] for c in cols] for r in records)
        )
        if kind.name == "customers" and self.tickets.directory is not None:
            self.tickets.directory.refresh_customers([r["id"] for r in records])
        if kind.name == "customers" and existing:
            self.db.conn.executemany(
                "UPDATE tickets SET customerName = ? WHERE customerId = ? AND customerName != ?",
                ((r["companyName"], r["id"], r["companyName"]) for r in records if r["id"] in existing),
            )
        updated = len(existing)
        return len(records) - updated, updated

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Plain ``executemany`` of new rows, for the demo generator (inside the caller's transaction)."""
        if table not in _BULK_TABLES:
            raise ValueError(f"bulk_insert into unknown table {table!r}")
        self.db.conn.executemany(self.db.dialect.insert(table, columns), rows)
