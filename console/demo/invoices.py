"""The demo's money as rows: customers' invoices at every dunning stage, their lines, and the partner's own
Microsoft invoices. Pure row building; ``workspace`` writes the rows.

Each invoice is the sum of its lines (:mod:`console.demo.charges`): licence-based subscriptions priced by seats
and offer (unit price × seats), Azure plans by usage billed in arrears, and the prorated charges and credits of
the seat changes the customer's tickets ask about."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from console.demo import content
from console.demo.accounts import Customer
from console.shared.clock import to_iso

# Days past due that put a receivable at each dunning stage (not yet due, reminder, second notice,
# final notice, access impacted, suspended, collections).
OVERDUE_DAYS = [-10, 3, 16, 32, 47, 65, 95]


def receivables(rng: random.Random, customer: Customer, now: datetime, index: int) -> Iterator[dict[str, Any]]:
    """The ``index``-th customer's last three invoices."""
    currency = content.CURRENCIES.get(customer.country, "USD")
    for month in range(3):
        # This month's invoice at a dunning stage; the two before it older, and paid.
        overdue = OVERDUE_DAYS[(index + month) % len(OVERDUE_DAYS)] if month == 0 else 5 + month * 30
        due = (now - timedelta(days=overdue)).date()
        issued = due - timedelta(days=30)
        # How much of its budget an Azure plan used in the month this invoice bills in arrears (drawn where the
        # demo once drew the invoice's total, so every later row of the demo stays as it was).
        draw = rng.randint(30, 900) if currency == "JPY" else rng.randint(20000, 900000)
        usage_share = Decimal(40 + draw % 70) / 100  # 40 % to 109 % of the budget
        yield {
            "id": f"INV-{index:05d}-{month}",
            "customerId": customer.id,
            "invoiceDate": issued.isoformat(),
            "dueDate": due.isoformat(),
            "totalCharges": None,  # the sum of the lines (settle)
            "paidAmount": None,
            "currencyCode": currency,
            "status": "disputed" if index % 11 == 5 and month == 0 else "open",
            "microsoftInvoiceId": _microsoft_invoice_id(issued),
            "usageShare": usage_share,  # not a field: what charges.usage_line bills
        }


def settle(receivable: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """The receivable's total from its lines; the older invoices paid in full, this month's unpaid."""
    total = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    receivable["totalCharges"] = str(total)
    paid = not receivable["id"].endswith("-0")
    receivable["paidAmount"] = str(total) if paid else "0"
    if paid:
        receivable["status"] = "paid"


def _microsoft_invoice_id(issued: date) -> str:
    """The partner's Microsoft invoice that a customer invoice re-bills: the one of the month it was issued."""
    return f"G{issued.year}{issued.month:02d}0417"


def partner_invoices(receivables: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The partner's own Microsoft invoices (in USD, net 60): what the customers' invoices re-bill, at cost."""
    totals: dict[str, Decimal] = {}
    for r in receivables:
        amount = Decimal(r["totalCharges"])
        usd = amount / Decimal(content.FX_FROM_USD[r["currencyCode"]])
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
