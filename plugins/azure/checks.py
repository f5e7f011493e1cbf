"""Azure checks. Budget, spend, admin access and reservation data come from the subscription's
``details`` (see docs/plugins.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation

from console.plugin_api import (
    Audience,
    Boundary,
    CheckContext,
    Family,
    Finding,
    Level,
    SubscriptionView,
    best_technical_vehicle,
    money,
)

SERVICE = "azure"
BUDGET_ALERT = Decimal("0.8")
FREE_CANCEL_DAYS = 5
CANCEL_FEE = Decimal("0.12")
REFUND_CAP_USD = Decimal(50000)
INVOICE_DAY = 8
STEADY_SPEND = Decimal(1000)


def _number(details: Mapping[str, object], key: str) -> Decimal | None:
    """A finite number from a subscription's details, or ``None`` (missing or not a number)."""
    value = details.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _is_reservation(sub: SubscriptionView) -> bool:
    return "reserv" in sub.offer_name.casefold()


def spending_budget(ctx: CheckContext) -> Iterator[Finding]:
    for sub in ctx.subscriptions_of(SERVICE):
        budget, spent = _number(sub.details, "budget"), _number(sub.details, "monthToDateCost")
        if not budget or spent is None or budget <= 0:
            continue
        share = spent / budget
        if share < BUDGET_ALERT:
            continue
        currency = sub.details.get("currency", "USD")
        yield Finding(
            check_id="azure.budget",
            family=Family.BILLING,
            level=Level.CRITICAL if share >= 1 else Level.WARNING,
            title=f"Azure spend at {share:.0%} of the budget ({money(spent, currency, with_code=False)} of "
            f"{money(budget, currency)})",
            explanation="The spending budget alerts at 80 % and its data refreshes daily; it does not stop usage: the "
            "partner is billed for everything the customer consumes.",
            action=(
                "Tell the customer; agree a higher budget or reduce usage; consider reservations for steady workloads."
            ),
            subject=sub.id,
        )


def reservations(ctx: CheckContext) -> Iterator[Finding]:
    for sub in ctx.subscriptions_of(SERVICE):
        if not _is_reservation(sub) or sub.status != "active":
            continue
        age_days = (ctx.now - sub.created).total_seconds() / 86400
        price = _number(sub.details, "price")
        refunded = _number(sub.details, "refundedThisYear") or Decimal(0)
        if age_days <= FREE_CANCEL_DAYS:
            yield Finding(
                check_id="azure.reservations",
                family=Family.SUBSCRIPTION,
                level=Level.INFO,
                title=(
                    f"{sub.offer_name}: can be cancelled without fee for {FREE_CANCEL_DAYS - int(age_days)} more days"
                ),
                explanation="Reservations (1 or 3 years) can be cancelled within 5 days of purchase without the early "
                "termination fee.",
                action="If it was bought by mistake, cancel it now.",
                subject=sub.id,
            )
        else:
            fee = f" ({money(price * CANCEL_FEE, 'USD')} on a {money(price, 'USD')} reservation)" if price else ""
            yield Finding(
                check_id="azure.reservations",
                family=Family.SUBSCRIPTION,
                level=Level.WARNING,
                title=f"{sub.offer_name}: cancelling now costs a 12 % fee{fee}",
                explanation=(
                    "After 5 days a reservation refund carries a 12 % early termination fee; refunds are capped at "
                    "USD 50,000 per year."
                ),
                action="Consider an exchange instead of a refund.",
                subject=sub.id,
            )
        remaining = REFUND_CAP_USD - refunded
        if price is not None and price > remaining:
            yield Finding(
                check_id="azure.reservations",
                family=Family.SUBSCRIPTION,
                level=Level.WARNING,
                title=(
                    "Refund would exceed the 50,000.00 USD yearly cap "
                    f"({money(max(remaining, Decimal(0)), 'USD')} left)"
                ),
                explanation=f"{money(refunded, 'USD')} has been refunded this year; reservation refunds are capped at "
                "50,000.00 USD a year.",
                action="Refund only part, or wait for the next 12-month period.",
                subject=sub.id,
            )


