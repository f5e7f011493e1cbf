"""Microsoft 365 checks, each on both sides of its threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.plugin_api import Audience, Boundary, Level, Vehicle
from console.testing import NOW, context, partner, subscription, ticket
from plugins.office365 import checks


def titles(findings: object) -> list[str]:
    return [f.title for f in findings]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("age_hours", "expected"),
    [(167, "open, 1 h left"), (100, "open, 68 h left"), (169, None)],
)
def test_nce_window_open_or_closed(age_hours: int, expected: str | None) -> None:
    sub = subscription(created=NOW - timedelta(hours=age_hours))
    found = checks.nce_window(context(ticket=ticket(category="billing"), subscriptions=[sub]))
    if expected is None:
        assert found == []  # closed, and the ticket is not about the subscription: no clutter
    else:
        assert expected in found[0].title
        assert found[0].level == (Level.WARNING if age_hours > 144 else Level.INFO)


def test_nce_window_closed_is_said_for_subscription_questions() -> None:
    sub = subscription(created=NOW - timedelta(days=10))
    found = checks.nce_window(context(ticket=ticket(category="subscription"), subscriptions=[sub]))
    assert "closed 3 days ago" in found[0].title
    legacy = subscription(created=NOW - timedelta(days=1), nce=False)
    assert checks.nce_window(context(ticket=ticket(category="subscription"), subscriptions=[legacy])) == []


@pytest.mark.parametrize(
    ("age_days", "auto_renew", "expected", "level"),
    [
        (24, True, "converts to paid in 6 days", Level.WARNING),
        (22, True, "converts to paid in 8 days", Level.INFO),
        (24, False, "ends in 6 days (auto-renew off)", Level.INFO),
        (31, True, None, None),
    ],
)
def test_trial_conversion(age_days: int, auto_renew: bool, expected: str | None, level: Level | None) -> None:
    sub = subscription(is_trial=True, quantity=25, auto_renew=auto_renew, created=NOW - timedelta(days=age_days))
    found = list(checks.trial_conversion(context(subscriptions=[sub])))
    if expected is None:
        assert found == []
    else:
        assert expected in found[0].title and found[0].level == level


@pytest.mark.parametrize(
    ("seats", "level"),
    [(269, None), (270, Level.WARNING), (300, Level.WARNING), (301, Level.CRITICAL)],
)
def test_business_seat_cap(seats: int, level: Level | None) -> None:
    subs = [
        subscription(id="a", offer_name="Microsoft 365 Business Premium", quantity=seats - 100),
        subscription(id="b", offer_name="Microsoft 365 Business Basic", quantity=100),
        subscription(id="c", offer_name="Office 365 E3", quantity=500),  # not in the Business family
    ]
    found = list(checks.business_seat_cap(context(subscriptions=subs)))
    assert [f.level for f in found] == ([level] if level else [])


@pytest.mark.parametrize(("assigned", "count"), [(10, 0), (11, 1)])
def test_over_assigned(assigned: int, count: int) -> None:
    found = list(checks.over_assigned(context(subscriptions=[subscription(assigned_seats=assigned)])))
    assert len(found) == count
    if count:
        assert "1 more licences assigned" in found[0].title and "90 days" in found[0].explanation


@pytest.mark.parametrize(("base_status", "count"), [("active", 0), ("suspended", 1)])
def test_addon_on_suspended_base(base_status: str, count: int) -> None:
    base = subscription(id="base", status=base_status)
    addon = subscription(id="addon", offer_name="Microsoft Teams Phone Standard", parent_id="base")
    found = list(checks.addon_on_suspended_base(context(subscriptions=[base, addon])))
    assert len(found) == count


@pytest.mark.parametrize(
    ("status", "nce", "words"),
    [("suspended", True, "still billing"), ("suspended", False, "legacy"), ("active", True, None)],
)
def test_suspended_still_billing(status: str, nce: bool, words: str | None) -> None:
    found = list(checks.suspended_still_billing(context(subscriptions=[subscription(status=status, nce=nce)])))
    assert (words in found[0].title) if words else found == []


@pytest.mark.parametrize(
    ("status", "days_after_end", "stage"),
    [
        ("expired", 29, "expired"),
        ("expired", 30, "disabled"),
        ("disabled", 119, "disabled"),
        ("disabled", 120, "deleted"),
        ("active", 200, None),
    ],
)
def test_lifecycle(status: str, days_after_end: int, stage: str | None) -> None:
    sub = subscription(status=status, commitment_end=NOW - timedelta(days=days_after_end))
    found = checks.lifecycle(context(subscriptions=[sub]))
    assert [f.title.split(": ")[1].split(",")[0] for f in found] == ([stage] if stage else [])


def test_technical_outage_escalates_through_the_best_vehicle() -> None:
    outage = ticket(severity="critical", title="Exchange Online mail flow stopped")
    found = list(checks.technical(context(ticket=outage, partner=partner(advanced=True))))
    escalate = [f for f in found if f.boundary == Boundary.ESCALATE]
    assert escalate and escalate[0].vehicle == Vehicle.ADVANCED
    minor = list(checks.technical(context(ticket=ticket(severity="minimal", title="Signature not shown"))))
    assert [f.boundary for f in minor] == [Boundary.INSIDE]
    assert list(checks.technical(context(ticket=ticket(category="billing")))) == []


def test_opportunities_are_for_sales() -> None:
    subs = [
        subscription(id="m", term="P1M", billing_cycle="monthly"),
        subscription(id="big", offer_name="Microsoft 365 Business Standard", quantity=260),
        subscription(id="t", is_trial=True, created=NOW - timedelta(days=25)),
    ]
    found = list(checks.opportunities(context(subscriptions=subs)))
    assert all(f.audience == Audience.SALES for f in found)
    assert any("annual term costs 20 % less" in t for t in titles(found))
    assert any("Enterprise plan" in t for t in titles(found))
    assert any("Trial" in t for t in titles(found))
    none = list(checks.opportunities(context(subscriptions=[subscription(quantity=10)])))
    assert none == []
