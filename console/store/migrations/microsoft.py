"""Migrations 9, 14 and 17-19: escalations' outbox, synced Microsoft data, Partner Center's values, GDAP."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m009_microsoft(db: Database) -> None:
    """Escalations to Microsoft and what keeps them exactly-once: the durable outbox, the Microsoft messages
    already copied to a ticket, the Azure Support API's catalogue, synced service requests, sync progress."""
    _m009_escalation_outbox(db)
    _m009_synced_data(db)


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


def _m009_escalation_outbox(db: Database) -> None:
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


def _m009_synced_data(db: Database) -> None:
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


def m022_escalation_status_changes(db: Database) -> None:
    """An escalation's move to ``waiting_microsoft`` is a ``status_change`` event, the one kind the SLA clocks
    read (issue 19, item 1). Until now it was an ``escalation`` event carrying the statuses, beside the case's
    own events carrying Microsoft's states; the clocks read both, and a case ``closed`` by Microsoft stopped the
    ticket's resolution clock for good. Each such event becomes a status change in its place (same moment, same
    order), its text kept on a new ``escalation`` event; the open tickets' clocks are recomputed once (the
    console does it at start in a child process, or ``csp-console sla recompute``)."""
    old = "kind = 'escalation' AND toValue = 'waiting_microsoft'"
    db.execute(
        "INSERT INTO timeline (ticketSeq, kind, author, createdDate, text) "
        f"SELECT ticketSeq, 'escalation', author, createdDate, text FROM timeline WHERE {old} ORDER BY id"
    )
    db.execute(f"DELETE FROM timeline WHERE {old} AND (fromValue IS NULL OR fromValue = 'waiting_microsoft')")
    db.execute(f"UPDATE timeline SET kind = 'status_change', text = 'escalated to Microsoft' WHERE {old}")
    escalated_open = db.execute(
        "SELECT 1 FROM tickets t WHERE t.isOpen = 1 AND EXISTS (SELECT 1 FROM escalations e WHERE e.ticketSeq = t.seq) "
        "LIMIT 1"
    ).fetchone()
    if escalated_open:
        db.execute(
            "INSERT INTO sync_state (name, state) VALUES ('sla_clocks', 'pending') "
            "ON CONFLICT (name) DO UPDATE SET state = 'pending'"
        )
