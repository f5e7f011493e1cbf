"""Migration 33: the plugins' intake fields kept with their ticket (``TicketView.fields``).

A plugin's :class:`~console.plugins.reach.IntakeField` adds a field to the intake form for its service; the value
the agent gave is stored here, one row per field, in the same transaction as the new ticket (through the desk's
door: ``ticket.create``, audited with the values). The table is guarded as migration 31 guards the desk's
records: a connection the console did not open cannot write it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.store.migrations.door_guard import guard_statements

if TYPE_CHECKING:
    from sqlite_utils import Database


def m033_plugin_fields(db: Database) -> None:
    """``ticket_fields``: each ticket's plugin intake fields (plugin, field id, value), guarded."""
    db.execute(
        "CREATE TABLE ticket_fields (id INTEGER PRIMARY KEY, ticketSeq INTEGER NOT NULL REFERENCES tickets (seq), "
        "plugin TEXT NOT NULL, fieldId TEXT NOT NULL, value TEXT NOT NULL, UNIQUE (ticketSeq, fieldId))"
    )
    for statement in guard_statements("ticket_fields"):
        db.execute(statement)
