"""Migrations 3-8, 11, 13 and 21: tickets, their timeline, findings and search, the queue's indexes, claims and
the console session each claim belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m003_tickets(db: Database) -> None:
    """Tickets, their timeline, plugin findings and escalations, with the queue's indexes."""
    _m003_tickets(db)
    _m003_timeline_and_findings(db)
    _m003_escalations(db)


def m004_ticket_search(db: Database) -> None:
    """The full-text index over ticket title, body and notes (see ``console.tickets.search_text``)."""
    db.execute(
        "CREATE VIRTUAL TABLE ticket_search USING fts5(title, body, notes, tokenize = 'unicode61 remove_diacritics 2')"
    )


def m005_plugin_data(db: Database) -> None:
    """Service-specific subscription data (a JSON object, e.g. an Azure plan's budget and spend) and what a
    finding is about."""
    db.table("subscriptions").add_column("details", str)
    db.table("findings").add_column("subject", str)
    db.table("findings").create_index(["audience", "plugin"])


def m006_saved_views(db: Database) -> None:
    """Queue views an agent saves (a filter and a sort order, as JSON)."""
    db.execute(
        "CREATE TABLE saved_views (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, "
        "query TEXT NOT NULL, createdDate TEXT NOT NULL, UNIQUE (owner, name))"
    )
    db.execute("CREATE INDEX idx_tickets_category ON tickets (category, isOpen, slaDueDate)")


def m007_open_sort_indexes(db: Database) -> None:
    """Partial indexes over open tickets for every sort order of the queue, so that sorting the open
    queue by any column reads one page from an index instead of sorting 100,000 rows. The customer's name
    is copied onto its tickets (kept in step by the store) so that sorting by customer needs no join."""
    db.execute("ALTER TABLE tickets ADD COLUMN customerName TEXT NOT NULL DEFAULT ''")
    db.execute("UPDATE tickets SET customerName = (SELECT companyName FROM customers WHERE id = tickets.customerId)")
    for name, expression in (
        ("customer", "customerName"),
        ("created", "createdDate"),
        ("severity", "severityRank"),
        ("service", "coalesce(service, '')"),
        ("category", "coalesce(category, '')"),
        ("assignee", "coalesce(assignee, '')"),
        ("status", "status"),
        ("title", "title"),
    ):
        db.execute(f"CREATE INDEX idx_open_by_{name} ON tickets ({expression}, seq) WHERE isOpen = 1")
    db.execute("PRAGMA analysis_limit = 0")
    db.execute("ANALYZE")


def m008_claims_and_audit(db: Database) -> None:
    """Claims are leases (``claimedUntil``); the audit log becomes append-only: the database itself refuses
    to update or delete its rows."""
    db.execute("ALTER TABLE tickets ADD COLUMN claimedUntil TEXT")
    db.execute("CREATE INDEX idx_tickets_claims ON tickets (claimedUntil) WHERE claimedUntil IS NOT NULL")
    db.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    db.execute("CREATE INDEX idx_audit_at ON audit_log (at)")


def m011_search_prefixes(db: Database) -> None:
    """The full-text index keeps 2- and 3-character prefixes, so the first keystrokes of a search ('in',
    'inv') read one prefix entry instead of merging every word that starts with them."""
    db.execute(
        "CREATE VIRTUAL TABLE ticket_search_new USING fts5(title, body, notes, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    db.execute(
        "INSERT INTO ticket_search_new (rowid, title, body, notes) SELECT rowid, title, body, notes FROM ticket_search"
    )
    db.execute("DROP TABLE ticket_search")
    db.execute("ALTER TABLE ticket_search_new RENAME TO ticket_search")


def m013_open_search(db: Database) -> None:
    """A full-text index of open tickets only, for searches in the open views (see store/open_search.py)."""
    from console.store import open_search

    db.execute(open_search.CREATE)
    db.execute(open_search.COPY)
    for statement in open_search.TRIGGERS.values():
        db.execute(statement)


