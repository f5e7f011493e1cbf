"""Microsoft 365 checks, with the numbers of Microsoft's licensing rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from console.plugin_api import (
    Audience,
    Boundary,
    CheckContext,
    Family,
    Finding,
    Level,
    best_technical_vehicle,
    lifecycle_findings,
    nce_window_findings,
)

SERVICE = "office365"
TRIAL_DAYS = 30
TRIAL_WARN_DAYS = 7
SEAT_CAP = 300
SEAT_CAP_NEAR = 270
OPPORTUNITY_SEATS = 250
OVERAGE_GRACE_DAYS = 90
BUSINESS_FAMILY = ("business basic", "business standard", "business premium", "apps for business")
OUTAGE_WORDS = ("outage", "down", "stopped", "all users", "whole tenant", "全社", "停止", "届かない")


def nce_window(ctx: CheckContext) -> list[Finding]:
    return nce_window_findings(ctx, SERVICE, "office365.nce_window")


def lifecycle(ctx: CheckContext) -> list[Finding]:
    return lifecycle_findings(ctx, SERVICE, "office365.lifecycle")


def _days_to_conversion(ctx: CheckContext, created: datetime) -> float:
    return (created + timedelta(days=TRIAL_DAYS) - ctx.now).total_seconds() / 86400


def trial_conversion(ctx: CheckContext) -> Iterator[Finding]:
    for sub in ctx.subscriptions_of(SERVICE):
        if not sub.is_trial or sub.status != "active":
            continue
        days = _days_to_conversion(ctx, sub.created)
        if days <= 0:
            continue
        whole = int(days) if days >= 1 else 0
        if sub.auto_renew:
            yield Finding(
                check_id="office365.trial",
                family=Family.SUBSCRIPTION,
                level=Level.WARNING if days <= TRIAL_WARN_DAYS else Level.INFO,
                title=f"Trial of {sub.offer_name} converts to paid in {whole} days",
                explanation=(
                    "New-commerce trials (25 licences, 30 days, one per offer) convert to a paid subscription at "
                    "day 30 "
                    "unless auto-renew is switched off."
                ),
                action="Ask the customer to decide; switch auto-renew off if they do not want to pay.",
                subject=sub.id,
            )
        else:
            yield Finding(
                check_id="office365.trial",
                family=Family.SUBSCRIPTION,
                level=Level.INFO,
                title=f"Trial of {sub.offer_name} ends in {whole} days (auto-renew off)",
                explanation="The trial ends at day 30 without converting; users lose access to its features.",
                action="Confirm the customer does not need it, or buy the paid plan before it ends.",
                subject=sub.id,
            )


def _business_seats(ctx: CheckContext) -> int:
    return sum(
        s.quantity
        for s in ctx.subscriptions_of(SERVICE)
        if s.status in ("active", "pending") and any(f in s.offer_name.casefold() for f in BUSINESS_FAMILY)
    )


def business_seat_cap(ctx: CheckContext) -> Iterator[Finding]:
    seats = _business_seats(ctx)
    if seats > SEAT_CAP:
        yield Finding(
            check_id="office365.seat_cap",
            family=Family.SUBSCRIPTION,
            level=Level.CRITICAL,
            title=f"Business plans over the 300-seat cap: {seats} seats",
            explanation=(
                "Business Basic, Standard, Premium and Apps for business allow at most 300 seats per tenant across "
                "the family; more cannot be purchased."
            ),
            action="Move users above the cap to an Enterprise plan (E3/E5).",
        )
    elif seats >= SEAT_CAP_NEAR:
        yield Finding(
            check_id="office365.seat_cap",
            family=Family.SUBSCRIPTION,
            level=Level.WARNING,
            title=f"Business plans near the 300-seat cap: {seats} seats ({SEAT_CAP - seats} left)",
            explanation="Business Basic, Standard, Premium and Apps for business allow at most 300 seats per tenant.",
            action="Plan the move to an Enterprise plan before the cap blocks new users.",
        )


def over_assigned(ctx: CheckContext) -> Iterator[Finding]:
    for sub in ctx.subscriptions_of(SERVICE):
        extra = sub.assigned_seats - sub.quantity
        if extra > 0 and sub.status == "active":
            yield Finding(
                check_id="office365.over_assigned",
                family=Family.SUBSCRIPTION,
                level=Level.WARNING,
                title=f"{sub.offer_name}: {extra} more licences assigned than purchased",
                explanation=(
                    f"{sub.assigned_seats} assigned, {sub.quantity} purchased. Admins have {OVERAGE_GRACE_DAYS} days "
                    "to fix an overage before the extra users lose access."
                ),
                action=f"Buy {extra} more seats (a seat addition opens a new 7-day window) or unassign licences.",
                subject=sub.id,
            )


def addon_on_suspended_base(ctx: CheckContext) -> Iterator[Finding]:
    subs = {s.id: s for s in ctx.subscriptions_of(SERVICE)}
    for sub in subs.values():
        base = subs.get(sub.parent_id or "")
        if base is None or base.status == "active":
            continue
        yield Finding(
            check_id="office365.addons",
            family=Family.SUBSCRIPTION,
            level=Level.WARNING if sub.status != "active" else Level.CRITICAL,
            title=f"Add-on {sub.offer_name} sits on a {base.status} base ({base.offer_name})",
            explanation="Add-ons need an active base subscription; suspending the base suspends its add-ons.",
            action="Reactivate the base subscription to restore the add-on.",
            subject=sub.id,
        )


def suspended_still_billing(ctx: CheckContext) -> Iterator[Finding]:
    for sub in ctx.subscriptions_of(SERVICE):
        if sub.status != "suspended":
            continue
        if sub.nce:
            yield Finding(
                check_id="office365.suspended_billing",
                family=Family.BILLING,
                level=Level.WARNING,
                title=f"{sub.offer_name} is suspended but still billing the partner",
                explanation=(
                    "A suspended new-commerce subscription keeps billing the partner for the rest of the term, and "
                    "suspension switched auto-renew off."
                ),
                action=(
                    "Bill the customer for the term, or cancel at renewal; switch auto-renew back on if reactivated."
                ),
                subject=sub.id,
            )
        else:
            yield Finding(
                check_id="office365.suspended_billing",
                family=Family.BILLING,
                level=Level.WARNING,
                title=f"{sub.offer_name} (legacy) is suspended",
                explanation=(
                    "Legacy suspension: data is deleted unless the subscription is reactivated within 90 days "
                    "(up to 120)."
                ),
                action="Reactivate within 90 days if the customer needs the data.",
                subject=sub.id,
            )


def technical(ctx: CheckContext) -> Iterator[Finding]:
    ticket = ctx.ticket
    if ticket is None or ticket.category != "technical":
        return
    text = f"{ticket.title}\n{ticket.body}".casefold()
    outage = ticket.severity == "critical" or any(w in text for w in OUTAGE_WORDS)
    yield Finding(
        check_id="office365.technical",
        family=Family.TECHNICAL,
        level=Level.INFO,
        title="Check Microsoft 365 service health first",
        explanation=(
            "Inside the baseline support boundary: check the service health dashboard, then troubleshoot settings "
            "and configuration with admin privileges (on behalf of the customer)."
        ),
        action="Look for an active incident or advisory for the affected workload.",
    )
    if outage:
        vehicle = best_technical_vehicle(ctx.partner, SERVICE)
        via = f"through {vehicle.value}" if vehicle else "(no technical support vehicle in the partner profile)"
        yield Finding(
            check_id="office365.technical",
            family=Family.TECHNICAL,
            level=Level.CRITICAL,
            title="Service outage suspected: escalate to Microsoft if service health shows no incident",
            explanation=(
                "Service unavailability and problems where the service does not work as described go to Microsoft. "
                "Microsoft 365 cases are opened in the Microsoft 365 admin center."
            ),
            action=f"Escalate as Sev A {via} with the message trace and affected users.",
            boundary=Boundary.ESCALATE,
            vehicle=vehicle,
        )


def opportunities(ctx: CheckContext) -> Iterator[Finding]:
    seats = _business_seats(ctx)
    if seats >= OPPORTUNITY_SEATS:
        yield Finding(
            check_id="office365.opportunities",
            family=Family.SUBSCRIPTION,
            level=Level.INFO,
            title=f"{seats} Business seats: propose an Enterprise plan",
            explanation=(
                "The Business family stops at 300 seats per tenant; Enterprise plans (E3/E5) have no cap and add "
                "compliance and security features."
            ),
            action="Sales: schedule a licensing review.",
            audience=Audience.SALES,
        )
    for sub in ctx.subscriptions_of(SERVICE):
        if sub.status == "active" and sub.nce and sub.term == "P1M" and not sub.is_trial:
            yield Finding(
                check_id="office365.opportunities",
                family=Family.SUBSCRIPTION,
                level=Level.INFO,
                title=f"{sub.offer_name} on a monthly term: an annual term costs 20 % less",
                explanation=(
                    "A monthly new-commerce term costs 20 % more than an annual one; mid-term the customer may move to "
                    "a longer term."
                ),
                action=f"Sales: offer the annual term for {sub.quantity} seats.",
                audience=Audience.SALES,
                subject=sub.id,
            )
        if sub.is_trial and sub.status == "active" and 0 < _days_to_conversion(ctx, sub.created) <= TRIAL_WARN_DAYS:
            yield Finding(
                check_id="office365.opportunities",
                family=Family.SUBSCRIPTION,
                level=Level.INFO,
                title=f"Trial of {sub.offer_name} ends within a week",
                explanation="A trial near its end is the moment to confirm the paid plan and the right seat count.",
                action="Sales: call the customer about the paid plan.",
                audience=Audience.SALES,
                subject=sub.id,
            )
