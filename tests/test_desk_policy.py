"""The desk's policy lives in the workspace (issue 18): a helpdesk agent's own config file cannot widen the role
map, only a Global admin changes a rule (``policy.set``, audited before and after), every command and a running
console act under the change, and a role map that would lock everybody out is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from console.cli.main import main
from console.desk.door import Desk
from console.desk.policy import PolicyError, read_policy
from console.desk.roles import RoleDenied
from console.plugins.host import load_plugins
from console.settings.config import DEMO_POLICY, Config, load_config
from console.store import Workspace
from tests.conftest import NOW, set_policy
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.engine_ws import new_ws_fixture as new_ws_fixture

HELPDESK, ADMIN, SALES = "maria.garcia", "kenji.sato", "priya.nair"  # the demo's agents


@pytest.fixture
def db(demo_copy: Callable[..., Where]) -> Where:
    return demo_copy("w")


def run(db: Where, agent: str, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", agent)
    return main([*argv, "--db", str(db)])


def audit_rows(db: Where) -> list[dict]:
    with Workspace.open(db, create=False) as ws:
        return list(ws.agents.audit_since(None))


def an_open_ticket(db: Where) -> str:
    with Workspace.open(db, create=False) as ws:
        return next(r["id"] for b in ws.tickets.iter_tickets() for r in b if r["status"] == "new" and not r["assignee"])


def test_a_helpdesk_agents_own_roles_table_is_refused_and_makes_nobody_an_admin(
    db: Where, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The incident: ``[roles] "agents.manage" = ["helpdesk_agent"]`` in a helpdesk agent's own file made them a
    Global admin (before, ``agents add`` below succeeded)."""
    config = tmp_path / "config.toml"
    config.write_text('[console]\ntheme = "nord"\n\n[roles]\n"agents.manage" = ["helpdesk_agent"]\n', encoding="utf-8")
    code = run(db, HELPDESK, monkeypatch, "agents", "add", "mallory", "--role", "global_admin", "--config", str(config))
    assert code == 1
    err = capsys.readouterr().err
    assert f"{config}:4: [roles] is a desk rule: it lives in the workspace" in err, err
    assert "csp-console policy set roles.ACTION ROLES" in err
    with Workspace.open(db, create=False) as ws:
        assert ws.agents.agent("mallory") is None
        assert ws.agents.agent(HELPDESK)["roles"] == ["helpdesk_agent"]
    # Without the file's table the agent is what the desk says: still no Global admin.
    assert run(db, HELPDESK, monkeypatch, "agents", "add", "mallory", "--role", "global_admin") == 3


