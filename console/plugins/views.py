"""What a check may read: read-only views of the ticket, customer, subscriptions, receivables and support
offer, the services plugins declare, and the :class:`CheckContext` and :class:`Check` built from them.

Part of the public plugin API: plugins import these names from :mod:`console.plugin_api`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from console.plugins.findings import Family, Finding
from console.settings.config import Partner
from console.shared.clock import parse_iso
from console.shared.model import Severity


@dataclass(frozen=True, kw_only=True)
class Service:
    """An online service a plugin supports.

    ``offer_ids`` are Partner Center offer id prefixes (``CFQ7TTC0LH18``); ``offer_keywords`` and
    ``ticket_keywords`` are matched case-insensitively against offer names and ticket text.
    """

    id: str
    name: str
    offer_ids: tuple[str, ...] = ()
    offer_keywords: tuple[str, ...] = ()
    ticket_keywords: tuple[str, ...] = ()

    def owns_offer(self, offer_id: str, offer_name: str) -> bool:
        name = offer_name.casefold()
        return any(offer_id.startswith(prefix) for prefix in self.offer_ids) or any(
            k.casefold() in name for k in self.offer_keywords
        )

    def ticket_score(self, text: str) -> int:
        """How many of the service's ticket keywords occur in ``text`` (already normalised)."""
        return sum(1 for k in self.ticket_keywords if k.casefold() in text)


def _dt(value: str | None) -> datetime | None:
    return parse_iso(value) if value else None


class _Pickled:
    """Pickling of a view whose mapping fields may be read-only proxies (which do not pickle): as plain dicts,
    read-only again once unpickled. Checks run in their own process (:mod:`console.plugins.worker`), so every
    view a :class:`CheckContext` holds pickles."""

    _mappings: tuple[str, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in self._mappings:
            state[name] = dict(state[name])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in self._mappings:
            self.__dict__[name] = MappingProxyType(dict(state[name]))


@dataclass(frozen=True, kw_only=True)
class TicketView(_Pickled):
    id: str
    customer_id: str
    channel: str
    service: str | None
    category: str | None
    severity: Severity
    status: str
    assignee: str | None
    created: datetime
    first_response: datetime | None
    title: str
    body: str
    contact_name: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    """The values of plugins' intake fields (:class:`~console.plugins.reach.IntakeField`), by field id."""
    _mappings = ("fields",)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], fields: Mapping[str, str] | None = None) -> TicketView:
        return cls(
            id=row["id"],
            customer_id=row["customerId"],
            channel=row["channel"],
            service=row["service"],
            category=row["category"],
            severity=Severity(row["severity"]),
            status=row["status"],
            assignee=row["assignee"],
            created=parse_iso(row["createdDate"]),
            first_response=_dt(row["firstResponseDate"]),
            title=row["title"],
            body=row["body"],
            contact_name=row.get("contactName"),
            fields=MappingProxyType(dict(fields or {})),
        )


@dataclass(frozen=True, kw_only=True)
class CustomerView:
    id: str
    company_name: str
    domain: str
    indirect: bool
    culture: str | None = None
    country: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> CustomerView:
        return cls(
            id=row["id"],
            company_name=row["companyName"],
            domain=row["domain"],
            indirect=row["associatedPartnerId"] is not None,
            culture=row.get("culture"),
            country=row.get("country"),
        )


@dataclass(frozen=True, kw_only=True)
class SubscriptionView(_Pickled):
    """A subscription with Partner Center's fields; ``details`` holds service-specific data (for Azure:
    ``budget``, ``monthToDateCost``, ``partnerAdminAccess``, ``refundedThisYear``, ``price``)."""

    id: str
    service: str
    offer_id: str
    offer_name: str
    quantity: int
    assigned_seats: int
    status: str
    auto_renew: bool
    billing_cycle: str
    term: str | None
    nce: bool
    created: datetime
    commitment_end: datetime | None
    cancellation_allowed_until: datetime | None
    is_trial: bool
    parent_id: str | None
    details: Mapping[str, Any] = field(default_factory=dict)
    #: Seats that can still be reduced with a refund, and until when: Partner Center's
    #: ``refundableQuantity.details`` as ``(quantity, allowed until)``, earliest first.
    refundable: tuple[tuple[int, datetime], ...] = ()
    _mappings = ("details",)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SubscriptionView:
        raw = row.get("details")
        details = json.loads(raw) if raw else {}
        refunds = json.loads(row.get("refundableDetails") or "[]")
        return cls(
            id=row["id"],
            service=row["service"],
            offer_id=row["offerId"],
            offer_name=row["offerName"],
            quantity=row["quantity"],
            assigned_seats=row["assignedSeats"] or 0,
            status=row["status"],
            auto_renew=bool(row["autoRenewEnabled"]),
            billing_cycle=row["billingCycle"],
            term=row["termDuration"],
            nce=row["commerceType"] != "legacy",
            created=parse_iso(row["creationDate"]),
            commitment_end=_dt(row["commitmentEndDate"]),
            cancellation_allowed_until=_dt(row["cancellationAllowedUntilDate"]),
            is_trial=bool(row["isTrial"]),
            parent_id=row["parentSubscriptionId"],
            details=MappingProxyType(details if isinstance(details, dict) else {}),
            refundable=tuple((int(r["quantity"]), parse_iso(r["allowedUntilDateTime"])) for r in refunds),
        )


