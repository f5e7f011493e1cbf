"""Rules most services share, with Microsoft's numbers: the new-commerce cancellation window, the expiry
lifecycle, the dunning stage and the offer's service hours, and the findings built from them.

Part of the public plugin API: plugins import these names from :mod:`console.plugin_api`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from console.plugins.findings import Family, Finding, Level
from console.plugins.views import DUNNING_STAGES, CheckContext, OfferView, SubscriptionView
from console.sla.service_hours import DAYS, parse_service_hours

# -- shared rules (numbers from Microsoft's new-commerce policy) -----------------------------------

NCE_WINDOW = timedelta(hours=168)
"""New commerce: cancel or reduce seats only within 7 days of purchase, renewal or a seat addition."""


def nce_window_left(sub: SubscriptionView, now: datetime) -> timedelta | None:
    """Time left to cancel or reduce an NCE subscription (negative: closed), or ``None`` if not NCE or without a
    term (an Azure plan is pay-as-you-go: no seats to reduce, no term to cancel within)."""
    if not sub.nce or sub.term is None:
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
                    check_id=check_id,
                    family=Family.SUBSCRIPTION,
                    level=Level.WARNING if hours < 24 else Level.INFO,
                    title=f"{sub.offer_name}: cancellation window open, {hours} h left",
                    explanation=(
                        "New commerce allows cancelling or reducing seats within 7 days (168 h) of purchase, renewal "
                        "or a seat addition (a reduction only of the seats just added)."
                    ),
                    action="If the customer wants fewer seats, reduce them now in Partner Center.",
                    subject=sub.id,
                )
            )
        elif asks_about_subscription:
            days = -int(left.total_seconds() // 86400)
            end = f" (term ends {sub.commitment_end:%Y-%m-%d})" if sub.commitment_end else ""
            out.append(
                Finding(
                    check_id=check_id,
                    family=Family.SUBSCRIPTION,
                    level=Level.WARNING,
                    title=f"{sub.offer_name}: cancellation window closed {days} days ago",
                    explanation="After the 7-day window the full term is billed; seats can be reduced only at "
                    f"renewal{end}.",
                    action="Explain the term commitment; schedule the reduction for the renewal date "
                    "(auto-renew settings).",
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
                check_id=check_id,
                family=Family.SUBSCRIPTION,
                level=Level.CRITICAL if name != "expired" else Level.WARNING,
                title=f"{sub.offer_name}: {name}" + (f", {days_left} days left in this stage" if days_left else ""),
                explanation=text,
                action="Renew or buy a new subscription before data is lost."
                if name != "deleted"
                else "Data cannot be recovered; plan a new subscription and restore from the customer's backups.",
                subject=sub.id,
            )
        )
    return out
