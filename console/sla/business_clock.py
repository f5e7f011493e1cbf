"""Business-time arithmetic: how much of a support offer's service hours lies between two moments, and when a
clock that runs only in those hours, and not while paused, reaches its target.

Pure functions over aware datetimes; no storage, no Textual. A :class:`Calendar` is a weekly schedule in a
time zone with a set of holidays. Daylight-saving changes are handled by converting each local opening span to
UTC separately: a 09:00-18:00 day is nine real hours whether or not the clocks moved overnight, and a
00:00-24:00 day is 23 or 25 hours on the days the clocks change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from console.sla.service_hours import DAYS, Schedule, parse_service_hours

#: A calendar with no opening hours in this many days is refused rather than searched forever.
MAX_SEARCH_DAYS = 3 * 366


class NeverOpen(ValueError):
    """The calendar has no service hours to count in (every day closed or a holiday)."""


@dataclass(frozen=True)
class Calendar:
    """Weekly service hours (``{day: [(start_minute, end_minute)]}``) in ``zone``, closed on ``holidays``."""

    schedule: Schedule
    zone: ZoneInfo
    holidays: frozenset[date] = frozenset()
    _spans: dict[date, list[tuple[datetime, datetime]]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, service_hours: str, time_zone: str, holidays: Iterable[date] = ()) -> Calendar:
        """A calendar from an offer's service-hours text and IANA time zone name."""
        return cls(parse_service_hours(service_hours), ZoneInfo(time_zone), frozenset(holidays))

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening spans of local ``day`` in UTC, in order (none on a holiday)."""
        cached = self._spans.get(day)
        if cached is not None:
            return cached
        out: list[tuple[datetime, datetime]] = []
        if day not in self.holidays:
            for start, end in self.schedule[DAYS[day.weekday()]]:
                a = _local(day, start, self.zone)
                b = _local(day, end, self.zone)
                if b > a:
                    out.append((a, b))
        if len(self._spans) > 20_000:
            self._spans.clear()
        self._spans[day] = out
        return out

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside the service hours."""
        day = self.local_date(moment)
        return any(a <= moment < b for d in (day - timedelta(days=1), day) for a, b in self.spans(d))


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Local ``day`` at ``minute`` past midnight (1440 = the next midnight), as UTC.

    An ambiguous local time (the repeated hour of a fall-back change) is its first occurrence; a time that does
    not exist (skipped by a spring-forward change) is the instant the clocks jumped, so spans never run
    backwards and a skipped hour is never counted.
    """
    if minute >= 1440:
        day, minute = day + timedelta(days=1), minute - 1440
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In a gap: the jump lies between the two readings; find it to the second.
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = first
    if lo > hi:
        lo, hi = hi, lo
    after = hi.astimezone(zone).utcoffset()
    while (hi - lo) > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def _spans_from(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Opening spans that end after ``start``, clipped to begin no earlier than it, in order, forever."""
    day = calendar.local_date(start) - timedelta(days=1)
    empty_days = 0
    while True:
        spans = calendar.spans(day)
        if spans:
            empty_days = 0
        else:
            empty_days += 1
            if empty_days > MAX_SEARCH_DAYS:
                raise NeverOpen("the service hours and holidays leave no time to count in")
        for a, b in spans:
            if b > start:
                yield max(a, start), b
        day += timedelta(days=1)


def business_seconds(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Seconds of service hours in ``[start, end)``; 0 when ``end`` is not after ``start``."""
    if end <= start:
        return 0.0
    total = 0.0
    day = calendar.local_date(start) - timedelta(days=1)
    last = calendar.local_date(end) + timedelta(days=1)
    while day <= last:
        for a, b in calendar.spans(day):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def add_business(calendar: Calendar, start: datetime, seconds: float) -> datetime:
    """The moment at which ``seconds`` of service hours have passed since ``start``.

    ``seconds <= 0`` returns ``start``. Raises :class:`NeverOpen` for a calendar without opening hours.
    """
    if seconds <= 0:
        return start
    left = seconds
    for a, b in _spans_from(calendar, start):
        length = (b - a).total_seconds()
        if length >= left:
            return a + timedelta(seconds=left)
        left -= length
    raise AssertionError("unreachable")  # pragma: no cover - _spans_from is endless or raises


@dataclass(frozen=True)
class Pause:
    """A stretch in which the clock does not run; ``end`` is ``None`` while it lasts."""

    start: datetime
    end: datetime | None = None


def merge_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    """Pauses sorted and merged, so that overlapping or touching ones count once, whatever their order."""
    ordered = sorted(pauses, key=lambda p: (p.start, p.end is None, p.end or p.start))
    merged: list[Pause] = []
    for p in ordered:
        if p.end is not None and p.end <= p.start:
            continue
        if merged and (merged[-1].end is None or p.start <= merged[-1].end):
            last = merged[-1]
            end = None if last.end is None or p.end is None else max(last.end, p.end)
            merged[-1] = Pause(last.start, end)
        else:
            merged.append(p)
    return merged


def _running(start: datetime, pauses: Iterable[Pause]) -> Iterator[tuple[datetime, datetime | None]]:
    """The stretches after ``start`` in which the clock runs (the last one open-ended unless paused)."""
    cursor: datetime | None = start
    for p in merge_pauses(pauses):
        assert cursor is not None
        if p.end is not None and p.end <= cursor:
            continue
        if p.start > cursor:
            yield cursor, p.start
        cursor = p.end
        if cursor is None:
            return
    yield cursor, None  # type: ignore[misc]


def elapsed(calendar: Calendar, start: datetime, now: datetime, pauses: Iterable[Pause] = ()) -> float:
    """Business seconds the clock has run between ``start`` and ``now``, pauses left out."""
    total = 0.0
    for a, b in _running(start, pauses):
        if a >= now:
            break
        total += business_seconds(calendar, a, now if b is None else min(b, now))
    return total


def reaches(calendar: Calendar, start: datetime, target: float, pauses: Iterable[Pause] = ()) -> datetime | None:
    """When the clock started at ``start`` reaches ``target`` business seconds, given the pauses; ``None`` if
    it is paused (open-endedly) before it gets there."""
    left = target
    for a, b in _running(start, pauses):
        if b is None:
            return add_business(calendar, a, left)
        run = business_seconds(calendar, a, b)
        if run >= left:
            return add_business(calendar, a, left)
        left -= run
    return None


def pauses_from_statuses(
    start: datetime, initial: str, transitions: Iterable[tuple[datetime, str]], paused: Iterable[str]
) -> list[Pause]:
    """Pauses from a ticket's status history: ``initial`` at ``start``, then ``(when, new status)`` pairs, sorted
    here by time.

    The clock is paused while the status is one of ``paused``. Transitions at the same moment (the timeline
    keeps whole seconds) are taken in the order given, which is the order they were written: waiting on the
    customer and back in progress within one second ends unpaused. (Ordering them by status name left such a
    ticket paused.)
    """
    stop = set(paused)
    out: list[Pause] = []
    current = initial
    since: datetime | None = start if initial in stop else None
    for when, status in sorted(transitions, key=lambda t: t[0]):  # stable: ties keep their written order
        if status in stop and current not in stop:
            since = when
        elif current in stop and status not in stop and since is not None:
            out.append(Pause(since, when))
            since = None
        current = status
    if since is not None:
        out.append(Pause(since, None))
    return out
