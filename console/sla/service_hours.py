"""Service hours as written in a support offer: ``24x7`` or ``mon-fri 09:00-18:00; sat 10:00-14:00``.

Times are local to the offer's time zone. A day may carry several ranges (``mon-fri 09:00-12:00,
13:00-18:00``); ``24:00`` ends a day.
"""

from __future__ import annotations

import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Schedule = dict[str, list[tuple[int, int]]]

_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def _minutes(text: str, where: str) -> int:
    m = _TIME.match(text.strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"{where}: expected a time HH:MM, got {text.strip()!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


def _days(text: str, where: str) -> list[str]:
    text = text.strip().lower()
    if "-" in text:
        first, last = (part.strip() for part in text.split("-", 1))
        if first not in DAYS or last not in DAYS:
            raise ValueError(f"{where}: expected days such as mon-fri, got {text!r}")
        i, j = DAYS.index(first), DAYS.index(last)
        if j < i:
            raise ValueError(f"{where}: day range {text!r} runs backwards")
        return list(DAYS[i : j + 1])
    if text not in DAYS:
        raise ValueError(f"{where}: expected a day (mon..sun), got {text!r}")
    return [text]


def parse_service_hours(text: str) -> Schedule:
    """Parse service hours into ``{day: [(start_minute, end_minute), ...]}``; raise ``ValueError``."""
    if text.strip().lower() in ("24x7", "24/7"):
        return {day: [(0, 24 * 60)] for day in DAYS}
    schedule: Schedule = {day: [] for day in DAYS}
    entries = [e for e in text.split(";") if e.strip()]
    if not entries:
        raise ValueError("service hours are empty: write 24x7 or e.g. 'mon-fri 09:00-18:00'")
    for n, entry in enumerate(entries, start=1):
        where = f"service hours entry {n} ({entry.strip()!r})"
        parts = entry.strip().split(None, 1)
        if len(parts) != 2:
            raise ValueError(f"{where}: expected days then times, e.g. 'mon-fri 09:00-18:00'")
        days = _days(parts[0], where)
        for span in parts[1].split(","):
            if "-" not in span:
                raise ValueError(f"{where}: expected a time range HH:MM-HH:MM, got {span.strip()!r}")
            start_text, end_text = span.split("-", 1)
            start, end = _minutes(start_text, where), _minutes(end_text, where)
            if end <= start:
                raise ValueError(f"{where}: {span.strip()} ends before it starts")
            for day in days:
                for other_start, other_end in schedule[day]:
                    if start < other_end and other_start < end:
                        raise ValueError(f"{where}: {day} {span.strip()} overlaps another range")
                schedule[day].append((start, end))
    for day in DAYS:
        schedule[day].sort()
    return schedule


def describe(schedule: Schedule) -> str:
    """A short human text of a schedule: ``Mon-Fri 09:00-18:00, Sat 10:00-14:00``."""

    def fmt(spans: list[tuple[int, int]]) -> str:
        return ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans)

    if all(schedule[d] == [(0, 1440)] for d in DAYS):
        return "24x7"
    groups: list[tuple[list[str], str]] = []
    for day in DAYS:
        if not schedule[day]:
            continue
        text = fmt(schedule[day])
        if groups and groups[-1][1] == text and DAYS.index(groups[-1][0][-1]) == DAYS.index(day) - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    parts = []
    for days, text in groups:
        label = days[0].title() if len(days) == 1 else f"{days[0].title()}-{days[-1].title()}"
        parts.append(f"{label} {text}")
    return "; ".join(parts) or "no service hours"
