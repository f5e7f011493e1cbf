"""The command line's values (issue 19, item 9): a bad value is refused naming the option and the accepted
form; ``--json`` is honoured wherever it is offered (a refusal is a JSON object on standard error); the exit
status says what happened (README, "The command line")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli.main import main
from console.sandbox import Sandbox
from console.settings.config import write_demo_config
from console.store import Workspace

ADMIN = "kenji.sato"  # a Global admin of the demo


@pytest.fixture
def base(demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    config = tmp_path / "config.toml"
    write_demo_config(config)  # the demo's desk is in Asia/Tokyo
    monkeypatch.setenv("CSP_CONSOLE_AGENT", ADMIN)
    return ["--db", str(demo_ws.locator), "--config", str(config)]


def usage(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The command line refused as written: exit status 2 and the message."""
    assert main(argv) == 2
    return capsys.readouterr().err


def open_ticket(ws: Workspace) -> dict[str, object]:
    row = ws.conn.execute("SELECT id, version FROM tickets WHERE isOpen = 1 ORDER BY seq LIMIT 1").fetchone()
    return {"id": row[0], "version": row[1]}


@pytest.mark.parametrize("size", ["0", "-5", "ten"])
def test_sync_page_size_must_be_positive(base: list[str], capsys: pytest.CaptureFixture[str], size: str) -> None:
    err = usage(capsys, ["sync", "--page-size", size, *base])
    assert "--page-size" in err and "whole number of 1 or more" in err and "Traceback" not in err


