"""Triage on a real workspace: findings stored, the command line, opportunities."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console.cli.main import main
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.tickets.triage import Triage
from tests.conftest import NOW
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture


@pytest.fixture
def triage(demo_ws: Workspace, tmp_path: Path) -> Triage:
    write_demo_config(tmp_path / "c.toml")
    return Triage(demo_ws, load_plugins(), load_config(tmp_path / "c.toml").partner, lambda: NOW)


@pytest.fixture
def desk(demo_ws: Workspace, tmp_path: Path) -> Iterator[Desk]:
    """The findings are stored through the desk (``ticket.triage``): a helpdesk agent's."""
    write_demo_config(tmp_path / "d.toml")
    desk = Desk(demo_ws, load_config(tmp_path / "d.toml"), load_plugins(), "maria.garcia", lambda: NOW)
    yield desk
    desk.close()


def test_triage_ticket_stores_findings_and_replaces_them(desk: Desk, demo_ws: Workspace) -> None:
    row = next(r for batch in demo_ws.tickets.iter_tickets() for r in batch if r["service"] == "office365")
    result = desk.check(row["id"])
    assert result.failures == []
    stored = demo_ws.tickets.findings(row["seq"])
    assert [(s["plugin"], s["checkId"], s["title"]) for s in stored] == [
        (p, f.check_id, f.title) for p, f in result.findings
    ]
    again = desk.check(row["id"])
    assert len(demo_ws.tickets.findings(row["seq"])) == len(again.findings)  # replaced, not appended


def test_triage_open_covers_every_open_ticket(desk: Desk, demo_ws: Workspace) -> None:
    results = list(desk.check_open())
    open_count = demo_ws.records.counts()["open tickets"]
    assert len(results) == open_count
    assert all(r.failures == [] for r in results)
    checks = {f.check_id for r in results for _, f in r.findings}
    # The demo holds the situations every family of checks is about.
    for check in (
        "common.overdue",
        "office365.nce_window",
        "azure.budget",
        "dynamics365.escalation",
        "office365.over_assigned",
        "azure.reservations",
    ):
        assert check in checks, check
    assert all(f.audience == "agent" for r in results for _, f in r.findings)


def test_opportunities_only_for_sales(triage: Triage) -> None:
    found = triage.opportunities()
    assert found and all(f.audience == "sales" for _, _, f in found)


def test_cli_triage_and_opportunities(
    demo_copy: Callable[..., Where], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "maria.garcia")  # the findings are stored as an agent (ticket.triage)
    db = demo_copy("w")
    assert main(["triage", "--db", str(db), "--ticket", "CSP-000003"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CSP-000003: ")
    assert "\x1b" not in out  # plugin and customer text is made safe for the terminal
    assert main(["triage", "--db", str(db), "--all", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all({"ticket", "checkId", "family", "severity", "boundary"} <= set(json.loads(x)) for x in lines)
    assert main(["opportunities", "--db", str(db), "--json"]) == 0
    assert all(json.loads(x)["audience"] == "sales" for x in capsys.readouterr().out.splitlines())
    assert main(["triage", "--db", str(db), "--ticket", "CSP-999999"]) == 1
    assert "no ticket CSP-999999" in capsys.readouterr().err
    assert main(["opportunities", "--db", str(db), "--customer", "nobody"]) == 1
    assert main(["plugins"]) == 0
    assert "office365.nce_window" in capsys.readouterr().out


def test_triage_of_every_open_ticket_reads_each_account_once(
    desk: Desk, demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A desk serving more customers than the account cache holds (256; here 2): in number order, an account was
    read again for nearly every ticket (issue 23: triage grew with the desk); customer by customer, once each."""
    import console.tickets.triage as triage_module

    monkeypatch.setattr(triage_module, "ACCOUNT_CACHE", 2)
    reads: list[str] = []
    account_rows = demo_ws.accounts.account_rows
    monkeypatch.setattr(demo_ws.accounts, "account_rows", lambda cid: reads.append(cid) or account_rows(cid))
    results = list(desk.check_open())
    customers = {r["customerId"] for b in demo_ws.tickets.iter_tickets() for r in b}
    assert len(customers) > 2
    assert sorted(reads) == sorted(customers)  # each once
    assert sorted(r.ticket_id for r in results) == sorted(r["id"] for b in demo_ws.tickets.iter_tickets() for r in b)


def test_triage_all_prints_in_ticket_order(
    demo_copy: Callable[..., Where], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "maria.garcia")
    db = demo_copy("w")
    assert main(["triage", "--db", str(db), "--all", "--json"]) == 0
    tickets = [json.loads(x)["ticket"] for x in capsys.readouterr().out.splitlines()]
    assert len(set(tickets)) > 2 and tickets == sorted(tickets)
