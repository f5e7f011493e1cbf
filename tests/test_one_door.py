"""One door: every action, from the desk and from the command line, is allowed exactly when the role map says,
and a refusal names the roles it needs. Also the four leaks of issue 17, each a test that failed before it
was fixed: ``escalations retry`` and ``sla show`` without their roles, ``import``/``export`` without identity,
role or version checks, and the queue reading the store past ``ticket.view``.

Everything runs on a real SQLite workspace (the demo's), through :func:`console.cli.main.main` or a real
:class:`~console.desk.door.Desk`; the escalation test delivers to the sandbox's Azure Support API on 127.0.0.1.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from console.cli.main import main
from console.desk.door import Desk
from console.desk.roles import ACTIONS, DEFAULT_ROLE_MAP, RoleDenied
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.settings.config import DEMO_POLICY, load_config, write_demo_config
from console.shared.clock import utcnow
from console.shared.model import Role
from console.store import Workspace
from console.tickets.ops import NewTicket
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW, set_policy

#: One agent per role, added to the demo workspace (the demo's own agents hold several roles).
LOGIN = {role.value: f"only.{role.value}" for role in Role}
HOLDER = "maria.garcia"  # a helpdesk agent of the demo: holds the ticket another agent would take over
#: Actions that only make sense once another is granted: the test grants that one to every role.
PREREQUISITE = {"records.overwrite": "records.import"}


def _open_ticket(ws: Workspace, offset: int = 0) -> str:
    row = ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND assignee IS NULL AND status != 'waiting_microsoft' "
        "ORDER BY seq LIMIT 1 OFFSET ?",
        (offset,),
    ).fetchone()
    return str(row[0])


@pytest.fixture
def door(demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The demo workspace with one agent per role, a config, a ticket claimed by :data:`HOLDER` and a file of
    one ticket record to import."""
    for role, login in LOGIN.items():
        demo_ws.agents.add_agent(login, login, "", [role], "test")
    config = tmp_path / "config.toml"
    write_demo_config(config)
    holder = Desk(demo_ws, load_config(config), load_plugins(), HOLDER, utcnow)  # live for the commands too
    held = _open_ticket(demo_ws, 5)
    holder.claim(held)
    holder.close()
    records = tmp_path / "tickets.jsonl"
    customer = demo_ws.conn.execute("SELECT id FROM customers ORDER BY id LIMIT 1").fetchone()[0]
    line = {"customerId": customer, "channel": "email", "title": "imported", "createdDate": "2026-11-20T08:30:00Z"}
    records.write_text(json.dumps(line) + "\n", encoding="utf-8")
    yield {"ws": demo_ws, "config": config, "held": held, "records": records, "customer": customer}


def _grant_prerequisite(ws: Workspace, action: str) -> None:
    if action in PREREQUISITE:  # the desk's role map, in the workspace (csp-console policy set)
        set_policy(ws, {f"roles.{PREREQUISITE[action]}": [r.value for r in Role]})


DeskCall = Callable[[Desk, dict[str, Any]], object]

