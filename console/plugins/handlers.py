"""The standard escalation handlers: Commercial support for billing and subscription questions, the technical
vehicles for technical problems, each building the case from the ticket and the partner's diagnostics.

Part of the public plugin API: plugins import :func:`standard_handlers` from :mod:`console.plugin_api`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from console.plugins.findings import Finding
from console.plugins.vehicles import (
    DELIVERY_AZURE_API,
    DELIVERY_HANDOFF,
    HANDOFF_URLS,
    CaseDraft,
    Eligibility,
    EscalationHandler,
    case_description,
    technical_vehicles,
)
from console.plugins.views import CheckContext, TicketView
from console.shared.model import Severity, Vehicle


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

    def build(vehicle: Vehicle) -> Callable[[CheckContext, Sequence[Finding]], CaseDraft]:
        commercial = vehicle == Vehicle.COMMERCIAL
        delivery = DELIVERY_HANDOFF if commercial else technical_delivery
        url = HANDOFF_URLS["commercial"] if commercial else (handoff_url or HANDOFF_URLS.get(service, ""))
        return _case_builder(vehicle, service, service_name, topics, delivery, url, service_hints)

    handlers = [
        EscalationHandler(
            vehicle=Vehicle.COMMERCIAL, service=service, eligibility=_commercial, build_case=build(Vehicle.COMMERCIAL)
        )
    ]
    handlers += [
        EscalationHandler(vehicle=v, service=service, eligibility=_technical(service, v), build_case=build(v))
        for v in (Vehicle.PREMIER, Vehicle.ADVANCED, Vehicle.SIGNATURE)
    ]
    return handlers


def _commercial(ctx: CheckContext) -> Eligibility:
    if ctx.ticket is not None and ctx.ticket.category == "technical":
        return Eligibility(
            eligible=False,
            reason="Commercial support covers billing, licensing and subscriptions, not technical problems",
        )
    return Eligibility(
        eligible=True, reason="every CSP partner has Commercial support (billing, licensing, subscriptions)"
    )


def _technical(service: str, vehicle: Vehicle) -> Callable[[CheckContext], Eligibility]:
    def check(ctx: CheckContext) -> Eligibility:
        if ctx.ticket is not None and ctx.ticket.category in ("billing", "subscription"):
            return Eligibility(eligible=False, reason="billing and subscription questions go to Commercial support")
        return dict(technical_vehicles(ctx.partner, service, ctx.signature_incidents_used))[vehicle]

    return check


def _case_builder(
    vehicle: Vehicle,
    service: str,
    service_name: str,
    topics: Mapping[str, str],
    delivery: str,
    url: str,
    service_hints: Mapping[str, str] | None,
) -> Callable[[CheckContext, Sequence[Finding]], CaseDraft]:
    def case(ctx: CheckContext, findings: Sequence[Finding]) -> CaseDraft:
        ticket = ctx.ticket
        category = (ticket.category if ticket else None) or "technical"
        severity = ticket.severity if ticket and ticket.severity != Severity.UNKNOWN else Severity.MINIMAL
        title = " ".join((ticket.title if ticket else "Request").split())[:180]
        return CaseDraft(
            vehicle=vehicle,
            service=service,
            title=f"{service_name}: {title}",
            description=case_description(ctx, findings),
            severity=severity,
            support_topic=topics.get(category, topics.get("technical", service_name)),
            delivery=delivery,
            handoff_url=url.format(customer_id=ctx.customer.id, tenant_domain=ctx.customer.domain),
            service_hint=_service_hint(ticket, service_hints or {}),
            azure_subscription_id=_azure_subscription(ctx, service) if delivery == DELIVERY_AZURE_API else None,
        )

    return case


def _service_hint(ticket: TicketView | None, service_hints: Mapping[str, str]) -> str:
    """The support service name the ticket's words point to, a word of the title before one of the body (the
    title says what it is about; a body mentions much else): "" when none does."""
    if ticket is None:
        return ""
    for text in (ticket.title.casefold(), (ticket.body or "").casefold()):
        found = next((name for word, name in service_hints.items() if _has_word(text, word.casefold())), "")
        if found:
            return found
    return ""


def _has_word(text: str, word: str) -> bool:
    """``word`` (or its plural) as a word of ``text``, not inside another ("vm" is not in "vmware"); a Japanese
    term anywhere (Japanese has no spaces between words)."""
    if not word.isascii():
        return word in text
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?:e?s)?(?![a-z0-9])", text) is not None


def _azure_subscription(ctx: CheckContext, service: str) -> str | None:
    """The Azure subscription id of the customer's first active top-level subscription of ``service``."""
    return next(
        (
            str(s.details["azureSubscriptionId"])
            for s in ctx.subscriptions_of(service)
            if s.status == "active" and s.parent_id is None and s.details.get("azureSubscriptionId")
        ),
        None,
    )