def _m003_tickets(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE tickets (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            customerId TEXT NOT NULL REFERENCES customers(id),
            contactName TEXT,
            contactEmail TEXT,
            contactPhone TEXT,
            channel TEXT NOT NULL,
            service TEXT,
            category TEXT,
            severity TEXT NOT NULL DEFAULT 'unknown',
            severityRank INTEGER NOT NULL DEFAULT 4,
            status TEXT NOT NULL DEFAULT 'new',
            isOpen INTEGER NOT NULL DEFAULT 1,
            assignee TEXT,
            createdDate TEXT NOT NULL,
            firstResponseDate TEXT,
            resolvedDate TEXT,
            firstResponseDueDate TEXT,
            resolutionDueDate TEXT,
            slaDueDate TEXT NOT NULL DEFAULT '9999-12-31T23:59:59Z',
            title TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            resolutionCode TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            lastModifiedDate TEXT NOT NULL
        )
        """
    )
    # The queue's sort orders: most urgent SLA first (the default), newest, severity; filters by status,
    # assignee, service, customer.
    db.execute("CREATE INDEX idx_tickets_open_sla ON tickets (isOpen, slaDueDate, seq)")
    db.execute("CREATE INDEX idx_tickets_sla ON tickets (slaDueDate, seq)")
    db.execute("CREATE INDEX idx_tickets_created ON tickets (createdDate, seq)")
    db.execute("CREATE INDEX idx_tickets_severity ON tickets (severityRank, seq)")
    db.execute("CREATE INDEX idx_tickets_status ON tickets (status, slaDueDate, seq)")
    db.execute("CREATE INDEX idx_tickets_assignee ON tickets (assignee, isOpen, slaDueDate)")
    db.execute("CREATE INDEX idx_tickets_service ON tickets (service, isOpen, slaDueDate)")
    db.execute("CREATE INDEX idx_tickets_customer ON tickets (customerId, isOpen)")


def _m003_timeline_and_findings(db: Database) -> None:
    db.table("timeline").create(
        {
            "id": int,
            "ticketSeq": int,
            "kind": str,
            "author": str,
            "createdDate": str,
            "text": str,
            "fromValue": str,
            "toValue": str,
        },
        pk="id",
        not_null={"ticketSeq", "kind", "createdDate"},
        foreign_keys=[("ticketSeq", "tickets", "seq")],
    )
    db.table("timeline").create_index(["ticketSeq", "createdDate"])
    db.table("findings").create(
        {
            "id": int,
            "ticketSeq": int,
            "plugin": str,
            "checkId": str,
            "family": str,
            "severity": str,
            "title": str,
            "explanation": str,
            "suggestedAction": str,
            "boundary": str,
            "vehicle": str,
            "audience": str,
            "createdDate": str,
        },
        pk="id",
        not_null={"ticketSeq", "plugin", "checkId", "family", "title", "createdDate"},
        foreign_keys=[("ticketSeq", "tickets", "seq")],
    )
    db.table("findings").create_index(["ticketSeq"])


def _m003_escalations(db: Database) -> None:
    db.table("escalations").create(
        {
            "id": int,
            "ticketSeq": int,
            "vehicle": str,
            "state": str,
            "microsoftCaseId": str,
            "title": str,
            "description": str,
            "severity": str,
            "createdBy": str,
            "createdDate": str,
            "lastModifiedDate": str,
        },
        pk="id",
        not_null={"ticketSeq", "vehicle", "state", "createdDate"},
        foreign_keys=[("ticketSeq", "tickets", "seq")],
    )
    db.table("escalations").create_index(["ticketSeq"])
    db.table("escalations").create_index(["state", "createdDate"])


def m021_claim_sessions(db: Database) -> None:
    """A claim belongs to the console session that took it (``claimSession``; ``NULL`` for a claim taken from the
    command line, and for the claims of a workspace from before sessions): leaving a console releases its own
    claims only. The live claims are few, so the partial index on ``claimedUntil`` finds a session's."""
    db.execute("ALTER TABLE tickets ADD COLUMN claimSession TEXT")