#: A desk method for each action (called with real arguments: a refusal is the only outcome checked).
DESK_CALLS: dict[str, DeskCall] = {
    "ticket.view": lambda d, f: d.details(_open_ticket(d.ws)),
    "ticket.create": lambda d, f: d.log_ticket(NewTicket(customer_id=f["customer"], channel="email", title="new")),
    "ticket.claim": lambda d, f: d.claim(_open_ticket(d.ws)),
    "ticket.release": lambda d, f: d.release(_open_ticket(d.ws)),
    "ticket.note": lambda d, f: d.note(_open_ticket(d.ws), "a note"),
    "ticket.reply": lambda d, f: d.note(_open_ticket(d.ws), "a reply", reply=True),
    "ticket.plugin_action": lambda d, f: d.reach.run_action(_open_ticket(d.ws), "none.such"),
    "ticket.status": lambda d, f: d.set_status(_open_ticket(d.ws), "in_progress"),
    "ticket.resolve": lambda d, f: d.set_status(_open_ticket(d.ws), "resolved", "answered"),
    "ticket.classify": lambda d, f: d.classify(_open_ticket(d.ws), category="billing"),
    "ticket.assign": lambda d, f: d.assign(_open_ticket(d.ws), None),
    "ticket.takeover": lambda d, f: d.claim(f["held"], takeover=True),
    "ticket.escalate": lambda d, f: d.retry_escalation(1),
    "ticket.time": lambda d, f: d.billing.log_time(_open_ticket(d.ws), 15),
    "billing.view": lambda d, f: d.billing.open_receivables(f["customer"]),
    "billing.manage": lambda d, f: d.billing.record_payment(f["customer"], "INV-NONE", "1"),
    "offer.manage": lambda d, f: d.offers.update(f["customer"], {}),
    "subscription.suspend": lambda d, f: d.billing.suspension_plan(f["customer"]),
    "subscription.reactivate": lambda d, f: d.billing.reactivate(f["customer"]),
    "audit.view": lambda d, f: d.agents.audit_trail(since="2026-11-23T00:00:00Z"),
    "audit.acknowledge": lambda d, f: d.agents.acknowledge_audit(),
    "agents.manage": lambda d, f: d.agents.add(f"new.{d.agent}", ["sales_agent"]),
    "records.import": lambda d, f: d.records.import_records([f["records"]]),
    "records.export": lambda d, f: d.records.export_kind("customers", "jsonl", io.StringIO()),
    "records.overwrite": lambda d, f: d.records.import_records([f["records"]], force=True),
    "ticket.triage": lambda d, f: d.check(_open_ticket(d.ws)),
    "view.save": lambda d, f: d.reads.save_view(f"saved by {d.agent}", QueueQuery(categories=("billing",))),
    "microsoft.sync": lambda d, f: d.partner.gdap_sync(),
    "policy.set": lambda d, f: d.rules.set("claim_minutes", "31"),
    "mail.run": lambda d, f: d.mail.take(b"From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n"),
    "mail.assign": lambda d, f: d.mail.assign_sender("new.sender@example.com", f["customer"]),
    "mail.resend": lambda d, f: d.mail.resend(1),
}

