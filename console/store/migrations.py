"""Versioned schema migrations: a list of small functions, each applied once, in order, in a transaction,
and recorded in ``schema_migrations``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from console.shared.clock import to_iso, utcnow
from console.store import health_rollups as rollups
from console.store.connection import transaction

if TYPE_CHECKING:
    from sqlite_utils import Database

Migration = Callable[["Database"], None]


def m001_accounts(db: Database) -> None:
    """Customers, their subscriptions, the partner's receivables and support offers."""
    db.table("customers").create(
        {
            "id": str,
            "tenantId": str,
            "domain": str,
            "companyName": str,
            "relationshipToPartner": str,
            "associatedPartnerId": str,
            "culture": str,
            "language": str,
            "country": str,
            "billingFirstName": str,
            "billingLastName": str,
            "billingEmail": str,
        },
        pk="id",
        not_null={"companyName", "domain", "relationshipToPartner"},
    )
    db.table("subscriptions").create(
        {
            "id": str,
            "customerId": str,
            "service": str,
            "offerId": str,
            "offerName": str,
            "friendlyName": str,
            "quantity": int,
            "assignedSeats": int,
            "unitType": str,
            "status": str,
            "autoRenewEnabled": int,
            "billingType": str,
            "billingCycle": str,
            "termDuration": str,
            "commerceType": str,
            "creationDate": str,
            "effectiveStartDate": str,
            "commitmentEndDate": str,
            "cancellationAllowedUntilDate": str,
            "refundableQuantity": int,
            "isTrial": int,
            "suspensionReasons": str,
            "parentSubscriptionId": str,
            "etag": str,
        },
        pk="id",
        not_null={"customerId", "service", "offerId", "offerName", "quantity", "status"},
        foreign_keys=[("customerId", "customers", "id")],
    )
    db.table("subscriptions").create_index(["customerId"])
    db.table("receivables").create(
        {
            "id": str,
            "customerId": str,
            "invoiceDate": str,
            "dueDate": str,
            "totalCharges": str,
            "paidAmount": str,
            "currencyCode": str,
            "status": str,
            "microsoftInvoiceId": str,
        },
        pk="id",
        not_null={"customerId", "invoiceDate", "dueDate", "totalCharges", "currencyCode", "status"},
        foreign_keys=[("customerId", "customers", "id")],
    )
    db.table("receivables").create_index(["customerId", "dueDate"])
    db.table("receivables").create_index(["status", "dueDate"])
    db.table("support_offers").create(
        {
            "id": str,
            "customerId": str,
            "name": str,
            "supportTypes": str,
            "services": str,
            "timeZone": str,
            "serviceHours": str,
            "holidayCalendar": str,
            "contactMethods": str,
            "pricingModel": str,
            "price": str,
            "currencyCode": str,
            "prepaidHours": str,
        },
        pk="id",
        not_null={"customerId", "name", "supportTypes", "timeZone", "serviceHours", "pricingModel"},
        foreign_keys=[("customerId", "customers", "id")],
    )
    db.table("support_offers").create_index(["customerId"], unique=True)


def m002_people(db: Database) -> None:
    """Agents with their roles, and the audit log."""
    db.table("agents").create({"login": str, "displayName": str, "email": str}, pk="login")
    db.table("agent_roles").create(
        {"login": str, "role": str},
        pk=("login", "role"),
        foreign_keys=[("login", "agents", "login")],
    )
    db.table("audit_log").create(
        {
            "id": int,
            "at": str,
            "agent": str,
            "action": str,
            "entity": str,
            "entityId": str,
            "detail": str,
        },
        pk="id",
        not_null={"at", "action"},
    )
    db.table("audit_log").create_index(["entity", "entityId"])


def m003_tickets(db: Database) -> None:
    """Tickets, their timeline, plugin findings and escalations, with the queue's indexes."""
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


