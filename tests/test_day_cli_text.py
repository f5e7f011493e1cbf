"""The command line's text output as a desk in Tokyo reads it: times in the desk's zone (JSON keeps ISO 8601 with
its offset), the customer's business hours named as theirs, one money format, usage lines within 80 columns, and the
Azure plan's blocked reason said once (issue 19, item 7, and the new-user trial)."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.cli.main import build_parser, main
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.settings.config import DEMO_POLICY, load_config, write_demo_config
from console.store import Workspace
from console.tickets.ops import NewTicket
from tests.conftest import NOW, set_policy

BILLING_ADMIN = "tom.becker"
CUSTOMER = "sakura-shoji.co.jp"  # an Azure plan with two active Azure subscriptions; Mon-Fri 09:00-18:00 Tokyo
#: A stored time that leaked into text: ``2026-11-24T00:30:00Z``, ``2026-11-24 00:30Z``, ``00:30Z``.
UTC_TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?Z\b")
CREATED = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo


@pytest.fixture
def config_path(tmp_path: Path, demo_ws: Workspace) -> Path:
    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    set_policy(demo_ws, DEMO_POLICY)  # the demo desk's rules: time_zone = "Asia/Tokyo"
    return path


@pytest.fixture
def args(demo_ws: Workspace, config_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "kenji.sato")
    return ["--db", str(demo_ws.locator), "--config", str(config_path)]


@pytest.fixture
def ticket_at_0030z(demo_ws: Workspace, config_path: Path) -> Iterator[str]:
    demo_ws.clock = lambda: CREATED
    desk = Desk(demo_ws, load_config(config_path), load_plugins(), "aiko.tanaka", lambda: CREATED)
    cid = desk.ws.accounts.find_customer(CUSTOMER)
    assert cid is not None
    request = NewTicket(cid, "phone", "請求書の金額を確認したい", contact_name="山田 太郎", severity="moderate")
    tid = desk.log_ticket(request)
    desk.claim(tid)
    desk.note(tid, "お客様に折り返し連絡します。")
    desk.close()
    yield tid


def test_ticket_show_and_audit_say_the_desks_time(
    ticket_at_0030z: str, args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["ticket", "show", ticket_at_0030z, *args]) == 0
    out = capsys.readouterr().out
    assert "created 2026-11-24 09:30 JST" in out
    assert "2026-11-24 09:30 JST aiko.tanaka note" in out  # the timeline
    assert not UTC_TIME.search(out), out
    assert main(["ticket", "show", ticket_at_0030z, "--json", *args]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ticket"]["createdDate"] == "2026-11-24T00:30:00Z"  # JSON: ISO 8601 with its offset
    monkeypatch.setenv("CSP_CONSOLE_AGENT", BILLING_ADMIN)  # audit.view
    assert main(["audit", "--ticket", ticket_at_0030z, *args]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()  # each line's time is the desk's; its detail stays the stored JSON (ISO 8601)
    assert len(lines) == 3 and all(line.startswith("2026-11-24 09:30 JST aiko.tanaka") for line in lines), out


def test_sla_show_names_the_customers_hours_and_says_the_desks_times(
    ticket_at_0030z: str, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sla", "show", ticket_at_0030z, *args]) == 0
    out = capsys.readouterr().out
    assert "09:00–18:00 Asia/Tokyo (customer)" in out or "09:00-18:00 Asia/Tokyo (customer)" in out, out
    assert "first response: BREACHED 11-24 13:30 JST" in out, out  # 09:30 + 4 business hours (the wall clock: past)
    assert not UTC_TIME.search(out), out


def test_the_azure_plan_blocked_reason_is_said_once(
    demo_ws: Workspace,
    sandbox: Sandbox,
    config_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", BILLING_ADMIN)
    args = ["--db", str(demo_ws.locator), "--config", str(config_path)]
    assert main(["billing", "suspend", CUSTOMER, "--yes", *args]) == 0
    suspend = capsys.readouterr().out
    assert main(["billing", "status", CUSTOMER, *args]) == 0
    status = capsys.readouterr().out
    for out in (suspend, status):
        assert out.count("27ee94ac-c137-5a93-9c0e-2005055d1b34") == 1, out  # the active Azure subscription
        assert out.count("Partner Center refuses to suspend an Azure plan") == 1, out
        assert out.count("900115") == 1, out
        assert "not suspended: not suspended" not in out and ": not suspended: its" not in out
    assert "started 2026-11-23 12:00 JST by tom.becker" in status or not UTC_TIME.search(status), status
    assert not UTC_TIME.search(status), status


def _subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _subcommands(sub, (*path, name))


def test_every_help_fits_80_columns(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal still gets help an 80-column one can read
    commands = list(_subcommands(build_parser()))
    assert len(commands) > 20
    for command in commands:
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        out = capsys.readouterr().out
        wide = [line for line in out.splitlines() if len(line) > 80]
        assert not wide, (command, wide)
