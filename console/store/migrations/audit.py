"""Migration 28: the audit log's hash chain (issue 18, "tamper-evident audit"); see
:mod:`console.store.audit_chain`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.store.audit_chain import CHAINED, TRIGGERS, chain_rows

if TYPE_CHECKING:
    from sqlite_utils import Database


def m028_audit_chain(db: Database) -> None:
    """``audit_log`` rebuilt with ``id INTEGER PRIMARY KEY AUTOINCREMENT`` (an id is never given out twice, and
    ``sqlite_sequence`` keeps the last one) and ``hash``, every existing row chained in id order as it is copied
    (streamed: one pass, never the whole log in memory). The append-only triggers are dropped for the copy and
    created again, unchanged, on the new table."""
    conn = db.conn
    for name in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    conn.execute(
        """
        CREATE TABLE audit_log_chained (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            agent TEXT,
            action TEXT NOT NULL,
            entity TEXT,
            entityId TEXT,
            detail TEXT,
            hash TEXT NOT NULL
        )
        """
    )
    columns = ", ".join(CHAINED)
    rows = conn.execute(f"SELECT {columns} FROM audit_log ORDER BY id")
    conn.executemany(
        f"INSERT INTO audit_log_chained ({columns}, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", chain_rows(rows)
    )
    conn.execute("DROP TABLE audit_log")
    conn.execute("ALTER TABLE audit_log_chained RENAME TO audit_log")
    conn.execute("CREATE INDEX idx_audit_log_entity_entityId ON audit_log (entity, entityId)")
    conn.execute("CREATE INDEX idx_audit_at ON audit_log (at)")
    for sql in TRIGGERS.values():
        conn.execute(sql)
