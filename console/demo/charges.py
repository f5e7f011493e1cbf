"""The lines of a demo invoice, as a CSP partner bills its customer for Microsoft's subscriptions.

- A licence-based subscription (new commerce or legacy) is charged by seats: ``quantity`` seats at the offer's
  ``unitPrice`` for the billing period, ``amount = quantity × unitPrice``. The price list is
  ``content.PRICES_USD`` (per licence per month on an annual term; a monthly term costs 20 % more), in the
  customer's currency at the partner's rate. Billed monthly, each invoice carries the month ahead; billed
  annually, the invoice of the term's anniversary month carries the year. Trials and pending subscriptions are
  not charged; a suspended new-commerce subscription still is (it keeps billing).
- An Azure plan has no term and no seats: its line is the usage of the calendar month before the invoice,
  billed in arrears, priced in USD (Microsoft's Azure plan invoices come by the 8th).
- Seats added in the middle of a billing period are charged for the days left in it (daily proration), on the
  next invoice; seats removed within 7 days (168 hours) of being added are credited the same way. The demo
  makes such lines for the customers whose tickets ask about a prorated charge, for the offer and seats the
  ticket names (see ``console.billing.questions.prorate``, the formula the account screen checks them with).

Sources: Microsoft Learn, "New commerce license-based subscriptions" and "Azure plan" (partner-center billing).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from console.billing.questions import prorate
from console.demo import content
from console.shared import model

MONTHLY_TERM_UPLIFT = Decimal("1.2")
#: The subscription statuses that are charged (a suspended new-commerce subscription keeps billing).
_CHARGED = ("active", "suspended")
#: How many days before the invoice the seats a proration ticket asks about were added, and after how many
#: days some of them were removed again (inside the 7-day window).
ADDED_DAYS_BEFORE = 12
REMOVED_AFTER_DAYS = 3


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _round(amount: Decimal, currency: str) -> Decimal:
    places = Decimal(1) if currency in model.ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    return amount.quantize(places, rounding=ROUND_HALF_UP)


def unit_price(sub: dict[str, Any], currency: str) -> Decimal | None:
    """One seat for one billing period of ``sub`` in ``currency``; ``None``: not on the price list."""
    listed = content.PRICES_USD.get(sub["offerName"])
    if listed is None:
        return None
    price = Decimal(listed) * (MONTHLY_TERM_UPLIFT if sub["termDuration"] == "P1M" else 1)
    if sub["billingCycle"] == "annual":
        price *= 12
    return _round(price * Decimal(content.FX_FROM_USD[currency]), currency)


def _term_words(sub: dict[str, Any]) -> str:
    term = {"P1M": "monthly term", "P1Y": "1-year term", "P3Y": "3-year term"}.get(sub["termDuration"] or "", "")
    legacy = "legacy, " if sub["commerceType"] == "legacy" else ""
    cycle = {"monthly": "billed monthly", "annual": "billed annually"}.get(sub["billingCycle"], sub["billingCycle"])
    return f"{legacy}{term}, {cycle}"


def _line(receivable: dict[str, Any], n: int, sub: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{receivable['id']}-{n}",
        "receivableId": receivable["id"],
        "customerId": receivable["customerId"],
        "subscriptionId": sub["id"] if sub else None,
        "quantity": None,
        "unitPrice": None,
        "periodStart": None,
        "periodEnd": None,
        "termStart": None,
        "termEnd": None,
        **fields,
    }


def _anniversary(sub: dict[str, Any], on: date) -> date:
    """The start of ``sub``'s current yearly billing period on ``on`` (its term's start, a year at a time)."""
    start = date.fromisoformat(sub["effectiveStartDate"][:10])
    years = max(0, on.year - start.year - (1 if (on.month, on.day) < (start.month, start.day) else 0))
    return add_months(start, 12 * years)


def seat_line(receivable: dict[str, Any], n: int, sub: dict[str, Any], issued: date) -> dict[str, Any] | None:
    """The billing period's charge for ``sub``'s seats on the invoice issued ``issued`` (``None``: nothing due)."""
    currency = receivable["currencyCode"]
    unit = unit_price(sub, currency)
    if unit is None or sub["status"] not in _CHARGED or sub["isTrial"]:
        return None
    months = 12 if sub["billingCycle"] == "annual" else 1
    if months == 12 and _anniversary(sub, issued).month != issued.month:
        return None  # billed annually: only the anniversary month's invoice carries it
    seats = Decimal(sub["quantity"])
    return _line(
        receivable,
        n,
        sub,
        description=f"{sub['offerName']} ({_term_words(sub)})",
        chargeType="recurring",
        quantity=str(seats),
        unitPrice=str(unit),
        amount=str(unit * seats),
        periodStart=issued.isoformat(),
        periodEnd=(add_months(issued, months) - timedelta(days=1)).isoformat(),
    )


def usage_line(receivable: dict[str, Any], n: int, plan: dict[str, Any], issued: date) -> dict[str, Any] | None:
    """An Azure plan's usage of the calendar month before ``issued``, billed in arrears: no seats, no term."""
    if plan["status"] not in _CHARGED:
        return None
    budget = Decimal(str(_details(plan).get("budget", 5000)))
    usd = budget * receivable["usageShare"]
    currency = receivable["currencyCode"]
    end = issued.replace(day=1) - timedelta(days=1)
    return _line(
        receivable,
        n,
        plan,
        description=f"Azure plan usage, {end:%B %Y} (pay-as-you-go, billed in arrears; USD {usd:.2f})",
        chargeType="usage",
        amount=str(_round(usd * Decimal(content.FX_FROM_USD[currency]), currency)),
        periodStart=end.replace(day=1).isoformat(),
        periodEnd=end.isoformat(),
    )


