"""The partner's GDAP relationships as last read from Microsoft Graph (part of the store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from console.store.base import Base

RELATIONSHIP_COLUMNS = (
    "id",
    "customerTenantId",
    "customerName",
    "displayName",
    "status",
    "duration",
    "autoExtendDuration",
    "activatedDateTime",
    "endDateTime",
)


class GdapRepo:
    """The partner's GDAP relationships as last read from Graph."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def replace_gdap(self, relationships: Sequence[dict[str, Any]]) -> int:
        """Everything Graph listed replaces what was stored, in one transaction. Each relationship is a dict of
        :data:`RELATIONSHIP_COLUMNS` plus ``roles``: ``[(roleDefinitionId, granted, assigned)]``."""
        now = self.db.now()
        with self.db.transaction():
            self.db.conn.execute("DELETE FROM gdap_roles")
            self.db.conn.execute("DELETE FROM gdap_relationships")
            for rel in relationships:
                self.db.conn.execute(
                    f"INSERT INTO gdap_relationships ({', '.join(RELATIONSHIP_COLUMNS)}, syncedDate) "
                    f"VALUES ({', '.join('?' * len(RELATIONSHIP_COLUMNS))}, ?)",
                    [rel.get(c) for c in RELATIONSHIP_COLUMNS] + [now],
                )
                self.db.conn.executemany(
                    self.db.dialect.insert(
                        "gdap_roles",
                        ("relationshipId", "roleDefinitionId", "granted", "assigned"),
                        self.db.dialect.insert_or_replace,
                    ),
                    [(rel["id"], role, int(granted), int(assigned)) for role, granted, assigned in rel["roles"]],
                )
        return len(relationships)

    def gdap_relationships(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        """Stored relationships (of one customer tenant), each with ``roles``: ``[{roleDefinitionId, granted,
        assigned}]``; newest end date first."""
        where, args = ("WHERE customerTenantId = ?", (tenant_id,)) if tenant_id else ("", ())
        rows = [
            dict(r)
            for r in self.db.conn.execute(
                f"SELECT * FROM gdap_relationships {where} ORDER BY endDateTime DESC, id", args
            )
        ]
        if not rows:
            return rows
        ids = [r["id"] for r in rows]
        roles: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for r in self.db.conn.execute(
                f"SELECT * FROM gdap_roles WHERE relationshipId IN ({','.join('?' * len(chunk))}) "
                "ORDER BY roleDefinitionId",
                chunk,
            ):
                roles[r["relationshipId"]].append(
                    {
                        "roleDefinitionId": r["roleDefinitionId"],
                        "granted": bool(r["granted"]),
                        "assigned": bool(r["assigned"]),
                    }
                )
        for row in rows:
            row["roles"] = roles[row["id"]]
        return rows

    def gdap_synced_date(self) -> str | None:
        row = self.db.conn.execute("SELECT max(syncedDate) FROM gdap_relationships").fetchone()
        return row[0] if row else None

    def customer_tenant(self, customer_id: str) -> str | None:
        """The customer's Microsoft Entra tenant id (its Partner Center id when none is recorded)."""
        row = self.db.conn.execute("SELECT id, tenantId FROM customers WHERE id = ?", (customer_id,)).fetchone()
        if row is None:
            return None
        return str(row["tenantId"] or row["id"])
