"""Record kinds for import and export, with a validator that names the field at fault.

The same field names are the workspace's columns and the JSON Lines / CSV import format (see
``docs/import-format.md``). Values are validated and converted to their stored form here; nothing touches
the workspace until a whole import has validated.
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.shared import model
from console.shared.clock import parse_date, parse_iso, to_iso
from console.sla.service_hours import parse_service_hours


class RecordError(ValueError):
    """A value that does not fit its field; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"field '{field_name}': {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Field:
    """One field of a record kind: its type, whether it is required, and its default."""

    name: str
    #: str, int, bool, datetime, date, decimal, enum, list, json, service, currency, tz, hours, targets, refunds
    type: str
    required: bool = False
    default: Any = None
    enum: builtins.type[StrEnum] | None = None  # `type` alone is the field above, in this class's scope
    item_enum: builtins.type[StrEnum] | None = None
    nonnegative: bool = False
    #: A Partner Center enum: Microsoft adds values over time, so a sync (``validate(..., open_enums=True)``)
    #: keeps a value it does not know, as it came; an import still refuses one (most likely a typo).
    open_enum: bool = False


@dataclass(frozen=True)
class Kind:
    """A record kind: its table, its fields, and the customer it references."""

    name: str
    table: str
    fields: tuple[Field, ...]
    references_customer: bool = True

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


CUSTOMERS = Kind(
    "customers",
    "customers",
    (
        Field("id", "str", required=True),
        Field("tenantId", "str"),
        Field("domain", "str", required=True),
        Field("companyName", "str", required=True),
        Field("relationshipToPartner", "enum", default="reseller", enum=model.Relationship, open_enum=True),
        Field("associatedPartnerId", "str"),
        Field("culture", "str"),
        Field("language", "str"),
        Field("country", "str"),
        Field("billingFirstName", "str"),
        Field("billingLastName", "str"),
        Field("billingEmail", "str"),
    ),
    references_customer=False,
)

SUBSCRIPTIONS = Kind(
    "subscriptions",
    "subscriptions",
    (
        Field("id", "str", required=True),
        Field("customerId", "str", required=True),
        Field("service", "service", required=True),
        Field("offerId", "str", required=True),
        Field("offerName", "str", required=True),
        Field("friendlyName", "str"),
        Field("quantity", "int", required=True, nonnegative=True),
        Field("assignedSeats", "int", default=0, nonnegative=True),
        Field("unitType", "str", default="Licenses"),
        Field("status", "enum", required=True, enum=model.SubscriptionStatus, open_enum=True),
        Field("autoRenewEnabled", "bool", default=True),
        Field("billingType", "enum", default="license", enum=model.BillingType, open_enum=True),
        Field("billingCycle", "enum", default="monthly", enum=model.BillingCycle, open_enum=True),
        Field("termDuration", "enum", enum=model.TermDuration),
        Field("commerceType", "enum", default="nce", enum=model.CommerceType),
        Field("creationDate", "datetime", required=True),
        Field("effectiveStartDate", "datetime"),
        Field("commitmentEndDate", "datetime"),
        Field("cancellationAllowedUntilDate", "datetime"),
        Field("refundableQuantity", "int", nonnegative=True),
        Field("refundableDetails", "refunds"),
        Field("isTrial", "bool", default=False),
        Field("suspensionReasons", "list"),
        Field("parentSubscriptionId", "str"),
        Field("etag", "str"),
        Field("details", "json"),
    ),
)

RECEIVABLES = Kind(
    "receivables",
    "receivables",
    (
        Field("id", "str", required=True),
        Field("customerId", "str", required=True),
        Field("invoiceDate", "date", required=True),
        Field("dueDate", "date", required=True),
        Field("totalCharges", "decimal", required=True),
        Field("paidAmount", "decimal", default="0"),
        Field("currencyCode", "currency", required=True),
        Field("status", "enum", default="open", enum=model.ReceivableStatus),
        Field("microsoftInvoiceId", "str"),
    ),
)

