"""Migration 23: the agents' notices and what each agent last saw of a ticket (issue 19, "Notifications")."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m023_notices(db: Database) -> None:
    """``notices``: what happened that an agent should know of (Microsoft replied on a case of theirs, a ticket
    of theirs is about to breach, someone took it over, a customer of their queue was suspended), one row per
    agent, written in the transaction of the change that caused it; ``seenAt`` once the agent opened it.
    ``dedupe`` (with the agent) makes a clock-bound notice, written by whichever console runs the breach sweep,
    exist once however many runners there are.

    ``ticket_seen``: per agent and ticket, what the agent saw when they last opened it (the ticket's version
    and its last timeline event), so the queue marks the tickets someone else changed since."""
    db.execute(
        """
        CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            agent TEXT NOT NULL,
            kind TEXT NOT NULL,
            ticketId TEXT,
            customerId TEXT,
            text TEXT NOT NULL,
            createdAt TEXT NOT NULL,
            seenAt TEXT,
            dedupe TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_notices_agent ON notices (agent, id)")
    db.execute("CREATE INDEX idx_notices_unseen ON notices (agent, ticketId) WHERE seenAt IS NULL")
    db.execute("CREATE UNIQUE INDEX idx_notices_dedupe ON notices (agent, dedupe) WHERE dedupe IS NOT NULL")
    db.execute("CREATE INDEX idx_notices_created ON notices (createdAt)")
    db.execute(
        """
        CREATE TABLE ticket_seen (
            agent TEXT NOT NULL,
            ticketId TEXT NOT NULL,
            seenVersion INTEGER NOT NULL,
            seenEvent INTEGER NOT NULL,
            seenAt TEXT NOT NULL,
            PRIMARY KEY (agent, ticketId)
        ) WITHOUT ROWID
        """
    )


def m026_notice_due(db: Database) -> None:
    """``notices.dueAt``: the due time a breach warning is about, kept as data (UTC ISO 8601) so each reader
    sees it in their own desk's zone, labelled, whatever the zone of the console that swept it."""
    db.execute("ALTER TABLE notices ADD COLUMN dueAt TEXT")
