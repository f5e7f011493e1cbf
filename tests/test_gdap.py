"""GDAP relationships read from the sandbox's Microsoft Graph (127.0.0.1) into a real workspace, the readiness
rules per task, and the account's GDAP section (core and screen).

Field names and status values: Microsoft Graph v1.0 "delegatedAdminRelationship" and
"delegatedAdminAccessAssignment" resource types (learn.microsoft.com); role template ids: "Microsoft Entra
built-in roles" (MicrosoftDocs/entra-docs permissions-reference.md); which roles allow which task:
partner-center "GDAP role guidance" (gdap-least-privileged-roles-by-task).
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from console.billing.account import load_account
from console.cli.main import main
from console.microsoft import gdap
from console.microsoft.connect import connect
from console.sandbox import Sandbox
from console.sandbox.graph import DIRECTORY_READERS, GLOBAL_READER, SERVICE_SUPPORT_ADMINISTRATOR
from console.screens.account import AccountScreen
from console.settings.config import Microsoft
from console.store import Workspace
from tests.conftest import NOW, empty_config
from tests.ui import make_app, settle


@pytest.fixture
def graph_box(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The sandbox's Graph with four kinds of customer: expiring soon, none, a reader only, unassigned roles."""
    monkeypatch.setenv("CSP_CONSOLE_GRAPH_URL", sandbox.url)
    sandbox.graph.page_size = 3  # several pages: @odata.nextLink is followed
    customers = sandbox.state.customers
    now = NOW
    expiring, missing, reader, unassigned = (str(c["companyProfile"]["tenantId"]) for c in customers[:4])
    for tenant in (expiring, missing, reader, unassigned):
        sandbox.graph.remove_customer(tenant)
    sandbox.graph.add_relationship(
        expiring, "Expiring Co", activated=now - timedelta(days=720), duration_days=730, display_name="Support Exp"
    )
    sandbox.graph.add_relationship(
        missing, "Old Co", status="expired", activated=now - timedelta(days=800), duration_days=730
    )
    sandbox.graph.add_relationship(reader, "Reader Co", roles=(DIRECTORY_READERS,), activated=now - timedelta(days=5))
    sandbox.graph.add_relationship(
        unassigned,
        "Unassigned Co",
        roles=(SERVICE_SUPPORT_ADMINISTRATOR, GLOBAL_READER),
        assigned_roles=(),
        activated=now - timedelta(days=5),
    )
    return sandbox


def customer_id(box: Sandbox, index: int) -> str:
    return str(box.state.customers[index]["id"])


def test_sync_reads_every_page_and_the_readiness_of_each_task(graph_box: Sandbox, demo_ws: Workspace) -> None:
    assert gdap.readiness(demo_ws, customer_id(graph_box, 0), "diagnose", NOW).known is False
    clients = connect(Microsoft())
    try:
        assert clients.graph is not None
        report = gdap.sync(demo_ws, clients.graph)
    finally:
        clients.close()
    assert report.relationships == len(graph_box.graph.relationships) and not report.skipped
    pages = [r for r in graph_box.state.requests if r["path"].startswith("/v1.0/tenantRelationships")]
    assert any("$skiptoken" in r["path"] for r in pages)
    stored = demo_ws.gdap.gdap_relationships()
    assert {r["id"] for r in stored} == {r["id"] for r in graph_box.graph.relationships}

    ok = gdap.readiness(demo_ws, customer_id(graph_box, 0), "escalate", NOW)
    assert ok.ok and "gives the desk" in ok.message and "Support Exp ends 2026-12-03 (10 days)" in ok.message
    assert gdap.readiness(demo_ws, customer_id(graph_box, 4), "diagnose", NOW).ok
    expired = gdap.readiness(demo_ws, customer_id(graph_box, 1), "diagnose", NOW)
    assert not expired.ok and "expired" in expired.message
    reader = gdap.readiness(demo_ws, customer_id(graph_box, 2), "escalate", NOW)
    assert not reader.ok and "Directory Readers" in reader.message
    assert gdap.readiness(demo_ws, customer_id(graph_box, 2), "escalate_azure", NOW).ok  # any Entra role
    unassigned = gdap.readiness(demo_ws, customer_id(graph_box, 3), "escalate", NOW)
    assert not unassigned.ok and "no access assignment" in unassigned.message


def test_a_customer_without_any_relationship(graph_box: Sandbox, demo_ws: Workspace) -> None:
    tenant = str(graph_box.state.customers[5]["companyProfile"]["tenantId"])
    graph_box.graph.remove_customer(tenant)
    clients = connect(Microsoft())
    try:
        assert clients.graph is not None
        gdap.sync(demo_ws, clients.graph)
    finally:
        clients.close()
    verdict = gdap.readiness(demo_ws, customer_id(graph_box, 5), "diagnose", NOW)
    assert not verdict.ok and verdict.known and "No GDAP relationship" in verdict.message


def test_configured_task_roles_replace_the_default() -> None:
    roles = gdap.task_roles({"diagnose": ["Directory Readers"]})
    assert roles["diagnose"] == frozenset({DIRECTORY_READERS})
    assert SERVICE_SUPPORT_ADMINISTRATOR in roles["escalate"]
    with pytest.raises(ValueError, match=r"gdap_task_roles\.diagnose.*'Chief Wizard'"):
        gdap.task_roles({"diagnose": ["Chief Wizard"]})


