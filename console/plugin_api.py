"""The public plugin API: everything a service plugin imports, and nothing else of the console.

A plugin is a module (or package) with functions marked ``@hookimpl`` that implement the hooks in
:mod:`console.plugins.hookspecs`, registered under the ``csp_console`` entry-point group::

    [project.entry-points.csp_console]
    windows365 = "csp_windows365"

Checks receive a read-only :class:`CheckContext` and return :class:`Finding` objects. Escalation handlers
say whether the partner may use a vehicle for a service and build the :class:`CaseDraft` it would open.
This module never imports Textual.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pluggy

from console.settings.config import Competency, Contracts, Partner
from console.shared.clock import parse_iso
from console.shared.model import SEVERITY_LETTER, Severity, Vehicle
from console.shared.money import money
from console.sla.service_hours import DAYS, parse_service_hours

PROJECT = "csp_console"
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marker for a plugin's hook implementations: ``@hookimpl def csp_checks(): ...``."""

__all__ = [
    "DELIVERY_AZURE_API",
    "DELIVERY_HANDOFF",
    "DUNNING_STAGES",
    "HANDOFF_URLS",
    "NCE_WINDOW",
    "SIGNATURE_INCIDENTS",
    "Audience",
    "Boundary",
    "CaseDraft",
    "Check",
    "CheckContext",
    "Competency",
    "Contracts",
    "CustomerView",
    "Eligibility",
    "EscalationHandler",
    "Family",
    "Finding",
    "Level",
    "OfferView",
    "Partner",
    "ReceivableView",
    "Service",
    "Severity",
    "SubscriptionView",
    "TicketView",
    "Vehicle",
    "best_technical_vehicle",
    "case_description",
    "dunning_stage",
    "for_microsoft",
    "hookimpl",
    "lifecycle_findings",
    "lifecycle_stage",
    "money",
    "nce_window_findings",
    "nce_window_left",
    "standard_handlers",
    "technical_vehicles",
    "within_service_hours",
]


class Family(StrEnum):
    """The three families of checks."""

    BILLING = "billing"
    SUBSCRIPTION = "subscription"
    TECHNICAL = "technical"


class Level(StrEnum):
    """How much a finding matters to the agent."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Boundary(StrEnum):
    """Whether the partner resolves it (inside the baseline support boundary) or Microsoft must."""

    INSIDE = "inside"
    ESCALATE = "escalate"


class Audience(StrEnum):
    """Who a finding is for: the agent triaging, or sales (opportunities never clutter triage)."""

    AGENT = "agent"
    SALES = "sales"


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Finding:
    """What a check found.

    ``check_id`` is ``"<plugin>.<check>"``; ``subject`` names what it is about (a subscription id, an
    invoice id). ``vehicle`` is set when ``boundary`` is ``escalate`` and a vehicle is known.
    """

    check_id: str
    family: Family
    level: Level
    title: str
    explanation: str
    action: str = ""
    boundary: Boundary = Boundary.INSIDE
    vehicle: Vehicle | None = None
    audience: Audience = Audience.AGENT
    subject: str | None = None


def _dt(value: str | None) -> datetime | None:
    return parse_iso(value) if value else None


@dataclass(frozen=True)
class TicketView:
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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TicketView:
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
        )


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class SubscriptionView:
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str


DELIVERY_AZURE_API = "azure_support_api"
"""The case is created through the Azure Support API (Azure technical cases)."""
DELIVERY_HANDOFF = "handoff"
"""No create API (Microsoft 365, Dynamics 365, commercial cases since August 2020): the agent opens the case
at ``handoff_url`` with the prepared text and records Microsoft's case number."""

HANDOFF_URLS: Mapping[str, str] = MappingProxyType(
    {
        "commercial": "https://partner.microsoft.com/dashboard/v2/customers/{customer_id}/servicemanagement",
        "azure": "https://portal.azure.com/#view/Microsoft_Azure_Support/HelpAndSupportBlade",
        "office365": "https://admin.microsoft.com/Adminportal/Home#/support",
        "dynamics365": "https://admin.powerplatform.microsoft.com/support",
    }
)
"""Where a handed-off case is opened, by vehicle ``commercial`` or by service; ``{customer_id}`` and
``{tenant_domain}`` are filled in."""