@dataclass(frozen=True, kw_only=True)
class ReceivableView:
    id: str
    invoice_date: date
    due_date: date
    total: Decimal
    paid: Decimal
    currency: str
    status: str

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.paid

    def days_overdue(self, today: date) -> int:
        """Days past the due date (0 or less: not yet due); 0 when nothing is outstanding."""
        if self.status in ("paid", "written_off") or self.outstanding <= 0:
            return 0
        return (today - self.due_date).days

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ReceivableView:
        return cls(
            id=row["id"],
            invoice_date=date.fromisoformat(row["invoiceDate"]),
            due_date=date.fromisoformat(row["dueDate"]),
            total=Decimal(row["totalCharges"]),
            paid=Decimal(row["paidAmount"] or "0"),
            currency=row["currencyCode"],
            status=row["status"],
        )


@dataclass(frozen=True, kw_only=True)
class OfferView:
    """The customer's support offer: what is covered, when, how to reach the desk, and the price."""

    id: str
    name: str
    support_types: tuple[str, ...]
    services: tuple[str, ...]
    time_zone: str
    service_hours: str
    holiday_calendar: str | None
    contact_methods: tuple[str, ...]
    pricing_model: str
    price: Decimal | None
    currency: str | None
    prepaid_hours: Decimal | None
    holidays: frozenset[date] = frozenset()
    """The days of the offer's holiday calendar (no service hours on them)."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any], holidays: Iterable[date] = ()) -> OfferView:
        return cls(
            id=row["id"],
            name=row["name"],
            support_types=tuple(json.loads(row["supportTypes"])),
            services=tuple(json.loads(row["services"] or "[]")),
            time_zone=row["timeZone"],
            service_hours=row["serviceHours"],
            holiday_calendar=row["holidayCalendar"],
            contact_methods=tuple(json.loads(row["contactMethods"] or "[]")),
            pricing_model=row["pricingModel"],
            price=Decimal(row["price"]) if row["price"] else None,
            currency=row["currencyCode"],
            prepaid_hours=Decimal(row["prepaidHours"]) if row["prepaidHours"] else None,
            holidays=frozenset(holidays),
        )


DUNNING_STAGES: tuple[tuple[int, str], ...] = (
    (1, "reminder"),
    (15, "second_notice"),
    (30, "final_notice"),
    (45, "access_warning"),
    (60, "suspension"),
    (90, "collections"),
)
"""Default collections policy: the dunning stage reached after so many days overdue."""


@dataclass(frozen=True, kw_only=True)
class CheckContext:
    """Everything a check may read. ``ticket`` is ``None`` for account-level checks (opportunities)."""

    customer: CustomerView
    subscriptions: tuple[SubscriptionView, ...]
    receivables: tuple[ReceivableView, ...]
    offer: OfferView | None
    partner: Partner
    now: datetime
    ticket: TicketView | None = None
    services: tuple[Service, ...] = ()
    signature_incidents_used: int = 0
    """Signature Cloud Support incidents the partner opened in the last 365 days (all customers)."""
    dunning_stages: tuple[tuple[int, str], ...] = DUNNING_STAGES
    """The desk's collections policy: ``(days overdue, stage name)`` in increasing days."""

    def subscriptions_of(self, service: str) -> tuple[SubscriptionView, ...]:
        return tuple(s for s in self.subscriptions if s.service == service)


@dataclass(frozen=True, kw_only=True)
class Check:
    """One check: ``run(ctx)`` returns findings.

    ``scope`` is ``"ticket"`` (run when a ticket is triaged; ``service`` limits it to that service's
    tickets, ``None`` runs for every ticket) or ``"account"`` (run per customer, e.g. opportunities).
    """

    id: str
    family: Family
    run: Callable[[CheckContext], Iterable[Finding]]
    service: str | None = None
    scope: str = "ticket"
    description: str = ""