OFFERS = Kind(
    "offers",
    "support_offers",
    (
        Field("id", "str", required=True),
        Field("customerId", "str", required=True),
        Field("name", "str", required=True),
        Field("supportTypes", "list", required=True, item_enum=model.SupportType),
        Field("services", "list"),
        Field("timeZone", "tz", required=True),
        Field("serviceHours", "hours", required=True),
        Field("holidayCalendar", "str"),
        Field("contactMethods", "list", required=True, item_enum=model.Channel),
        Field("pricingModel", "enum", required=True, enum=model.PricingModel),
        Field("price", "decimal"),
        Field("currencyCode", "currency"),
        Field("prepaidHours", "decimal"),
        Field("firstResponseHours", "targets"),
        Field("resolutionHours", "targets"),
        Field("pauseOnMicrosoft", "bool"),
        Field("lowBalanceHours", "decimal"),
    ),
)

HOLIDAYS = Kind(
    "holidays",
    "holidays",
    (
        Field("id", "str"),
        Field("calendar", "str", required=True),
        Field("date", "date", required=True),
        Field("name", "str", required=True),
    ),
    references_customer=False,
)

RECEIVABLE_LINES = Kind(
    "receivable_lines",
    "receivable_lines",
    (
        Field("id", "str", required=True),
        Field("receivableId", "str", required=True),
        Field("customerId", "str", required=True),
        Field("subscriptionId", "str"),
        Field("description", "str", required=True),
        Field("chargeType", "enum", default="recurring", enum=model.ChargeType),
        Field("quantity", "decimal"),
        Field("unitPrice", "decimal"),
        Field("amount", "decimal", required=True),
        Field("periodStart", "date"),
        Field("periodEnd", "date"),
        Field("termStart", "date"),
        Field("termEnd", "date"),
    ),
)

TICKETS = Kind(
    "tickets",
    "tickets",
    (
        Field("id", "str"),
        Field("customerId", "str", required=True),
        Field("contactName", "str"),
        Field("contactEmail", "str"),
        Field("contactPhone", "str"),
        Field("channel", "enum", required=True, enum=model.Channel),
        Field("service", "service"),
        Field("category", "enum", enum=model.Category),
        Field("severity", "enum", default="unknown", enum=model.Severity),
        Field("status", "enum", default="new", enum=model.TicketStatus),
        Field("assignee", "str"),
        Field("createdDate", "datetime", required=True),
        Field("firstResponseDate", "datetime"),
        Field("resolvedDate", "datetime"),
        Field("firstResponseDueDate", "datetime"),
        Field("resolutionDueDate", "datetime"),
        Field("title", "str", required=True),
        Field("body", "str", default=""),
        Field("resolutionCode", "str"),
    ),
)

#: Import order: a record may reference only kinds imported before it.
KINDS: dict[str, Kind] = {
    k.name: k for k in (CUSTOMERS, SUBSCRIPTIONS, RECEIVABLES, RECEIVABLE_LINES, HOLIDAYS, OFFERS, TICKETS)
}

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


def _as_str(f: Field, value: Any) -> str:
    if isinstance(value, (dict, list, bool)):
        raise RecordError(f.name, f"expected text, got {type(value).__name__}")
    text = str(value)
    if "\x00" in text:
        raise RecordError(f.name, "contains a NUL character")
    return text


#: The most an unknown enum value kept from Partner Center may be: a short identifier-like word.
_OPEN_ENUM = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")


