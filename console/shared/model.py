"""The data model: enumerations and record kinds, named as Partner Center names them.

Field names are the Partner Center API's (camelCase) so that data synced from Partner Center maps one to
one; the console's own records (tickets, timeline, findings) follow the same style.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """Partner Center ``severity`` (also accepted as the integers 0-3)."""

    CRITICAL = "critical"  # 1, Sev A
    MODERATE = "moderate"  # 2, Sev B
    MINIMAL = "minimal"  # 3, Sev C
    UNKNOWN = "unknown"  # 0


SEVERITY_FROM_INT = {0: Severity.UNKNOWN, 1: Severity.CRITICAL, 2: Severity.MODERATE, 3: Severity.MINIMAL}
#: Partner Center ServiceRequest ``status``, sometimes sent as an integer.
SERVICE_REQUEST_STATUS_FROM_INT = {0: "none", 1: "open", 2: "closed", 3: "attention_needed"}


def from_code(value: object, codes: dict[int, Any]) -> str | None:
    """A Partner Center enum that arrives as a string or as its integer (``1`` or ``"1"``) as its string."""
    if value is None:
        return None
    text = str(value).strip()
    if text.isdigit() and int(text) in codes:
        return str(codes[int(text)])
    return text


SEVERITY_LETTER = {
    Severity.CRITICAL: "A",
    Severity.MODERATE: "B",
    Severity.MINIMAL: "C",
    Severity.UNKNOWN: "-",
}
#: Severity rank for sorting: lower is more urgent.
SEVERITY_RANK = {Severity.CRITICAL: 1, Severity.MODERATE: 2, Severity.MINIMAL: 3, Severity.UNKNOWN: 4}
#: CSP-entitlement initial response, in hours.
INITIAL_RESPONSE_HOURS = {Severity.CRITICAL: 2, Severity.MODERATE: 4, Severity.MINIMAL: 8}
#: Default first-response target for a new ticket: the entitlement's, and one day when the severity is unset
#: (non-break-fix requests get up to one business day).
FIRST_RESPONSE_HOURS = {**INITIAL_RESPONSE_HOURS, Severity.UNKNOWN: 24}
#: Default resolution target, in hours.
RESOLUTION_HOURS = {Severity.CRITICAL: 24, Severity.MODERATE: 72, Severity.MINIMAL: 120, Severity.UNKNOWN: 120}

#: How a ticket was resolved.
RESOLUTION_CODES = {
    "answered": "Question answered",
    "fixed_by_partner": "Fixed by the partner",
    "fixed_by_microsoft": "Fixed by Microsoft",
    "workaround": "Workaround given",
    "duplicate": "Duplicate of another ticket",
    "no_response": "No response from the customer",
    "by_design": "Works as designed",
}


class TicketStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_MICROSOFT = "waiting_microsoft"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: A status as the console, the board and the command line say it.
STATUS_TEXT = {
    "new": "new",
    "triaged": "triaged",
    "in_progress": "in progress",
    "waiting_customer": "waiting on customer",
    "waiting_microsoft": "waiting on Microsoft",
    "resolved": "resolved",
    "closed": "closed",
}

OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.TRIAGED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_CUSTOMER,
    TicketStatus.WAITING_MICROSOFT,
)


class Category(StrEnum):
    BILLING = "billing"
    SUBSCRIPTION = "subscription"
    TECHNICAL = "technical"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    PORTAL = "portal"
    CHAT = "chat"


# Partner Center's enums as they arrive on the wire: the .NET SDK's models (Source/PartnerSdk.Models/
# Subscriptions/SubscriptionStatus.cs, Invoices/BillingType.cs, Offers/BillingCycleType.cs,
# Customers/CustomerPartnerRelationship.cs in microsoft/partner-center-sdk-for-dotNET) written by its
# EnumJsonConverter (PascalCase to lower snake_case: OneTime -> "one_time"), and the REST docs' subscription
# resources (billingType "none", "usage", "license" or "benefit"). Microsoft adds values over time: a sync keeps
# a value it does not know as it came (``console.records.kinds`` open enums), and code branching on these values
# must treat an unknown one as "none of the known ones" (never as active).


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"
    EXPIRED = "expired"
    PENDING = "pending"
    DISABLED = "disabled"
    NONE = "none"  # the SDK's initializer value (0)


class BillingType(StrEnum):
    LICENSE = "license"
    USAGE = "usage"
    NONE = "none"
    BENEFIT = "benefit"  # REST docs, subscription resources


class BillingCycle(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"
    TRIENNIAL = "triennial"
    ONE_TIME = "one_time"
    NONE = "none"
    UNKNOWN = "unknown"
    BIENNIAL = "biennial"


class TermDuration(StrEnum):
    P1M = "P1M"
    P1Y = "P1Y"
    P3Y = "P3Y"


class CommerceType(StrEnum):
    """New commerce (NCE, since 2022) or the legacy CSP offers."""

    NCE = "nce"
    LEGACY = "legacy"


class Relationship(StrEnum):
    """Partner Center ``relationshipToPartner`` (CustomerPartnerRelationship)."""

    RESELLER = "reseller"
    ADVISOR = "advisor"
    NONE = "none"
    UNKNOWN = "unknown"
    SYNDICATION = "syndication"
    MICROSOFT_SUPPORT = "microsoft_support"


#: Other spellings of a known value, read as that value: ``oneTime`` is what this console wrote before it
#: followed the wire format (old imports and workspaces); the Java SDK (microsoft/Partner-Center-Java,
#: models/customers/CustomerPartnerRelationship.java) spells MicrosoftSupport ``microsoftSupport``.
ENUM_ALIASES: dict[type[StrEnum], dict[str, str]] = {
    BillingCycle: {"oneTime": "one_time"},
    Relationship: {"microsoftSupport": "microsoft_support"},
}


class ReceivableStatus(StrEnum):
    OPEN = "open"
    PARTIAL = "partial"
    PAID = "paid"
    DISPUTED = "disputed"
    WRITTEN_OFF = "written_off"


class SupportType(StrEnum):
    BILLING = "billing"
    SUBSCRIPTION = "subscription"
    TECHNICAL = "technical"


class PricingModel(StrEnum):
    INCLUDED = "included"
    PER_INCIDENT = "per_incident"
    PREPAID_HOURS = "prepaid_hours"
    HOURLY = "hourly"


class ChargeType(StrEnum):
    """What an invoice line charges for."""

    RECURRING = "recurring"  # a full billing period of a subscription
    PRORATED = "prorated"  # part of a term, after a change mid-term (seats added, a new subscription)
    USAGE = "usage"  # consumption billed in arrears (Azure)
    ONE_TIME = "one_time"
    CREDIT = "credit"  # a refund or credit note


class TimelineKind(StrEnum):
    NOTE = "note"
    REPLY = "reply"
    STATUS_CHANGE = "status_change"
    FIELD_CHANGE = "field_change"
    ASSIGNMENT = "assignment"
    ESCALATION = "escalation"
    MICROSOFT = "microsoft"  # a message from Microsoft on an escalated case
    MAIL = "mail"  # a mail from the customer (console/mail), joined to the ticket
    CREATED = "created"


class Vehicle(StrEnum):
    """Escalation vehicles to Microsoft."""

    COMMERCIAL = "commercial"
    PREMIER = "premier"  # Premier Support for Partners
    ADVANCED = "advanced"  # Advanced Support for Partners
    SIGNATURE = "signature"  # Signature Cloud Support


VEHICLE_NAMES = {
    Vehicle.COMMERCIAL: "Commercial support",
    Vehicle.PREMIER: "Premier Support for Partners",
    Vehicle.ADVANCED: "Advanced Support for Partners",
    Vehicle.SIGNATURE: "Signature Cloud Support",
}


class Role(StrEnum):
    GLOBAL_ADMIN = "global_admin"
    USER_ADMIN = "user_admin"
    HELPDESK_AGENT = "helpdesk_agent"
    BILLING_ADMIN = "billing_admin"
    SALES_AGENT = "sales_agent"
    ADMIN_AGENT = "admin_agent"


#: The services the console ships plugins for. Plugins may add more.
BUILTIN_SERVICES: dict[str, str] = {
    "azure": "Azure",
    "office365": "Microsoft 365",
    "dynamics365": "Dynamics 365",
}

#: Currencies whose amounts have no minor unit.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK"})

TICKET_ID_RE = re.compile(r"^CSP-(\d{6,})$")


def ticket_id(seq: int) -> str:
    """The readable id of ticket number ``seq``: ``CSP-000123``."""
    return f"CSP-{seq:06d}"


def ticket_seq(readable: str) -> int | None:
    """The number inside a readable ticket id, or ``None`` when it is not one of ours."""
    m = TICKET_ID_RE.match(readable.strip().upper())
    return int(m.group(1)) if m else None


#: The severities the Azure Support API accepts for a technical support ticket.
AZURE_SEVERITIES = ("minimal", "moderate", "critical", "highestcriticalimpact")

#: The states of an escalation record (the outbox row of a case with Microsoft).
ESCALATION_STATES = ("pending", "awaiting_case_number", "open", "closed", "failed")
