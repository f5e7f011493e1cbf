"""Agents, their roles and the audit trail (part of the store). The audit append itself is the base's
(:meth:`console.store.base.Base.audit`); this reads it."""

from __future__ import annotations

import json
from typing import Any

from console.store.base import Base

_AUDIT_COLUMNS = "id, at, agent, action, entity, entityId, detail"


class AgentRepo:
    """The agents, their roles, and what the audit log says they did."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def agent(self, login: str) -> dict[str, Any] | None:
        """An agent with its roles, or ``None`` when the login is unknown."""
        conn = self.db.conn
        row = conn.execute("SELECT login, displayName, email FROM agents WHERE login = ?", (login,)).fetchone()
        if row is None:
            return None
        roles = [r[0] for r in conn.execute("SELECT role FROM agent_roles WHERE login = ? ORDER BY role", (login,))]
        return {**dict(row), "roles": roles}

    def agent_logins(self) -> list[str]:
        return [r[0] for r in self.db.conn.execute("SELECT login FROM agents ORDER BY login")]

    def agents(self) -> list[dict[str, Any]]:
        return [a for login in self.agent_logins() if (a := self.agent(login)) is not None]

    def agent_count(self) -> int:
        return int(self.db.conn.execute("SELECT count(*) FROM agents").fetchone()[0])

    def add_agent(self, login: str, display_name: str, email: str, roles: list[str], by: str) -> None:
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM agents WHERE login = ?", (login,)).fetchone():
                raise ValueError(f"agent {login!r} already exists")
            conn.execute(
                "INSERT INTO agents (login, displayName, email) VALUES (?, ?, ?)", (login, display_name, email)
            )
            conn.executemany("INSERT INTO agent_roles (login, role) VALUES (?, ?)", [(login, r) for r in roles])
            self.db.audit(by, "agent.add", "agent", login, {"after": {"roles": sorted(roles)}})

    def set_roles(self, login: str, roles: list[str], by: str, action: str) -> list[str]:
        with self.db.transaction() as conn:
            before = [
                r[0] for r in conn.execute("SELECT role FROM agent_roles WHERE login = ? ORDER BY role", (login,))
            ]
            if not conn.execute("SELECT 1 FROM agents WHERE login = ?", (login,)).fetchone():
                raise LookupError(f"no agent {login!r}")
            conn.execute("DELETE FROM agent_roles WHERE login = ?", (login,))
            conn.executemany(
                "INSERT INTO agent_roles (login, role) VALUES (?, ?)", [(login, r) for r in sorted(set(roles))]
            )
            self.db.audit(
                by, action, "agent", login, {"before": {"roles": before}, "after": {"roles": sorted(set(roles))}}
            )
        return sorted(set(roles))

    # -- the audit log -----------------------------------------------------------------------------
    def audit_entries(self, entity: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT at, agent, action, entity, entityId, detail FROM audit_log"
        args: tuple[Any, ...] = ()
        if entity is not None:
            sql += " WHERE entity = ?"
            args = (entity,)
        return [dict(r) for r in self.db.conn.execute(sql + " ORDER BY id", args)]

    def audit_since(
        self, since: str | None = None, entity: str | None = None, entity_id: str | None = None, limit: int = 10_000
    ) -> list[dict[str, Any]]:
        """Audit entries, oldest first, optionally since a time and for one entity."""
        clauses, args = [], []
        if since:
            clauses.append("at >= ?")
            args.append(since)
        if entity:
            clauses.append("entity = ?")
            args.append(entity)
        if entity_id:
            clauses.append("entityId = ?")
            args.append(entity_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.conn.execute(
            f"SELECT {_AUDIT_COLUMNS} FROM audit_log {where} ORDER BY id LIMIT ?",
            (*args, limit),
        )
        return [{**dict(r), "detail": json.loads(r["detail"] or "{}")} for r in rows]

    def audit_for_account(self, customer_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """Changes to a customer, its subscriptions, receivables and support offer, newest first."""
        rows = self.db.conn.execute(
            f"SELECT {_AUDIT_COLUMNS} FROM audit_log WHERE "
            "(entity = 'customer' AND entityId = :c) "
            "OR (entity = 'subscription' AND entityId IN (SELECT id FROM subscriptions WHERE customerId = :c)) "
            "OR (entity = 'receivable' AND entityId IN (SELECT id FROM receivables WHERE customerId = :c)) "
            "OR (entity = 'offer' AND entityId IN (SELECT id FROM support_offers WHERE customerId = :c)) "
            "ORDER BY id DESC LIMIT :limit",
            {"c": customer_id, "limit": limit},
        )
        return [{**dict(r), "detail": json.loads(r["detail"] or "{}")} for r in rows]
