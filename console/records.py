"""Record kinds for import and export, with a validator that names the field at fault.

The kinds are declared as structs in :mod:`console.record_kinds`, their value types in
:mod:`console.record_values`, the rules across fields in :mod:`console.record_rules`. Values are validated and
converted to their stored form here; nothing touches the workspace until a whole import has validated.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import msgspec

from console.record_kinds import (
    CUSTOMERS,
    HOLIDAYS,
    KINDS,
    OFFERS,
    RECEIVABLE_LINES,
    RECEIVABLES,
    SUBSCRIPTIONS,
    TICKETS,
    Field,
    Kind,
    TicketStamps,
)
from console.record_rules import RULES, split_refundable
from console.record_values import Context, RecordError, hook, refund_details_json
from console.shapes import ShapeError, convert

__all__ = [
    "CUSTOMERS",
    "HOLIDAYS",
    "KINDS",
    "OFFERS",
    "RECEIVABLES",
    "RECEIVABLE_LINES",
    "SUBSCRIPTIONS",
    "TICKETS",
    "Field",
    "Kind",
    "RecordError",
    "read_stamps",
    "refund_details_json",
    "validate",
]


def validate(
    kind: Kind, raw: Mapping[str, Any], services: Collection[str], *, open_enums: bool = False
) -> dict[str, Any]:
    """Check one raw record (from JSON or CSV) against ``kind`` and return it in stored form.

    Unknown fields, missing required fields, wrong types and unknown enum values raise
    :class:`RecordError` naming the field; with ``open_enums`` (data from Partner Center) an unknown value of
    a Partner Center enum is kept as it came instead. A missing value, ``null`` and (but for text) a blank
    one are the same: the field's default.
    """
    if not isinstance(raw, Mapping):
        raise RecordError("(record)", f"expected a JSON object, got {type(raw).__name__}")
    if kind is SUBSCRIPTIONS:
        raw = split_refundable(raw)
    given = {k: v for k, v in raw.items() if not _unset(kind, k, v)}
    try:
        record = msgspec.structs.asdict(convert(given, kind.shape, dec_hook=hook(Context(services, open_enums))))
    except ShapeError as exc:
        raise _record_error(kind, exc) from None
    rule = RULES.get(kind.name)
    if rule is not None:
        rule(record)
    return record


def read_stamps(given: Mapping[str, Any]) -> dict[str, Any]:
    """An exported ticket's stamps (``version``, ``lastModifiedDate``) in stored form, those given only."""
    try:
        stamps = msgspec.structs.asdict(convert(given, TicketStamps, dec_hook=hook(Context(()))))
    except ShapeError as exc:
        raise RecordError(str(exc.path[0]) if exc.path else "(record)", exc.message) from None
    return {k: v for k, v in stamps.items() if v is not None}


def _unset(kind: Kind, name: Any, value: Any) -> bool:
    """Whether ``value`` leaves the field ``name`` at its default: ``None``, or blank (but for text)."""
    if value is None:
        return name in kind.names
    return isinstance(value, str) and name in kind.blank_is_unset and not value.strip()


def _record_error(kind: Kind, exc: ShapeError) -> RecordError:
    if exc.missing is not None:
        return RecordError(exc.missing, "required but missing")
    if exc.unknown is not None:
        return RecordError(exc.unknown, f"unknown field for {kind.name}; expected {', '.join(kind.field_names)}")
    name = str(exc.path[0]) if exc.path else "(record)"
    return RecordError(name, exc.message)