#: The command line's twin of each action that has one: the arguments after the command's name.
CLI_CALLS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "ticket.view": lambda f: ["ticket", "show", _open_ticket(f["ws"])],
    "ticket.claim": lambda f: ["ticket", "claim", _open_ticket(f["ws"])],
    "ticket.release": lambda f: ["ticket", "release", _open_ticket(f["ws"])],
    "ticket.note": lambda f: ["ticket", "note", _open_ticket(f["ws"]), "a note"],
    "ticket.reply": lambda f: ["ticket", "reply", _open_ticket(f["ws"]), "a reply"],
    "ticket.status": lambda f: ["ticket", "status", _open_ticket(f["ws"]), "in_progress"],
    "ticket.resolve": lambda f: ["ticket", "resolve", _open_ticket(f["ws"]), "answered"],
    "ticket.assign": lambda f: ["ticket", "assign", _open_ticket(f["ws"]), "-"],
    "ticket.takeover": lambda f: ["ticket", "claim", f["held"], "--takeover"],
    "ticket.escalate": lambda f: ["escalations", "retry", "1"],
    "ticket.time": lambda f: ["time", "log", _open_ticket(f["ws"]), "15"],
    "billing.view": lambda f: ["offer", "show", f["customer"]],
    "billing.manage": lambda f: ["payment", "record", f["customer"], "INV-NONE", "1"],
    "offer.manage": lambda f: ["sla", "recompute"],
    "audit.view": lambda f: ["audit", "--since", "2026-11-23T00:00:00Z"],
    "audit.acknowledge": lambda f: ["audit", "acknowledge"],
    "agents.manage": lambda f: ["agents", "add", "new.agent", "--role", "sales_agent"],
    "records.import": lambda f: ["import", str(f["records"])],
    "records.export": lambda f: ["export", "--kind", "customers", "-o", "-"],
    "records.overwrite": lambda f: ["import", str(f["records"]), "--force"],
    "ticket.triage": lambda f: ["triage", "--ticket", _open_ticket(f["ws"])],
    "microsoft.sync": lambda f: ["sync"],
    "subscription.suspend": lambda f: ["billing", "plan", f["customer"]],
    "subscription.reactivate": lambda f: ["billing", "reactivate", f["customer"], "--yes"],
    "policy.set": lambda f: ["policy", "set", "claim_minutes", "31"],
    "mail.run": lambda f: ["mail", "read", str(f["records"])],
    "mail.assign": lambda f: ["mail", "assign", "new.sender@example.com", f["customer"]],
    "mail.resend": lambda f: ["mail", "resend", "1"],
}
#: The actions the command line has no command for: the console's own (the intake form, the classify keys,
#: the queue's saved views, the plugins' ticket actions).
NO_COMMAND = {"ticket.create", "ticket.classify", "view.save", "ticket.plugin_action"}
#: The other commands behind an action (each checked against every role like the first).
MORE_CLI_CALLS: dict[str, tuple[str, Callable[[dict[str, Any]], list[str]]]] = {
    "billing suspend": ("subscription.suspend", lambda f: ["billing", "suspend", f["customer"], "--yes"]),
    "billing status": ("billing.view", lambda f: ["billing", "status", f["customer"]]),
    "invoices": ("billing.view", lambda f: ["invoices", "--unpaid"]),
    "offer set": ("offer.manage", lambda f: ["offer", "set", f["customer"], "price=1000"]),
    "holidays add": ("offer.manage", lambda f: ["holidays", "add", "jp", "2027-01-04", "仕事始め"]),
    "gdap sync": ("microsoft.sync", lambda f: ["gdap", "sync"]),
    "policy unset": ("policy.set", lambda f: ["policy", "unset", "claim_minutes"]),
    "escalate": (
        "ticket.escalate",
        lambda f: ["escalate", _open_ticket(f["ws"]), "--vehicle", "commercial", "--title", "t"],
    ),
}


def test_every_action_has_a_desk_call() -> None:
    assert set(DESK_CALLS) == set(ACTIONS)


def test_every_action_has_a_command_or_is_the_consoles_own() -> None:
    assert set(CLI_CALLS) | NO_COMMAND == set(ACTIONS) and not set(CLI_CALLS) & NO_COMMAND


def _needs(action: str) -> str:
    return " or ".join(sorted(r.value for r in DEFAULT_ROLE_MAP[action]))


@pytest.mark.parametrize("action", ACTIONS)
def test_the_desk_allows_exactly_what_the_role_map_says(action: str, door: dict[str, Any]) -> None:
    _grant_prerequisite(door["ws"], action)
    config = load_config(door["config"])
    for role in Role:
        desk = Desk(door["ws"], config, load_plugins(), LOGIN[role.value], lambda: NOW)
        try:
            DESK_CALLS[action](desk, door)
        except RoleDenied as exc:
            assert role not in DEFAULT_ROLE_MAP[action], f"{role.value} was refused {action}: {exc}"
            assert exc.action == action and f"it needs {_needs(action)}" in str(exc)
        except Exception:  # past the door: the action's own rules (unknown invoice, stale, no Microsoft...)
            assert role in DEFAULT_ROLE_MAP[action], f"{role.value} got past the door of {action}"
        else:
            assert role in DEFAULT_ROLE_MAP[action], f"{role.value} was allowed {action}"
        finally:
            desk.close()