def test_time_minutes_must_be_positive(demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    err = usage(capsys, ["time", "log", str(open_ticket(demo_ws)["id"]), "-10", *base])
    assert "MINUTES" in err and "whole number of 1 or more" in err


def test_escalations_state_lists_the_states(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    err = usage(capsys, ["escalations", "list", "--state", "bogus", *base])
    assert "--state" in err and "'bogus'" in err and "awaiting_case_number" in err


def test_no_escalations_is_said(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["escalations", "list", *base]) == 0
    assert "no escalations" in capsys.readouterr().out
    assert main(["escalations", "list", "--json", *base]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_audit_of_an_unknown_ticket_fails(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--ticket", "CSP-999999", *base]) == 1
    assert "no ticket CSP-999999" in capsys.readouterr().err


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_failure_quoting_untrusted_text_shows_its_control_characters(
    base: list[str], capsys: pytest.CaptureFixture[str], json_flag: list[str]
) -> None:
    """A message quoting what was typed (or read from a file) never sends an escape sequence to the terminal:
    the sayer cleans every failure's text (the CLI printed it raw)."""
    hostile = "CSP-\x1b]0;owned\x07\x1b[31m"
    assert main(["ticket", "show", hostile, *json_flag, *base]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    message = json.loads(err)["message"] if json_flag else err
    assert "CSP-" in message
    if not json_flag:
        assert "\u241b]0;owned\u2407" in err


@pytest.mark.parametrize(
    ("since", "expect"),
    [("yesterday", "--since"), ("2026-13-01", "--since"), ("2026-11-23T25:00", "--since")],
)
def test_audit_since_says_the_accepted_form(
    base: list[str], capsys: pytest.CaptureFixture[str], since: str, expect: str
) -> None:
    err = usage(capsys, ["audit", "--since", since, *base])
    assert expect in err and "YYYY-MM-DD" in err
    assert "Invalid isoformat" not in err and "must be in" not in err


def test_audit_since_takes_a_plain_date_in_the_desks_zone(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = open_ticket(demo_ws)
    assert main(["ticket", "note", str(ticket["id"]), "a note", *base]) == 0
    capsys.readouterr()
    assert main(["audit", "--since", "2020-01-01", "--ticket", str(ticket["id"]), "--json", *base]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(r["action"] == "ticket.note" for r in rows)
    assert main(["audit", "--since", "2999-01-01T09:00", "--ticket", str(ticket["id"]), *base]) == 0
    assert "ticket.note" not in capsys.readouterr().out


def test_holiday_date_names_date_not_an_option(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    err = usage(capsys, ["holidays", "add", "jp", "2027-13-40", "x", *base])
    assert "DATE" in err and "--date" not in err and "YYYY-MM-DD" in err and "must be in" not in err


def test_holidays_add_to_an_unknown_calendar_is_refused(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["holidays", "add", "xx", "2027-01-04", "Typo day", *base]) == 1
    err = capsys.readouterr().err
    assert "no holiday calendar 'xx'" in err and "jp" in err and "--new-calendar" in err
    assert demo_ws.conn.execute("SELECT COUNT(*) FROM holidays WHERE calendar = 'xx'").fetchone()[0] == 0
    assert main(["holidays", "add", "xx", "2027-01-04", "Founding day", "--new-calendar", *base]) == 0
    assert demo_ws.conn.execute("SELECT COUNT(*) FROM holidays WHERE calendar = 'xx'").fetchone()[0] == 1


def test_time_date_is_a_date(demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    err = usage(capsys, ["time", "log", str(open_ticket(demo_ws)["id"]), "10", "--date", "2026-02-30", *base])
    assert "--date" in err and "YYYY-MM-DD" in err and "day is out of range" not in err


def test_ticket_status_lists_the_statuses_and_takes_the_queues_words(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = str(open_ticket(demo_ws)["id"])
    assert main(["ticket", "status", ticket, "bogus", *base]) == 1
    err = capsys.readouterr().err
    assert "waiting_customer" in err and "in_progress" in err and "waiting on customer" in err
    assert main(["ticket", "status", ticket, "waiting on customer", *base]) == 0
    assert "status waiting_customer" in capsys.readouterr().out


def test_a_stale_version_says_what_to_run(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = open_ticket(demo_ws)
    stale = str(int(str(ticket["version"])) - 1)
    assert main(["ticket", "note", str(ticket["id"]), "x", "--version", stale, *base]) == 3
    err = capsys.readouterr().err
    assert "the fresh ticket is shown" not in err and f"csp-console ticket show {ticket['id']}" in err


def test_a_held_ticket_names_takeover(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = str(open_ticket(demo_ws)["id"])
    assert main(["ticket", "claim", ticket, *base]) == 0
    capsys.readouterr()
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")
    assert main(["ticket", "claim", ticket, *base]) == 3
    assert "--takeover" in capsys.readouterr().err


def test_refusals_are_json_on_stderr_with_json(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = open_ticket(demo_ws)
    assert main(["ticket", "note", str(ticket["id"]), "x", "--version", "0", "--json", *base]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    said = json.loads(captured.err)
    assert said["status"] == "refused" and said["exit"] == 3 and str(ticket["id"]) in said["message"]
    assert main(["ticket", "status", str(ticket["id"]), "bogus", "--json", *base]) == 1
    said = json.loads(capsys.readouterr().err)
    assert said["status"] == "failed" and said["exit"] == 1
    assert main(["sync", "--page-size", "0", "--json", *base]) == 2
    said = json.loads(capsys.readouterr().err)
    assert said["status"] == "usage" and "--page-size" in said["message"]


def test_billing_plan_json(demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    customer = demo_ws.conn.execute(
        "SELECT customerId FROM subscriptions WHERE status = 'active' ORDER BY customerId LIMIT 1"
    ).fetchone()[0]
    assert main(["billing", "plan", customer, "--json", *base]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["customerId"] == customer and isinstance(plan["items"], list) and plan["summary"]


def test_escalations_record_json(
    sandbox: Sandbox, demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = demo_ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND service = 'dynamics365' AND category = 'technical' "
        "AND status != 'waiting_microsoft' ORDER BY seq LIMIT 1"
    ).fetchone()[0]
    assert main(["escalate", ticket, "--vehicle", "advanced", *base]) == 0
    capsys.readouterr()
    assert main(["escalations", "record", "1", "2611230000777", "--json", *base]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["microsoftCaseId"] == "2611230000777" and row["state"] == "open"


def test_sla_recompute_says_recomputed_and_moved(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sla", "recompute", *base]) == 0
    out = capsys.readouterr().out
    assert "open tickets' clocks recomputed" not in out
    assert "clocks recomputed on" in out and "moved" in out and "unchanged" in out


def test_agents_changes_answer_in_json(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents", "add", "new.agent", "--role", "helpdesk_agent", "--json", *base]) == 0
    assert json.loads(capsys.readouterr().out) == {"login": "new.agent", "roles": ["helpdesk_agent"]}
    assert main(["agents", "grant", "new.agent", "billing_admin", "--json", *base]) == 0
    assert json.loads(capsys.readouterr().out)["roles"] == ["billing_admin", "helpdesk_agent"]


def test_health_watch_out_of_range_is_json_under_json(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--watch", "0", "--json", *base]) == 1
    said = json.loads(capsys.readouterr().err)
    assert said["status"] == "failed" and "--watch" in said["message"]


def test_demo_now_takes_a_plain_date_and_says_the_form(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = usage(capsys, ["demo", "--db", str(tmp_path / "a.db"), "--now", "2026-02-30"])
    assert "--now" in err and "YYYY-MM-DD" in err and "day is out of range" not in err
    assert not (tmp_path / "a.db").exists()
    assert main(["demo", "--db", str(tmp_path / "b.db"), "--tickets", "5", "--now", "2026-11-23"]) == 0


def test_a_ticket_is_named_as_the_console_names_it(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The console's search box opens ``1509``, ``#1509`` or ``１５０９``; the commands wanted ``CSP-001509``
    (a new user's walk-through: ``ticket show 1509`` said "no ticket 1509")."""
    ticket = str(open_ticket(demo_ws)["id"])
    number = int(ticket.removeprefix("CSP-"))
    wide = str(number).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    for name in (ticket, str(number), f"#{number}", f"csp-{number}", wide):
        assert main(["ticket", "show", name, "--json", *base]) == 0, name
        assert json.loads(capsys.readouterr().out)["ticket"]["id"] == ticket
    assert main(["ticket", "claim", str(number), *base]) == 0
    assert capsys.readouterr().out.startswith(f"{ticket}: claim applied")
    assert main(["audit", "--ticket", str(number), "--json", *base]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["action"], r["entityId"]) for r in rows][-1:] == [("ticket.claim", ticket)]
    assert main(["ticket", "show", "ライセンス", *base]) == 1  # not a number: as typed, and said so
    assert capsys.readouterr().err == "csp-console: error: no ticket ライセンス\n"


@pytest.mark.parametrize(
    "command", [[], ["run"], ["agents", "list"], ["export", "--kind", "customers", "-o", "-"], ["health"], ["board"]]
)
def test_a_login_that_is_no_agent_is_refused_alike_by_the_console_and_the_commands(
    demo_ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """Exit status 3, "refused", from every door: the console said it as a failure (1) where commands said 3."""
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "stranger")
    assert main([*command, "--db", str(demo_ws.locator)]) == 3
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("csp-console: refused: 'stranger' is not an agent of the workspace ")


@pytest.mark.parametrize("login", [" root", "a b", "evil\x1b[2Jagent", "", "a;b", ".hidden", "x" * 64, "ｋｅｎｊｉ"])
def test_agents_add_takes_only_a_login_an_account_can_have(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str], login: str
) -> None:
    """``agents add`` took " root", "a b" and a login with an ESC in it (a new user's walk-through): agents no
    account could ever be, shown in every listing."""
    before = demo_ws.agents.agents()
    assert main(["agents", "add", login, "--role", "helpdesk_agent", *base]) == 1
    err = capsys.readouterr().err
    assert "is not a login" in err or "needs a LOGIN" in err, err
    assert "\x1b" not in err and demo_ws.agents.agents() == before


@pytest.mark.parametrize("login", ["maria.garcia2", "maria@corp.example", "svc_desk-01", "MACHINE$"])
def test_agents_add_takes_the_logins_hosts_and_databases_give(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str], login: str
) -> None:
    assert main(["agents", "add", login, "--role", "helpdesk_agent", *base]) == 0
    assert capsys.readouterr().out == f"added {login}: helpdesk_agent\n"


def test_an_empty_ticket_is_refused_naming_the_forms(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    err = usage(capsys, ["ticket", "show", "", *base])  # (it said "no ticket ", naming nothing)
    assert "argument TICKET: '' is not a ticket: give its id (CSP-001509) or its number (1509)" in err


@pytest.mark.parametrize(
    ("action", "needs"),
    [("resolve", "a resolution code: answered, fixed_by_partner"), ("status", "a status: new, triaged"),
     ("note", "the note's text"), ("assign", "the login of the agent")],
)  # fmt: skip
def test_a_ticket_action_without_its_value_is_a_usage_error_naming_what_it_takes(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str], action: str, needs: str
) -> None:
    """It failed (exit 1) with "needs a value", naming none: the README's table says 2 for a command line that is
    wrong, and ``ticket resolve`` takes one of a list."""
    ticket = str(open_ticket(demo_ws)["id"])
    before = demo_ws.tickets.ticket(ticket)
    assert main(["ticket", action, ticket, *base]) == 2
    assert capsys.readouterr().err.startswith(f"csp-console: error: 'ticket {action} {ticket}' needs {needs}")
    assert demo_ws.tickets.ticket(ticket) == before