@dataclass(frozen=True)
class CaseDraft:
    """The case a handler would open with Microsoft; the agent previews and edits it before submitting.

    ``delivery`` is :data:`DELIVERY_AZURE_API` or :data:`DELIVERY_HANDOFF` (then ``handoff_url`` says where).
    ``service_hint`` is matched against the Azure Support API's service names to preselect one;
    ``azure_subscription_id`` is the customer's Azure subscription the case is opened under.
    """

    vehicle: Vehicle
    service: str
    title: str
    description: str
    severity: Severity
    support_topic: str
    problem_classification: str | None = None
    delivery: str = DELIVERY_HANDOFF
    handoff_url: str = ""
    service_hint: str = ""
    azure_subscription_id: str | None = None

    @property
    def severity_letter(self) -> str:
        """Microsoft's Sev A / B / C."""
        return SEVERITY_LETTER[self.severity]


@dataclass(frozen=True)
class EscalationHandler:
    """How a plugin escalates its service's tickets through one vehicle."""

    vehicle: Vehicle
    service: str
    eligibility: Callable[[CheckContext], Eligibility]
    build_case: Callable[[CheckContext, Sequence[Finding]], CaseDraft]


# -- shared rules (numbers from Microsoft's new-commerce policy) -----------------------------------

NCE_WINDOW = timedelta(hours=168)
"""New commerce: cancel or reduce seats only within 7 days of purchase, renewal or a seat addition."""


def nce_window_left(sub: SubscriptionView, now: datetime) -> timedelta | None:
    """Time left to cancel or reduce an NCE subscription (negative: closed), or ``None`` if not NCE."""
    if not sub.nce:
        return None
    end = sub.cancellation_allowed_until or (sub.created + NCE_WINDOW)
    return end - now


def lifecycle_stage(sub: SubscriptionView, now: datetime) -> tuple[str, int] | None:
    """After a term ends without renewal: (``expired`` 30 days, users keep access) then (``disabled``
    90 days, admins only) then ``deleted``. Returns the stage and the days left in it."""
    if sub.status not in ("expired", "disabled") or sub.commitment_end is None:
        return None
    days = (now - sub.commitment_end).days
    if days < 30:
        return "expired", 30 - days
    if days < 120:
        return "disabled", 120 - days
    return "deleted", 0


SIGNATURE_INCIDENTS = {"gold": 10, "silver": 5}
"""Signature Cloud Support incidents a year for non-cloud competencies (cloud competencies: unlimited)."""


def technical_vehicles(partner: Partner, service: str, incidents_used: int = 0) -> list[tuple[Vehicle, Eligibility]]:
    """The technical vehicles, best first, with whether ``partner`` may use them for ``service``.

    Premier Support for Partners and Advanced Support for Partners come with a paid contract; Signature
    Cloud Support with a Gold or Silver competency (unlimited incidents for cloud competencies, 5 Silver /
    10 Gold for others, counted with ``incidents_used`` over the last 365 days). Dynamics 365 incidents on
    behalf of a CSP customer need ASfP or higher.
    """
    contracts = partner.contracts
    out = [
        (
            Vehicle.PREMIER,
            Eligibility(True, "Premier Support for Partners contract")
            if contracts.premier_support
            else Eligibility(False, "no Premier Support for Partners contract in the partner profile"),
        ),
        (
            Vehicle.ADVANCED,
            Eligibility(True, "Advanced Support for Partners contract")
            if contracts.advanced_support
            else Eligibility(False, "no Advanced Support for Partners contract in the partner profile"),
        ),
    ]
    if service == "dynamics365":
        out.append((Vehicle.SIGNATURE, Eligibility(False, "Dynamics 365 incidents need ASfP or PSfP")))
    elif partner.competencies:
        cloud = any(c.cloud for c in partner.competencies)
        gold = any(c.level == "gold" for c in partner.competencies)
        allowed = SIGNATURE_INCIDENTS["gold" if gold else "silver"]
        if cloud:
            out.append((Vehicle.SIGNATURE, Eligibility(True, "Signature Cloud Support (cloud competency: unlimited)")))
        elif incidents_used >= allowed:
            reason = f"all {allowed} Signature Cloud Support incidents of the last 365 days are used"
            out.append((Vehicle.SIGNATURE, Eligibility(False, reason)))
        else:
            left = f"{allowed - incidents_used} of {allowed} incidents left this year"
            out.append((Vehicle.SIGNATURE, Eligibility(True, f"Signature Cloud Support ({left})")))
    else:
        out.append((Vehicle.SIGNATURE, Eligibility(False, "no Gold or Silver competency in the partner profile")))
    return out


def best_technical_vehicle(partner: Partner, service: str) -> Vehicle | None:
    """The first technical vehicle the partner may use for ``service``, or ``None``."""
    return next((v for v, e in technical_vehicles(partner, service) if e.eligible), None)


