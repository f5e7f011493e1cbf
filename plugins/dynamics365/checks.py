"""Dynamics 365 licensing and escalation checks."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from console.plugin_api import (
    Boundary,
    CheckContext,
    Family,
    Finding,
    Level,
    SubscriptionView,
    best_technical_vehicle,
    nce_window_findings,
)

SERVICE = "dynamics365"
MINIMUM_USERS = 20
DEVICES_PER_USER = Decimal("2.5")
MINIMUM_APPS = ("finance", "supply chain management", "commerce", "project operations")


def _is_attach(sub: SubscriptionView) -> bool:
    return "attach" in sub.offer_name.casefold()


def _is_base(sub: SubscriptionView) -> bool:
    name = sub.offer_name.casefold()
    return not _is_attach(sub) and "team members" not in name and "device" not in name


def nce_window(ctx: CheckContext) -> list[Finding]:
    return nce_window_findings(ctx, SERVICE, "dynamics365.nce_window")


def base_attach(ctx: CheckContext) -> Iterator[Finding]:
    active = [s for s in ctx.subscriptions_of(SERVICE) if s.status == "active"]
    base = sum(s.quantity for s in active if _is_base(s))
    attach = sum(s.quantity for s in active if _is_attach(s))
    if attach > base:
        yield Finding(
            check_id="dynamics365.base_attach",
            family=Family.SUBSCRIPTION,
            level=Level.WARNING,
            title=f"{attach} attach licences but only {base} base licences",
            explanation=(
                "Every full user needs one base licence; attach licences are sold only on top of a qualifying base "
                "licence for the same user."
            ),
            action=f"Buy {attach - base} base licences or reduce the attach licences at renewal.",
        )


def twenty_user_minimum(ctx: CheckContext) -> Iterator[Finding]:
    for sub in ctx.subscriptions_of(SERVICE):
        name = sub.offer_name.casefold()
        if sub.status != "active" or not _is_base(sub) or not any(app in name for app in MINIMUM_APPS):
            continue
        devices = Decimal(str(sub.details.get("deviceLicences", 0) or 0))
        users = Decimal(sub.quantity) + devices / DEVICES_PER_USER
        if users < MINIMUM_USERS:
            yield Finding(
                check_id="dynamics365.minimum",
                family=Family.SUBSCRIPTION,
                level=Level.WARNING,
                title=f"{sub.offer_name}: {users.normalize()} users, below the 20-user minimum",
                explanation=(
                    "Finance, Supply Chain Management, Commerce and Project Operations need at least 20 base user "
                    "licences (2.5 device licences count as one user)."
                ),
                action=(
                    f"Add {int(MINIMUM_USERS - users + Decimal('0.999'))} base licences, or the order will be refused "
                    "at renewal."
                ),
                subject=sub.id,
            )


def escalation_vehicle(ctx: CheckContext) -> Iterator[Finding]:
    ticket = ctx.ticket
    if ticket is None or ticket.category != "technical":
        return
    vehicle = best_technical_vehicle(ctx.partner, SERVICE)
    if vehicle is None:
        yield Finding(
            check_id="dynamics365.escalation",
            family=Family.TECHNICAL,
            level=Level.CRITICAL,
            title="No vehicle to escalate Dynamics 365 incidents",
            explanation=(
                "Dynamics 365 incidents on behalf of a CSP customer need Advanced Support for Partners or Premier "
                "Support for Partners; the partner profile has neither."
            ),
            action="Resolve inside the partner's boundary, or buy an ASfP contract.",
            boundary=Boundary.ESCALATE,
        )
    elif ticket.severity == "critical":
        yield Finding(
            check_id="dynamics365.escalation",
            family=Family.TECHNICAL,
            level=Level.CRITICAL,
            title="Production down: escalate the Dynamics 365 incident (Sev A)",
            explanation=(
                "Open the case in the Power Platform admin center on the customer's behalf; Dynamics 365 incidents "
                f"need ASfP or higher, and the partner has {vehicle.value}."
            ),
            action=f"Escalate through {vehicle.value} with the environment id and the error.",
            boundary=Boundary.ESCALATE,
            vehicle=vehicle,
        )
