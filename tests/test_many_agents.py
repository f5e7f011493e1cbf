"""Many agents on one workspace: identity, roles, atomic claims, leases, no lost updates, the audit trail."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from console.cli.main import main
from console.desk.door import Desk
from console.desk.identity import UnknownAgent
from console.desk.roles import DEFAULT_ROLE_MAP, RoleDenied, RoleMap
from console.plugins.host import load_plugins
from console.settings.config import Config
from console.settings.paths import child_env
from console.shared.model import Role
from console.store import Workspace
from console.tickets import ops as ticket_ops
from tests.conftest import NOW, set_policy
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.engine_ws import new_ws_fixture as new_ws_fixture

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(DEFAULT_ROLE_MAP))
def test_every_role_and_action_pair(role: Role, action: str) -> None:
    role_map = RoleMap()
    expected = role in DEFAULT_ROLE_MAP[action]
    assert role_map.allowed([role.value], action) is expected
    if not expected:
        with pytest.raises(RoleDenied) as info:
            role_map.check("someone", [role.value], action)
        assert f"may not {action}: it needs " in str(info.value)
        assert all(r.value in str(info.value) for r in DEFAULT_ROLE_MAP[action])


def test_role_map_is_configurable_and_validated() -> None:
    assert RoleMap({"ticket.assign": ["sales_agent"]}).allowed(["sales_agent"], "ticket.assign")
    with pytest.raises(ValueError, match="unknown action"):
        RoleMap({"ticket.fly": ["sales_agent"]})
    with pytest.raises(ValueError, match="unknown role 'owner'"):
        RoleMap({"ticket.assign": ["owner"]})


def desk(ws: Workspace, agent: str) -> Desk:
    return Desk(ws, Config(), load_plugins(), agent, lambda: NOW)


def an_open(ws: Workspace, **match: object) -> dict:
    return next(r for b in ws.tickets.iter_tickets() for r in b if all(r[k] == v for k, v in match.items()))


def test_desk_enforces_roles_in_the_core(demo_ws: Workspace) -> None:
    sales = desk(demo_ws, "priya.nair")  # sales_agent only
    ticket = an_open(demo_ws, assignee=None)
    for call in (
        lambda: sales.claim(ticket),
        lambda: sales.set_status(ticket, "resolved", "answered"),
        lambda: sales.assign(ticket, "li.wei"),
        lambda: sales.note(ticket, "hi", reply=True),
    ):
        with pytest.raises(RoleDenied):
            call()
    sales.note(ticket, "Sales: upsell E5 after this is fixed")  # sales may leave internal notes
    billing = desk(demo_ws, "tom.becker")  # billing_admin: works tickets, may not assign
    billing.claim(ticket)
    with pytest.raises(RoleDenied, match=r"ticket\.assign: it needs admin_agent or global_admin or helpdesk_agent"):
        billing.assign(ticket["id"], "li.wei")
    assert demo_ws.tickets.ticket(ticket["id"])["assignee"] == "tom.becker"


def test_unknown_login_gets_a_clear_message(demo_ws: Workspace) -> None:
    with pytest.raises(UnknownAgent, match=r"'mallory' is not an agent.*agents add mallory"):
        desk(demo_ws, "mallory")


def test_claim_is_exclusive_and_takeover_is_audited(demo_ws: Workspace) -> None:
    a, b = desk(demo_ws, "aiko.tanaka"), desk(demo_ws, "li.wei")
    ticket = an_open(demo_ws, assignee=None)
    a.claim(ticket)
    with pytest.raises(ticket_ops.ClaimedByOther, match=r"held by aiko\.tanaka"):
        b.claim(ticket["id"])
    held = demo_ws.tickets.ticket(ticket["id"])
    assert held["assignee"] == "aiko.tanaka" and held["claimedUntil"] == "2026-11-23T03:30:00Z"
    b.claim(ticket["id"], takeover=True)
    assert demo_ws.tickets.ticket(ticket["id"])["assignee"] == "li.wei"
    actions = [(e["agent"], e["action"]) for e in demo_ws.agents.audit_since(entity="ticket", entity_id=ticket["id"])]
    assert actions == [("aiko.tanaka", "ticket.claim"), ("li.wei", "ticket.takeover")]
    entry = demo_ws.agents.audit_since(entity="ticket", entity_id=ticket["id"])[-1]["detail"]
    assert entry["before"]["assignee"] == "aiko.tanaka" and entry["after"]["assignee"] == "li.wei"


def test_a_takeover_from_a_stale_copy_is_authorized_as_one(demo_ws: Workspace) -> None:
    """The console's copy says nobody holds the ticket; meanwhile a colleague claimed it. Claiming with
    ``takeover`` from that copy is a takeover of the ticket as stored, so it needs the takeover role: a Billing
    admin (who may claim, not take over) is refused inside the claim's transaction and nothing is written."""
    holder, billing = desk(demo_ws, "aiko.tanaka"), desk(demo_ws, "tom.becker")
    stale = an_open(demo_ws, assignee=None)  # as the Billing admin's console read it
    holder.claim(stale["id"])
    audit_before = len(demo_ws.agents.audit_since(entity="ticket", entity_id=stale["id"]))
    with pytest.raises(RoleDenied, match=r"ticket\.takeover: it needs"):
        billing.claim(stale, takeover=True)
    held = demo_ws.tickets.ticket(stale["id"])
    assert held["assignee"] == "aiko.tanaka"
    assert len(demo_ws.agents.audit_since(entity="ticket", entity_id=stale["id"])) == audit_before
    helpdesk = desk(demo_ws, "li.wei")  # a Helpdesk agent may: audited as the takeover it is
    helpdesk.claim(stale, takeover=True)
    assert demo_ws.agents.audit_since(entity="ticket", entity_id=stale["id"])[-1]["action"] == "ticket.takeover"


