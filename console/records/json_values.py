"""The value types of import records that hold JSON: a JSON object, SLA targets per severity and Partner
Center's refund details, each read (from JSON, or from CSV's JSON text) into its stored form, a JSON text (see
:mod:`console.records.values` for how a value type is read)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from console.records.values import Context, RecordError
from console.shared import model
from console.shared.clock import parse_iso, to_iso


def _json(value: Any, what: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected {what}, got malformed JSON ({exc.msg})") from None


class JsonObject(str):
    """A JSON object (in CSV: its JSON text), stored as JSON with sorted keys."""

    field_type: ClassVar[str] = "json"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        value = _json(value, "a JSON object")
        if not isinstance(value, dict):
            raise ValueError(f"expected a JSON object, got {type(value).__name__}")
        try:
            return cls(json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False))
        except ValueError:
            raise ValueError("numbers must be finite") from None


class Targets(str):
    """SLA targets: business hours per severity, e.g. ``{"critical": 2, "moderate": 4}``."""

    field_type: ClassVar[str] = "targets"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        value = _json(value, "hours per severity as JSON")
        if not isinstance(value, dict) or not value:
            raise ValueError('expected hours per severity, e.g. {"critical": 2, "moderate": 4, "minimal": 8}')
        severities = [s.value for s in model.Severity]
        for severity, hours in value.items():
            if severity not in severities:
                raise ValueError(f"unknown severity {severity!r}; expected {', '.join(severities)}")
            if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 10_000:
                raise ValueError(f"{severity}: expected a number of business hours above 0, got {hours!r}")
        return cls(json.dumps(value, sort_keys=True))


class Refunds(str):
    """Partner Center's ``refundableQuantity.details`` (RefundableQuantityDetail: ``quantity``,
    ``allowedUntilDateTime``), stored as a JSON list sorted by date; an empty list is stored as ``""`` here and
    as nothing by the subscription's rule (:mod:`console.records.rules`)."""

    field_type: ClassVar[str] = "refunds"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        return cls(_refunds(value) or "")


def _refunds(value: Any) -> str | None:
    value = _json(value, "a JSON list")
    if not isinstance(value, list):
        raise ValueError(f"expected a list of {{quantity, allowedUntilDateTime}}, got {type(value).__name__}")
    out = [_refund(item) for item in value]
    out.sort(key=lambda d: d["allowedUntilDateTime"])
    return json.dumps(out, sort_keys=True) if out else None


def _refund(item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise ValueError(f"expected {{quantity, allowedUntilDateTime}}, got {item!r}")
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValueError(f"quantity must be a whole number of seats, got {quantity!r}")
    try:
        until = to_iso(parse_iso(str(item.get("allowedUntilDateTime") or "")))
    except ValueError:
        raise ValueError(
            f"allowedUntilDateTime must be an ISO 8601 timestamp, got {item.get('allowedUntilDateTime')!r}"
        ) from None
    return {"allowedUntilDateTime": until, "quantity": quantity}


def refund_details_json(f: Any, value: Any) -> str | None:
    """Refund details in stored form (see :class:`Refunds`): a JSON list sorted by date, or ``None`` when
    empty; :class:`RecordError` naming ``f`` (a field, by default ``refundableDetails``) when malformed."""
    try:
        return _refunds(value)
    except ValueError as exc:
        raise RecordError(f.name if f is not None else "refundableDetails", str(exc)) from None