def dunning_stage(days_overdue: int, stages: Sequence[tuple[int, str]] = DUNNING_STAGES) -> str | None:
    """The dunning stage for ``days_overdue`` days past due, or ``None`` when not overdue."""
    stage = None
    for threshold, name in stages:
        if days_overdue >= threshold:
            stage = name
    return stage


def within_service_hours(offer: OfferView, moment: datetime) -> bool:
    """Whether ``moment`` falls inside the offer's service hours, in the offer's time zone (holidays closed)."""
    local = moment.astimezone(ZoneInfo(offer.time_zone))
    if local.date() in offer.holidays:
        return False
    spans = parse_service_hours(offer.service_hours)[DAYS[local.weekday()]]
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in spans)


def for_microsoft(finding: Finding) -> bool:
    """Whether a finding belongs in a case to Microsoft: the partner's technical diagnostics for the agent.
    Billing and subscription findings (collections stage, budgets, spend, refunds, prices) and sales
    opportunities are the partner's business with its customer, never Microsoft's."""
    return finding.family == Family.TECHNICAL and finding.audience == Audience.AGENT


def case_description(ctx: CheckContext, findings: Sequence[Finding], limit: int = 4000) -> str:
    """A case description Microsoft can act on: the customer, the request, and the partner's technical
    diagnostics (only those: see :func:`for_microsoft`)."""
    findings = [f for f in findings if for_microsoft(f)]
    ticket = ctx.ticket
    lines = [
        f"CSP customer: {ctx.customer.company_name} (tenant domain {ctx.customer.domain}, id {ctx.customer.id})",
    ]
    if ticket is not None:
        lines += [
            f"Partner ticket: {ticket.id}, opened {ticket.created:%Y-%m-%d %H:%M} UTC via {ticket.channel}",
            f"Reported by: {ticket.contact_name or 'customer contact'}",
            "",
            "Problem as reported:",
            ticket.body[:limit],
        ]
    subs = [s for s in ctx.subscriptions if ticket is None or s.service == ticket.service]
    if subs:
        lines += ["", "Subscriptions:"]
        lines += [f"- {s.offer_name} ({s.id}), {s.quantity} seats, status {s.status}" for s in subs[:10]]
    if findings:
        lines += ["", "Partner diagnostics:"]
        lines += [f"- [{f.level.value}] {f.title}: {f.explanation}" for f in findings[:20]]
    return "\n".join(lines)


def standard_handlers(
    service: str,
    service_name: str,
    topics: Mapping[str, str],
    *,
    technical_delivery: str = DELIVERY_HANDOFF,
    handoff_url: str | None = None,
    service_hints: Mapping[str, str] | None = None,
) -> list[EscalationHandler]:
    """Handlers for the four vehicles, with the usual rules: Commercial support for billing and
    subscription questions (every CSP partner has it), the technical vehicles for technical problems as
    the partner's contracts and competencies allow. ``topics`` maps a ticket category to a support topic.

    Technical cases go out by ``technical_delivery``; commercial cases are always handed off (no create
    API) to Partner Center. ``handoff_url`` overrides the service's admin centre from :data:`HANDOFF_URLS`;
    ``service_hints`` maps words of the ticket to a support service name (Azure: "SQL" -> "SQL Database").
    """

    def commercial(ctx: CheckContext) -> Eligibility:
        if ctx.ticket is not None and ctx.ticket.category == "technical":
            return Eligibility(
                False, "Commercial support covers billing, licensing and subscriptions, not technical problems"
            )
        return Eligibility(True, "every CSP partner has Commercial support (billing, licensing, subscriptions)")

    def technical(vehicle: Vehicle) -> Callable[[CheckContext], Eligibility]:
        def check(ctx: CheckContext) -> Eligibility:
            if ctx.ticket is not None and ctx.ticket.category in ("billing", "subscription"):
                return Eligibility(False, "billing and subscription questions go to Commercial support")
            return dict(technical_vehicles(ctx.partner, service, ctx.signature_incidents_used))[vehicle]

        return check

    def build(vehicle: Vehicle) -> Callable[[CheckContext, Sequence[Finding]], CaseDraft]:
        def case(ctx: CheckContext, findings: Sequence[Finding]) -> CaseDraft:
            ticket = ctx.ticket
            category = (ticket.category if ticket else None) or "technical"
            severity = ticket.severity if ticket and ticket.severity != Severity.UNKNOWN else Severity.MINIMAL
            title = " ".join((ticket.title if ticket else "Request").split())[:180]
            commercial = vehicle == Vehicle.COMMERCIAL
            delivery = DELIVERY_HANDOFF if commercial else technical_delivery
            url = HANDOFF_URLS["commercial"] if commercial else (handoff_url or HANDOFF_URLS.get(service, ""))
            text = f"{ticket.title} {ticket.body}".casefold() if ticket else ""
            hint = next((name for word, name in (service_hints or {}).items() if word.casefold() in text), "")
            azure_sub = next(
                (
                    str(s.details["azureSubscriptionId"])
                    for s in ctx.subscriptions_of(service)
                    if s.status == "active" and s.parent_id is None and s.details.get("azureSubscriptionId")
                ),
                None,
            )
            return CaseDraft(
                vehicle=vehicle,
                service=service,
                title=f"{service_name}: {title}",
                description=case_description(ctx, findings),
                severity=severity,
                support_topic=topics.get(category, topics.get("technical", service_name)),
                delivery=delivery,
                handoff_url=url.format(customer_id=ctx.customer.id, tenant_domain=ctx.customer.domain),
                service_hint=hint,
                azure_subscription_id=azure_sub if delivery == DELIVERY_AZURE_API else None,
            )

        return case

    handlers = [EscalationHandler(Vehicle.COMMERCIAL, service, commercial, build(Vehicle.COMMERCIAL))]
    handlers += [
        EscalationHandler(v, service, technical(v), build(v))
        for v in (Vehicle.PREMIER, Vehicle.ADVANCED, Vehicle.SIGNATURE)
    ]
    return handlers


