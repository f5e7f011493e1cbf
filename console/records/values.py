"""The value types of import records: each one a field's type in a record kind's struct
(:mod:`console.records.kinds`) and the one place that reads it, from JSON or from CSV's text, into its stored form.

msgspec checks a record's shape; for a field of one of these types it calls :meth:`parse` (through the hook of
:func:`hook`), so each type is a subclass of its stored form (``Timestamp`` is a ``str`` in ISO 8601 UTC,
``Flag`` an ``int`` 0 or 1). A value that does not fit raises ``ValueError`` with the message shown after
``field 'name':``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.shared import model
from console.shared.clock import parse_date, parse_iso, to_iso
from console.shared.safe_text import clean_line
from console.sla.service_hours import parse_service_hours


class RecordError(ValueError):
    """A value that does not fit its field; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        # An unknown field's name comes from the file: shown literally (escape sequences made visible).
        super().__init__(f"field '{clean_line(field_name, 200)}': {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Context:
    """What a value is read against: the services the plugins know; ``open_enums`` (data from Partner Center)
    keeps a Partner Center enum's value the console does not know, as it came."""

    services: Collection[str]
    open_enums: bool = False


def hook(context: Context) -> Callable[[type, Any], Any]:
    """msgspec's ``dec_hook``: a field of one of the types below is read by its :meth:`parse`."""

    def read(tp: type, value: Any) -> Any:
        parse = getattr(tp, "parse", None)
        if parse is None:
            raise NotImplementedError(tp)
        return parse(value, context)

    return read


def _text(value: Any) -> str:
    if type(value) is str and "\x00" not in value:
        return value  # the common case, first
    if isinstance(value, (dict, list, bool)):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = str(value)
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    return text


class Text(str):
    """Text (a JSON number is read as its digits); no NUL character."""

    field_type: ClassVar[str] = "str"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        return cls(_text(value))


class Key(Text):
    """Text that must not be blank: an id, a name, a title."""

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        text = _text(value)
        if not text.strip():
            raise ValueError("required but empty")
        return cls(text)


#: The largest whole number a field takes: SQLite's INTEGER is 64-bit signed.
LARGEST = 2**63 - 1
#: An amount's largest order of magnitude: below 10^15 (a quadrillion yen), with at most 10 decimals, so that
#: every amount is exact in the money arithmetic and fits a report's column.
AMOUNT_DIGITS, AMOUNT_DECIMALS = 15, 10


class Count(int):
    """A whole number, not negative: ``48``, ``"48"``, ``48.0``."""

    field_type: ClassVar[str] = "int"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"expected a whole number, got {value!r}")
        try:
            number = int(value) if isinstance(value, (int, float)) else int(str(value).strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {value!r}") from None
        if number < 0:
            raise ValueError(f"must not be negative, got {number}")
        if number > LARGEST:
            raise ValueError(f"too large: at most {LARGEST:,}")
        return cls(number)


class Version(int):
    """A ticket's version as an export stamps it: a whole number from 1."""

    field_type: ClassVar[str] = "int"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        number = int(value) if isinstance(value, str) and value.strip().isdecimal() else value
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"expected a whole number from 1, got {value!r}")
        if number > LARGEST:
            raise ValueError(f"too large: at most {LARGEST:,}")
        return cls(number)


_TRUE = frozenset({"true", "yes", "1", "y"})
_FALSE = frozenset({"false", "no", "0", "n", ""})


class Flag(int):
    """True or false (``yes``/``no``, ``1``/``0`` in CSV), stored as 1 or 0."""

    field_type: ClassVar[str] = "bool"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        if isinstance(value, bool):
            return cls(value)
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return cls(text in _TRUE)
        raise ValueError(f"expected true or false, got {value!r}")


#: A timestamp exactly as stored (UTC, to the second, ``Z``): ASCII digits only, so that another form
#: ``fromisoformat`` reads (an ISO week date, ``2026-W47-1T01:15:00Z``) is converted, not kept.
_STORED_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


class Timestamp(str):
    """An ISO 8601 timestamp, stored in UTC: ``2026-11-23T01:15:00Z``."""

    field_type: ClassVar[str] = "datetime"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        if type(value) is str and _STORED_TIMESTAMP.fullmatch(value):
            try:  # already as stored (every export's timestamps): checked by parsing, kept as it is
                datetime.fromisoformat(value)
                return cls(value)
            except ValueError:
                pass  # said below, with the reason
        if isinstance(value, (dict, list, bool)):
            raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}")
        try:
            return cls(to_iso(parse_iso(_text(value))))
        except ValueError as exc:
            raise ValueError(f"expected an ISO 8601 timestamp, got {value!r} ({exc})") from None


class Day(str):
    """A date: ``2026-11-23``."""

    field_type: ClassVar[str] = "date"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        try:
            return cls(parse_date(_text(value)).isoformat())
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None