@pytest.mark.parametrize(
    "action, command",
    [(a, c) for a, c in CLI_CALLS.items()] + list(MORE_CLI_CALLS.values()),
    ids=[*CLI_CALLS, *MORE_CLI_CALLS],
)
def test_the_command_line_allows_exactly_what_the_role_map_says(
    action: str,
    command: Callable[[dict[str, Any]], list[str]],
    door: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _grant_prerequisite(door["ws"], action)
    base = ["--db", str(door["ws"].locator), "--config", str(door["config"])]
    for role in Role:
        monkeypatch.setenv("CSP_CONSOLE_AGENT", LOGIN[role.value])
        code = main([*command(door), *base])
        err = capsys.readouterr().err
        refused = f"may not {action}: it needs {_needs(action)}" in err
        if role in DEFAULT_ROLE_MAP[action]:
            assert not refused and "may not" not in err, (role.value, err)
        else:
            assert code == 3 and refused, (role.value, code, err)


# -- the four leaks --------------------------------------------------------------------------------
def test_escalations_retry_needs_ticket_escalate(
    sandbox: Sandbox, door: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A billing admin may not escalate: ``escalations retry`` used to put the case back in the outbox and send
    it to Microsoft all the same (the retry called the store directly)."""
    ws = door["ws"]
    desk = Desk(ws, load_config(door["config"]), load_plugins(), "aiko.tanaka", lambda: NOW)
    ticket = ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND service = 'azure' AND category = 'technical' "
        "AND status != 'waiting_microsoft' AND title LIKE 'Production VMs%' ORDER BY seq LIMIT 1"
    ).fetchone()[0]
    draft = desk.escalation_draft(ticket, "advanced")
    del sandbox.state.azure_subscriptions[draft.azure_subscription_id]  # type: ignore[arg-type]
    stored = desk.escalate(draft)
    assert desk.microsoft_sync(poll=False).failed
    desk.close()
    requests = len(sandbox.state.requests)
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "tom.becker")  # billing_admin
    base = ["--db", str(ws.locator), "--config", str(door["config"])]
    assert main(["escalations", "retry", str(stored["id"]), *base]) == 3
    assert "may not ticket.escalate" in capsys.readouterr().err
    assert ws.escalations.escalation(stored["id"])["state"] == "failed"  # type: ignore[index]
    assert len(sandbox.state.requests) == requests  # nothing went to Microsoft
    assert not [e for e in ws.agents.audit_entries("escalation") if e["action"] == "escalation.retry"]


def test_sla_show_needs_ticket_view(
    door: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``ticket.view`` narrowed to helpdesk agents, a sales agent's ``sla show`` is refused (it used to
    print the ticket's clocks)."""
    set_policy(door["ws"], {"roles.ticket.view": ["helpdesk_agent"]})
    ticket = _open_ticket(door["ws"])
    base = ["--db", str(door["ws"].locator), "--config", str(door["config"])]
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "priya.nair")
    assert main(["sla", "show", ticket, *base]) == 3
    out, err = capsys.readouterr()
    assert ticket not in out and "may not ticket.view: it needs helpdesk_agent" in err
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "maria.garcia")
    assert main(["sla", "show", ticket, *base]) == 0
    assert capsys.readouterr().out.startswith(f"{ticket}: ")


def test_export_needs_an_agent_and_records_export(
    door: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A login that is no agent, and an agent without ``records.export``, export nothing (both used to get
    every customer); a billing admin's export is audited."""
    base = ["--db", str(door["ws"].locator), "--config", str(door["config"])]
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "stranger")
    assert main(["export", "--kind", "customers", "-o", "-", *base]) == 3
    out, err = capsys.readouterr()
    assert out == "" and "'stranger' is not an agent" in err
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "priya.nair")
    assert main(["export", "--kind", "customers", "-o", "-", *base]) == 3
    out, err = capsys.readouterr()
    assert out == "" and "may not records.export: it needs billing_admin or global_admin" in err
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "tom.becker")
    assert main(["export", "--kind", "customers", "-o", "-", *base]) == 0
    assert capsys.readouterr().out.count("\n") == door["ws"].records.counts()["customers"]
    (entry,) = [e for e in door["ws"].agents.audit_entries("workspace") if e["action"] == "export"]
    assert entry["agent"] == "tom.becker"


