"""The cross-service checks."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from decimal import Decimal

from console.plugin_api import CheckContext, Family, Finding, Level, dunning_stage, money, within_service_hours

STAGE_TEXT = {
    "reminder": ("Payment reminder due", Level.INFO, "Send a friendly payment reminder."),
    "second_reminder": ("Second payment reminder due", Level.WARNING, "Send the second reminder; call the customer."),
    "second_notice": (
        "Second payment notice due",
        Level.WARNING,
        "Send the second notice and call the billing contact.",
    ),
    "final_notice": (
        "Final notice due",
        Level.WARNING,
        "Send the final notice: access is impacted at 45 days overdue.",
    ),
    "access_warning": (
        "Access will be impacted",
        Level.CRITICAL,
        "Warn the customer that subscriptions will be suspended for non-payment at 60 days.",
    ),
    "suspension": (
        "Suspension for non-payment allowed",
        Level.CRITICAL,
        "A Billing admin may suspend the subscriptions; NCE subscriptions keep billing the partner.",
    ),
    "collections": ("Debt in collections", Level.CRITICAL, "Hand the debt to collections; keep access suspended."),
}

CATEGORY_WORDS = {
    "billing": ("invoice", "billing", "charge", "payment", "refund", "price", "請求", "金額", "支払", "料金", "返金"),
    "subscription": (
        "licence",
        "license",
        "seat",
        "cancel",
        "trial",
        "renew",
        "upgrade",
        "term",
        "ライセンス",
        "解約",
        "試用",
        "更新",
        "契約",
    ),
    "technical": (
        "error",
        "outage",
        "down",
        "cannot",
        "fail",
        "slow",
        "sign in",
        "障害",
        "エラー",
        "接続",
        "できない",
        "停止",
    ),
}


def overdue_receivables(ctx: CheckContext) -> Iterator[Finding]:
    today = ctx.now.date()
    overdue = [(r.days_overdue(today), r) for r in ctx.receivables]
    overdue = [(d, r) for d, r in overdue if d > 0]
    if not overdue:
        return
    days, worst = max(overdue, key=lambda item: item[0])
    stage = dunning_stage(days, ctx.dunning_stages)
    if stage is None:
        return
    label = stage.replace("_", " ")
    title, level, action = STAGE_TEXT.get(
        stage, (f"Collections stage: {label}", Level.WARNING, f"Take the '{label}' step of the collections policy.")
    )
    total = sum((r.outstanding for _, r in overdue if r.currency == worst.currency), Decimal(0))
    yield Finding(
        check_id="common.overdue",
        family=Family.BILLING,
        level=level,
        title=f"{title}: {len(overdue)} invoice(s) overdue, oldest {days} days",
        explanation=(
            f"Invoice {worst.id} was due {worst.due_date.isoformat()} ({days} days ago); "
            f"{money(total, worst.currency)} outstanding in total. Collections stage: {stage.replace('_', ' ')}."
        ),
        action=action,
        subject=worst.id,
    )


def outside_offer(ctx: CheckContext) -> Iterator[Finding]:
    ticket, offer = ctx.ticket, ctx.offer
    if ticket is None:
        return
    if offer is None:
        yield Finding(
            check_id="common.outside_offer",
            family=Family.BILLING,
            level=Level.WARNING,
            title="No support offer on record",
            explanation="The partner must state its support offer to each customer; none is recorded for this one.",
            action="Record the customer's support offer (types, hours, contact methods, price).",
        )
        return
    if ticket.category and ticket.category not in offer.support_types:
        yield Finding(
            check_id="common.outside_offer",
            family=Family.BILLING,
            level=Level.WARNING,
            title=f"{ticket.category.title()} support is not in the offer",
            explanation=f"Offer '{offer.name}' covers {', '.join(offer.support_types)}.",
            action="Tell the customer what the offer covers; quote extra work before doing it.",
        )
    if ticket.service and offer.services and ticket.service not in offer.services:
        yield Finding(
            check_id="common.outside_offer",
            family=Family.BILLING,
            level=Level.WARNING,
            title=f"Service {ticket.service} is not covered by the offer",
            explanation=f"Offer '{offer.name}' covers {', '.join(offer.services)}.",
            action="Confirm the service, or quote support for it.",
        )
    if ticket.channel not in offer.contact_methods:
        yield Finding(
            check_id="common.outside_offer",
            family=Family.BILLING,
            level=Level.INFO,
            title=f"Contact by {ticket.channel} is not in the offer",
            explanation=f"Offer '{offer.name}' lists {', '.join(offer.contact_methods)}.",
            action="Answer, and remind the customer of the agreed contact methods.",
        )
    if not within_service_hours(offer, ticket.created):
        yield Finding(
            check_id="common.outside_offer",
            family=Family.BILLING,
            level=Level.INFO,
            title="Request arrived outside service hours",
            explanation=(
                f"Service hours are {offer.service_hours} {offer.time_zone} (customer); SLA clocks start at the next "
                "opening."
            ),
            action="No out-of-hours promise applies unless the offer includes it.",
        )


def classify(ctx: CheckContext) -> Iterator[Finding]:
    ticket = ctx.ticket
    if ticket is None or (ticket.service and ticket.category):
        return
    text = unicodedata.normalize("NFKC", f"{ticket.title}\n{ticket.body}").casefold()
    suggestions: list[str] = []
    if not ticket.service:
        scores = {s.id: s.ticket_score(text) for s in ctx.services}
        owned = {s.service for s in ctx.subscriptions if s.status == "active"}
        for service in owned:
            scores[service] = scores.get(service, 0) + (1 if len(owned) == 1 else 0)
        best = max(scores.items(), key=lambda item: (item[1], item[0]), default=None)
        if best and best[1] > 0:
            name = next((s.name for s in ctx.services if s.id == best[0]), best[0])
            suggestions.append(f"service {name} ({best[0]})")
    if not ticket.category:
        scores = {c: sum(1 for w in words if w in text) for c, words in CATEGORY_WORDS.items()}
        category, score = max(scores.items(), key=lambda item: item[1])
        if score:
            suggestions.append(f"category {category}")
    if suggestions:
        yield Finding(
            check_id="common.classify",
            family=Family.TECHNICAL,
            level=Level.INFO,
            title="Unclassified ticket: suggested " + " and ".join(suggestions),
            explanation="Suggested from the ticket's words and the customer's subscriptions.",
            action="Confirm the service and category so the right checks and SLA apply.",
        )
    else:
        yield Finding(
            check_id="common.classify",
            family=Family.TECHNICAL,
            level=Level.WARNING,
            title="Unclassified ticket",
            explanation="Neither the text nor the customer's subscriptions point to a service or category.",
            action="Ask the customer which service the request is about.",
        )
