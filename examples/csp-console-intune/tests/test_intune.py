"""The Intune plugin's own tests, as a plugin author writes them with the console's fixtures."""

from __future__ import annotations

import argparse
from types import ModuleType

import csp_intune

from console.plugin_api import ActionContext, CommandContext, Event, EventKind

OFFICE = "office365"


def test_it_loads_with_every_part(csp_host: object) -> None:
    # csp_host fails this test by itself if the plugin did not load or registered no hook.
    assert csp_intune.SETTINGS["stale_days"] == 45  # the section reached csp_configure, checked


def test_the_section_lists_the_plans_that_include_intune(csp_build: ModuleType) -> None:
    e3 = csp_build.subscription(service=OFFICE, offer_name="Microsoft 365 E3", quantity=50, assigned_seats=42)
    ctx = csp_build.context(subscriptions=[e3])
    assert csp_intune.intune_plans(ctx) == ["Microsoft 365 E3: 42 of 50 users may enrol devices"]
    assert "cannot be enrolled" in csp_intune.intune_plans(csp_build.context())[0]


def test_the_device_name_is_checked() -> None:
    assert csp_intune.device_name("LAPTOP-0042") is None
    assert csp_intune.device_name("my laptop") is not None


def test_the_wipe_names_the_device(csp_build: ModuleType) -> None:
    ticket = csp_build.ticket(service="intune", fields={"intune.device": "LAPTOP-0042"})
    ctx = ActionContext(ticket=ticket, account=csp_build.context(ticket=ticket), settings={})
    result = csp_intune.wipe(ctx)
    assert result.message == "Wipe sent to LAPTOP-0042." and "factory reset" in (result.note or "")


def test_the_command_prints_each_customers_plans(csp_build: ModuleType) -> None:
    lines: list[str] = []
    e5 = csp_build.subscription(service=OFFICE, offer_name="Microsoft 365 E5", quantity=5, assigned_seats=5)
    ctx = CommandContext(
        args=argparse.Namespace(customer=None),
        settings={},
        echo=lines.append,
        account=lambda cid: csp_build.context(subscriptions=[e5]),
        customer_ids=lambda: ["cust-1"],
    )
    assert csp_intune.plans(ctx) == 0
    assert lines == ["株式会社テスト商事: Microsoft 365 E5: 5 of 5 users may enrol devices"]


def test_the_receiver_posts_nothing_without_a_webhook(csp_build: ModuleType) -> None:
    event = Event(id="e1", kind=EventKind.RESOLVED, at=csp_build.NOW, ticket=csp_build.ticket(service="intune"))
    csp_intune.post_to_teams(event, {"teams_webhook": ""})  # no network: returns at once
