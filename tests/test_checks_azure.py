"""Azure checks, each on both sides of its threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.plugin_api import Audience, Boundary, Level, Vehicle
from console.testing import NOW, context, partner, subscription, ticket
from plugins.azure import checks


def plan(**details: object) -> object:
    return subscription(service="azure", offer_id="DZH318Z0BPS6:0001", offer_name="Azure plan", details=details)


def reservation(age_days: float, price: int = 24000, refunded: int = 0) -> object:
    return subscription(
        service="azure",
        offer_id="DZH318Z0BQ4V:0001",
        offer_name="Azure Reserved VM Instances (1 year)",
        created=NOW - timedelta(days=age_days),
        details={"price": price, "refundedThisYear": refunded},
    )


@pytest.mark.parametrize(
    ("cost", "level"), [(3999, None), (4000, Level.WARNING), (4999.99, Level.WARNING), (5000, Level.CRITICAL)]
)
def test_budget_alert_at_80_percent(cost: float, level: Level | None) -> None:
    found = list(checks.spending_budget(context(subscriptions=[plan(budget=5000, monthToDateCost=cost)])))
    assert [f.level for f in found] == ([level] if level else [])
    if found:
        assert "does not stop usage" in found[0].explanation


def test_budget_ignores_missing_or_garbage_details() -> None:
    for details in (
        {},
        {"budget": 0, "monthToDateCost": 10},
        {"budget": "lots", "monthToDateCost": 1},
        {"budget": True, "monthToDateCost": 1},
    ):
        assert list(checks.spending_budget(context(subscriptions=[plan(**details)]))) == []


@pytest.mark.parametrize(("age", "words"), [(4.9, "without fee"), (5.1, "12 % fee (2,880.00 USD on a 24,000.00 USD")])
def test_reservation_cancellation_fee_after_5_days(age: float, words: str) -> None:
    found = list(checks.reservations(context(subscriptions=[reservation(age)])))
    assert words in found[0].title


@pytest.mark.parametrize(("refunded", "capped"), [(26000, False), (26001, True)])
def test_reservation_refund_cap(refunded: int, capped: bool) -> None:
    found = list(checks.reservations(context(subscriptions=[reservation(1, refunded=refunded)])))
    assert any("50,000.00 USD yearly cap" in f.title for f in found) is capped


@pytest.mark.parametrize(("access", "count"), [(True, 0), (None, 0), (False, 1)])
def test_partner_earned_credit(access: bool | None, count: int) -> None:
    details = {} if access is None else {"partnerAdminAccess": access}
    assert len(list(checks.partner_earned_credit(context(subscriptions=[plan(**details)])))) == count


@pytest.mark.parametrize(("day", "pending"), [(7, True), (8, False)])
def test_invoice_timing(day: int, pending: bool) -> None:
    now = datetime(2026, 12, day, 12, 0, tzinfo=UTC)
    found = list(checks.invoice_timing(context(ticket=ticket(service="azure", category="billing"), now=now)))
    assert ("not out yet" in found[0].title) is pending
    assert "by the 8th" in found[0].explanation
    assert list(checks.invoice_timing(context(ticket=ticket(service="azure", category="technical")))) == []


@pytest.mark.parametrize(("status", "count"), [("active", 0), ("suspended", 0), ("deleted", 1), ("disabled", 1)])
def test_retention_after_cancellation(status: str, count: int) -> None:
    sub = subscription(service="azure", offer_name="Azure plan", status=status)
    found = list(checks.retention(context(subscriptions=[sub])))
    assert len(found) == count
    if found:
        assert "30 to 90 days" in found[0].explanation


def test_technical_critical_escalates_with_premier_first() -> None:
    t = ticket(service="azure", severity="critical")
    found = list(checks.technical(context(ticket=t, partner=partner(premier=True, advanced=True))))
    assert found[-1].boundary == Boundary.ESCALATE and found[-1].vehicle == Vehicle.PREMIER
    found = list(checks.technical(context(ticket=ticket(service="azure", severity="moderate"))))
    assert [f.boundary for f in found] == [Boundary.INSIDE]


@pytest.mark.parametrize(("cost", "has_reservation", "count"), [(999, False, 0), (1000, False, 1), (5000, True, 0)])
def test_opportunity_reservations(cost: int, has_reservation: bool, count: int) -> None:
    subs = [plan(monthToDateCost=cost)] + ([reservation(100)] if has_reservation else [])
    found = list(checks.opportunities(context(subscriptions=subs)))
    assert len(found) == count and all(f.audience == Audience.SALES for f in found)


def test_the_budget_finding_formats_its_amounts_as_money() -> None:
    """The new-user trial read "16800.0 of 15000 USD": one money format (thousands, the currency's decimals)."""
    budget = plan(budget=15000, monthToDateCost=16800.0)
    (finding,) = checks.spending_budget(context(subscriptions=[budget]))
    assert "(16,800.00 of 15,000.00 USD)" in finding.title
    yen = plan(budget=2000000, monthToDateCost=1800000.0, currency="JPY")
    (finding,) = checks.spending_budget(context(subscriptions=[yen]))
    assert "(1,800,000 of 2,000,000 JPY)" in finding.title
