"""Time helpers. Timestamps are stored as UTC ISO 8601 strings (``2026-11-23T03:09:44Z``), which sort."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, aware, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def to_iso(moment: datetime) -> str:
    """Format an aware datetime as stored: UTC, second precision, ``Z`` suffix."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: a time zone is required")
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"  # strftime is slower


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries a time zone (``Z`` or an offset)."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if value.tzinfo is None:
        raise ValueError("no time zone: add Z or an offset such as +09:00")
    return value.astimezone(UTC)


def parse_date(text: str) -> date:
    """Parse a calendar date ``YYYY-MM-DD``."""
    return date.fromisoformat(text.strip())


def humanize_delta(delta: timedelta) -> str:
    """A compact duration for narrow columns: ``45s``, ``12m``, ``3h``, ``5d``, ``2y``; negative gets ``-``."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 60:
        text = f"{seconds}s"
    elif seconds < 3600:
        text = f"{seconds // 60}m"
    elif seconds < 86400:
        text = f"{seconds // 3600}h"
    elif seconds < 86400 * 365:
        text = f"{seconds // 86400}d"
    else:
        text = f"{seconds // (86400 * 365)}y"
    return sign + text
