"""Dynamics 365 checks, each on both sides of its threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.plugin_api import Boundary, Level, Vehicle
from console.settings.config import Competency
from console.testing import NOW, context, partner, subscription, ticket
from plugins.dynamics365 import checks


def d365(name: str, quantity: int, **changes: object) -> object:
    return subscription(service="dynamics365", offer_name=name, quantity=quantity, **changes)


@pytest.mark.parametrize(("attach", "count"), [(10, 0), (11, 1)])
def test_attach_needs_base(attach: int, count: int) -> None:
    subs = [
        d365("Dynamics 365 Sales Enterprise", 10, id="base"),
        d365("Dynamics 365 Customer Service Enterprise (Attach)", attach, id="attach"),
        d365("Dynamics 365 Team Members", 50, id="tm"),  # not a base licence
    ]
    assert len(list(checks.base_attach(context(subscriptions=subs)))) == count


@pytest.mark.parametrize(
    ("name", "users", "devices", "below"),
    [
        ("Dynamics 365 Finance", 19, 0, True),
        ("Dynamics 365 Finance", 20, 0, False),
        ("Dynamics 365 Supply Chain Management", 18, 5, False),  # 5 devices = 2 users
        ("Dynamics 365 Supply Chain Management", 18, 4, True),
        ("Dynamics 365 Commerce", 5, 0, True),
        ("Dynamics 365 Project Operations", 12, 0, True),
        ("Dynamics 365 Sales Enterprise", 5, 0, False),  # no minimum
    ],
)
def test_twenty_user_minimum(name: str, users: int, devices: int, below: bool) -> None:
    sub = d365(name, users, details={"deviceLicences": devices})
    assert bool(list(checks.twenty_user_minimum(context(subscriptions=[sub])))) is below


def test_nce_window() -> None:
    sub = d365("Dynamics 365 Sales Enterprise", 5, created=NOW - timedelta(hours=10))
    assert "158 h left" in checks.nce_window(context(subscriptions=[sub]))[0].title


@pytest.mark.parametrize(
    ("p", "vehicle"),
    [
        (partner(), None),
        (partner(competencies=[Competency("Cloud Business Applications", "gold", True)]), None),
        (partner(advanced=True), Vehicle.ADVANCED),
        (partner(premier=True), Vehicle.PREMIER),
    ],
)
def test_escalation_needs_asfp_or_higher(p: object, vehicle: Vehicle | None) -> None:
    t = ticket(service="dynamics365", severity="critical")
    found = list(checks.escalation_vehicle(context(ticket=t, partner=p)))  # type: ignore[arg-type]
    assert found[0].boundary == Boundary.ESCALATE and found[0].vehicle == vehicle
    if vehicle is None:
        assert found[0].level == Level.CRITICAL and "ASfP" in found[0].action
