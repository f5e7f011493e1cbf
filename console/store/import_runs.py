"""The journal of imports that write in several transactions (migration 29; part of the store)."""

from __future__ import annotations

import json

from console.store.base import Base


class ImportRuns:
    """Where a long import stands: which of its records are written, moved forward with each batch."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def start(self, digest: str, agent: str) -> tuple[int, dict[str, int]]:
        """The unfinished run of the same input (to resume it), or a new one: its id and, per kind, the number
        of the last record written. A run left by a stopped import of the same files, by any agent, is taken
        over."""
        with self.db.writing():
            row = self.db.conn.execute(
                "SELECT id, applied FROM import_runs WHERE digest = ? AND finishedAt IS NULL ORDER BY id DESC LIMIT 1",
                (digest,),
            ).fetchone()
            if row is not None:
                self.db.conn.execute("UPDATE import_runs SET agent = ? WHERE id = ?", (agent, row[0]))
                return row[0], json.loads(row[1])
            cursor = self.db.conn.execute(
                "INSERT INTO import_runs (digest, agent, startedAt) VALUES (?, ?, ?)", (digest, agent, self.db.now())
            )
            return int(cursor.lastrowid or 0), {}

    def advance(self, run: int, applied: dict[str, int]) -> None:
        """Inside the batch's transaction: the records up to these numbers are written."""
        self.db.require_transaction("ImportRuns.advance()")
        self.db.conn.execute("UPDATE import_runs SET applied = ? WHERE id = ?", (json.dumps(applied), run))

    def finish(self, run: int) -> None:
        """Inside the import's last transaction."""
        self.db.require_transaction("ImportRuns.finish()")
        self.db.conn.execute("UPDATE import_runs SET finishedAt = ? WHERE id = ?", (self.db.now(), run))