def nce_window_findings(ctx: CheckContext, service: str, check_id: str) -> list[Finding]:
    """The new-commerce 7-day window of each active NCE subscription of ``service``: open (hours left, a
    warning in the last 24 h) and, for subscription questions, closed (the full term is billed)."""
    out: list[Finding] = []
    asks_about_subscription = ctx.ticket is not None and ctx.ticket.category == "subscription"
    for sub in ctx.subscriptions_of(service):
        left = nce_window_left(sub, ctx.now)
        if left is None or sub.status != "active" or sub.is_trial:
            continue
        hours = int(left.total_seconds() // 3600)
        if left.total_seconds() > 0:
            out.append(
                Finding(
                    check_id,
                    Family.SUBSCRIPTION,
                    Level.WARNING if hours < 24 else Level.INFO,
                    f"{sub.offer_name}: cancellation window open, {hours} h left",
                    "New commerce allows cancelling or reducing seats within 7 days (168 h) of purchase, renewal "
                    "or a seat addition (a reduction only of the seats just added).",
                    "If the customer wants fewer seats, reduce them now in Partner Center.",
                    subject=sub.id,
                )
            )
        elif asks_about_subscription:
            days = -int(left.total_seconds() // 86400)
            end = f" (term ends {sub.commitment_end:%Y-%m-%d})" if sub.commitment_end else ""
            out.append(
                Finding(
                    check_id,
                    Family.SUBSCRIPTION,
                    Level.WARNING,
                    f"{sub.offer_name}: cancellation window closed {days} days ago",
                    "After the 7-day window the full term is billed; seats can be reduced only at renewal" + end + ".",
                    "Explain the term commitment; schedule the reduction for the renewal date (auto-renew settings).",
                    subject=sub.id,
                )
            )
    return out


def lifecycle_findings(ctx: CheckContext, service: str, check_id: str) -> list[Finding]:
    """Where expired or disabled subscriptions of ``service`` stand in the expiry lifecycle."""
    out = []
    for sub in ctx.subscriptions_of(service):
        stage = lifecycle_stage(sub, ctx.now)
        if stage is None:
            continue
        name, days_left = stage
        text = {
            "expired": "Expired: users keep access for 30 days after the term ended, then it is disabled.",
            "disabled": "Disabled: only admins have access (90 days), then the subscription and data are deleted.",
            "deleted": "Past the disabled stage: the subscription and its data are deleted.",
        }[name]
        out.append(
            Finding(
                check_id,
                Family.SUBSCRIPTION,
                Level.CRITICAL if name != "expired" else Level.WARNING,
                f"{sub.offer_name}: {name}" + (f", {days_left} days left in this stage" if days_left else ""),
                text,
                "Renew or buy a new subscription before data is lost."
                if name != "deleted"
                else "Data cannot be recovered; plan a new subscription and restore from the customer's backups.",
                subject=sub.id,
            )
        )
    return out
