"""The demo's money as rows: customers' invoices at every dunning stage, their lines (a prorated one among
them), and the partner's own Microsoft invoices. Pure row building; ``workspace`` writes the rows."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from console.billing.questions import prorate
from console.demo import content
from console.demo.accounts import Customer
from console.shared import model
from console.shared.clock import to_iso

# Days past due that put a receivable at each dunning stage (not yet due, reminder, second notice,
# final notice, access impacted, suspended, collections).
OVERDUE_DAYS = [-10, 3, 16, 32, 47, 65, 95]

#: What a JPY amount is worth in USD in the demo, to total the partner's Microsoft invoices.
_USD_JPY = Decimal(150)


def receivables(rng: random.Random, customer: Customer, now: datetime, index: int) -> Iterator[dict[str, Any]]:
    """The ``index``-th customer's last three invoices."""
    currency = content.CURRENCIES.get(customer.country, "USD")
    for month in range(3):
        # This month's invoice at a dunning stage; the two before it older, and paid.
        overdue = OVERDUE_DAYS[(index + month) % len(OVERDUE_DAYS)] if month == 0 else 5 + month * 30
        due = (now - timedelta(days=overdue)).date()
        issued = due - timedelta(days=30)
        if currency == "JPY":
            total = Decimal(rng.randint(30, 900) * 1000)
        else:
            total = Decimal(rng.randint(20000, 900000)) / 100
        paid = total if month else Decimal(0)
        status = "paid" if paid == total else ("disputed" if index % 11 == 5 and month == 0 else "open")
        yield {
            "id": f"INV-{index:05d}-{month}",
            "customerId": customer.id,
            "invoiceDate": issued.isoformat(),
            "dueDate": due.isoformat(),
            "totalCharges": str(total),
            "paidAmount": str(paid),
            "currencyCode": currency,
            "status": status,
            "microsoftInvoiceId": _microsoft_invoice_id(issued),
        }


def _microsoft_invoice_id(issued: date) -> str:
    """The partner's Microsoft invoice that a customer invoice re-bills: the one of the month it was issued."""
    return f"G{issued.year}{issued.month:02d}0417"


def partner_invoices(receivables: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The partner's own Microsoft invoices (in USD, net 60): what the customers' invoices re-bill, at cost."""
    totals: dict[str, Decimal] = {}
    for r in receivables:
        amount = Decimal(r["totalCharges"])
        usd = amount / _USD_JPY if r["currencyCode"] == "JPY" else amount
        totals[r["microsoftInvoiceId"]] = totals.get(r["microsoftInvoiceId"], Decimal(0)) + usd * Decimal("0.85")
    out = []
    for invoice_id, total in sorted(totals.items()):
        issued = date(int(invoice_id[1:5]), int(invoice_id[5:7]), 1)
        due = issued + timedelta(days=60)
        paid = due < now.date()  # the partner pays Microsoft on time; what is not yet due is unpaid
        start = (issued - timedelta(days=1)).replace(day=1)
        out.append(
            {
                "id": invoice_id,
                "invoiceDate": issued.isoformat(),
                "billingPeriodStartDate": start.isoformat(),
                "billingPeriodEndDate": (issued - timedelta(days=1)).isoformat(),
                "totalCharges": str(total.quantize(Decimal("0.01"))),
                # Partner Center's sign: a payment received is negative (REST docs, invoice resources).
                "paidAmount": str(-total.quantize(Decimal("0.01"))) if paid else "0",
                "currencyCode": "USD",
                "invoiceType": "recurring",
                "documentType": "invoice",
                "dueDate": due.isoformat(),
                "syncedDate": to_iso(now),
            }
        )
    return out


def lines(receivable: dict[str, Any], subscriptions: list[dict[str, Any]], index: int) -> Iterator[dict[str, Any]]:
    """Invoice lines that add up to the receivable: one per licence subscription, and for some customers a
    prorated line for seats added mid-term (worked out with the proration formula)."""
    subs = [
        s for s in subscriptions if s["customerId"] == receivable["customerId"] and s["billingType"] == "license"
    ] or [s for s in subscriptions if s["customerId"] == receivable["customerId"]]
    total = Decimal(receivable["totalCharges"])
    zero = receivable["currencyCode"] in model.ZERO_DECIMAL_CURRENCIES
    out: list[dict[str, Any]] = []
    remaining = total
    issued = date.fromisoformat(receivable["invoiceDate"])
    if subs and index % 4 == 1 and receivable["id"].endswith("-0"):
        prorated, amount = _prorated_line(receivable, subs[0], issued, zero)
        if amount < total:
            out.append(prorated)
            remaining -= amount
    charged: list[dict[str, Any] | None] = [*subs] or [None]  # no subscription: one line for services
    for n, sub in enumerate(charged):
        share = (
            remaining
            if n == len(charged) - 1
            else (remaining / (len(subs) - n)).quantize(Decimal(1) if zero else Decimal("0.01"))
        )
        remaining -= share
        out.append(_recurring_line(receivable, n, sub, share, issued))
    return iter(out)


def _prorated_line(
    receivable: dict[str, Any], added_to: dict[str, Any], issued: date, zero: bool
) -> tuple[dict[str, Any], Decimal]:
    """Three seats added to ``added_to`` 20 days before the invoice, 200 days into its annual term; and the
    amount charged for them."""
    term_start = issued - timedelta(days=200)
    term_end = term_start + timedelta(days=365)
    added = Decimal(3)
    unit = Decimal(20400) if zero else Decimal("144.00")
    change = issued - timedelta(days=20)
    amount = prorate(unit, added, change, term_end, term_start, term_end, receivable["currencyCode"])
    row = {
        "id": f"{receivable['id']}-P",
        "receivableId": receivable["id"],
        "customerId": receivable["customerId"],
        "subscriptionId": added_to["id"],
        "description": f"{added_to['offerName']}: 3 seats added {change.isoformat()}",
        "chargeType": "prorated",
        "quantity": str(added),
        "unitPrice": str(unit),
        "amount": str(amount),
        "periodStart": change.isoformat(),
        "periodEnd": term_end.isoformat(),
        "termStart": term_start.isoformat(),
        "termEnd": term_end.isoformat(),
    }
    return row, amount


def _recurring_line(
    receivable: dict[str, Any], n: int, sub: dict[str, Any] | None, share: Decimal, issued: date
) -> dict[str, Any]:
    return {
        "id": f"{receivable['id']}-{n + 1}",
        "receivableId": receivable["id"],
        "customerId": receivable["customerId"],
        "subscriptionId": sub["id"] if sub else None,
        "description": f"{sub['offerName']}, {issued:%Y-%m}" if sub else f"Services, {issued:%Y-%m}",
        "chargeType": "usage" if sub and sub["billingType"] == "usage" else "recurring",
        "quantity": str(sub["quantity"]) if sub else None,
        "unitPrice": None,
        "amount": str(share),
        "periodStart": issued.isoformat(),
        "periodEnd": (issued + timedelta(days=30)).isoformat(),
        "termStart": None,
        "termEnd": None,
    }