class Amount(str):
    """An amount of money, stored as its decimal text: ``1200.50``."""

    field_type: ClassVar[str] = "decimal"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        if isinstance(value, (bool, dict, list)):
            raise ValueError(f"expected an amount, got {value!r}")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"expected an amount such as 1200.50, got {value!r}") from None
        if not amount.is_finite():
            raise ValueError(f"expected a finite amount, got {value!r}")
        if amount and amount.adjusted() >= AMOUNT_DIGITS:
            raise ValueError(f"amount too large: below 10^{AMOUNT_DIGITS}, got {value!r}")
        if -amount.as_tuple().exponent > AMOUNT_DECIMALS:  # type: ignore[operator]
            raise ValueError(f"at most {AMOUNT_DECIMALS} decimals, got {value!r}")
        return cls(str(amount))


_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Currency(str):
    """An ISO 4217 currency code: ``JPY``."""

    field_type: ClassVar[str] = "currency"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        text = _text(value).strip().upper()
        if not _CURRENCY.match(text):
            raise ValueError(f"expected an ISO 4217 currency code such as JPY, got {value!r}")
        return cls(text)


#: The most an unknown enum value kept from Partner Center may be: a short identifier-like word.
_OPEN_ENUM = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")


class Choice(str):
    """One of an enum's values (or one of its aliases). A subclass names its enum:
    ``class Channel(Choice, enum=model.Channel)``; ``open=True`` for a Partner Center enum, to which Microsoft
    adds values over time: a sync keeps a value it does not know, as it came; an import still refuses one (most
    likely a typo)."""

    field_type: ClassVar[str] = "enum"
    enum: ClassVar[type[StrEnum]]
    open: ClassVar[bool] = False
    allowed: ClassVar[tuple[str, ...]] = ()
    aliases: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, enum: type[StrEnum] | None = None, open: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if enum is not None:
            cls.enum, cls.open = enum, open
            cls.allowed = tuple(e.value for e in enum)
            cls.aliases = model.ENUM_ALIASES.get(enum, {})

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        text = _text(value).strip()
        text = cls.aliases.get(text, text)
        if text in cls.allowed:
            return cls(text)
        if context.open_enums and cls.open and _OPEN_ENUM.match(text):
            return cls(text)  # a value Microsoft added since: kept as it came, shown as such
        raise ValueError(f"unknown value {text!r}; expected one of {', '.join(cls.allowed)}")


class SeverityChoice(Choice, enum=model.Severity):
    """A severity, or Microsoft's number for it (1 critical, 2 moderate, 3 minimal, 0 unknown)."""

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        if type(value) is int and value in model.SEVERITY_FROM_INT:
            return cls(model.SEVERITY_FROM_INT[value].value)
        if isinstance(value, str) and value.strip().isdecimal() and int(value.strip()) in model.SEVERITY_FROM_INT:
            return cls(model.SEVERITY_FROM_INT[int(value.strip())].value)
        return super().parse(value, context)


class Service(str):
    """A service a plugin provides: ``azure``, ``office365``..."""

    field_type: ClassVar[str] = "service"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        text = _text(value).strip()
        if text not in context.services:
            raise ValueError(f"unknown service {text!r}; expected one of {', '.join(sorted(context.services))}")
        return cls(text)


class TextList(str):
    """A list of words (in CSV: separated by ``;``), stored as a JSON list. A subclass may name the enum its
    items come from: ``class Channels(TextList, items=model.Channel)``."""

    field_type: ClassVar[str] = "list"
    items: ClassVar[tuple[str, ...] | None] = None

    def __init_subclass__(cls, items: type[StrEnum] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if items is not None:
            cls.items = tuple(e.value for e in items)

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        if isinstance(value, str):
            words = [part.strip() for part in value.split(";") if part.strip()]
        elif isinstance(value, list):
            words = [_text(item).strip() for item in value]
        else:
            raise ValueError(f"expected a list (or text separated by ';'), got {value!r}")
        items = cls.items or ()
        for word in words if cls.items is not None else ():
            if word not in items:
                raise ValueError(f"unknown value {word!r}; expected items from {', '.join(items)}")
        return cls(json.dumps(words, ensure_ascii=False))


class Zone(str):
    """An IANA time zone: ``Asia/Tokyo``."""

    field_type: ClassVar[str] = "tz"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        text = _text(value).strip()
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {text!r}; use an IANA name such as Asia/Tokyo") from None
        return cls(text)


class Hours(str):
    """Service hours: ``mon-fri 09:00-18:00`` (see :mod:`console.service_hours`)."""

    field_type: ClassVar[str] = "hours"

    @classmethod
    def parse(cls, value: Any, context: Context) -> Self:
        text = _text(value).strip()
        parse_service_hours(text)  # its ValueError says what is wrong
        return cls(text)