def test_a_takeover_that_turns_out_a_plain_claim_is_authorized_as_one(demo_ws: Workspace) -> None:
    """The other way round: the console's copy says a colleague holds the ticket, who let it go meanwhile. Under a
    role map that lets Billing admins take over but not claim, confirming the takeover from that copy is a plain
    claim of the ticket as stored, so it needs ``ticket.claim``: refused inside the claim's transaction, nothing
    written (it claimed the ticket before: the review's low point)."""
    helpdesk = ("global_admin", "helpdesk_agent", "admin_agent")
    set_policy(demo_ws, {"roles.ticket.claim": list(helpdesk), "roles.ticket.takeover": [*helpdesk, "billing_admin"]})
    holder, billing = desk(demo_ws, "aiko.tanaka"), desk(demo_ws, "tom.becker")
    ticket = an_open(demo_ws, assignee=None)
    stale = holder.claim(ticket["id"])  # as the Billing admin's console read it: aiko.tanaka holds it
    holder.release(stale["id"])
    audit_before = len(demo_ws.agents.audit_since(entity="ticket", entity_id=stale["id"]))
    with pytest.raises(RoleDenied, match=r"ticket\.claim: it needs"):
        billing.claim(stale, takeover=True)
    assert demo_ws.tickets.ticket(stale["id"])["assignee"] is None
    assert len(demo_ws.agents.audit_since(entity="ticket", entity_id=stale["id"])) == audit_before


def test_lease_expires_back_to_the_pool_and_exit_releases(demo_ws: Workspace) -> None:
    a = desk(demo_ws, "aiko.tanaka")
    first, second = [r for b in demo_ws.tickets.iter_tickets() for r in b if r["assignee"] is None][:2]
    a.claim(first)
    a.claim(second)
    assert a.renew([first["id"]]) == 1
    later = Desk(demo_ws, Config(), load_plugins(), "li.wei", lambda: NOW + timedelta(minutes=31))
    assert {first["id"], second["id"]} <= set(later.expire_claims())  # (the demo's live claims expire too)
    assert later.expire_claims() == []
    assert demo_ws.tickets.ticket(first["id"])["assignee"] is None
    third = an_open(demo_ws, assignee=None)
    console = Desk(demo_ws, Config(), load_plugins(), "aiko.tanaka", lambda: NOW, session="console")
    console.claim(third)
    assert console.leave() == [third["id"]]  # leaving a console releases its own claims (tests/test_claim_sessions.py)
    assert demo_ws.tickets.ticket(third["id"])["assignee"] is None


def test_stale_version_is_refused(demo_ws: Workspace) -> None:
    a, b = desk(demo_ws, "aiko.tanaka"), desk(demo_ws, "li.wei")
    seen = an_open(demo_ws, status="triaged")
    a.set_status(seen, "in_progress")
    from console.store import StaleVersion

    with pytest.raises(StaleVersion, match=r"changed by aiko\.tanaka"):
        b.set_status(seen, "waiting_customer")
    assert demo_ws.tickets.ticket(seen["id"])["status"] == "in_progress"


