"""Agents, their roles and the audit trail (part of the store)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.shared.clock import to_iso, utcnow


class AgentStoreMixin:
    if TYPE_CHECKING:
        # The workspace's per-thread connection (a read-only property of :class:`Workspace`).
        @property
        def conn(self) -> sqlite3.Connection: ...

    # Set by :class:`Workspace`: the file, the lock over its connections, the connection data_version is read on.
    path: Path
    _lock: threading.Lock
    _watch: sqlite3.Connection | None

    def agent(self, login: str) -> dict[str, Any] | None:
        """An agent with its roles, or ``None`` when the login is unknown."""
        row = self.conn.execute("SELECT login, displayName, email FROM agents WHERE login = ?", (login,)).fetchone()
        if row is None:
            return None
        roles = [
            r[0] for r in self.conn.execute("SELECT role FROM agent_roles WHERE login = ? ORDER BY role", (login,))
        ]
        return {**dict(row), "roles": roles}

    def agents(self) -> list[dict[str, Any]]:
        return [a for login in self.agent_logins() if (a := self.agent(login)) is not None]  # type: ignore[attr-defined]

    def agent_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM agents").fetchone()[0]

    def add_agent(self, login: str, display_name: str, email: str, roles: list[str], by: str) -> None:
        with self.transaction():  # type: ignore[attr-defined]
            if self.conn.execute("SELECT 1 FROM agents WHERE login = ?", (login,)).fetchone():
                raise ValueError(f"agent {login!r} already exists")
            self.conn.execute(
                "INSERT INTO agents (login, displayName, email) VALUES (?, ?, ?)", (login, display_name, email)
            )
            self.conn.executemany("INSERT INTO agent_roles (login, role) VALUES (?, ?)", [(login, r) for r in roles])
            self.audit(by, "agent.add", "agent", login, {"after": {"roles": sorted(roles)}})  # type: ignore[attr-defined]

    def set_roles(self, login: str, roles: list[str], by: str, action: str) -> list[str]:
        with self.transaction():  # type: ignore[attr-defined]
            before = [
                r[0] for r in self.conn.execute("SELECT role FROM agent_roles WHERE login = ? ORDER BY role", (login,))
            ]
            if not self.conn.execute("SELECT 1 FROM agents WHERE login = ?", (login,)).fetchone():
                raise LookupError(f"no agent {login!r}")
            self.conn.execute("DELETE FROM agent_roles WHERE login = ?", (login,))
            self.conn.executemany(
                "INSERT INTO agent_roles (login, role) VALUES (?, ?)", [(login, r) for r in sorted(set(roles))]
            )
            self.audit(  # type: ignore[attr-defined]
                by, action, "agent", login, {"before": {"roles": before}, "after": {"roles": sorted(set(roles))}}
            )
        return sorted(set(roles))

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
        rows = self.conn.execute(
            f"SELECT id, at, agent, action, entity, entityId, detail FROM audit_log {where} ORDER BY id LIMIT ?",
            (*args, limit),
        )
        return [{**dict(r), "detail": json.loads(r["detail"] or "{}")} for r in rows]

    def audit_for_account(self, customer_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """Changes to a customer, its subscriptions, receivables and support offer, newest first."""
        rows = self.conn.execute(
            "SELECT id, at, agent, action, entity, entityId, detail FROM audit_log WHERE "
            "(entity = 'customer' AND entityId = :c) "
            "OR (entity = 'subscription' AND entityId IN (SELECT id FROM subscriptions WHERE customerId = :c)) "
            "OR (entity = 'receivable' AND entityId IN (SELECT id FROM receivables WHERE customerId = :c)) "
            "OR (entity = 'offer' AND entityId IN (SELECT id FROM support_offers WHERE customerId = :c)) "
            "ORDER BY id DESC LIMIT :limit",
            {"c": customer_id, "limit": limit},
        )
        return [{**dict(r), "detail": json.loads(r["detail"] or "{}")} for r in rows]

    def data_version(self) -> int:
        """A number that changes whenever any connection commits a change to the workspace (a cheap poll).

        SQLite's ``data_version`` is per connection, so it is always read on one dedicated connection.
        """
        with self._lock:
            watch = self._watch
            if watch is None:
                from console.store.connection import connect

                watch = self._watch = connect(self.path)
                # Read on the screen's thread: never wait for another process's lock, say "no news" instead.
                watch.execute("PRAGMA busy_timeout = 0")
            return watch.execute("PRAGMA data_version").fetchone()[0]

    def changed_since(self, version: int | None) -> tuple[bool, int | None]:
        """(whether anything was committed since ``version`` was read, the version now). Quick enough for the
        screen's thread (an in-memory read); when the file is busy, nothing has changed yet."""
        try:
            now = self.data_version()
        except sqlite3.Error:
            return False, version
        return version is not None and now != version, now

    def release_expired_claims(self, now: str) -> list[str]:
        """Claims whose lease ran out go back to the pool; returns the tickets released."""
        with self.transaction():  # type: ignore[attr-defined]
            rows = self.conn.execute(
                "SELECT id, assignee FROM tickets WHERE claimedUntil IS NOT NULL AND claimedUntil < ?", (now,)
            ).fetchall()
            for ticket_id, assignee in rows:
                self.conn.execute(
                    "UPDATE tickets SET assignee = NULL, claimedUntil = NULL, version = version + 1, "
                    "lastModifiedDate = ? WHERE id = ?",
                    (to_iso(utcnow()), ticket_id),
                )
                self.audit(  # type: ignore[attr-defined]
                    "system",
                    "ticket.claim_expired",
                    "ticket",
                    ticket_id,
                    {"before": {"assignee": assignee}, "after": {"assignee": None}},
                )
        return [r[0] for r in rows]
