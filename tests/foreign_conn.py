"""Reaching a workspace the way a program that is not the console does, on either engine.

- :func:`foreign_connection`: what a script, a plugin or a database shell opens on the workspace itself — the
  SQLite file with :mod:`sqlite3`; the PostgreSQL database with psycopg as it comes, without the session setting
  ``csp.door`` the console's own sessions set (console.store.pg_dialect). Each statement commits on its own, as in
  the ``sqlite3`` and ``psql`` shells, so a write the door let through would stay. On PostgreSQL it wears
  sqlite3's face (console.store.pg_conn: ``?`` marks, sqlite3's exception classes), so one test reads both
  engines' refusals.
- :func:`stored_bytes`: everything the workspace holds, to show a secret is not in it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from console.store import Workspace


def foreign_connection(ws: Workspace) -> Any:
    """A connection to ``ws`` that the console did not open (autocommitting; close it when done)."""
    if ws.engine == "postgresql":
        import psycopg

        from console.store.pg_conn import Catalog, Connection

        raw = psycopg.connect(str(ws.locator), autocommit=True, connect_timeout=10)
        catalog = Catalog()
        catalog.load(raw)
        return Connection(raw, catalog)
    return sqlite3.connect(ws.locator, isolation_level=None)


def stored_bytes(ws: Workspace) -> bytes:
    """What ``ws`` stores: the SQLite file and any write-ahead log (after a checkpoint), or every row of every
    table of the PostgreSQL database as text (``bytea`` values in hex, as PostgreSQL writes them)."""
    if ws.engine != "postgresql":
        ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(ws.locator)
        return b"".join(p.read_bytes() for p in [path, *path.parent.glob(f"{path.name}-wal")])
    import psycopg
    from psycopg import sql

    with psycopg.connect(str(ws.locator), autocommit=True, connect_timeout=10) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        assert "tickets" in tables and "audit_log" in tables  # (the workspace's tables, not some other schema)
        parts = []
        for table in tables:
            query = sql.SQL("SELECT coalesce(string_agg(t::text, chr(10)), '') FROM {} t").format(sql.Identifier(table))
            row = conn.execute(query).fetchone()
            parts.append(str(row[0] if row else ""))
    return "\n".join(parts).encode()
