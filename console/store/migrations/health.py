"""Migrations 10, 15, 20 and 24: the queue-health board's rollups and samples; the background jobs' leases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.store import health_rollups as rollups

if TYPE_CHECKING:
    from sqlite_utils import Database

#: A timeline event that takes a ticket off the first-contact path: waiting on someone, or an escalation.
_DETOUR = (
    "{row}.kind = 'escalation' OR ({row}.kind = 'status_change' "
    "AND {row}.toValue IN ('waiting_customer', 'waiting_microsoft'))"
)


def m010_queue_health(db: Database) -> None:
    """What the queue-health board reads, each figure from a small covering index (so a full refresh stays
    cheap at 1,000,000 tickets), and the samples its trends are drawn from.

    First-contact resolution needs each ticket's replies and whether it ever waited or was escalated: two
    counters kept on the ticket by a trigger on its timeline, so no refresh ever reads the timeline."""
    db.execute("ALTER TABLE tickets ADD COLUMN replyCount INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE tickets ADD COLUMN detoured INTEGER NOT NULL DEFAULT 0")
    db.execute(
        f"""
        UPDATE tickets SET
            replyCount = (SELECT count(*) FROM timeline r WHERE r.ticketSeq = tickets.seq AND r.kind = 'reply'),
            detoured = CASE WHEN EXISTS (SELECT 1 FROM timeline d WHERE d.ticketSeq = tickets.seq
                AND {_DETOUR.format(row="d")}) THEN 1 ELSE 0 END
        WHERE seq IN (SELECT DISTINCT ticketSeq FROM timeline)
        """
    )
    db.execute(
        f"""
        CREATE TRIGGER timeline_first_contact AFTER INSERT ON timeline
        WHEN NEW.kind IN ('reply', 'escalation', 'status_change')
        BEGIN
            UPDATE tickets SET replyCount = replyCount + CASE WHEN NEW.kind = 'reply' THEN 1 ELSE 0 END,
                detoured = CASE WHEN detoured = 1 OR ({_DETOUR.format(row="NEW")}) THEN 1 ELSE 0 END
            WHERE seq = NEW.ticketSeq;
        END
        """
    )
    for statement in rollups.M010_TABLES + rollups.M010_FILLS + list(rollups.M010_TRIGGERS.values()):
        db.execute(statement)
    db.execute(
        "CREATE INDEX idx_health_resolved ON tickets "
        "(resolvedDate, resolutionDueDate, createdDate, assignee, replyCount, detoured) WHERE resolvedDate IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX idx_health_first_response ON tickets (firstResponseDate, firstResponseDueDate) "
        "WHERE firstResponseDate IS NOT NULL"
    )
    db.execute("CREATE INDEX idx_health_receivables ON receivables (status, dueDate, customerId)")
    db.execute(
        "CREATE INDEX idx_health_claims ON tickets (claimedUntil, assignee) "
        "WHERE claimedUntil IS NOT NULL AND isOpen = 1"
    )
    db.execute("CREATE TABLE health_samples (at TEXT PRIMARY KEY, backlog INTEGER NOT NULL, breached INTEGER NOT NULL)")
    db.execute("ANALYZE")


def m015_leases(db: Database) -> None:
    """Leases on the workspace's background jobs (see console/background/leases.py): one row per job, naming the process
    that does it and until when (wall-clock UTC), and when it last ran."""
    db.execute(
        """
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            agent TEXT NOT NULL DEFAULT '',
            acquiredDate TEXT NOT NULL,
            renewedDate TEXT NOT NULL,
            expiresDate TEXT NOT NULL,
            lastRunDate TEXT,
            lastRunNote TEXT
        )
        """
    )


def m020_customer_due_upsert(db: Database) -> None:
    """The collections rollup's triggers as upserts: their ``INSERT OR REPLACE`` aborted inside an import's upsert
    of receivables (see ``health_rollups._OLDEST_DUE``)."""
    for name in rollups.CUSTOMER_DUE_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute(rollups.TRIGGERS[name])


def m024_health_waiting_rollup(db: Database) -> None:
    """ "Waiting on Microsoft" from a rollup kept by triggers (issue 19): each waiting ticket's latest case and the
    moment it started waiting, and the count per vehicle and state, instead of a read per waiting ticket at
    every refresh of the board (see ``health_rollups._WAITING``)."""
    for statement in rollups.WAITING_TABLES + rollups.WAITING_FILLS + list(rollups.WAITING_TRIGGERS.values()):
        db.execute(statement)


def m030_resolved_by_agent(db: Database) -> None:
    """Resolutions per hour and agent, kept by triggers (issue 23): the board's "resolved today" per agent reads
    a few rows per agent instead of every ticket resolved today."""
    for statement in rollups.AGENT_TABLES + rollups.AGENT_FILLS + list(rollups.AGENT_TRIGGERS.values()):
        db.execute(statement)
