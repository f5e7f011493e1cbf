"""The desk's policy as stored (part of the store: all SQL lives in this package): one row per rule set, its
value as JSON. What the rules mean, their defaults and their checks are :mod:`console.desk.policy`'s."""

from __future__ import annotations

import json
from typing import Any

from console.store.base import Base


class PolicyRepo:
    """The ``desk_policy`` table."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def rules(self) -> dict[str, Any]:
        """Every rule set, by key, its value read back from JSON (one small query)."""
        rows = self.db.conn.execute("SELECT key, value FROM desk_policy ORDER BY key").fetchall()
        return {row["key"]: json.loads(row["value"]) for row in rows}

    def put(self, key: str, value: Any, agent: str) -> None:
        """Set rule ``key`` (inside the caller's transaction)."""
        self.db.require_transaction("setting a desk rule")
        self.db.conn.execute(
            self.db.dialect.upsert("desk_policy", ("key", "value", "changedBy", "changedAt"), "key"),
            (key, json.dumps(value, ensure_ascii=False), agent, self.db.now()),
        )

    def remove(self, key: str) -> bool:
        """Remove rule ``key`` (back to its default, inside the caller's transaction); whether it was set."""
        self.db.require_transaction("unsetting a desk rule")
        return self.db.conn.execute("DELETE FROM desk_policy WHERE key = ?", (key,)).rowcount > 0
