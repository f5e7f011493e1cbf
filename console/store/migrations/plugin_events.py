"""Migration 32: the plugins' event outbox (issue 21): ticket events recorded in the transaction of the change
that made them, and delivered to the plugins' receivers afterwards, one delivery per event and receiver.

An event is recorded only while some receiver wants its kind (``plugin_event_wants``, written by the console
whose plugins have receivers when it starts): a desk without event receivers pays one indexed look per change,
and nothing piles up for nobody. ``ticket.created`` is recorded by the desk's intake
(:meth:`console.store.tickets.TicketRepo.create_ticket`), not by imports, which bring in history; the other
kinds by triggers here, so every path that resolves a ticket, opens an escalation or copies Microsoft's reply
(the console, the command line, the Microsoft round) records it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.store.migrations.door_guard import guard_statements

if TYPE_CHECKING:
    from sqlite_utils import Database

TABLES = ("plugin_event_wants", "plugin_events", "plugin_deliveries")


def _wanted(kind: str) -> str:
    return f"EXISTS (SELECT 1 FROM plugin_event_wants WHERE instr(kinds, '\"{kind}\"') > 0)"


def _record(kind: str, seq: str, at: str, details: str) -> str:
    return f"INSERT INTO plugin_events (kind, ticketSeq, at, details) VALUES ('{kind}', {seq}, {at}, {details});"


TRIGGERS = {
    "plugin_event_resolved": (
        "AFTER UPDATE OF status ON tickets WHEN NEW.status = 'resolved' AND OLD.status <> 'resolved' AND "
        + _wanted("ticket.resolved"),
        _record(
            "ticket.resolved",
            "NEW.seq",
            "NEW.lastModifiedDate",
            "json_object('resolutionCode', coalesce(NEW.resolutionCode, ''), 'assignee', coalesce(NEW.assignee, ''))",
        ),
    ),
    "plugin_event_escalated": (
        "AFTER INSERT ON escalations WHEN " + _wanted("ticket.escalated"),
        _record(
            "ticket.escalated",
            "NEW.ticketSeq",
            "NEW.createdDate",
            "json_object('vehicle', coalesce(NEW.vehicle, ''), 'escalation', CAST(NEW.id AS TEXT), "
            "'by', coalesce(NEW.createdBy, ''))",
        ),
    ),
    "plugin_event_microsoft_replied": (
        "AFTER INSERT ON timeline WHEN NEW.kind = 'microsoft' AND " + _wanted("ticket.microsoft_replied"),
        _record(
            "ticket.microsoft_replied",
            "NEW.ticketSeq",
            "NEW.createdDate",
            "json_object('author', coalesce(NEW.author, ''), 'text', substr(coalesce(NEW.text, ''), 1, 2000))",
        ),
    ),
}


def m032_plugin_events(db: Database) -> None:
    """The tables of the plugins' event outbox, the triggers that record events, and the door's guard on all
    three tables."""
    db.execute("CREATE TABLE plugin_event_wants (receiver TEXT PRIMARY KEY, kinds TEXT NOT NULL, since TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE plugin_events (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, ticketSeq INTEGER NOT NULL, "
        "at TEXT NOT NULL, details TEXT NOT NULL DEFAULT '{}')"
    )
    db.execute(
        "CREATE TABLE plugin_deliveries (eventSeq INTEGER NOT NULL REFERENCES plugin_events(seq), "
        "receiver TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, "
        "nextAttemptDate TEXT, lastError TEXT, deliveredDate TEXT, PRIMARY KEY (eventSeq, receiver))"
    )
    db.execute("CREATE INDEX idx_plugin_deliveries_due ON plugin_deliveries (state, nextAttemptDate)")
    # Each event is owed to every receiver that wants its kind at the time it happened; due at once (no
    # nextAttemptDate) until a delivery fails.
    db.execute(
        "CREATE TRIGGER plugin_event_owed AFTER INSERT ON plugin_events BEGIN "
        "INSERT INTO plugin_deliveries (eventSeq, receiver) "
        "SELECT NEW.seq, receiver FROM plugin_event_wants WHERE instr(kinds, '\"' || NEW.kind || '\"') > 0; "
        "END"
    )
    for name, (when, body) in TRIGGERS.items():
        db.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    for table in TABLES:
        for statement in guard_statements(table):
            db.execute(statement)