def _export_tickets(door: dict[str, Any], target: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "kenji.sato")
    base = ["--db", str(door["ws"].locator), "--config", str(door["config"])]
    assert main(["export", "--kind", "tickets", "-o", str(target), *base]) == 0
    return target / "tickets.jsonl"


def test_a_sales_agent_may_not_import(
    door: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sales agent's import of an export is refused and changes nothing (it used to rewrite every ticket)."""
    ws = door["ws"]
    exported = _export_tickets(door, tmp_path / "old", monkeypatch)
    before = ws.conn.execute("SELECT sum(version) FROM tickets").fetchone()[0]
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "priya.nair")
    base = ["--db", str(ws.locator), "--config", str(door["config"])]
    assert main(["import", str(exported), *base]) == 3
    assert "may not records.import: it needs global_admin" in capsys.readouterr().err
    assert ws.conn.execute("SELECT sum(version) FROM tickets").fetchone()[0] == before


def test_an_old_export_does_not_revert_newer_changes(
    door: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ticket changed after the export: re-importing the export is refused at that ticket's line, and
    nothing is written; ``--force`` by a Global admin writes it. Unchanged records write no audit row."""
    ws = door["ws"]
    exported = _export_tickets(door, tmp_path / "old", monkeypatch)
    lines = exported.read_text(encoding="utf-8").splitlines()
    ticket = _open_ticket(ws, 3)
    number = next(n for n, line in enumerate(lines, 1) if json.loads(line)["id"] == ticket)
    desk = Desk(ws, load_config(door["config"]), load_plugins(), "maria.garcia", lambda: NOW)
    desk.classify(ticket, category="billing")  # after the export
    desk.close()
    changed = ws.tickets.ticket(ticket)
    assert changed is not None
    audit_rows = len(ws.agents.audit_entries())
    base = ["--db", str(ws.locator), "--config", str(door["config"])]
    capsys.readouterr()
    assert main(["import", str(exported), *base]) == 1
    err = capsys.readouterr().err
    assert f"{exported}:{number}: field 'version': ticket {ticket} changed since this record" in err
    assert "--force" in err and "Nothing was imported" in err
    assert ws.tickets.ticket(ticket) == changed and len(ws.agents.audit_entries()) == audit_rows
    # The same export with only that line left out: every record is unchanged, so nothing is written.
    rest = tmp_path / "rest" / "tickets.jsonl"
    rest.parent.mkdir()
    rest.write_text("\n".join(line for n, line in enumerate(lines, 1) if n != number) + "\n", encoding="utf-8")
    assert main(["import", str(rest), *base]) == 0
    assert f"0 updated, {len(lines) - 1} unchanged" in capsys.readouterr().out
    per_record = [e for e in ws.agents.audit_entries() if e["entity"] == "ticket"]
    assert len(ws.agents.audit_entries()) == audit_rows + 1 and len(per_record) == len(
        [e for e in ws.agents.audit_entries() if e["entity"] == "ticket"]
    )
    assert ws.tickets.ticket(ticket) == changed
    # --force by a Global admin writes the old record back, audited.
    assert main(["import", str(exported), "--force", *base]) == 0
    forced = ws.tickets.ticket(ticket)
    assert forced is not None and forced["category"] == json.loads(lines[number - 1]).get("category")
    assert forced["version"] == changed["version"] + 1


def test_an_import_does_not_overwrite_another_agents_claim(
    door: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = door["ws"]
    exported = _export_tickets(door, tmp_path / "out", monkeypatch)
    lines = exported.read_text(encoding="utf-8").splitlines()
    held = door["held"]
    record = next(json.loads(line) for line in lines if json.loads(line)["id"] == held)
    record["title"] = "renamed by the import"
    one = tmp_path / "one" / "tickets.jsonl"
    one.parent.mkdir()
    one.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    base = ["--db", str(ws.locator), "--config", str(door["config"])]
    assert main(["import", str(one), *base]) == 1
    assert f"{one}:1: ticket {held} is claimed by {HOLDER}" in capsys.readouterr().err
    assert ws.tickets.ticket(held)["title"] != "renamed by the import"  # type: ignore[index]


def test_the_queue_reads_through_ticket_view(door: dict[str, Any]) -> None:
    """With ``ticket.view`` narrowed, the queue's reads are refused for a sales agent (the queue used to read
    the store directly and list every ticket)."""
    from console.desk.roles import Door, QueueReads

    ws = door["ws"]
    config = load_config(door["config"])
    narrowed = {**config.roles, "ticket.view": ["helpdesk_agent"]}
    sales = QueueReads(ws, Door.for_agent(ws.agents, narrowed, "priya.nair"))
    assert not sales.may_view
    for read in (
        lambda: sales.queue_page(QueueQuery(), limit=10),
        lambda: sales.queue_count(QueueQuery()),
        lambda: sales.view_counts([QueueQuery()]),
    ):
        with pytest.raises(RoleDenied, match=r"may not ticket\.view: it needs helpdesk_agent"):
            read()
    helpdesk = QueueReads(ws, Door.for_agent(ws.agents, narrowed, "maria.garcia"))
    assert [r.id for r in helpdesk.queue_page(QueueQuery(), limit=5)] == [
        r.id for r in ws.queue.queue_page(QueueQuery(), limit=5)
    ]


async def test_a_refused_agent_sees_why_instead_of_the_queue(demo_ws: Workspace, tmp_path: Path) -> None:
    """The console's queue, for a sales agent once ``ticket.view`` is narrowed: no ticket, the refusal in their
    place (before, the queue listed every ticket); a helpdesk agent still sees the queue."""
    from console.app import CspConsoleApp
    from tests.ui import settle, table

    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    config = load_config(path)
    set_policy(demo_ws, {**DEMO_POLICY, "roles.ticket.view": ["helpdesk_agent"]})
    for agent, listed in (("priya.nair", False), ("maria.garcia", True)):
        app = CspConsoleApp(demo_ws, config, clock=lambda: NOW, agent=agent, cursor_blink=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            queue = table(pilot)
            first = queue.render_line(1).text
            if listed:
                assert queue.count == demo_ws.queue.queue_count(queue.query_) > 0 and queue.denied is None
                assert first.lstrip().startswith("CSP-")
            else:
                assert queue.count == 0 and queue.row_at(0) is None
                assert "priya.nair (sales_agent) may not ticket.view: it needs helpdesk_agent" in first


# -- the command line's leaks past the desk, and the console's unchecked writes ----------------------
#: Commands that used to open the store without asking who acts: each listed or wrote for anyone.
STRANGER_COMMANDS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "agents list": lambda f: ["agents", "list", "--json"],
    "gdap list": lambda f: ["gdap", "list"],
    "gdap check": lambda f: ["gdap", "check", f["customer"], "diagnose"],
    "health": lambda f: ["health", "--json"],
    "triage": lambda f: ["triage", "--ticket", _open_ticket(f["ws"])],
    "triage --all": lambda f: ["triage", "--all", "--json"],
    "opportunities": lambda f: ["opportunities", "--json"],
    "sync": lambda f: ["sync"],
}


@pytest.mark.parametrize("command", list(STRANGER_COMMANDS))
def test_a_login_that_is_no_agent_gets_nothing_from_the_command_line(
    command: str, door: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``agents list``, ``gdap``, ``health``, ``triage`` (which stores findings), ``opportunities`` and ``sync``
    read the store past the desk: a login that is no agent of the workspace got the agents and their roles,
    the board, the findings. Now each is refused with the message naming who can add it, and writes nothing."""
    ws = door["ws"]
    findings = ws.conn.execute("SELECT count(*) FROM findings").fetchone()[0]
    audit = len(ws.agents.audit_entries())
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "stranger")
    base = ["--db", str(ws.locator), "--config", str(door["config"])]
    assert main([*STRANGER_COMMANDS[command](door), *base]) == 3
    out, err = capsys.readouterr()
    assert out == "" and "'stranger' is not an agent" in err
    assert ws.conn.execute("SELECT count(*) FROM findings").fetchone()[0] == findings
    assert len(ws.agents.audit_entries()) == audit


