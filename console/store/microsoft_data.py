"""What comes from Microsoft besides escalations: synced service requests, the Azure Support API's catalogue
of services and problem classifications, and the progress of a sync (part of the store)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from console.store.base import Base

SERVICE_REQUEST_COLUMNS = (
    "id",
    "customerId",
    "title",
    "description",
    "severity",
    "status",
    "supportTopicName",
    "productName",
    "primaryContact",
    "notes",
    "createdDate",
    "lastModifiedDate",
    "lastClosedDate",
    "syncedDate",
)


class MicrosoftDataRepo:
    """What is synced from Microsoft besides escalations."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def records_by_id(self, table: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Existing rows of ``table`` (customers, subscriptions) by id."""
        if table not in ("customers", "subscriptions"):
            raise ValueError(table)
        ids = list(ids)
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.db.conn.execute(f"SELECT * FROM {table} WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            out.update({r["id"]: dict(r) for r in rows})
        return out

    def save_azure_entitlements(self, customer_id: str, plan_id: str, rows: Sequence[dict[str, Any]]) -> None:
        """The Azure subscriptions of Azure plan ``plan_id`` as Partner Center listed them (``id``,
        ``subscriptionId``, ``friendlyName``, ``status``): they replace what was stored for the plan. Inside the
        caller's transaction."""
        now = self.db.now()
        self.db.conn.execute("DELETE FROM azure_entitlements WHERE planSubscriptionId = ?", (plan_id,))
        self.db.conn.executemany(
            f"{self.db.dialect.insert_or_replace} INTO azure_entitlements "
            "(id, customerId, planSubscriptionId, azureSubscriptionId, friendlyName, status, syncedDate) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    str(r.get("id") or r["subscriptionId"]),
                    customer_id,
                    plan_id,
                    str(r["subscriptionId"]),
                    r.get("friendlyName"),
                    r.get("status"),
                    now,
                )
                for r in rows
            ],
        )

    def azure_entitlements(self, customer_id: str) -> list[dict[str, Any]]:
        """The customer's Azure subscriptions (of all its Azure plans), active ones first."""
        rows = self.db.conn.execute(
            "SELECT * FROM azure_entitlements WHERE customerId = ? "
            "ORDER BY coalesce(status, '') != 'active', friendlyName, azureSubscriptionId",
            (customer_id,),
        )
        return [dict(r) for r in rows]

    def upsert_service_requests(self, rows: Sequence[dict[str, Any]]) -> None:
        """Inside the caller's transaction."""
        now = self.db.now()
        cols = SERVICE_REQUEST_COLUMNS
        self.db.conn.executemany(
            self.db.dialect.upsert("service_requests", cols, "id"),
            [
                [
                    json.dumps(r.get(c), ensure_ascii=False) if c in ("primaryContact", "notes") else r.get(c)
                    for c in cols[:-1]
                ]
                + [now]
                for r in rows
            ],
        )

    def service_requests_of(self, customer_id: str) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(
            "SELECT * FROM service_requests WHERE customerId = ? ORDER BY createdDate DESC", (customer_id,)
        )
        return [{**dict(r), "notes": json.loads(r["notes"] or "[]")} for r in rows]

    # -- the Azure Support API's catalogue ---------------------------------------------------------
    def replace_catalog(
        self, kind: str, parent: str | None, rows: Sequence[dict[str, Any]], fetched: str | None = None
    ) -> None:
        """Replace the cached ``service`` list (``parent`` None) or one service's ``problem`` list, read at
        ``fetched`` (now by default)."""
        now = fetched or self.db.now()
        with self.db.transaction():
            if parent is None:
                self.db.conn.execute("DELETE FROM support_catalog WHERE kind = ?", (kind,))
            else:
                self.db.conn.execute("DELETE FROM support_catalog WHERE kind = ? AND parent = ?", (kind, parent))
            self.db.conn.executemany(
                self.db.dialect.insert(
                    "support_catalog",
                    ("kind", "id", "name", "parent", "displayName", "fetchedDate", "details"),
                    self.db.dialect.insert_or_replace,
                ),
                [
                    (kind, r["id"], r["name"], parent, r["displayName"], now, json.dumps(r.get("details") or {}))
                    for r in rows
                ],
            )

    def catalog(self, kind: str, parent: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM support_catalog WHERE kind = ?", [kind]
        if parent is not None:
            sql += " AND parent = ?"
            args.append(parent)
        rows = self.db.conn.execute(sql + " ORDER BY displayName", args)
        return [{**dict(r), "details": json.loads(r["details"] or "{}")} for r in rows]

    # -- sync progress ---------------------------------------------------------------------------
    def sync_state(self, name: str) -> dict[str, Any] | None:
        row = self.db.conn.execute("SELECT * FROM sync_state WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["cursor"] = json.loads(row["cursor"]) if row["cursor"] else None
        out["counts"] = json.loads(row["counts"]) if row["counts"] else {}
        return out

    def save_sync_state(self, name: str, **fields: Any) -> None:
        """Inside the caller's transaction when there is one (a page's data and its cursor land together)."""
        values = {k: json.dumps(v, ensure_ascii=False) if k in ("cursor", "counts") else v for k, v in fields.items()}
        values["updatedDate"] = self.db.now()

        def write() -> None:
            assignments = ", ".join(f"{c} = ?" for c in values)
            cursor = self.db.conn.execute(
                f"UPDATE sync_state SET {assignments} WHERE name = ?", [*values.values(), name]
            )
            if cursor.rowcount == 0:
                row = {"state": "running", **values}
                self.db.conn.execute(
                    f"INSERT INTO sync_state (name, {', '.join(row)}) VALUES (?{', ?' * len(row)})",
                    [name, *row.values()],
                )

        if self.db.conn.in_transaction:
            write()
        else:
            with self.db.transaction():
                write()
