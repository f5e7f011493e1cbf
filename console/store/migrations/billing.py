"""Migrations 12 and 16: SLA targets, holidays, time and charges, payments, dunning, suspensions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m012_billing(db: Database) -> None:
    """Billing support: SLA targets per offer, holiday calendars, time logged and charged against offers,
    invoice lines, payments, dunning actions taken, suspensions for non-payment, and the partner's own
    Microsoft invoices."""
    _m012_sla_holidays_and_time(db)
    _m012_invoice_lines_and_payments(db)
    _m012_dunning_and_suspensions(db)
    _m012_suspension_items_and_partner_invoices(db)


def m016_suspension_intents(db: Database) -> None:
    """What a suspension meant to do and saw, per subscription, before each PATCH (see console/billing/suspension.py):
    the intent and the ``MS-RequestId`` of the PATCH, the subscription as Partner Center had it just before
    (``readJson``), the answer to our own suspension (``suspendedJson``, to recognise it later) and a note for a
    person (already suspended by someone else, blocked, changed since)."""
    for column in ("intent", "intentDate", "requestId", "readJson", "readDate", "suspendedJson", "note"):
        db.execute(f"ALTER TABLE suspension_items ADD COLUMN {column} TEXT")


def _m012_sla_holidays_and_time(db: Database) -> None:
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


def _m012_invoice_lines_and_payments(db: Database) -> None:
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


def _m012_dunning_and_suspensions(db: Database) -> None:
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


def _m012_suspension_items_and_partner_invoices(db: Database) -> None:
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