def test_a_sales_agent_may_not_store_findings(
    door: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``csp-console triage`` replaced a ticket's findings for anyone (the checks wrote to the store directly);
    storing findings is ``ticket.triage`` now, and a helpdesk agent's run is audited."""
    ws = door["ws"]
    ticket = _open_ticket(ws)
    seq = ws.tickets.ticket(ticket)["seq"]  # type: ignore[index]
    with ws.transaction():
        ws.tickets.replace_findings(seq, [])
    base = ["--db", str(ws.locator), "--config", str(door["config"])]
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "priya.nair")
    assert main(["triage", "--ticket", ticket, *base]) == 3
    assert "may not ticket.triage: it needs" in capsys.readouterr().err
    assert ws.tickets.findings(seq) == []
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "maria.garcia")
    assert main(["triage", "--ticket", ticket, *base]) == 0
    stored = [f["checkId"] for f in ws.tickets.findings(seq)]
    assert stored
    (entry,) = [
        e for e in ws.agents.audit_entries("findings") if e["action"] == "ticket.triage" and e["entityId"] == ticket
    ]
    assert entry["agent"] == "maria.garcia" and json.loads(entry["detail"])["after"] == {"checks": ", ".join(stored)}


def test_findings_are_audited_when_they_change(door: dict[str, Any]) -> None:
    """The desk stores a ticket's findings with an audit row of the checks before and after; running the
    checks again with the same outcome writes no second row."""
    ws = door["ws"]
    ticket = _open_ticket(ws, 1)
    seq = ws.tickets.ticket(ticket)["seq"]  # type: ignore[index]
    with ws.transaction():
        ws.tickets.replace_findings(seq, [])
    desk = Desk(ws, load_config(door["config"]), load_plugins(), "maria.garcia", lambda: NOW)
    try:
        result = desk.check(ticket)
        again = desk.check(ticket)
    finally:
        desk.close()
    assert [f.check_id for _, f in result.findings] == [f.check_id for _, f in again.findings]
    rows = [
        e for e in ws.agents.audit_entries("findings") if e["action"] == "ticket.triage" and e["entityId"] == ticket
    ]
    assert len(rows) == 1
    checks = ", ".join(f.check_id for _, f in result.findings)
    assert json.loads(rows[0]["detail"]) == {"before": {"checks": ""}, "after": {"checks": checks}}