def m009_microsoft(db: Database) -> None:
    """Escalations to Microsoft and what keeps them exactly-once: the durable outbox, the Microsoft messages
    already copied to a ticket, the Azure Support API's catalogue, synced service requests, sync progress."""
    for column in (
        "customerId",
        "service",
        "delivery",
        "azureSubscriptionId",
        "ticketName",
        "serviceId",
        "problemClassificationId",
        "supportTopic",
        "handoffUrl",
        "microsoftState",
        "lastPolledDate",
        "lastError",
    ):
        db.execute(f"ALTER TABLE escalations ADD COLUMN {column} TEXT")
    db.execute(
        "CREATE UNIQUE INDEX idx_escalations_ticket_name ON escalations (ticketName) WHERE ticketName IS NOT NULL"
    )
    db.execute(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            escalationId INTEGER NOT NULL REFERENCES escalations(id),
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            requestId TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            lastError TEXT,
            nextAttemptDate TEXT,
            createdBy TEXT,
            createdDate TEXT NOT NULL,
            deliveredDate TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_outbox_state ON outbox (state, id)")
    db.execute(
        "CREATE TABLE escalation_messages (escalationId INTEGER NOT NULL REFERENCES escalations(id), "
        "key TEXT NOT NULL, createdDate TEXT, PRIMARY KEY (escalationId, key))"
    )
    db.execute(
        """
        CREATE TABLE service_requests (
            id TEXT PRIMARY KEY,
            customerId TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT,
            severity TEXT,
            status TEXT,
            supportTopicName TEXT,
            productName TEXT,
            primaryContact TEXT,
            notes TEXT,
            createdDate TEXT,
            lastModifiedDate TEXT,
            lastClosedDate TEXT,
            syncedDate TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_service_requests_customer ON service_requests (customerId, createdDate)")
    db.execute(
        "CREATE TABLE support_catalog (kind TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, parent TEXT, "
        "displayName TEXT NOT NULL, fetchedDate TEXT NOT NULL, PRIMARY KEY (kind, id))"
    )
    db.execute(
        "CREATE TABLE sync_state (name TEXT PRIMARY KEY, state TEXT NOT NULL, cursor TEXT, counts TEXT, "
        "startedDate TEXT, updatedDate TEXT, lastError TEXT)"
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
            detoured = EXISTS (SELECT 1 FROM timeline d WHERE d.ticketSeq = tickets.seq AND {_DETOUR.format(row="d")})
        WHERE seq IN (SELECT DISTINCT ticketSeq FROM timeline)
        """
    )
    db.execute(
        f"""
        CREATE TRIGGER timeline_first_contact AFTER INSERT ON timeline
        WHEN NEW.kind IN ('reply', 'escalation', 'status_change')
        BEGIN
            UPDATE tickets SET replyCount = replyCount + (NEW.kind = 'reply'),
                detoured = detoured OR ({_DETOUR.format(row="NEW")})
            WHERE seq = NEW.ticketSeq;
        END
        """
    )
    for statement in rollups.TABLES + rollups.FILLS + list(rollups.TRIGGERS.values()):
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


#: A timeline event that takes a ticket off the first-contact path: waiting on someone, or an escalation.
_DETOUR = (
    "{row}.kind = 'escalation' OR ({row}.kind = 'status_change' "
    "AND {row}.toValue IN ('waiting_customer', 'waiting_microsoft'))"
)


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


def m012_billing(db: Database) -> None:
    """Billing support: SLA targets per offer, holiday calendars, time logged and charged against offers,
    invoice lines, payments, dunning actions taken, suspensions for non-payment, and the partner's own
    Microsoft invoices."""
    for column, kind in (
        ("firstResponseHours", "TEXT"),
        ("resolutionHours", "TEXT"),
        ("pauseOnMicrosoft", "INTEGER"),
        ("lowBalanceHours", "TEXT"),
    ):
        db.execute(f"ALTER TABLE support_offers ADD COLUMN {column} {kind}")
    for column in ("firstResponseBreachedDate", "resolutionBreachedDate", "slaPausedSince"):
        db.execute(f"ALTER TABLE tickets ADD COLUMN {column} TEXT")
    db.table("holidays").create(
        {"id": str, "calendar": str, "date": str, "name": str},
        pk="id",
        not_null={"calendar", "date", "name"},
    )
    db.table("holidays").create_index(["calendar", "date"], unique=True)
    db.execute(
        """
        CREATE TABLE time_entries (
            id INTEGER PRIMARY KEY,
            ticketSeq INTEGER NOT NULL REFERENCES tickets(seq),
            customerId TEXT NOT NULL REFERENCES customers(id),
            offerId TEXT,
            agent TEXT NOT NULL,
            minutes INTEGER NOT NULL CHECK (minutes > 0),
            note TEXT,
            workDate TEXT NOT NULL,
            createdDate TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_time_entries_ticket ON time_entries (ticketSeq)")
    db.execute("CREATE INDEX idx_time_entries_offer ON time_entries (offerId)")
    db.execute(
        """
        CREATE TABLE support_charges (
            id INTEGER PRIMARY KEY,
            offerId TEXT NOT NULL,
            customerId TEXT NOT NULL REFERENCES customers(id),
            ticketSeq INTEGER REFERENCES tickets(seq),
            timeEntryId INTEGER REFERENCES time_entries(id),
            kind TEXT NOT NULL,
            hours TEXT NOT NULL DEFAULT '0',
            amount TEXT NOT NULL DEFAULT '0',
            currencyCode TEXT,
            createdDate TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_support_charges_offer ON support_charges (offerId, kind)")
    db.execute(
        "CREATE UNIQUE INDEX idx_support_charges_incident ON support_charges (offerId, ticketSeq) "
        "WHERE kind = 'incident'"
    )
    db.table("receivable_lines").create(
        {
            "id": str,
            "receivableId": str,
            "customerId": str,
            "subscriptionId": str,
            "description": str,
            "chargeType": str,
            "quantity": str,
            "unitPrice": str,
            "amount": str,
            "periodStart": str,
            "periodEnd": str,
            "termStart": str,
            "termEnd": str,
        },
        pk="id",
        not_null={"receivableId", "customerId", "description", "chargeType", "amount"},
        foreign_keys=[("receivableId", "receivables", "id"), ("customerId", "customers", "id")],
    )
    db.table("receivable_lines").create_index(["receivableId"])
    db.execute(
        """
        CREATE TABLE payments (
            id INTEGER PRIMARY KEY,
            customerId TEXT NOT NULL REFERENCES customers(id),
            receivableId TEXT NOT NULL REFERENCES receivables(id),
            amount TEXT NOT NULL,
            currencyCode TEXT NOT NULL,
            paidDate TEXT NOT NULL,
            recordedBy TEXT NOT NULL,
            recordedDate TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_payments_customer ON payments (customerId, paidDate)")
    db.execute(
        """
        CREATE TABLE dunning_actions (
            id INTEGER PRIMARY KEY,
            customerId TEXT NOT NULL REFERENCES customers(id),
            receivableId TEXT NOT NULL,
            stage TEXT NOT NULL,
            action TEXT NOT NULL,
            actedDate TEXT NOT NULL,
            agent TEXT NOT NULL,
            detail TEXT,
            UNIQUE (customerId, receivableId, stage)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE suspensions (
            id INTEGER PRIMARY KEY,
            customerId TEXT NOT NULL REFERENCES customers(id),
            reason TEXT NOT NULL,
            state TEXT NOT NULL,
            startedDate TEXT NOT NULL,
            startedBy TEXT NOT NULL,
            suspendedDate TEXT,
            reactivationStartedDate TEXT,
            reactivatedBy TEXT,
            reactivatedDate TEXT,
            lastError TEXT
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX idx_suspensions_live ON suspensions (customerId) WHERE state != 'reactivated'")
    db.execute(
        """
        CREATE TABLE suspension_items (
            suspensionId INTEGER NOT NULL REFERENCES suspensions(id),
            subscriptionId TEXT NOT NULL,
            position INTEGER NOT NULL,
            offerName TEXT NOT NULL,
            parentSubscriptionId TEXT,
            commerceType TEXT,
            priorStatus TEXT NOT NULL,
            priorAutoRenew INTEGER,
            state TEXT NOT NULL,
            error TEXT,
            updatedDate TEXT NOT NULL,
            PRIMARY KEY (suspensionId, subscriptionId)
        )
        """
    )
    db.table("partner_invoices").create(
        {
            "id": str,
            "invoiceDate": str,
            "billingPeriodStartDate": str,
            "billingPeriodEndDate": str,
            "totalCharges": str,
            "paidAmount": str,
            "currencyCode": str,
            "invoiceType": str,
            "documentType": str,
            "dueDate": str,
            "syncedDate": str,
        },
        pk="id",
        not_null={"invoiceDate", "totalCharges", "currencyCode", "dueDate"},
    )
    db.table("partner_invoices").create_index(["dueDate"])
    db.table("receivables").create_index(["microsoftInvoiceId"])
    # Tickets already open kept wall-clock due times: the console recomputes them in business hours once.
    if db.execute("SELECT 1 FROM tickets WHERE isOpen = 1 LIMIT 1").fetchone():
        db.execute("INSERT INTO sync_state (name, state) VALUES ('sla_clocks', 'pending')")


def m013_open_search(db: Database) -> None:
    """A full-text index of open tickets only, for searches in the open views (see store/open_search.py)."""
    from console.store import open_search

    db.execute(open_search.CREATE)
    db.execute(open_search.COPY)
    for statement in open_search.TRIGGERS.values():
        db.execute(statement)


def m014_azure_entitlements(db: Database) -> None:
    """The Azure subscriptions of each Azure plan: Partner Center's azureEntitlements (``subscriptionId`` is the
    Azure subscription id that Azure Support cases are filed under; the plan's own id is not one)."""
    db.execute(
        """
        CREATE TABLE azure_entitlements (
            id TEXT PRIMARY KEY,
            customerId TEXT NOT NULL,
            planSubscriptionId TEXT NOT NULL,
            azureSubscriptionId TEXT NOT NULL,
            friendlyName TEXT,
            status TEXT,
            syncedDate TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_azure_entitlements_customer ON azure_entitlements (customerId)")
    db.execute("CREATE INDEX idx_azure_entitlements_plan ON azure_entitlements (planSubscriptionId)")


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


def m016_suspension_intents(db: Database) -> None:
    """What a suspension meant to do and saw, per subscription, before each PATCH (see console/billing/suspension.py):
    the intent and the ``MS-RequestId`` of the PATCH, the subscription as Partner Center had it just before
    (``readJson``), the answer to our own suspension (``suspendedJson``, to recognise it later) and a note for a
    person (already suspended by someone else, blocked, changed since)."""
    for column in ("intent", "intentDate", "requestId", "readJson", "readDate", "suspendedJson", "note"):
        db.execute(f"ALTER TABLE suspension_items ADD COLUMN {column} TEXT")


def m017_partner_center_values(db: Database) -> None:
    """Partner Center's values as Microsoft sends them.

    - ``billingCycle``: the wire value is ``one_time`` (SDK EnumJsonConverter); ``oneTime`` was ours.
    - ``subscriptions.refundableDetails``: ``refundableQuantity.details`` (seats refundable until when); the
      total stays in ``refundableQuantity``.
    - ``partner_invoices.amendments``: the invoice's credit notes and adjustment notes (``amendments[]``).
    - ``partner_invoices.paidAmount`` in Microsoft's sign: negative when a payment was received (REST docs,
      invoice resources; SDK Invoices/Invoice.cs). Rows written before this migration held a payment as a
      positive amount (the demo and our old sandbox wrote it so; the arithmetic subtracted it), so a positive
      amount is turned into the negative one it meant. A row that came from Partner Center itself is
      rewritten as Microsoft has it by the next ``csp-console sync``.
    """
    db.execute("UPDATE subscriptions SET billingCycle = 'one_time' WHERE billingCycle = 'oneTime'")
    db.execute("ALTER TABLE subscriptions ADD COLUMN refundableDetails TEXT")
    db.execute("ALTER TABLE partner_invoices ADD COLUMN amendments TEXT")
    rows = db.execute("SELECT id, paidAmount FROM partner_invoices").fetchall()
    for invoice_id, paid in rows:
        try:
            amount = Decimal(paid or "0")
        except InvalidOperation:
            continue
        if amount > 0:
            db.execute("UPDATE partner_invoices SET paidAmount = ? WHERE id = ?", (str(-amount), invoice_id))


def m018_gdap(db: Database) -> None:
    """The partner's GDAP relationships per customer tenant (Microsoft Graph delegatedAdminRelationship) and
    the Entra roles each grants and each access assignment gives the partner's security groups."""
    db.execute(
        """
        CREATE TABLE gdap_relationships (
            id TEXT PRIMARY KEY,
            customerTenantId TEXT NOT NULL,
            customerName TEXT,
            displayName TEXT,
            status TEXT NOT NULL,
            duration TEXT,
            autoExtendDuration TEXT,
            activatedDateTime TEXT,
            endDateTime TEXT,
            syncedDate TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_gdap_relationships_tenant ON gdap_relationships (customerTenantId)")
    db.execute(
        """
        CREATE TABLE gdap_roles (
            relationshipId TEXT NOT NULL REFERENCES gdap_relationships(id) ON DELETE CASCADE,
            roleDefinitionId TEXT NOT NULL,
            granted INTEGER NOT NULL,
            assigned INTEGER NOT NULL,
            PRIMARY KEY (relationshipId, roleDefinitionId)
        )
        """
    )


def m019_azure_case_details(db: Database) -> None:
    """What the Azure Support API says of a problem classification beyond its name (``secondaryConsentEnabled``,
    as JSON), so that a case asks for the consents its classification needs; and an index on the outbox by
    escalation and state."""
    db.execute("ALTER TABLE support_catalog ADD COLUMN details TEXT")
    db.execute("CREATE INDEX idx_outbox_escalation ON outbox (escalationId, state)")


MIGRATIONS: list[Migration] = [
    m001_accounts,
    m002_people,
    m003_tickets,
    m004_ticket_search,
    m005_plugin_data,
    m006_saved_views,
    m007_open_sort_indexes,
    m008_claims_and_audit,
    m009_microsoft,
    m010_queue_health,
    m011_search_prefixes,
    m012_billing,
    m013_open_search,
    m014_azure_entitlements,
    m015_leases,
    m016_suspension_intents,
    m017_partner_center_values,
    m018_gdap,
    m019_azure_case_details,
]


def _ensure_table(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, appliedAt TEXT NOT NULL)"
    )


def current_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied to this workspace (0 for an empty file)."""
    _ensure_table(conn)
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def migrate(conn: sqlite3.Connection, target: int | None = None) -> list[str]:
    """Apply every pending migration up to ``target`` (all by default); return the names applied.

    Each migration runs in its own write transaction together with its record in ``schema_migrations``, so a
    failing migration leaves the workspace at the previous version. The version is read again inside that
    transaction (``BEGIN IMMEDIATE``: the write lock), never before it: of several processes opening an
    outdated workspace at once, one applies each migration while the others wait on the busy timeout, then
    find it recorded and go on to the next (or find nothing left to do).
    """
    target = len(MIGRATIONS) if target is None else target
    applied: list[str] = []
    version = current_version(conn)  # a first look without the lock: an up-to-date workspace takes none
    _refuse_newer(version)
    if version >= target:
        return applied
    from sqlite_utils import Database  # only when there is something to migrate (its import takes 0.1 s)

    db = Database(conn)
    while True:
        with transaction(conn):
            version = _locked_version(conn)
            _refuse_newer(version)
            if version >= target:
                return applied
            migration = MIGRATIONS[version]
            migration(db)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, appliedAt) VALUES (?, ?, ?)",
                (version + 1, migration.__name__, to_iso(utcnow())),
            )
        applied.append(migration.__name__)


def _locked_version(conn: sqlite3.Connection) -> int:
    """The schema version as the transaction holding the write lock sees it."""
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def _refuse_newer(version: int) -> None:
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"the workspace is at schema version {version}, newer than this console "
            f"({len(MIGRATIONS)}): upgrade csp-triage-console"
        )