def test_a_claim_from_an_older_copy_keeps_what_changed_since(demo_ws: Workspace) -> None:
    """The queue's copy of a new ticket, read before a lead moved it on (unclaimed) to in progress: claiming from
    that copy takes the ticket as stored, so the lead's status stays and no "new -> triaged" is made up (before:
    the claim's changes came from the copy, and the status went back to triaged)."""
    seen = an_open(demo_ws, status="new", assignee=None)
    desk(demo_ws, "kenji.sato").set_status(seen, "in_progress")
    claimed = desk(demo_ws, "aiko.tanaka").claim(seen)  # (the older copy: status new)
    assert claimed["assignee"] == "aiko.tanaka" and claimed["status"] == "in_progress"
    changes = [
        (e["fromValue"], e["toValue"]) for e in demo_ws.tickets.timeline(seen["seq"]) if e["kind"] == "status_change"
    ]
    assert changes == [("new", "in_progress")]


def test_audit_log_is_append_only(demo_ws: Workspace) -> None:
    desk(demo_ws, "aiko.tanaka").note(an_open(demo_ws)["id"], "audited")
    for sql in ("UPDATE audit_log SET agent = 'nobody'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            demo_ws.conn.execute(sql)


CLAIMER = """
import sys
from console.settings.config import Config
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.store import Workspace
from console.tickets.ops import ClaimedByOther
from console.shared.clock import utcnow
from console.settings.paths import child_workspace
ws = Workspace.open(child_workspace(sys.argv[1])); agent = sys.argv[2]
d = Desk(ws, Config(), load_plugins(installed=False), agent, utcnow)
won = 0
for ticket_id in sys.argv[3].split(","):
    try:
        d.claim(ticket_id); won += 1
    except ClaimedByOther:
        pass
    d.note(ticket_id, f"note by {agent}")  # everyone writes to every ticket at the same time
print(won)
"""


#: The claiming agents, one per process (two consoles of one agent would share its claims): the demo's, then more.
CLAIMERS = ["aiko.tanaka", "li.wei", "maria.garcia", "kenji.sato", "tom.becker", "desk.six", "desk.seven", "desk.eight"]


@pytest.mark.parametrize("processes", [4, 8])
def test_processes_claiming_the_same_tickets(demo_ws: Workspace, processes: int) -> None:
    """Of several processes (each its own connections and caches: on PostgreSQL, as on separate hosts) claiming the
    same tickets at once, exactly one wins each; nobody's note is lost."""
    ws = demo_ws
    db = ws.locator
    ids = [r["id"] for b in ws.tickets.iter_tickets() for r in b if r["assignee"] is None][:60]
    agents = CLAIMERS[:processes]
    known = {a["login"] for a in ws.agents.agents()}
    for login in set(agents) - known:
        ws.agents.add_agent(login, login, f"{login}@example.com", ["helpdesk_agent"], by="test")
    ws.close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, "-", a, ",".join(ids)],
            env=child_env(db),
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for a in agents
    ]
    wins = [int(p.communicate(timeout=120)[0].strip()) for p in procs]
    assert sum(wins) == len(ids)  # exactly one winner per ticket
    ws = Workspace.open(db)
    holders = {ws.tickets.ticket(i)["assignee"] for i in ids}
    assert holders <= set(agents)
    claims = [
        e for e in ws.agents.audit_since(entity="ticket") if e["action"] == "ticket.claim" and e["entityId"] in ids
    ]
    assert len(claims) == len(ids)  # every claim audited, none twice
    for ticket_id in ids:  # no lost updates: every agent's note is there, and audited
        t = ws.tickets.ticket(ticket_id)
        notes = [
            e["text"] for e in ws.tickets.timeline(t["seq"]) if e["kind"] == "note" and e["text"].startswith("note by")
        ]
        assert sorted(notes) == sorted(f"note by {a}" for a in agents)
    note_audits = [
        e for e in ws.agents.audit_since(entity="ticket") if e["action"] == "ticket.note" and e["entityId"] in ids
    ]
    assert len(note_audits) == len(ids) * len(agents)
    ws.close()


