"""The Windows 365 plugin's checks, tested with the console's plugin fixtures."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("seats", "count"), [(300, 0), (301, 1)])
def test_business_cap(csp_build, csp_run, seats: int, count: int) -> None:
    sub = csp_build.subscription(service="windows365", offer_name="Windows 365 Business 2 vCPU", quantity=seats)
    ctx = csp_build.context(ticket=csp_build.ticket(service="windows365"), subscriptions=[sub])
    findings, failures = csp_run(ctx)
    assert failures == []
    assert len([f for f in findings if f.check_id == "windows365.business_cap"]) == count


@pytest.mark.parametrize(("base", "count"), [("Microsoft 365 E3", 0), ("Exchange Online (Plan 1)", 1)])
def test_enterprise_prerequisites(csp_build, csp_run, base: str, count: int) -> None:
    subs = [
        csp_build.subscription(id="w", service="windows365", offer_name="Windows 365 Enterprise 4 vCPU"),
        csp_build.subscription(id="b", offer_name=base),
    ]
    findings, _ = csp_run(csp_build.context(ticket=csp_build.ticket(service="windows365"), subscriptions=subs))
    assert len([f for f in findings if f.check_id == "windows365.prerequisites"]) == count


def test_checks_do_not_run_for_other_services(csp_build, csp_run) -> None:
    sub = csp_build.subscription(service="windows365", offer_name="Windows 365 Business", quantity=999)
    findings, _ = csp_run(csp_build.context(ticket=csp_build.ticket(service="azure"), subscriptions=[sub]))
    assert findings == []


def test_the_seats_section_shows_the_business_headroom(csp_build) -> None:
    import csp_windows365

    subs = [csp_build.subscription(service="windows365", offer_name="Windows 365 Business 2 vCPU", quantity=280)]
    lines = csp_windows365.seat_lines(csp_build.context(subscriptions=subs))
    assert lines == ["Windows 365 Business 2 vCPU: 280 seats (active)", "Business seats: 280 of 300 (20 left)"]
    assert csp_windows365.seat_lines(csp_build.context()) == ["No Windows 365 subscription."]


@pytest.mark.parametrize(("title", "family"), [("Cloud PC Business が起動しない", "Business"), ("Cloud PC", "")])
def test_the_plan_column(csp_build, title: str, family: str) -> None:
    import csp_windows365

    assert csp_windows365.plan_family(csp_build.ticket(service="windows365", title=title)) == family


def test_the_reach_is_registered(csp_host) -> None:
    assert [c.item.name for c in csp_host.commands] == ["windows365-seats"]
    assert [s.item.id for s in csp_host.sections] == ["windows365.seats"]
    assert [c.item.id for c in csp_host.columns] == ["windows365.plan"]