def _details(sub: dict[str, Any]) -> dict[str, Any]:
    return json.loads(sub["details"]) if sub.get("details") else {}


def proration_lines(
    receivable: dict[str, Any], n: int, sub: dict[str, Any], seats: int, issued: date, credit: bool
) -> list[dict[str, Any]]:
    """``seats`` seats added to ``sub`` in the billing period before ``issued``, charged for its days left;
    with ``credit``, some of them removed again within 7 days and credited for the days left after that."""
    currency = receivable["currencyCode"]
    unit = unit_price(sub, currency)
    if unit is None:
        return []
    added = issued - timedelta(days=ADDED_DAYS_BEFORE)
    if sub["billingCycle"] == "annual":
        term_start = _anniversary(sub, added)
        term_end = add_months(term_start, 12)
    else:
        term_start, term_end = add_months(issued, -1), issued
    changes = [(added, seats, f"{seats} seats added {added.isoformat()}")]
    if credit:
        removed = max(1, seats // 2)
        when = added + timedelta(days=REMOVED_AFTER_DAYS)
        changes.append((when, -removed, f"{removed} of them removed {when.isoformat()}, within 7 days: credit"))
    out = []
    for k, (start, quantity, words) in enumerate(changes):
        amount = prorate(unit, Decimal(quantity), start, term_end, term_start, term_end, currency)
        out.append(
            _line(
                receivable,
                n + k,
                sub,
                description=f"{sub['offerName']}: {words}, prorated to {term_end.isoformat()}",
                chargeType="prorated",
                quantity=str(quantity),
                unitPrice=str(unit),
                amount=str(amount),
                periodStart=start.isoformat(),
                periodEnd=term_end.isoformat(),
                termStart=term_start.isoformat(),
                termEnd=term_end.isoformat(),
            )
        )
    return out


def invoice_lines(
    receivable: dict[str, Any],
    subscriptions: Iterable[dict[str, Any]],
    asks: dict[str, int],
    index: int,
) -> list[dict[str, Any]]:
    """The lines of one receivable of the ``index``-th customer; ``asks``: offer name -> seats that the
    customer's tickets say were added mid-period (prorated on the newest invoice only)."""
    issued = date.fromisoformat(receivable["invoiceDate"])
    out: list[dict[str, Any]] = []
    subs = list(subscriptions)
    for sub in subs:
        if sub["billingType"] == "usage":
            line = usage_line(receivable, len(out) + 1, sub, issued)
        else:
            line = seat_line(receivable, len(out) + 1, sub, issued)
        if line is not None:
            out.append(line)
    if receivable["id"].endswith("-0"):
        for k, (offer, seats) in enumerate(sorted(asks.items())):
            added_to = next((s for s in subs if s["offerName"] == offer and s["billingType"] == "license"), None)
            if added_to is not None:
                out += proration_lines(receivable, len(out) + 1, added_to, seats, issued, credit=(index + k) % 2 == 0)
    if not out:  # nothing charged this period: the partner's own support, per incident
        out.append(_support_line(receivable, issued))
    return out


def _support_line(receivable: dict[str, Any], issued: date) -> dict[str, Any]:
    currency = receivable["currencyCode"]
    unit = _round(Decimal(250) * Decimal(content.FX_FROM_USD[currency]), currency)
    return _line(
        receivable,
        1,
        None,
        description=f"Partner support, per incident, {issued:%Y-%m}",
        chargeType="one_time",
        quantity="2",
        unitPrice=str(unit),
        amount=str(unit * 2),
    )
