"""Business-hours clocks: time zones, weekends, holidays, daylight-saving changes, pauses; with properties."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.sla.business_clock import (
    Calendar,
    NeverOpen,
    Pause,
    add_business,
    business_seconds,
    elapsed,
    merge_pauses,
    pauses_from_statuses,
    reaches,
)

H = 3600.0
TOKYO = Calendar.of("mon-fri 09:00-18:00", "Asia/Tokyo", [date(2026, 11, 23), date(2027, 1, 1)])
NEW_YORK = Calendar.of("mon-fri 08:00-17:00", "America/New_York")
ALWAYS_NY = Calendar.of("24x7", "America/New_York")
LONDON_NIGHTS = Calendar.of("mon-sun 00:00-03:00", "Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_tokyo_day_counts_nine_hours_and_skips_the_weekend_and_the_holiday() -> None:
    # Friday 2026-11-20 17:00 JST (08:00Z): one hour left that day; Mon 23 is Labour Thanksgiving Day.
    friday_5pm = utc(2026, 11, 20, 8)
    assert add_business(TOKYO, friday_5pm, 1 * H) == utc(2026, 11, 20, 9)  # 18:00 JST
    assert add_business(TOKYO, friday_5pm, 2 * H) == utc(2026, 11, 24, 1)  # Tue 10:00 JST
    assert business_seconds(TOKYO, friday_5pm, utc(2026, 11, 24, 1)) == 2 * H
    # Started outside hours, the clock starts at the next opening.
    saturday = utc(2026, 11, 21, 3)
    assert add_business(TOKYO, saturday, 30 * 60) == utc(2026, 11, 24, 0, 30)


def test_the_same_moment_in_two_time_zones() -> None:
    moment = utc(2026, 11, 24, 14)  # Tue 23:00 JST, Tue 09:00 New York
    assert not TOKYO.is_open(moment)
    assert NEW_YORK.is_open(moment)
    assert add_business(NEW_YORK, moment, 8 * H) == utc(2026, 11, 24, 22)  # 17:00 EST
    assert add_business(TOKYO, moment, 8 * H) == utc(2026, 11, 25, 8)  # Wed 17:00 JST


def test_daylight_saving_days_are_23_and_25_hours_long() -> None:
    spring = business_seconds(ALWAYS_NY, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4))
    autumn = business_seconds(ALWAYS_NY, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5))
    assert (spring, autumn) == (23 * H, 25 * H)
    # Office hours are nine real hours on both sides of the change: Fri 08:00 EST to Mon 08:00 EDT.
    friday = utc(2026, 3, 6, 13)
    assert add_business(NEW_YORK, friday, 9 * H) == utc(2026, 3, 6, 22)
    assert add_business(NEW_YORK, friday, 10 * H) == utc(2026, 3, 9, 13)  # Mon 09:00 EDT is 13:00Z


def test_a_span_across_the_skipped_hour_counts_only_real_time() -> None:
    # London springs forward at 01:00 GMT on 2026-03-29: 00:00-03:00 local is two real hours that night.
    assert business_seconds(LONDON_NIGHTS, utc(2026, 3, 29, 0), utc(2026, 3, 29, 12)) == 2 * H
    # ...and four on the night the clocks go back (01:00-02:00 happens twice).
    assert business_seconds(LONDON_NIGHTS, utc(2026, 10, 24, 23), utc(2026, 10, 25, 12)) == 4 * H


def test_a_calendar_without_hours_is_refused() -> None:
    never = Calendar.of("mon 09:00-10:00", "UTC", [utc(2026, 1, 5).date() + timedelta(weeks=w) for w in range(400)])
    with pytest.raises(NeverOpen):
        add_business(never, utc(2026, 1, 1), H)


def test_pauses_stop_the_clock_and_an_open_pause_has_no_due_time() -> None:
    start = utc(2026, 11, 24, 0)  # Tue 09:00 JST
    pauses = [Pause(utc(2026, 11, 24, 1), utc(2026, 11, 24, 3))]  # 10:00-12:00 waiting on the customer
    assert elapsed(TOKYO, start, utc(2026, 11, 24, 4), pauses) == 2 * H
    assert reaches(TOKYO, start, 4 * H, pauses) == utc(2026, 11, 24, 6)
    assert reaches(TOKYO, start, 4 * H, [Pause(utc(2026, 11, 24, 1))]) is None
    assert reaches(TOKYO, start, 30 * 60, [Pause(utc(2026, 11, 24, 1))]) == utc(2026, 11, 24, 0, 30)


def test_status_history_becomes_pauses() -> None:
    start = utc(2026, 11, 24, 0)
    history = [
        (utc(2026, 11, 24, 5), "in_progress"),
        (utc(2026, 11, 24, 1), "waiting_customer"),
        (utc(2026, 11, 24, 2), "waiting_microsoft"),
        (utc(2026, 11, 24, 7), "waiting_customer"),
    ]
    got = pauses_from_statuses(start, "new", history, {"waiting_customer", "waiting_microsoft"})
    assert got == [Pause(utc(2026, 11, 24, 1), utc(2026, 11, 24, 5)), Pause(utc(2026, 11, 24, 7), None)]
    # The policy may let the clock run while waiting on Microsoft.
    got = pauses_from_statuses(start, "new", history, {"waiting_customer"})
    assert got == [Pause(utc(2026, 11, 24, 1), utc(2026, 11, 24, 2)), Pause(utc(2026, 11, 24, 7), None)]
    assert pauses_from_statuses(start, "waiting_customer", [], {"waiting_customer"}) == [Pause(start, None)]


# -- properties -------------------------------------------------------------------------------------------

ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago"]
HOURS = ["24x7", "mon-fri 09:00-18:00", "mon-fri 08:00-12:00, 13:00-17:00; sat 10:00-14:00", "mon-sun 00:00-03:00"]
BASE = utc(2026, 1, 1)

moments = st.integers(min_value=0, max_value=366 * 24 * 60).map(lambda m: BASE + timedelta(minutes=m))
calendars = st.builds(
    lambda hours, zone, holidays: Calendar.of(hours, zone, holidays),
    st.sampled_from(HOURS),
    st.sampled_from(ZONES),
    st.sets(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 1, 31)), max_size=20),
)
pause_lists = st.lists(
    st.tuples(moments, st.integers(min_value=1, max_value=20 * 24 * 60), st.booleans()).map(
        lambda t: Pause(t[0], None if t[2] and t[1] % 7 == 0 else t[0] + timedelta(minutes=t[1]))
    ),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(calendars, moments, moments, moments)
def test_business_time_is_monotonic_and_additive(cal: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    ab, bc, ac = business_seconds(cal, a, b), business_seconds(cal, b, c), business_seconds(cal, a, c)
    assert 0 <= ab <= ac
    assert ab + bc == pytest.approx(ac)
    assert ab <= (b - a).total_seconds()


@settings(max_examples=150, deadline=None)
@given(calendars, moments, st.integers(min_value=0, max_value=200 * 60))
def test_adding_business_time_lands_where_it_was_counted(cal: Calendar, start: datetime, minutes: int) -> None:
    end = add_business(cal, start, minutes * 60.0)
    assert end >= start
    assert business_seconds(cal, start, end) == pytest.approx(minutes * 60.0)
    assert add_business(cal, start, (minutes + 30) * 60.0) >= end


@settings(max_examples=150, deadline=None)
@given(calendars, moments, pause_lists, moments, moments)
def test_elapsed_is_monotonic_and_pauses_never_count(
    cal: Calendar, start: datetime, pauses: list[Pause], t1: datetime, t2: datetime
) -> None:
    t1, t2 = sorted((t1, t2))
    e1, e2 = elapsed(cal, start, t1, pauses), elapsed(cal, start, t2, pauses)
    assert 0 <= e1 <= e2 + 1e-6
    assert e2 <= elapsed(cal, start, t2) + 1e-6  # pausing never adds time
    for p in merge_pauses(pauses):
        lo = max(p.start, start)
        hi = t2 if p.end is None else min(p.end, t2)
        if hi > lo:
            assert elapsed(cal, start, hi, pauses) == pytest.approx(elapsed(cal, start, lo, pauses))


@settings(max_examples=150, deadline=None)
@given(calendars, moments, pause_lists, st.integers(min_value=1, max_value=100 * 60), st.randoms())
def test_results_do_not_depend_on_the_order_events_arrive_in(
    cal: Calendar, start: datetime, pauses: list[Pause], minutes: int, rnd: random.Random
) -> None:
    shuffled = list(pauses)
    rnd.shuffle(shuffled)
    now = start + timedelta(days=30)
    assert elapsed(cal, start, now, pauses) == elapsed(cal, start, now, shuffled)
    due = reaches(cal, start, minutes * 60.0, pauses)
    assert due == reaches(cal, start, minutes * 60.0, shuffled)
    if due is not None:
        assert elapsed(cal, start, due, pauses) == pytest.approx(minutes * 60.0)


@settings(max_examples=100, deadline=None)
@given(
    moments,
    st.lists(
        st.tuples(moments, st.sampled_from(["in_progress", "waiting_customer", "waiting_microsoft"])),
        max_size=8,
        unique_by=lambda change: change[0],  # at one moment the written order decides (the next test)
    ),
    st.randoms(),
)
def test_status_histories_in_any_order_give_the_same_pauses(
    start: datetime, history: list[tuple[datetime, str]], rnd: random.Random
) -> None:
    shuffled = list(history)
    rnd.shuffle(shuffled)
    paused = {"waiting_customer", "waiting_microsoft"}
    assert pauses_from_statuses(start, "new", history, paused) == pauses_from_statuses(start, "new", shuffled, paused)


def test_changes_at_the_same_moment_keep_the_order_they_were_written() -> None:
    start = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    paused = {"waiting_customer", "waiting_microsoft"}
    back = [(start, "waiting_customer"), (start, "in_progress")]
    assert pauses_from_statuses(start, "triaged", back, paused) == [Pause(start, start)]
    away = [(start, "in_progress"), (start, "waiting_customer")]
    assert pauses_from_statuses(start, "triaged", away, paused) == [Pause(start, None)]
