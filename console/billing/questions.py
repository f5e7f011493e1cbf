"""Billing questions: "why is my bill this amount?" — an invoice's lines per subscription, and for a change in
the middle of an NCE term the proration worked out.

New-commerce charges for seats added mid-term are prorated by day: the price of one seat for the whole term,
times the seats added, times the days left in the term over the days in the term::

    amount = unitPrice × quantity × (periodEnd − periodStart) / (termEnd − termStart)

rounded half-up to the currency's minor unit (none for JPY).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from console.shared.model import ZERO_DECIMAL_CURRENCIES
from console.shared.money import money


def _places(currency: str | None) -> Decimal:
    return Decimal(1) if (currency or "").upper() in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")


def prorate(
    unit_price: Decimal,
    quantity: Decimal,
    period_start: date,
    period_end: date,
    term_start: date,
    term_end: date,
    currency: str | None,
) -> Decimal:
    """The prorated charge for ``quantity`` seats from ``period_start`` to ``period_end`` of a term."""
    term_days = (term_end - term_start).days
    if term_days <= 0:
        raise ValueError("the term has no length")
    days = (period_end - period_start).days
    exact = unit_price * quantity * Decimal(days) / Decimal(term_days)
    return exact.quantize(_places(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineExplanation:
    line: Mapping[str, Any]
    text: str  # one line a person can read out to the customer
    expected: Decimal | None  # what the formula gives (prorated lines)
    matches: bool  # the invoiced amount is what the formula gives (always True for other lines)


def explain_line(line: Mapping[str, Any], currency: str) -> LineExplanation:
    amount = Decimal(line["amount"])
    kind = line["chargeType"]
    if kind == "prorated":
        unit, qty = Decimal(line["unitPrice"]), Decimal(line["quantity"])
        p0, p1 = date.fromisoformat(line["periodStart"]), date.fromisoformat(line["periodEnd"])
        t0, t1 = date.fromisoformat(line["termStart"]), date.fromisoformat(line["termEnd"])
        expected = prorate(unit, qty, p0, p1, t0, t1, currency)
        days, term = (p1 - p0).days, (t1 - t0).days
        text = (
            f"prorated: {money(unit, currency, with_code=False)} × {qty.normalize():f} seats × {days}/{term} days "
            f"({p0.isoformat()} to the term's end {t1.isoformat()}) = {money(expected, currency)}"
        )
        if expected != amount:
            text += f"; invoiced {money(amount, currency)}, a difference of {money(amount - expected, currency)}"
        return LineExplanation(line, text, expected, expected == amount)
    labels = {
        "recurring": "billing period",
        "usage": "usage billed in arrears",
        "one_time": "one-time charge",
        "credit": "credit",
    }
    period = ""
    if line.get("periodStart") and line.get("periodEnd"):
        period = f" {line['periodStart']} to {line['periodEnd']}"
    seats = f", {Decimal(line['quantity']).normalize():f} seats" if line.get("quantity") else ""
    if seats and line.get("unitPrice") is not None:  # priced by seats: quantity × the offer's unit price
        seats += f" × {money(Decimal(line['unitPrice']), currency)}"
    return LineExplanation(line, f"{labels.get(kind, kind)}{period}{seats}: {money(amount, currency)}", None, True)


@dataclass(frozen=True)
class BillExplanation:
    receivable: Mapping[str, Any]
    lines: list[LineExplanation]
    lines_total: Decimal
    total: Decimal

    @property
    def balanced(self) -> bool:
        return self.lines_total == self.total


def explain_bill(receivable: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> BillExplanation:
    """An invoice with its lines explained and checked against its total."""
    currency = receivable["currencyCode"]
    explained = [explain_line(line, currency) for line in lines]
    return BillExplanation(
        receivable,
        explained,
        sum((Decimal(line["amount"]) for line in lines), Decimal(0)),
        Decimal(receivable["totalCharges"]),
    )


def microsoft_invoice_outstanding(row: Mapping[str, Any]) -> Decimal:
    """What is still owed on one of Microsoft's invoices to the partner (a ``partner_invoices`` row).

    Partner Center's ``paidAmount`` is negative when a payment was received and ``totalCharges`` includes the
    invoice's charges (REST docs, invoice resources), so the invoice's own balance is ``totalCharges +
    paidAmount``. Each of ``amendments[]`` is an invoice of its own (a credit note or adjustment note with its
    own ``totalCharges`` and ``paidAmount``) amending this one; its balance is added the same way (a credit
    note's negative charges lower what is owed).
    """
    owed = Decimal(row["totalCharges"]) + Decimal(row["paidAmount"] or "0")
    for amendment in json.loads(row.get("amendments") or "[]"):
        owed += Decimal(amendment["totalCharges"]) + Decimal(amendment.get("paidAmount") or "0")
    return owed
