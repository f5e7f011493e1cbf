"""Cross-service checks and the escalation handlers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from console.plugin_api import Level, Vehicle
from console.plugins.host import load_plugins
from console.settings.config import Competency
from console.testing import context, offer, partner, receivable, subscription, ticket
from plugins.common import checks


@pytest.mark.parametrize(
    ("days", "stage", "level"),
    [
        (0, None, None),  # due today: not overdue
        (1, "reminder", Level.INFO),
        (14, "reminder", Level.INFO),
        (15, "second notice", Level.WARNING),
        (29, "second notice", Level.WARNING),
        (30, "final notice", Level.WARNING),
        (44, "final notice", Level.WARNING),
        (45, "access warning", Level.CRITICAL),
        (59, "access warning", Level.CRITICAL),
        (60, "suspension", Level.CRITICAL),
        (89, "suspension", Level.CRITICAL),
        (90, "collections", Level.CRITICAL),
    ],
)
def test_overdue_dunning_stages(days: int, stage: str | None, level: Level | None) -> None:
    due = date(2026, 11, 23) - timedelta(days=days)
    found = list(checks.overdue_receivables(context(receivables=[receivable(due_date=due)])))
    if stage is None:
        assert found == []
    else:
        assert f"Collections stage: {stage}." in found[0].explanation and found[0].level == level
        assert f"oldest {days} days" in found[0].title


def test_paid_and_written_off_invoices_are_not_overdue() -> None:
    rs = [
        receivable(due_date=date(2026, 1, 1), status="paid", paid=receivable().total),
        receivable(id="w", due_date=date(2026, 1, 1), status="written_off"),
    ]
    assert list(checks.overdue_receivables(context(receivables=rs))) == []


def test_outside_offer_type_service_channel_and_hours() -> None:
    o = offer(
        support_types=("billing",),
        services=("azure",),
        contact_methods=("email",),
        service_hours="mon-fri 09:00-18:00",
        time_zone="Asia/Tokyo",
    )
    # Friday 2026-11-20 02:00 UTC = 11:00 in Tokyo: inside hours.
    inside = ticket(category="billing", service="azure", channel="email")
    assert list(checks.outside_offer(context(ticket=inside, offer=o))) == []
    # Saturday 11:00 in Tokyo, by phone, technical, Microsoft 365: outside on every count.
    outside = ticket(
        category="technical", service="office365", channel="phone", created=datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    )
    found = [f.title for f in checks.outside_offer(context(ticket=outside, offer=o))]
    assert found == [
        "Technical support is not in the offer",
        "Service office365 is not covered by the offer",
        "Contact by phone is not in the offer",
        "Request arrived outside service hours",
    ]
    # 18:00 Tokyo is closing time: outside.
    late = ticket(
        category="billing", service="azure", channel="email", created=datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    )
    assert [f.title for f in checks.outside_offer(context(ticket=late, offer=o))] == [
        "Request arrived outside service hours"
    ]
    assert "No support offer" in next(checks.outside_offer(context(ticket=inside))).title
    # Monday 2026-11-23 11:00 in Tokyo is Labour Thanksgiving Day: closed when the offer's calendar says so.
    holiday = ticket(
        category="billing", service="azure", channel="email", created=datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    )
    assert list(checks.outside_offer(context(ticket=holiday, offer=o))) == []
    closed = offer(**{**o.__dict__, "holiday_calendar": "jp", "holidays": frozenset({date(2026, 11, 23)})})
    assert [f.title for f in checks.outside_offer(context(ticket=holiday, offer=closed))] == [
        "Request arrived outside service hours"
    ]


def test_classification_suggests_service_and_category() -> None:
    host = load_plugins()
    services = list(host.services.values())
    t = ticket(service=None, category=None, title="請求書の金額", body="Outlook のライセンスの請求金額を確認したい")
    found = list(checks.classify(context(ticket=t, services=services)))
    assert "service Microsoft 365 (office365)" in found[0].title and "category billing" in found[0].title
    vm = ticket(service=None, category=None, title="VM down", body="Our Azure virtual machine has an outage")
    found = list(checks.classify(context(ticket=vm, services=services)))
    assert "(azure)" in found[0].title and "technical" in found[0].title
    assert list(checks.classify(context(ticket=ticket(), services=services))) == []
    vague = ticket(service=None, category=None, title="Hello", body="Please call me.")
    assert next(checks.classify(context(ticket=vague, services=services))).level == Level.WARNING


def _handlers(service: str) -> dict[Vehicle, object]:
    return {h.handler.vehicle: h.handler for h in load_plugins().handlers_for(service)}


@pytest.mark.parametrize(
    ("p", "eligible"),
    [
        (partner(), {Vehicle.COMMERCIAL}),
        (partner(advanced=True), {Vehicle.COMMERCIAL, Vehicle.ADVANCED}),
        (
            partner(premier=True, competencies=[Competency("Cloud Platform", "silver", True)]),
            {Vehicle.COMMERCIAL, Vehicle.PREMIER, Vehicle.SIGNATURE},
        ),
    ],
)
def test_vehicle_eligibility_for_a_technical_azure_ticket(p: object, eligible: set[Vehicle]) -> None:
    ctx = context(ticket=ticket(service="azure", category="technical"), partner=p)  # type: ignore[arg-type]
    result = {v: h.eligibility(ctx) for v, h in _handlers("azure").items()}  # type: ignore[attr-defined]
    assert {v for v, e in result.items() if e.eligible} == eligible - {Vehicle.COMMERCIAL}
    assert "not technical problems" in result[Vehicle.COMMERCIAL].reason
    assert all(e.reason for e in result.values())  # every refusal says why


def test_billing_ticket_goes_to_commercial_and_dynamics_has_no_signature() -> None:
    ctx = context(ticket=ticket(service="office365", category="billing"), partner=partner(premier=True))
    result = {v: h.eligibility(ctx) for v, h in _handlers("office365").items()}  # type: ignore[attr-defined]
    assert result[Vehicle.COMMERCIAL].eligible and not result[Vehicle.PREMIER].eligible
    assert Vehicle.SIGNATURE not in _handlers("dynamics365")


def test_case_draft_carries_severity_letter_and_diagnostics() -> None:
    t = ticket(service="azure", severity="critical", title="VMs down [bold]now[/]")
    ctx = context(
        ticket=t, subscriptions=[subscription(service="azure", offer_name="Azure plan")], partner=partner(advanced=True)
    )
    handler = _handlers("azure")[Vehicle.ADVANCED]
    from console.plugin_api import Family, Finding

    case = handler.build_case(
        ctx,
        [
            Finding(
                check_id="x", family=Family.TECHNICAL, level=Level.CRITICAL, title="Region down", explanation="All VMs"
            )
        ],
    )  # type: ignore[attr-defined]
    assert case.severity_letter == "A" and case.vehicle == Vehicle.ADVANCED
    assert case.title == "Azure: VMs down [bold]now[/]"
    assert "Azure plan" in case.description and "[critical] Region down: All VMs" in case.description
    assert case.support_topic.startswith("Azure / Technical")


def test_money_has_no_minor_unit_for_yen() -> None:
    from decimal import Decimal

    from console.shared.money import money

    assert money(Decimal("1250000"), "JPY") == "1,250,000 JPY"
    assert money(Decimal("4210.5"), "usd") == "4,210.50 USD"
    assert money(Decimal("0"), "EUR", with_code=False) == "0.00"