def test_an_unreadable_relationship_is_skipped_and_reported(graph_box: Sandbox, demo_ws: Workspace) -> None:
    bad = graph_box.graph.add_relationship("x", "Broken Co")
    bad["customer"] = {"displayName": "Broken Co"}  # no tenantId
    clients = connect(Microsoft())
    try:
        assert clients.graph is not None
        report = gdap.sync(demo_ws, clients.graph)
    finally:
        clients.close()
    assert report.skipped == [f"{bad['id']}: relationship {bad['id']} names no customer tenantId"]
    assert report.relationships == len(graph_box.graph.relationships) - 1


def test_cli_gdap_sync_warns_and_check_exits(
    graph_box: Sandbox,
    demo_ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")  # the commands act as an agent of the workspace
    # The commands' clock at the fixture's NOW: the relationships are dated from it (on the real clock, "Support
    # Exp" ended on 2026-12-03 and this test failed from that day on).
    monkeypatch.setattr("console.cli.desk.utcnow", lambda: NOW)
    config = str(empty_config(tmp_path))
    assert main(["gdap", "sync", "--db", str(demo_ws.locator), "--config", config]) == 0
    out = capsys.readouterr().out
    assert "warning: GDAP relationship Support Exp ends" in out
    assert (
        main(["gdap", "check", customer_id(graph_box, 2), "escalate", "--db", str(demo_ws.locator), "--config", config])
        == 3
    )
    assert (
        main(["gdap", "check", customer_id(graph_box, 0), "diagnose", "--db", str(demo_ws.locator), "--config", config])
        == 0
    )


def test_the_account_shows_relationships_roles_and_the_expiry_warning(graph_box: Sandbox, demo_ws: Workspace) -> None:
    clients = connect(Microsoft())
    try:
        assert clients.graph is not None
        gdap.sync(demo_ws, clients.graph)
    finally:
        clients.close()
    account = load_account(demo_ws, customer_id(graph_box, 0), NOW)
    assert account.gdap_known and len(account.gdap) == 1
    line = account.gdap[0]
    assert "Service Support Administrator" in line.roles and "Global Reader" in line.roles
    assert line.warning.startswith("GDAP relationship Support Exp ends")
    unassigned = load_account(demo_ws, customer_id(graph_box, 3), NOW).gdap[0]
    assert unassigned.roles == [] and "Service Support Administrator" in unassigned.unassigned


async def test_the_account_screen_shows_the_gdap_section(
    graph_box: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    clients = connect(Microsoft())
    try:
        assert clients.graph is not None
        gdap.sync(demo_ws, clients.graph)
    finally:
        clients.close()
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_account(customer_id(graph_box, 0))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        shown = Console(file=io.StringIO(), width=120, color_system=None)
        shown.print(screen.query_one("#gdap", Static).content)
        text = " ".join(shown.file.getvalue().split())  # type: ignore[attr-defined]
        assert "Delegated admin (GDAP) relationships" in text
        assert "Support Exp" in text and "Service Support Administrator" in text
        assert "ask the customer to approve a new one" in text


def test_sync_reads_gdap_and_escalating_without_a_relationship_warns_first(
    graph_box: Sandbox,
    demo_ws: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`csp-console sync` reads the GDAP relationships after Partner Center; escalating a customer's Azure problem
    when the desk has no relationship with it says so before the case goes (issue #16, GDAP)."""
    from console.settings.config import write_demo_config
    from tests.test_escalation import pick

    config = tmp_path / "config.toml"
    write_demo_config(config)
    args = ["--db", str(demo_ws.locator), "--config", str(config)]
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")
    ticket_id = pick(demo_ws, "azure", "technical")
    ticket = demo_ws.tickets.ticket(ticket_id)
    assert ticket is not None
    tenant = demo_ws.gdap.customer_tenant(ticket["customerId"])
    assert tenant is not None
    graph_box.graph.remove_customer(tenant)
    assert main(["sync", *args]) == 0
    out = capsys.readouterr().out
    assert "GDAP: " in out and "relationships read" in out
    assert demo_ws.gdap.gdap_synced_date() is not None
    main(["escalate", ticket_id, "--vehicle", "advanced", "--no-deliver", *args])
    err = capsys.readouterr().err
    assert "warning: No GDAP relationship with this customer" in err


def test_a_relationship_whose_assignments_cannot_be_read_is_skipped_not_the_sync(
    graph_box: Sandbox, demo_ws: Workspace
) -> None:
    """Graph failing on one relationship's accessAssignments costs that relationship only (found in review: the
    whole GDAP sync stopped)."""
    first = next(r for r in graph_box.graph.relationships if r["status"] == "active")
    graph_box.fault(f"{first['id']}/accessAssignments", "500", times=50)
    clients = connect(Microsoft())
    try:
        report = gdap.sync(demo_ws, clients.graph)
    finally:
        clients.close()
    assert [s.split(":")[0] for s in report.skipped] == [first["id"]]
    assert report.relationships == len(graph_box.graph.relationships) - 1
