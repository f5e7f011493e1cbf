"""Migration 29: the journal of imports written in short transactions (issue 18, "long imports committed so
that the desk keeps working")."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m029_import_runs(db: Database) -> None:
    """``import_runs``: one row per import that writes in more than one transaction. ``digest`` names the input
    (the files' bytes, the kind and ``--force``); ``applied`` (JSON: per kind, the number of the last record
    written, counting the kind's records in the order read) moves forward in the same transaction as each batch,
    so an import that stopped (disk full, the process killed) is resumed by the same import run again, from the
    first record it had not written, and never writes a record twice."""
    db.execute(
        """
        CREATE TABLE import_runs (
            id INTEGER PRIMARY KEY,
            digest TEXT NOT NULL,
            agent TEXT NOT NULL,
            startedAt TEXT NOT NULL,
            finishedAt TEXT,
            applied TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute("CREATE INDEX idx_import_runs_open ON import_runs (digest) WHERE finishedAt IS NULL")
