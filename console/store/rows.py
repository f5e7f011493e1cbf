"""Row helpers the repositories share: which keys exist, rows by key in chunks, and the audit of what an
import changes on existing records."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from console.records.kinds import Kind
from console.store.base import Base

#: Keys per ``IN (...)`` list (SQLite's parameter limit is far above; this keeps statements small).
CHUNK = 500
#: The audit log's entity name of each record kind.
ENTITY = {
    "customers": "customer",
    "subscriptions": "subscription",
    "receivables": "receivable",
    "offers": "offer",
    "tickets": "ticket",
}


def rows_in(db: Base, sql: str, keys: Iterable[Any]) -> Iterator[sqlite3.Row]:
    """Rows of ``sql`` (with one ``IN ({})``) for these keys (duplicates dropped), :data:`CHUNK` at a time."""
    unique = list(dict.fromkeys(keys))
    for i in range(0, len(unique), CHUNK):
        chunk = unique[i : i + CHUNK]
        yield from db.conn.execute(sql.format(db.dialect.marks(len(chunk))), chunk)


def existing_keys(db: Base, kind: Kind, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` already exist as records of ``kind``."""
    found: set[str] = set()
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == CHUNK:
            found |= _existing(db, kind.table, batch)
            batch = []
    if batch:
        found |= _existing(db, kind.table, batch)
    return found


def _existing(db: Base, table: str, keys: list[str]) -> set[str]:
    rows = db.conn.execute(f"SELECT id FROM {table} WHERE id IN ({db.dialect.marks(len(keys))})", keys)
    return {r[0] for r in rows}


def audit_updates(db: Base, kind: Kind, records: Sequence[dict[str, Any]], agent: str) -> None:
    """Before and after of every field an import changes on an existing record."""
    key = "id"
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        sql = f"SELECT {', '.join(kind.field_names)} FROM {kind.table} WHERE {key} IN ({db.dialect.marks(len(chunk))})"
        old = {r[key]: dict(r) for r in db.conn.execute(sql, [r[key] for r in chunk])}
        for record in chunk:
            before = old.get(record[key], {})
            changed = {f: record[f] for f in kind.field_names if f in before and before[f] != record[f]}
            if changed:
                db.audit(
                    agent,
                    f"{ENTITY[kind.name]}.update",
                    ENTITY[kind.name],
                    record[key],
                    {"before": {f: before[f] for f in changed}, "after": changed},
                )
