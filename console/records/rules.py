"""The rules of import records that span fields (a due date after the invoice date, a prorated line inside its
term...), per record kind; each raises :class:`console.records.values.RecordError` naming the field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from console.records.values import RecordError
from console.shared import model

Rule = Callable[[dict[str, Any]], None]


def split_refundable(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """``refundableQuantity`` as Partner Center sends it, an object ``{totalQuantity, details}`` (SDK
    Subscriptions/RefundableQuantity.cs), split into the total and its details; a plain number (older
    imports) stays as it is."""
    value = raw.get("refundableQuantity")
    if not isinstance(value, Mapping):
        return raw
    unknown = set(value) - {"totalQuantity", "details"}
    if unknown:
        raise RecordError(
            "refundableQuantity", f"unknown field {sorted(unknown)[0]!r}; expected totalQuantity, details"
        )
    out = dict(raw)
    out["refundableQuantity"] = value.get("totalQuantity")
    if "refundableDetails" in raw and raw["refundableDetails"] is not None:
        raise RecordError("refundableDetails", "given twice (also inside refundableQuantity)")
    out["refundableDetails"] = value.get("details") or None
    return out


def _receivable(rec: dict[str, Any]) -> None:
    if rec["dueDate"] < rec["invoiceDate"]:
        raise RecordError("dueDate", f"{rec['dueDate']} is before invoiceDate {rec['invoiceDate']}")
    if rec["currencyCode"] not in model.ZERO_DECIMAL_CURRENCIES:
        return
    for name in ("totalCharges", "paidAmount"):
        amount = rec[name]
        if amount is not None and Decimal(amount) != Decimal(amount).to_integral_value():
            raise RecordError(name, f"{rec['currencyCode']} has no minor unit, got {rec[name]}")


def _subscription(rec: dict[str, Any]) -> None:
    if rec["parentSubscriptionId"] == rec["id"]:
        raise RecordError("parentSubscriptionId", "a subscription cannot be its own parent")
    if rec["refundableDetails"] == "":
        rec["refundableDetails"] = None  # no details: stored as nothing


def _ticket(rec: dict[str, Any]) -> None:
    if rec["id"] is not None:
        if model.ticket_seq(rec["id"]) is None:
            raise RecordError("id", f"expected a ticket id such as CSP-000123, got {rec['id']!r}")
        rec["id"] = rec["id"].strip().upper()
    for name in ("firstResponseDate", "resolvedDate"):
        if rec[name] is not None and rec[name] < rec["createdDate"]:
            raise RecordError(name, f"{rec[name]} is before createdDate {rec['createdDate']}")


def _holiday(rec: dict[str, Any]) -> None:
    rec["id"] = f"{rec['calendar']}/{rec['date']}"


def _receivable_line(rec: dict[str, Any]) -> None:
    if rec["chargeType"] != "prorated":
        return
    for name in ("quantity", "unitPrice", "periodStart", "periodEnd", "termStart", "termEnd"):
        if rec[name] is None:
            raise RecordError(name, "required for a prorated line (the proration is worked out from it)")
    if not rec["termStart"] <= rec["periodStart"] <= rec["periodEnd"] <= rec["termEnd"]:
        raise RecordError(
            "periodStart",
            f"the prorated period {rec['periodStart']}..{rec['periodEnd']} must lie inside the term "
            f"{rec['termStart']}..{rec['termEnd']}",
        )
    if rec["termStart"] == rec["termEnd"]:
        raise RecordError("termEnd", "the term has no length")


def _offer(rec: dict[str, Any]) -> None:
    if rec["pricingModel"] == "prepaid_hours" and rec["prepaidHours"] is None:
        raise RecordError("prepaidHours", "required when pricingModel is prepaid_hours")
    if rec["pricingModel"] in ("per_incident", "hourly") and rec["price"] is None:
        raise RecordError("price", f"required when pricingModel is {rec['pricingModel']}")


#: By record kind: what its record must hold across fields (checked once every field has its stored form).
RULES: dict[str, Rule] = {
    "receivables": _receivable,
    "subscriptions": _subscription,
    "tickets": _ticket,
    "holidays": _holiday,
    "receivable_lines": _receivable_line,
    "offers": _offer,
}
