"""The workspace reached as someone who bypasses the console would reach it, on either engine: Python's
``sqlite3`` module on the file (as the ``sqlite3`` shell would), or a plain psycopg session on the PostgreSQL
database (as ``psql`` would): no door, no write lock, no translation of SQL. Tests use it to tamper, and to read
what is stored from outside the console."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from console.store import Workspace


@contextmanager
def raw(ws: Workspace) -> Iterator[Any]:
    """A connection of its own to ``ws`` in autocommit mode (a DB-API one: ``execute`` on it runs the engine's
    own SQL as written, with its own parameter marks: ``?`` on SQLite, ``%s`` on PostgreSQL)."""
    if ws.engine == "postgresql":
        import psycopg

        conn: Any = psycopg.connect(str(ws.locator), autocommit=True)
    else:
        conn = sqlite3.connect(ws.locator, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def run(ws: Workspace, *statements: str) -> None:
    """Each of ``statements`` (the engine's own SQL) on a raw connection of its own."""
    with raw(ws) as conn:
        for statement in statements:
            conn.execute(statement)


def indexes(ws: Workspace) -> dict[str, str]:
    """Every index the schema made (not a key's own), name -> its definition, as another connection sees them.
    On PostgreSQL the definition is the catalog's own row (table, columns, unique, expressions, condition; not
    where in its statement each expression was written):
    ``pg_get_indexdef`` would wait for the lock of a transaction that drops the index, the catalog's rows do not
    (their old versions are what another session sees until it commits)."""
    sql = {
        "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        "postgresql": "SELECT c.relname, regexp_replace(concat_ws(' ', i.indrelid::regclass::text, i.indkey::text, "
        "i.indisunique, i.indexprs::text, i.indpred::text), ' :location -?[0-9]+', '', 'g') "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
    }[ws.engine]
    with raw(ws) as conn:
        return {str(name): str(definition) for name, definition in conn.execute(sql).fetchall()}


def stored_bytes(ws: Workspace) -> bytes:
    """Everything the engine keeps of the workspace on disk, freed space included: the SQLite file after its
    write-ahead log was copied back; on PostgreSQL the database's own files after a checkpoint (dead row
    versions included) and, for values kept compressed there, a dump of every row as text."""
    if ws.engine == "sqlite":
        with raw(ws) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(ws.locator).read_bytes()
    with raw(ws) as conn:
        conn.execute("CHECKPOINT")
        folder = conn.execute(
            "SELECT current_setting('data_directory') || '/base/' || oid FROM pg_database "
            "WHERE datname = current_database()"
        ).fetchone()[0]
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        ).fetchall()
        rows = [repr(conn.execute(f'SELECT * FROM "{t}"').fetchall()).encode() for (t,) in tables]
    files = [p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()]
    return b"".join([*files, *rows])
