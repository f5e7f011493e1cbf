"""Times as the desk reads them: in the desk's zone (the desk rule ``time_zone``), with the zone's abbreviation;
another zone meant (a customer's service hours) is named with the zone and whose it is.

Stored timestamps stay UTC ISO 8601 (``2026-11-23T00:30:00Z``) and JSON output keeps ISO 8601 with an offset;
only what a person reads is turned into the desk's time (``2026-11-23 09:30 JST``)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from console.shared.clock import parse_iso

NONE = "—"


@lru_cache(maxsize=32)
def zone_info(zone: str) -> ZoneInfo:
    return ZoneInfo(zone or "UTC")


def local(value: str | datetime, zone: str) -> datetime:
    """``value`` (an aware datetime or a stored ISO 8601 string) in ``zone``."""
    moment = parse_iso(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone_info(zone))


def abbreviation(moment: datetime) -> str:
    """``JST``, ``CET``, ``UTC``; a zone without letters gives its offset (``+04``)."""
    return moment.tzname() or moment.strftime("%z")


def stamp(value: str | datetime | None, zone: str, *, label: bool = True) -> str:
    """``2026-11-23 09:30 JST`` (``label=False``: without the zone); ``—`` when there is none."""
    if not value:
        return NONE
    moment = local(value, zone)
    text = moment.strftime("%Y-%m-%d %H:%M")
    return f"{text} {abbreviation(moment)}" if label else text


def short(value: str | datetime | None, zone: str, *, label: bool = False) -> str:
    """``11-23 09:30`` (``label=True``: ``11-23 09:30 JST``) for narrow columns of one screen."""
    if not value:
        return NONE
    moment = local(value, zone)
    text = moment.strftime("%m-%d %H:%M")
    return f"{text} {abbreviation(moment)}" if label else text


def clock_time(value: str | datetime | None, zone: str) -> str:
    """``09:30 JST``: a time of the day (a claim's end, a due time today)."""
    if not value:
        return NONE
    moment = local(value, zone)
    return f"{moment:%H:%M} {abbreviation(moment)}"


def day(value: str | datetime | None, zone: str) -> str:
    """``2026-11-23``: the desk's calendar day of a stored moment."""
    if not value:
        return NONE
    return local(value, zone).strftime("%Y-%m-%d")


def iso_local(value: str | datetime | None, zone: str) -> str | None:
    """ISO 8601 with the desk's offset (``2026-11-23T09:30:00+09:00``), for JSON output; ``None`` stays."""
    if not value:
        return None
    return local(value, zone).isoformat()


def customer_zone(zone: str) -> str:
    """How the customer's zone is named where it is meant (its service hours, its business clock):
    ``Asia/Tokyo (customer)``, even when it is the desk's zone too."""
    return f"{zone} (customer)"


def local_time_text(value: str | datetime, zone: str) -> str:
    """``Tue 11-24 09:00 JST``: a moment near now, with its weekday, in the desk's ``zone``."""
    moment = local(value, zone)
    return f"{moment:%a %m-%d %H:%M} {abbreviation(moment)}"