def test_ticket_commands_and_exit_codes(
    demo_copy: Callable[..., Where], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo_copy("w")
    ws = Workspace.open(db)
    ticket_id = an_open(ws, assignee=None)["id"]
    ws.close()
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")
    assert main(["ticket", "claim", ticket_id, "--db", str(db)]) == 0
    assert main(["ticket", "note", ticket_id, "金額を確認しました", "--db", str(db)]) == 0
    assert main(["ticket", "show", ticket_id, "--db", str(db), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert shown["ticket"]["assignee"] == "aiko.tanaka"
    assert any(e["text"] == "金額を確認しました" for e in shown["timeline"])
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "li.wei")
    assert main(["ticket", "claim", ticket_id, "--db", str(db)]) == 3  # held by someone else
    assert "held by aiko.tanaka" in capsys.readouterr().err
    assert main(["ticket", "status", ticket_id, "in_progress", "--version", "1", "--db", str(db)]) == 3  # stale
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "priya.nair")
    assert main(["ticket", "resolve", ticket_id, "answered", "--db", str(db)]) == 3  # role
    assert "needs" in capsys.readouterr().err
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")
    assert main(["ticket", "resolve", ticket_id, "nonsense", "--db", str(db)]) == 1
    assert main(["ticket", "resolve", ticket_id, "answered", "--db", str(db)]) == 0
    assert main(["ticket", "show", "CSP-999999", "--db", str(db)]) == 1
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "mallory")
    assert main(["ticket", "show", ticket_id, "--db", str(db)]) == 3


def test_agents_and_audit_commands(
    demo_copy: Callable[..., Where], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo_copy("w")
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")  # not a global admin
    assert main(["agents", "add", "bob", "--role", "helpdesk_agent", "--db", str(db)]) == 3
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "kenji.sato")  # global admin
    assert main(["agents", "add", "bob", "--role", "helpdesk_agent", "--db", str(db)]) == 0
    assert main(["agents", "grant", "bob", "billing_admin", "--db", str(db)]) == 0
    assert main(["agents", "revoke", "bob", "helpdesk_agent", "--db", str(db)]) == 0
    assert main(["agents", "list", "--db", str(db), "--json"]) == 0
    listed = {a["login"]: a["roles"] for a in json.loads(capsys.readouterr().out.splitlines()[-1])}
    assert listed["bob"] == ["billing_admin"]
    assert main(["audit", "--db", str(db), "--json"]) == 0
    entries = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    roles = [e for e in entries if e["entity"] == "agent" and e["entityId"] == "bob"]
    assert [e["action"] for e in roles] == ["agent.add", "agent.grant", "agent.revoke"]
    assert roles[1]["detail"] == {
        "before": {"roles": ["helpdesk_agent"]},
        "after": {"roles": ["billing_admin", "helpdesk_agent"]},
    }
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "li.wei")  # helpdesk: may not read the audit
    assert main(["audit", "--db", str(db)]) == 3


def test_bootstrap_first_agent_of_an_empty_workspace(
    new_ws: Callable[..., Where], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = new_ws("w")
    Workspace.open(db).close()
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "root-admin")
    assert main(["agents", "add", "root-admin", "--role", "global_admin", "--db", str(db)]) == 0
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "other")
    assert main(["agents", "add", "other", "--role", "global_admin", "--db", str(db)]) == 3


def test_import_updates_are_audited_with_before_and_after(empty_ws: Workspace, tmp_path: Path) -> None:
    from console.records.importer import import_files
    from console.shared.model import BUILTIN_SERVICES

    examples = ROOT / "examples" / "import"
    import_files(empty_ws, [examples / "customers.jsonl", examples / "subscriptions.csv"], BUILTIN_SERVICES)
    changed = tmp_path / "subscriptions.jsonl"
    changed.write_text(
        json.dumps(
            {
                "id": "a1000000-0000-4000-8000-000000000001",
                "customerId": "0f8c2a4e-1111-4c1e-9a51-000000000001",
                "service": "office365",
                "offerId": "CFQ7TTC0LCHC:0002",
                "offerName": "Microsoft 365 Business Premium",
                "quantity": 60,
                "status": "suspended",
                "creationDate": "2026-11-20T01:00:00Z",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    import_files(empty_ws, [changed], BUILTIN_SERVICES, agent="tom.becker")
    history = empty_ws.agents.audit_for_account("0f8c2a4e-1111-4c1e-9a51-000000000001")
    update = next(e for e in history if e["action"] == "subscription.update")
    assert update["detail"]["before"]["quantity"] == 48 and update["detail"]["after"]["quantity"] == 60
    assert update["detail"]["before"]["status"] == "active" and update["detail"]["after"]["status"] == "suspended"