def test_policy_set_by_a_helpdesk_agent_is_refused_and_changes_nothing(
    db: Where, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = audit_rows(db)
    assert run(db, HELPDESK, monkeypatch, "policy", "set", "roles.agents.manage", "helpdesk_agent") == 3
    assert "maria.garcia (helpdesk_agent) may not policy.set: it needs global_admin" in capsys.readouterr().err
    assert run(db, HELPDESK, monkeypatch, "policy", "unset", "claim_minutes") == 3
    assert audit_rows(db) == before
    with Workspace.open(db, create=False) as ws:
        assert ws.policy.rules() == {}


def test_any_agent_reads_the_policy(
    db: Where, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_policy(db, {"claim_minutes": 45})
    assert run(db, SALES, monkeypatch, "policy", "show", "--json") == 0
    rules = {r["key"]: r for r in json.loads(capsys.readouterr().out)}
    assert rules["claim_minutes"] == {
        "key": "claim_minutes",
        "value": 45,
        "default": 30,
        "set": True,
        "help": rules["claim_minutes"]["help"],
    }
    assert rules["roles.agents.manage"]["value"] == ["global_admin"] and not rules["roles.agents.manage"]["set"]
    assert rules["sla.first_response_hours.critical"]["value"] == 2.0
    assert rules["microsoft.allow_http"]["value"] is False
    assert run(db, SALES, monkeypatch, "policy", "show") == 0
    assert "claim_minutes" in capsys.readouterr().out


def test_a_global_admins_change_is_audited_and_the_next_command_honours_it(
    db: Where, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = an_open_ticket(db)
    code = run(db, ADMIN, monkeypatch, "policy", "set", "roles.ticket.assign", "global_admin,admin_agent", "--json")
    assert code == 0
    change = json.loads(capsys.readouterr().out)
    assert change["before"] == ["admin_agent", "global_admin", "helpdesk_agent"]
    assert change["after"] == ["admin_agent", "global_admin"]
    entry = audit_rows(db)[-1]
    assert (entry["agent"], entry["action"], entry["entity"], entry["entityId"]) == (
        ADMIN,
        "policy.set",
        "policy",
        "roles.ticket.assign",
    )
    assert entry["detail"]["before"] == change["before"] and entry["detail"]["after"] == change["after"]
    # The helpdesk agent could assign before; the next command refuses it.
    assert run(db, HELPDESK, monkeypatch, "ticket", "assign", ticket, HELPDESK) == 3
    assert "needs admin_agent or global_admin" in capsys.readouterr().err
    assert run(db, ADMIN, monkeypatch, "policy", "unset", "roles.ticket.assign") == 0
    assert "roles.ticket.assign: admin_agent,global_admin -> admin_agent,global_admin,helpdesk_agent" in (
        capsys.readouterr().out
    )
    assert audit_rows(db)[-1]["detail"] == {
        "before": ["admin_agent", "global_admin"],
        "after": ["admin_agent", "global_admin", "helpdesk_agent"],
        "set": False,
    }
    assert run(db, HELPDESK, monkeypatch, "ticket", "assign", ticket, HELPDESK) == 0


def test_claim_minutes_and_sla_targets_from_the_policy_hold_on_the_desk(demo_ws: Workspace) -> None:
    admin = Desk(demo_ws, Config(), load_plugins(), ADMIN, lambda: NOW)
    admin.rules.set("claim_minutes", "45")
    helpdesk = Desk(demo_ws, Config(), load_plugins(), HELPDESK, lambda: NOW)
    ticket = next(r for b in demo_ws.tickets.iter_tickets() for r in b if r["status"] == "new" and not r["assignee"])
    assert helpdesk.claim(ticket["id"])["claimedUntil"] == "2026-11-23T03:45:00Z"
    assert helpdesk.lease == timedelta(minutes=45)

    def critical_dues() -> dict[str, str]:
        rows = [r for b in demo_ws.tickets.iter_tickets() for r in b]
        return {r["id"]: r["firstResponseDueDate"] for r in rows if r["severity"] == "critical" and r["isOpen"]}

    before = critical_dues()
    change = admin.rules.set("sla.first_response_hours.critical", "1")
    assert change["before"] == 2.0 and change["after"] == 1.0 and change["clocksChanged"] > 0
    after = critical_dues()
    assert any(after[t] != due for t, due in before.items())  # the open clocks were recomputed under the rule


def test_a_lock_out_is_refused(db: Where, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    before = audit_rows(db)
    assert run(db, ADMIN, monkeypatch, "policy", "set", "roles.agents.manage", "") == 3
    assert "roles.agents.manage may not be empty: nobody could agents.manage any more" in capsys.readouterr().err
    assert run(db, ADMIN, monkeypatch, "policy", "set", "roles.policy.set", " , ") == 3
    assert audit_rows(db) == before


def test_a_role_map_no_agent_of_the_workspace_could_use_is_refused(new_ws: Callable[..., Where]) -> None:
    ws = Workspace.open(new_ws("w"))
    ws.agents.add_agent("root", "Root", "", ["global_admin"], "root")
    desk = Desk(ws, Config(), load_plugins(), "root", lambda: NOW)
    with pytest.raises(PolicyError, match=r"roles\.policy\.set = helpdesk_agent would leave no agent .* lock-out"):
        desk.rules.set("roles.policy.set", "helpdesk_agent")
    assert ws.policy.rules() == {}
    desk.rules.set("roles.policy.set", "global_admin,helpdesk_agent")  # still someone: allowed
    assert read_policy(ws).roles == {"policy.set": ["global_admin", "helpdesk_agent"]}
    ws.close()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("claim_minutes", "0", "claim_minutes must be 1 to 1440"),
        ("claim_minutes", "soon", "claim_minutes must be a whole number, not 'soon'"),
        ("time_zone", "Mars/Olympus", "time_zone 'Mars/Olympus' is not an IANA time zone"),
        ("sla.warn_at", "0.75,1.5", "sla.warn_at: each threshold is a fraction of the target between 0 and 1"),
        ("sla.service_hours", "weekdays", "sla.service_hours: "),
        ("sla.first_response_hours.critical", "0", "sla.first_response_hours.critical: expected business hours"),
        ("sla.first_response_hours.urgent", "1", "'sla.first_response_hours.urgent' is not a desk rule"),
        ("roles.ticket.assign", "owner", "roles.ticket.assign: unknown role 'owner'"),
        ("roles.ticket.fly", "global_admin", "'roles.ticket.fly' is not a desk rule"),
        ("microsoft.allow_http", "maybe", "microsoft.allow_http must be true or false, not 'maybe'"),
    ],
)
def test_a_bad_value_is_one_sentence_naming_the_key(
    db: Where, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], key: str, value: str, message: str
) -> None:
    assert run(db, ADMIN, monkeypatch, "policy", "set", key, value) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    with Workspace.open(db, create=False) as ws:
        assert ws.policy.rules() == {}


def test_config_show_shows_the_file_and_policy_show_the_rules(
    new_ws: Callable[..., Where], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = tmp_path / "config.toml", new_ws("demo")
    monkeypatch.setenv("CSP_CONSOLE_AGENT", ADMIN)
    assert main(["demo", "--tickets", "200", "--db", str(db), "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["config", "show", "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    assert "[sla]" not in shown and "claim_minutes" not in shown and 'time_zone = "Asia' not in shown
    assert 'theme = "textual-dark"' in shown
    load_config(config)  # the demo's own file sets no desk rule
    assert main(["policy", "show", "--json", "--db", str(db), "--config", str(config)]) == 0
    rules = {r["key"]: r["value"] for r in json.loads(capsys.readouterr().out)}
    assert {k: rules[k] for k in DEMO_POLICY} == DEMO_POLICY  # the demo desk: Tokyo, Japanese business hours


@pytest.mark.sqlite_only("the first run makes its demo at a file's path only: a database (a URL) is never a first run")
def test_the_first_run_demo_desk_has_the_demo_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from console.demo.first_run import open_or_create

    monkeypatch.setenv("CSP_CONSOLE_AGENT", ADMIN)
    opened = open_or_create(tmp_path / "w.db", tmp_path / "config.toml", tickets=200)
    try:
        policy = read_policy(opened.workspace)
        assert policy.time_zone == "Asia/Tokyo" and policy.sla.service_hours == "mon-fri 09:00-18:00"
        assert policy.sla.holiday_calendar == "jp" and policy.sla.warn_at == (0.75, 0.9)
        desk = Desk(opened.workspace, load_config(tmp_path / "config.toml"), load_plugins(), ADMIN, lambda: NOW)
        assert desk.config.time_zone == "Asia/Tokyo" and desk.config.sla.service_hours == "mon-fri 09:00-18:00"
    finally:
        opened.workspace.close()


def test_a_desk_built_before_a_change_follows_it(demo_ws: Workspace) -> None:
    """What a running console does when its poll sees the workspace change (console.desk.policy.PolicyWatch)."""
    from console.desk.policy import PolicyWatch

    watch = PolicyWatch(demo_ws, Config())
    helpdesk = Desk(demo_ws, Config(), load_plugins(), HELPDESK, lambda: NOW)
    assert helpdesk.may("ticket.claim") and watch.follow(helpdesk).roles == {}  # nothing changed yet
    other = Workspace.open(demo_ws.locator)  # another agent's process
    Desk(other, Config(), load_plugins(), ADMIN, lambda: NOW).rules.set("roles.ticket.claim", "global_admin")
    other.close()
    assert watch.follow(helpdesk).roles == {"ticket.claim": ["global_admin"]}
    assert not helpdesk.may("ticket.claim") and helpdesk.config.roles == {"ticket.claim": ["global_admin"]}
    with pytest.raises(RoleDenied):
        helpdesk.claim(next(r for b in demo_ws.tickets.iter_tickets() for r in b if not r["assignee"])["id"])


def test_a_config_an_earlier_demo_wrote_says_how_to_go_on(tmp_path: Path) -> None:
    """Found by a new user upgrading: the config an earlier ``csp-console demo`` wrote (with ``[sla]`` in it) stopped
    the console at once; the refusal now says which file it is and what to do with it."""
    from console.settings.config import ConfigError, load_config

    path = tmp_path / "config.toml"
    path.write_text(
        "# CSP Triage Console configuration (written by `csp-console demo`; edit freely).\n"
        '[partner]\nname = "Sakura"\n\n[sla]\nholiday_calendar = "jp"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    said = str(raised.value)
    assert said.startswith(f"{path}:5: [sla] is a desk rule")
    assert "written by an earlier csp-console demo: delete the desk rules from it" in said