def test_saved_views_go_through_the_door(door: dict[str, Any]) -> None:
    """Saving and deleting a view wrote to the store from the queue screen with no role and no audit row: now
    it is ``view.save`` (every role by default, a Sales agent too), audited, and refused when narrowed."""
    ws = door["ws"]
    config = load_config(door["config"])
    desk = Desk(ws, config, load_plugins(), "priya.nair", lambda: NOW)
    try:
        query = QueueQuery(categories=("billing",))
        desk.reads.save_view("billing", query)
        assert [(v.name, v.query) for v in desk.reads.views(NOW) if v.saved] == [("billing", query)]
        assert desk.reads.delete_view("billing")
        assert [v for v in desk.reads.views(NOW) if v.saved] == []
    finally:
        desk.close()
    actions = [(e["agent"], e["action"], e["entityId"]) for e in ws.agents.audit_entries("view")]
    assert actions == [("priya.nair", "view.save", "billing"), ("priya.nair", "view.delete", "billing")]
    from console.desk.roles import Door, QueueReads

    narrowed = QueueReads(
        ws, Door.for_agent(ws.agents, {**config.roles, "view.save": ["helpdesk_agent"]}, "priya.nair")
    )
    with pytest.raises(RoleDenied, match=r"may not view\.save: it needs helpdesk_agent"):
        narrowed.save_view("billing", QueueQuery())
    assert ws.queue.saved_views("priya.nair") == []