def partner_earned_credit(ctx: CheckContext) -> Iterator[Finding]:
    for sub in ctx.subscriptions_of(SERVICE):
        if sub.details.get("partnerAdminAccess") is False and sub.status == "active":
            yield Finding(
                check_id="azure.pec",
                family=Family.BILLING,
                level=Level.WARNING,
                title="Partner earned credit lost: the partner's admin access was removed",
                explanation=(
                    "Partner earned credit needs the partner's Owner or Contributor access (admin on behalf of) all "
                    "day; the customer can remove it, and with it the credit."
                ),
                action="Ask the customer to restore the partner's admin access (AOBO / granular admin).",
                subject=sub.id,
            )


def invoice_timing(ctx: CheckContext) -> Iterator[Finding]:
    ticket = ctx.ticket
    if ticket is None or ticket.category != "billing":
        return
    pending = ctx.now.day < INVOICE_DAY
    yield Finding(
        check_id="azure.invoice_timing",
        family=Family.BILLING,
        level=Level.INFO,
        title="This month's Azure plan invoice is not out yet" if pending else "Azure plan invoice timing",
        explanation=(
            "Azure plan invoices are issued by the 8th of the month; usage is billed in arrears and priced in USD."
        ),
        action="Answer with the billing period the charge belongs to.",
    )


def retention(ctx: CheckContext) -> Iterator[Finding]:
    for sub in ctx.subscriptions_of(SERVICE):
        if sub.status in ("deleted", "disabled", "expired"):
            yield Finding(
                check_id="azure.retention",
                family=Family.SUBSCRIPTION,
                level=Level.CRITICAL if sub.status == "disabled" else Level.WARNING,
                title=f"{sub.offer_name} is {sub.status}: data kept only 30 to 90 days",
                explanation=(
                    "After an Azure subscription is cancelled, its data is kept for 30 to 90 days before deletion."
                ),
                action="Reactivate now if the customer needs the resources or their data.",
                subject=sub.id,
            )


def technical(ctx: CheckContext) -> Iterator[Finding]:
    ticket = ctx.ticket
    if ticket is None or ticket.category != "technical":
        return
    yield Finding(
        check_id="azure.technical",
        family=Family.TECHNICAL,
        level=Level.INFO,
        title="Check Azure status and Resource Health first",
        explanation="Inside the baseline support boundary: check service health for the region, then the resource's "
        "configuration with the partner's admin access.",
        action="Collect the subscription id, resource id and the time the problem started.",
    )
    if ticket.severity == "critical":
        vehicle = best_technical_vehicle(ctx.partner, SERVICE)
        yield Finding(
            check_id="azure.technical",
            family=Family.TECHNICAL,
            level=Level.CRITICAL,
            title="Production down: escalate to Microsoft (Sev A) if no known incident explains it",
            explanation=(
                "Unavailable services and regional issues go to Microsoft; Azure cases for a CSP customer are opened "
                "through the Azure Support API with the partner's auxiliary token."
            ),
            action="Escalate now with the resource id" + (f" through {vehicle.value}." if vehicle else "."),
            boundary=Boundary.ESCALATE,
            vehicle=vehicle,
        )


def opportunities(ctx: CheckContext) -> Iterator[Finding]:
    subs = ctx.subscriptions_of(SERVICE)
    if any(_is_reservation(s) and s.status == "active" for s in subs):
        return
    for sub in subs:
        spent = _number(sub.details, "monthToDateCost")
        if sub.status == "active" and spent is not None and spent >= STEADY_SPEND:
            yield Finding(
                check_id="azure.opportunities",
                family=Family.SUBSCRIPTION,
                level=Level.INFO,
                title=f"Steady Azure usage ({money(spent, 'USD')} this month) without reservations",
                explanation=(
                    "1- or 3-year reservations lower the price of steady virtual machine and database workloads."
                ),
                action="Sales: review the usage and propose reservations.",
                audience=Audience.SALES,
                subject=sub.id,
            )