def _convert(f: Field, value: Any, services: Collection[str], open_enums: bool = False) -> Any:
    """Convert one present, non-empty value to its stored form or raise :class:`RecordError`."""
    kind = f.type
    if kind == "str":
        return _as_str(f, value)
    if kind == "int":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise RecordError(f.name, f"expected a whole number, got {value!r}")
        try:
            number = int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
        except ValueError:
            raise RecordError(f.name, f"expected a whole number, got {value!r}") from None
        if f.nonnegative and number < 0:
            raise RecordError(f.name, f"must not be negative, got {number}")
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return int(value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return 1
        if text in _FALSE:
            return 0
        raise RecordError(f.name, f"expected true or false, got {value!r}")
    if kind == "datetime":
        try:
            return to_iso(parse_iso(_as_str(f, value)))
        except ValueError as exc:
            raise RecordError(f.name, f"expected an ISO 8601 timestamp, got {value!r} ({exc})") from None
    if kind == "date":
        try:
            return parse_date(_as_str(f, value)).isoformat()
        except ValueError:
            raise RecordError(f.name, f"expected a date YYYY-MM-DD, got {value!r}") from None
    if kind == "decimal":
        if isinstance(value, (bool, dict, list)):
            raise RecordError(f.name, f"expected an amount, got {value!r}")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise RecordError(f.name, f"expected an amount such as 1200.50, got {value!r}") from None
        if not amount.is_finite():
            raise RecordError(f.name, f"expected a finite amount, got {value!r}")
        return str(amount)
    if kind == "currency":
        text = _as_str(f, value).strip().upper()
        if not _CURRENCY.match(text):
            raise RecordError(f.name, f"expected an ISO 4217 currency code such as JPY, got {value!r}")
        return text
    if kind == "enum":
        assert f.enum is not None
        if f.enum is model.Severity and type(value) is int and value in model.SEVERITY_FROM_INT:
            return model.SEVERITY_FROM_INT[value].value
        text = _as_str(f, value).strip()
        if f.enum is model.Severity and text.isdigit() and int(text) in model.SEVERITY_FROM_INT:
            return model.SEVERITY_FROM_INT[int(text)].value
        text = model.ENUM_ALIASES.get(f.enum, {}).get(text, text)
        allowed = [e.value for e in f.enum]
        if text in allowed:
            return text
        if open_enums and f.open_enum and _OPEN_ENUM.match(text):
            return text  # a value Microsoft added since: kept as it came, shown as such
        raise RecordError(f.name, f"unknown value {text!r}; expected one of {', '.join(allowed)}")
    if kind == "service":
        text = _as_str(f, value).strip()
        if text not in services:
            raise RecordError(f.name, f"unknown service {text!r}; expected one of {', '.join(sorted(services))}")
        return text
    if kind == "list":
        if isinstance(value, str):
            items = [part.strip() for part in value.split(";") if part.strip()]
        elif isinstance(value, list):
            items = [_as_str(f, item).strip() for item in value]
        else:
            raise RecordError(f.name, f"expected a list (or text separated by ';'), got {value!r}")
        if f.item_enum is not None:
            allowed = [e.value for e in f.item_enum]
            for item in items:
                if item not in allowed:
                    raise RecordError(f.name, f"unknown value {item!r}; expected items from {', '.join(allowed)}")
        return json.dumps(items, ensure_ascii=False)
    if kind == "json":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise RecordError(f.name, f"expected a JSON object, got malformed JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise RecordError(f.name, f"expected a JSON object, got {type(value).__name__}")
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
        except ValueError:
            raise RecordError(f.name, "numbers must be finite") from None
    if kind == "tz":
        text = _as_str(f, value).strip()
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise RecordError(f.name, f"unknown time zone {text!r}; use an IANA name such as Asia/Tokyo") from None
        return text
    if kind == "hours":
        text = _as_str(f, value).strip()
        try:
            parse_service_hours(text)
        except ValueError as exc:
            raise RecordError(f.name, str(exc)) from None
        return text
    if kind == "targets":
        return _targets(f, value)
    if kind == "refunds":
        return refund_details_json(f, value)
    raise AssertionError(f"unknown field type {kind}")


def refund_details_json(f: Field | None, value: Any) -> str | None:
    """Partner Center's ``refundableQuantity.details`` (RefundableQuantityDetail: ``quantity``,
    ``allowedUntilDateTime``) in stored form: a JSON list sorted by date, or ``None`` when empty."""
    name = f.name if f else "refundableDetails"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RecordError(name, f"expected a JSON list, got malformed JSON ({exc.msg})") from None
    if not isinstance(value, list):
        raise RecordError(name, f"expected a list of {{quantity, allowedUntilDateTime}}, got {type(value).__name__}")
    out: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, Mapping):
            raise RecordError(name, f"expected {{quantity, allowedUntilDateTime}}, got {item!r}")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise RecordError(name, f"quantity must be a whole number of seats, got {quantity!r}")
        try:
            until = to_iso(parse_iso(str(item.get("allowedUntilDateTime") or "")))
        except ValueError:
            raise RecordError(
                name, f"allowedUntilDateTime must be an ISO 8601 timestamp, got {item.get('allowedUntilDateTime')!r}"
            ) from None
        out.append({"allowedUntilDateTime": until, "quantity": quantity})
    out.sort(key=lambda d: d["allowedUntilDateTime"])
    return json.dumps(out, sort_keys=True) if out else None


def _split_refundable(raw: Mapping[str, Any]) -> Mapping[str, Any]:
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


def _targets(f: Field, value: Any) -> str:
    """SLA targets: business hours per severity, e.g. ``{"critical": 2, "moderate": 4}``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RecordError(f.name, f"expected hours per severity as JSON, got malformed JSON ({exc.msg})") from None
    if not isinstance(value, dict) or not value:
        raise RecordError(f.name, 'expected hours per severity, e.g. {"critical": 2, "moderate": 4, "minimal": 8}')
    out: dict[str, float] = {}
    for severity, hours in value.items():
        if severity not in {s.value for s in model.Severity}:
            allowed = ", ".join(s.value for s in model.Severity)
            raise RecordError(f.name, f"unknown severity {severity!r}; expected {allowed}")
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 10_000:
            raise RecordError(f.name, f"{severity}: expected a number of business hours above 0, got {hours!r}")
        out[severity] = hours
    return json.dumps(out, sort_keys=True)


def validate(
    kind: Kind, raw: Mapping[str, Any], services: Collection[str], *, open_enums: bool = False
) -> dict[str, Any]:
    """Check one raw record (from JSON or CSV) against ``kind`` and return it in stored form.

    Unknown fields, missing required fields, wrong types and unknown enum values raise
    :class:`RecordError` naming the field; with ``open_enums`` (data from Partner Center) an unknown value of
    a Partner Center enum is kept as it came instead.
    """
    if not isinstance(raw, Mapping):
        raise RecordError("(record)", f"expected a JSON object, got {type(raw).__name__}")
    if kind is SUBSCRIPTIONS:
        raw = _split_refundable(raw)
    known = set(kind.field_names)
    for name in raw:
        if name not in known:
            raise RecordError(str(name), f"unknown field for {kind.name}; expected {', '.join(kind.field_names)}")
    out: dict[str, Any] = {}
    for f in kind.fields:
        value = raw.get(f.name)
        if value is None or (isinstance(value, str) and value.strip() == "" and f.type != "str"):
            if f.required:
                raise RecordError(f.name, "required but missing")
            out[f.name] = None if f.default is None else _convert(f, f.default, services)
            continue
        if f.type == "str" and f.required and str(value).strip() == "":
            raise RecordError(f.name, "required but empty")
        out[f.name] = _convert(f, value, services, open_enums)
    _check_consistency(kind, out)
    return out


def _check_consistency(kind: Kind, rec: dict[str, Any]) -> None:
    if kind is RECEIVABLES:
        if rec["dueDate"] < rec["invoiceDate"]:
            raise RecordError("dueDate", f"{rec['dueDate']} is before invoiceDate {rec['invoiceDate']}")
        for name in ("totalCharges", "paidAmount"):
            amount = rec[name]
            if (
                amount is not None
                and rec["currencyCode"] in model.ZERO_DECIMAL_CURRENCIES
                and Decimal(amount) != Decimal(amount).to_integral_value()
            ):
                raise RecordError(name, f"{rec['currencyCode']} has no minor unit, got {rec[name]}")
    if kind is SUBSCRIPTIONS and rec["parentSubscriptionId"] == rec["id"]:
        raise RecordError("parentSubscriptionId", "a subscription cannot be its own parent")
    if kind is TICKETS:
        if rec["id"] is not None and model.ticket_seq(rec["id"]) is None:
            raise RecordError("id", f"expected a ticket id such as CSP-000123, got {rec['id']!r}")
        if rec["id"] is not None:
            rec["id"] = rec["id"].strip().upper()
        for name in ("firstResponseDate", "resolvedDate"):
            if rec[name] is not None and rec[name] < rec["createdDate"]:
                raise RecordError(name, f"{rec[name]} is before createdDate {rec['createdDate']}")
    if kind is HOLIDAYS:
        rec["id"] = f"{rec['calendar']}/{rec['date']}"
    if kind is RECEIVABLE_LINES:
        _check_prorated_line(rec)
    if kind is OFFERS and rec["pricingModel"] == "prepaid_hours" and rec["prepaidHours"] is None:
        raise RecordError("prepaidHours", "required when pricingModel is prepaid_hours")
    if kind is OFFERS and rec["pricingModel"] in ("per_incident", "hourly") and rec["price"] is None:
        raise RecordError("price", f"required when pricingModel is {rec['pricingModel']}")


def _check_prorated_line(rec: dict[str, Any]) -> None:
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