async def test_the_queue_saves_views_through_the_door(demo_ws: Workspace, tmp_path: Path) -> None:
    """The queue screen's ``w`` saves through the door (audited); with ``view.save`` narrowed, a Sales agent's
    save is refused and nothing is stored (it used to be written straight to the store)."""
    from console.app import CspConsoleApp
    from tests.ui import settle

    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    narrowed = load_config(path)
    set_policy(demo_ws, {**DEMO_POLICY, "roles.view.save": ["helpdesk_agent"]})
    for agent, saves in (("priya.nair", False), ("maria.garcia", True)):
        app = CspConsoleApp(demo_ws, narrowed, clock=lambda: NOW, agent=agent, cursor_blink=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("w", *"mine", "enter")
            await settle(pilot)
        assert bool(demo_ws.queue.saved_views(agent)) is saves, agent
        audited = [e for e in demo_ws.agents.audit_entries("view") if e["agent"] == agent]
        assert [e["action"] for e in audited] == (["view.save"] if saves else [])


def test_the_command_line_opens_the_store_in_one_module() -> None:
    """Only ``console/cli/desk.py`` opens a workspace (to build the desk); no other command module reads the
    store or reaches past the desk to it (``desk.ws``)."""
    import re

    root = Path(__file__).resolve().parent.parent / "console" / "cli"
    for module in sorted(root.glob("*.py")):
        if module.name == "desk.py":
            continue
        text = module.read_text(encoding="utf-8")
        assert not re.search(r"console\.store|\bWorkspace\b|\bws\.|\.ws\b", text), module.name


async def test_the_console_health_board_reads_through_ticket_view(demo_ws: Workspace, tmp_path: Path) -> None:
    """The console's health board, for a sales agent once ``ticket.view`` is narrowed: no figure, the refusal
    named (before, the console built the board past the desk and showed the whole workspace; the command line's
    ``health`` was refused). A helpdesk agent still sees the board."""
    from console.app import CspConsoleApp
    from console.screens.health import HealthScreen
    from tests.ui import settle

    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    config = load_config(path)
    set_policy(demo_ws, {**DEMO_POLICY, "roles.ticket.view": ["helpdesk_agent"]})
    for agent, shown in (("priya.nair", False), ("maria.garcia", True)):
        app = CspConsoleApp(demo_ws, config, clock=lambda: NOW, agent=agent, cursor_blink=False)
        notices: list[str] = []
        app.notify = lambda message, notices=notices, **kw: notices.append(str(message))  # type: ignore[method-assign,misc]
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            app.open_health()
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, HealthScreen)
            if shown:
                assert screen.health is not None and screen.health.backlog["total"] > 0
            else:
                assert screen.health is None and screen.refused
                assert any("may not ticket.view: it needs helpdesk_agent" in n for n in notices), notices
                said = len(notices)
                screen.refresh_figures()  # what every change in the workspace does: not said again
                await settle(pilot)
                assert len(notices) == said


def test_triage_of_one_ticket_needs_ticket_view_too(
    door: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``ticket.view`` narrowed to helpdesk agents, a billing admin (who may triage) is refused
    ``triage --ticket``: it prints the ticket's findings (it used to, checking ``ticket.triage`` only)."""
    set_policy(door["ws"], {"roles.ticket.view": ["helpdesk_agent"]})
    ticket = _open_ticket(door["ws"])
    base = ["--db", str(door["ws"].locator), "--config", str(door["config"])]
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "tom.becker")
    for command in (["triage", "--ticket", ticket], ["triage", "--all"]):
        assert main([*command, *base]) == 3, command
        out, err = capsys.readouterr()
        assert ticket not in out and "may not ticket.view: it needs helpdesk_agent" in err
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "maria.garcia")
    assert main(["triage", "--ticket", ticket, *base]) == 0
    assert ticket in capsys.readouterr().out
