"""The command line's value types for argparse: a bad value is refused before anything runs, with a message
naming the option (argparse adds ``argument --NAME:``) and the form it accepts, never Python's own words.

A time option takes an ISO 8601 time with or without its offset, or a plain date: without an offset it is read
in the desk's time zone (the desk rule ``time_zone``), which only the command knows, so the type returns a
:class:`When` the command resolves with :meth:`When.utc`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from console.shared.safe_text import clean_line

DATE_FORM = "a date YYYY-MM-DD (e.g. 2026-11-23)"
TIME_FORM = "a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS] with an optional offset (Z, +09:00)"
_TIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE)


def _shown(text: str) -> str:
    return repr(clean_line(text, 80))


def ticket_argument(text: str) -> str:
    """A ticket as the console's search box takes it: ``CSP-001509``, ``csp-1509``, ``#1509``, ``1509`` or
    full-width ``１５０９`` are ``CSP-001509``; other text is kept as typed (the desk then says there is no such
    ticket, naming it)."""
    from console.shared.model import ticket_id
    from console.tickets.search_text import ticket_number

    if not text.strip():
        raise argparse.ArgumentTypeError("'' is not a ticket: give its id (CSP-001509) or its number (1509)")
    number = ticket_number(text)
    return ticket_id(number) if number is not None else text


def positive_int(text: str) -> int:
    """A whole number of 1 or more (a page size, minutes)."""
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {_shown(text)}")
    return value


def count(text: str) -> int:
    """A whole number of 0 or more (how many)."""
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, got {_shown(text)}")
    return value


def day(text: str) -> date:
    """A calendar date, ``YYYY-MM-DD``."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"no such day {_shown(text)}: expected {DATE_FORM}") from None
    raise argparse.ArgumentTypeError(f"expected {DATE_FORM}, got {_shown(text)}")


@dataclass(frozen=True)
class When:
    """A time as given: a plain date (its midnight) or a time, with its offset or without (the desk's zone)."""

    value: datetime

    def utc(self, zone: str) -> datetime:
        local = self.value if self.value.tzinfo else self.value.replace(tzinfo=ZoneInfo(zone))
        return local.astimezone(UTC)


def moment(text: str) -> When:
    """A date ``YYYY-MM-DD`` or an ISO 8601 time; without an offset, in the desk's time zone."""
    raw = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return When(datetime.combine(date.fromisoformat(raw), time()))
        except ValueError:
            raise argparse.ArgumentTypeError(f"no such day {_shown(text)}: expected {TIME_FORM}") from None
    if not _TIME_SHAPE.fullmatch(raw):
        raise argparse.ArgumentTypeError(f"expected {TIME_FORM}, got {_shown(text)}")
    try:
        return When(datetime.fromisoformat(raw.replace("z", "Z")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"no such time {_shown(text)}: expected {TIME_FORM}") from None


def one_of(
    values: Iterable[str], what: str, *, plural: str = "", aliases: dict[str, str] | None = None
) -> Callable[[str], str]:
    """One of ``values`` (the domain's enum), also written with spaces or any case, or one of ``aliases``
    (the words the console shows, e.g. "waiting on customer"); refused naming them all."""
    allowed = tuple(values)
    words = {v.casefold(): v for v in allowed} | {k.casefold(): v for k, v in (aliases or {}).items()}

    def read(text: str) -> str:
        key = " ".join(text.split()).casefold()
        found = words.get(key) or words.get(key.replace(" ", "_").replace("-", "_"))
        if found is None:
            shown = ", ".join(allowed)
            extra = f" (or as the console shows them: {', '.join(aliases)})" if aliases else ""
            raise argparse.ArgumentTypeError(f"no {what} {_shown(text)}; the {plural or what + 's'} are {shown}{extra}")
        return found

    read.__name__ = what
    return read


def some_of(values: Iterable[str], what: str, *, plural: str = "") -> Callable[[str], list[str]]:
    """Comma-separated values, each one of ``values`` (the option may also be repeated: ``action="extend"``)."""
    allowed = tuple(values)

    def read(text: str) -> list[str]:
        given = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [g for g in given if g not in allowed]
        if unknown:
            names = ", ".join(_shown(u) for u in unknown)
            raise argparse.ArgumentTypeError(f"no {what} {names}; the {plural or what + 's'} are {', '.join(allowed)}")
        return given

    read.__name__ = what
    return read
