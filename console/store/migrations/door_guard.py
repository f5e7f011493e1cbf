"""Migration 31: the workspace refuses writes that do not come through the console (issue 21).

Every change of the desk's records goes through the desk's door, which checks the agent's role and writes the
audit row in the same transaction. A program that opens the SQLite file itself (a plugin that "just updates the
ticket", a script, the ``sqlite3`` shell) bypassed both. Now each of those tables has triggers that call
``csp_door()``, an SQL function only the console's own connections define (:meth:`SqliteDialect.connect`):
on any other connection the write fails with ``no such function: csp_door`` and nothing changes. Reading stays
open to every tool. The derived rollups (health_*) and search indexes are written only by the console's
triggers on these tables, so they need no guard of their own; the audit log has its own append-only triggers and
its hash chain (``csp-console audit verify`` names a row changed, removed or forged by any writer).

This stops a plugin or script that writes the file by mistake or by shortcut; code that sets out to defeat it
(defining the function itself) is hostile code running as the agent, which no check inside the same account can
stop: the audit chain (``csp-console audit verify``) and the operating system's file permissions are the
defences there (docs/plugins.md, "What a plugin cannot do").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.store.dialect import DOOR_FUNCTION

if TYPE_CHECKING:
    from sqlite_utils import Database

#: The desk's records: what the door writes and audits (as migration 31 guarded them: a migration never changes).
GUARDED_AT_31 = (
    "tickets",
    "timeline",
    "findings",
    "agents",
    "agent_roles",
    "desk_policy",
    "escalations",
    "escalation_messages",
    "outbox",
    "notices",
    "time_entries",
    "support_charges",
    "payments",
    "dunning_actions",
    "suspensions",
    "suspension_items",
    "customers",
    "subscriptions",
    "receivables",
    "support_offers",
)
#: Every guarded table: migration 31's, then those later migrations made (each guards its own as it makes it).
GUARDED = (*GUARDED_AT_31, "ticket_fields")


def guard_statements(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS door_guard_{table}_{event.lower()} BEFORE {event} ON {table} "
        f"BEGIN SELECT {DOOR_FUNCTION}(); END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def m031_door_guard(db: Database) -> None:
    """Triggers on every table of :data:`GUARDED_AT_31` that refuse a write from a connection the console did not
    open (see the module's docstring)."""
    for table in GUARDED_AT_31:
        for statement in guard_statements(table):
            db.execute(statement)
