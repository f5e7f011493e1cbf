"""Migrations 1-2 and 25: customers, subscriptions, receivables, support offers; agents and the audit log; the
customer directory."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m001_accounts(db: Database) -> None:
    """Customers, their subscriptions, the partner's receivables and support offers."""
    _m001_customers_and_subscriptions(db)
    _m001_receivables_and_offers(db)


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


def _m001_customers_and_subscriptions(db: Database) -> None:
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


def _m001_receivables_and_offers(db: Database) -> None:
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


def m025_directory(db: Database) -> None:
    """The customer directory: each customer, its billing contact and its tickets' callers, indexed by name,
    domain, email and phone (see store/directory.py); filled from what is stored."""
    from console.store import directory

    for statement in directory.CREATE:
        db.execute(statement)
    directory.refill(db.conn)
