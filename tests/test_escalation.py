"""Escalation to Microsoft, end to end against the local Partner Center / Azure Support API: every vehicle,
both paths (API and hand-off), exactly-once delivery under faults and kills, Microsoft's answers flowing
back onto the ticket."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from console.cli.main import main
from console.desk.door import Desk
from console.desk.roles import RoleDenied
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.settings.config import load_config, write_demo_config
from console.settings.paths import log_path
from console.shared.model import Vehicle
from console.store import StaleVersion, Workspace
from console.tickets.ops import TicketInputError
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW
from tests.raw_db import stored_bytes

AGENT = "aiko.tanaka"


def pick(ws: Workspace, service: str, category: str, title: str = "%") -> str:
    """The first open ticket of the service and category (Azure technical: VMs down, so a service is
    preselected from its words)."""
    if (service, category) == ("azure", "technical") and title == "%":
        title = "Production VMs%"
    row = ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND service = ? AND category = ? AND status != 'waiting_microsoft' "
        "AND title LIKE ? ORDER BY seq LIMIT 1",
        (service, category, title),
    ).fetchone()
    assert row is not None, (service, category)
    return row[0]


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    write_demo_config(path)
    return path


@pytest.fixture
def desk(demo_ws: Workspace, config_path: Path) -> Iterator[Desk]:
    d = Desk(demo_ws, load_config(config_path), load_plugins(), AGENT, lambda: NOW)
    yield d
    d.close()


def outbox(ws: Workspace) -> list[dict[str, object]]:
    return ws.outbox.outbox_items(("pending", "delivered", "failed", "cancelled"))


# -- which vehicles -------------------------------------------------------------------------------
def test_options_say_why_a_vehicle_is_not_available(sandbox: Sandbox, desk: Desk) -> None:
    _, options = desk.escalation_options(pick(desk.ws, "azure", "technical"))
    by = {o.vehicle: o for o in options}
    assert by[Vehicle.ADVANCED].eligible and by[Vehicle.SIGNATURE].eligible
    assert not by[Vehicle.PREMIER].eligible and "no Premier Support for Partners contract" in by[Vehicle.PREMIER].reason
    assert not by[Vehicle.COMMERCIAL].eligible and "not technical problems" in by[Vehicle.COMMERCIAL].reason
    assert [o.eligible for o in options] == sorted((o.eligible for o in options), reverse=True)  # eligible first
    _, d365 = desk.escalation_options(pick(desk.ws, "dynamics365", "technical"))
    assert "ASfP or PSfP" in {o.vehicle: o for o in d365}[Vehicle.SIGNATURE].reason
    _, billing = desk.escalation_options(pick(desk.ws, "office365", "billing"))
    assert [o.vehicle for o in billing if o.eligible] == [Vehicle.COMMERCIAL]


def test_an_ineligible_vehicle_is_refused(sandbox: Sandbox, desk: Desk) -> None:
    with pytest.raises(TicketInputError, match="Premier Support for Partners cannot take this ticket"):
        desk.escalation_draft(pick(desk.ws, "azure", "technical"), "premier")


# -- the Azure Support API path ------------------------------------------------------------------
def test_azure_case_is_created_through_the_api_under_the_customers_subscription(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = pick(desk.ws, "azure", "technical")
    draft = desk.escalation_draft(ticket_id, "advanced")
    assert draft.via_api and draft.service_id and draft.problem_classification_id
    assert draft.azure_subscription_id in sandbox.state.azure_subscriptions
    draft.title = "Azure: 本番 VM に接続できない"
    stored = desk.escalate(draft)
    assert stored["state"] == "pending" and desk.ws.tickets.ticket(ticket_id)["status"] == "waiting_microsoft"  # type: ignore[index]
    report = desk.microsoft_sync(poll=False)
    assert report.delivered and report.ok
    esc = desk.ws.escalations.escalation(stored["id"])
    assert esc is not None and esc["state"] == "open"
    (created,) = sandbox.state.tickets.values()
    assert esc["microsoftCaseId"] == created["properties"]["supportTicketId"]
    props = created["properties"]
    assert props["title"] == "Azure: 本番 VM に接続できない" and props["serviceId"] == draft.service_id
    assert props["contactDetails"]["preferredSupportLanguage"] == "ja-JP"
    assert created["id"].startswith(f"/subscriptions/{draft.azure_subscription_id}/")
    timeline = [e["text"] for e in desk.details(ticket_id).timeline if e["kind"] == "escalation"]
    assert any("queued as support ticket" in t for t in timeline)
    assert any(f"Microsoft opened case {esc['microsoftCaseId']}" in t for t in timeline)
    # The catalogue came from the API once and is now in the workspace.
    assert (
        desk.ws.microsoft.catalog("service")
        and len([r for r in sandbox.state.requests if r["path"].startswith("/providers")]) >= 2
    )


@pytest.mark.parametrize("fault", ["429", "500", "drop", "drop_after", "slow_after"])
def test_each_fault_ends_with_exactly_one_azure_ticket(sandbox: Sandbox, desk: Desk, fault: str) -> None:
    stored = desk.escalate(desk.escalation_draft(pick(desk.ws, "azure", "technical"), "advanced"))
    sandbox.fault("PUT /subscriptions/", fault, times=1, retry_after=0.05, delay=4)
    report = desk.microsoft_sync(poll=False)
    for _ in range(5):  # whatever the client's own retries did not finish, the next runs do
        if desk.ws.escalations.escalation(stored["id"])["state"] == "open":  # type: ignore[index]
            break
        report = desk.microsoft_sync(poll=False, force=True)
    assert desk.ws.escalations.escalation(stored["id"])["state"] == "open", report  # type: ignore[index]
    assert len(sandbox.state.tickets) == 1
    assert [o["state"] for o in outbox(desk.ws)] == ["delivered"]


def test_a_long_outage_leaves_the_escalation_pending_then_delivers_it_once(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = pick(desk.ws, "azure", "technical")
    stored = desk.escalate(desk.escalation_draft(ticket_id, "signature"))
    sandbox.fault("PUT /subscriptions/", "500", times=100)
    report = desk.microsoft_sync(poll=False)
    assert report.pending and not report.delivered
    esc = desk.ws.escalations.escalation(stored["id"])
    assert esc["state"] == "pending" and "500" in esc["lastError"]  # type: ignore[index]
    (item,) = outbox(desk.ws)
    assert item["state"] == "pending" and item["nextAttemptDate"] and item["attempts"] == 1
    assert desk.microsoft_sync(poll=False).delivered == []  # not due yet: the background loop waits
    sandbox.clear_faults()
    assert desk.microsoft_sync(poll=False, force=True).delivered
    assert len(sandbox.state.tickets) == 1
    assert len({r["requestId"] for r in sandbox.state.requests if r["method"] == "PUT"}) == 1


def test_a_refused_case_fails_visibly_and_can_be_retried(sandbox: Sandbox, desk: Desk) -> None:
    draft = desk.escalation_draft(pick(desk.ws, "azure", "technical"), "advanced")
    # One of the customer's Azure subscriptions on file, which Azure no longer knows (cancelled meanwhile).
    del sandbox.state.azure_subscriptions[draft.azure_subscription_id]  # type: ignore[arg-type]
    stored = desk.escalate(draft)
    report = desk.microsoft_sync(poll=False)
    assert report.failed and "SubscriptionNotFound" in report.failed[0]
    assert desk.ws.escalations.escalation(stored["id"])["state"] == "failed"  # type: ignore[index]
    assert any("Delivery to Microsoft failed" in (e["text"] or "") for e in desk.details(draft.ticket_id).timeline)
    assert desk.ws.outbox.retry_escalation(stored["id"], AGENT) == 1
    assert desk.microsoft_sync(poll=False).failed  # still the wrong subscription: fails again, nothing created
    assert sandbox.state.tickets == {}


def test_microsofts_answers_and_closing_flow_back_once(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = pick(desk.ws, "azure", "technical")
    stored = desk.escalate(desk.escalation_draft(ticket_id, "advanced"))
    desk.microsoft_sync()
    case = desk.ws.escalations.escalation(stored["id"])["microsoftCaseId"]  # type: ignore[index]
    sandbox.state.respond(case, "Please send the [bold]query plan[/bold] \x1b[31m.", author="Engineer Sato")
    first = desk.microsoft_sync()
    again = desk.microsoft_sync()
    assert first.updates == 1 and again.updates == 0  # the answer (the welcome came with the delivery); once
    notes = [e for e in desk.details(ticket_id).timeline if e["kind"] == "microsoft"]
    assert [n["author"] for n in notes] == ["Microsoft Support", "Engineer Sato"]
    assert "[bold]query plan[/bold]" in notes[1]["text"]  # stored as written; the screens render it literally
    sandbox.state.respond(case, "Fixed by the product group.", status="Closed")
    desk.microsoft_sync()
    assert desk.ws.escalations.escalation(stored["id"])["state"] == "closed"  # type: ignore[index]
    ticket = desk.ws.tickets.ticket(ticket_id)
    assert ticket is not None and ticket["status"] == "in_progress"
    hits = desk.ws.queue.queue_page(QueueQuery(search="product group"), limit=50)
    assert ticket_id in [r.id for r in hits]  # Microsoft's answers are found by search


def test_a_message_to_microsoft_goes_once_and_is_not_echoed(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = pick(desk.ws, "azure", "technical")
    stored = desk.escalate(desk.escalation_draft(ticket_id, "advanced"))
    desk.microsoft_sync()
    sandbox.fault("/communications/note-", "drop_after")
    desk.message_microsoft(stored["id"], "Logs attached to the partner ticket.")
    desk.microsoft_sync()
    name = stored["ticketName"]
    # The customer side's own messages come back "outbound" (the spec's CreateSupportTicketCommunication.json).
    ours = [c for c in sandbox.state.communications[name] if c["properties"]["communicationDirection"] == "outbound"]
    assert [c["properties"]["body"] for c in ours] == ["Logs attached to the partner ticket."]  # once, despite the drop
    assert ours[0]["properties"]["sender"] == desk.ws.agents.agent(AGENT)["email"]  # type: ignore[index]  # an email, not a login
    assert not any(
        e["text"] == "Logs attached to the partner ticket."
        for e in desk.details(ticket_id).timeline
        if e["kind"] == "microsoft"
    )


# -- the hand-off path ---------------------------------------------------------------------------
def test_microsoft_365_case_is_handed_off_and_its_number_recorded(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = pick(desk.ws, "office365", "technical")
    draft = desk.escalation_draft(ticket_id, "signature")
    assert not draft.via_api and draft.handoff_url.startswith("https://admin.microsoft.com/")
    assert "Problem as reported:" in draft.case_text()
    stored = desk.escalate(draft)
    assert stored["state"] == "awaiting_case_number" and outbox(desk.ws) == []
    assert sandbox.state.requests == [] or all(r["method"] == "GET" for r in sandbox.state.requests)
    with pytest.raises(TicketInputError, match="case number"):
        desk.record_case_number(stored["id"], "x")
    sr = sandbox.state.add_service_request(
        desk.ws.tickets.ticket(ticket_id)["customerId"], draft.title, draft.description
    )  # type: ignore[index]
    esc = desk.record_case_number(stored["id"], sr["id"])
    assert esc["state"] == "open" and esc["microsoftCaseId"] == sr["id"]
    sandbox.state.respond(sr["id"], "Mail flow restored after a fix on our side.")
    desk.message_microsoft(stored["id"], "The customer confirms.")
    report = desk.microsoft_sync()
    assert report.ok and report.delivered
    notes = [e["text"] for e in desk.details(ticket_id).timeline if e["kind"] == "microsoft"]
    assert notes == ["Mail flow restored after a fix on our side."]  # our own note is not copied back
    assert sandbox.state.service_requests[sr["id"]]["notes"][-1]["text"] == "The customer confirms."
    sandbox.state.respond(sr["id"], status="closed")
    desk.microsoft_sync()
    assert desk.ws.escalations.escalation(stored["id"])["state"] == "closed"  # type: ignore[index]


def test_commercial_case_with_its_number_at_once(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = pick(desk.ws, "office365", "billing")
    draft = desk.escalation_draft(ticket_id, "commercial")
    assert "partner.microsoft.com" in draft.handoff_url and draft.customer_id in draft.handoff_url
    stored = desk.escalate(draft, "2611230000099")
    assert stored["state"] == "open" and stored["microsoftCaseId"] == "2611230000099"
    report = desk.microsoft_sync()
    assert report.poll_errors and "404" in report.poll_errors[0]  # not visible in Partner Center: said, kept
    assert desk.ws.escalations.escalation(stored["id"])["state"] == "open"  # type: ignore[index]


def test_a_ticket_changed_meanwhile_is_not_escalated(sandbox: Sandbox, desk: Desk, demo_ws: Workspace) -> None:
    ticket_id = pick(desk.ws, "office365", "technical")
    draft = desk.escalation_draft(ticket_id, "signature")
    other = Desk(demo_ws, desk.config, desk.host, "kenji.sato", lambda: NOW)
    other.note(ticket_id, "I am on the phone with them.")
    with pytest.raises(StaleVersion):
        desk.escalate(draft)
    assert desk.ws.escalations.escalations() == [] and outbox(desk.ws) == []


def test_bad_drafts_and_roles_are_refused(sandbox: Sandbox, desk: Desk, demo_ws: Workspace, config_path: Path) -> None:
    draft = desk.escalation_draft(pick(desk.ws, "azure", "technical"), "advanced")
    draft.title = " "
    with pytest.raises(TicketInputError, match="title"):
        desk.escalate(draft)
    draft.title, draft.severity = "ok", "urgent"
    with pytest.raises(TicketInputError, match="Severity must be one of"):
        desk.escalate(draft)
    draft.severity, draft.problem_classification_id = "moderate", "nope"
    with pytest.raises(TicketInputError, match="problem classification"):
        desk.escalate(draft)
    demo_ws.agents.add_agent("bo.billing", "Bo", "", ["billing_admin"], by="test")
    billing = Desk(demo_ws, desk.config, desk.host, "bo.billing", lambda: NOW)
    with pytest.raises(RoleDenied):
        billing.escalation_options(draft.ticket_id)
    assert demo_ws.escalations.escalations() == []


def test_azure_cases_need_a_contact(sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "bare.toml"
    path.write_text('[partner]\nname = "P"\n[partner.contracts]\nadvanced_support = true\n', encoding="utf-8")
    d = Desk(demo_ws, load_config(path), load_plugins(), AGENT, lambda: NOW)
    draft = d.escalation_draft(pick(demo_ws, "azure", "technical"), "advanced")
    with pytest.raises(TicketInputError, match=r"contact_first_name in the \[microsoft\] table"):
        d.escalate(draft)


def test_signature_incidents_are_counted_for_non_cloud_competencies(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "silver.toml"
    path.write_text(
        '[partner]\nname = "P"\n[[partner.competencies]]\nname = "Data Analytics"\nlevel = "silver"\n',
        encoding="utf-8",
    )
    d = Desk(demo_ws, load_config(path), load_plugins(), AGENT, lambda: NOW)
    tickets = [
        r[0]
        for r in demo_ws.conn.execute(
            "SELECT id FROM tickets WHERE isOpen = 1 AND service = 'office365' AND category = 'technical' "
            "ORDER BY seq LIMIT 6"
        )
    ]
    for ticket_id in tickets[:5]:
        d.escalate(d.escalation_draft(ticket_id, "signature"))
    _, options = d.escalation_options(tickets[5])
    signature = {o.vehicle: o for o in options}[Vehicle.SIGNATURE]
    assert not signature.eligible and "all 5 Signature Cloud Support incidents" in signature.reason


# -- the command line ----------------------------------------------------------------------------
@pytest.fixture
def base(demo_ws: Workspace, config_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The workspace and config options of a command run as the demo's agent."""
    monkeypatch.setenv("CSP_CONSOLE_AGENT", AGENT)
    return ["--db", str(demo_ws.locator), "--config", str(config_path)]


def test_escalate_command_azure_and_json(
    sandbox: Sandbox, demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = pick(demo_ws, "azure", "technical")
    assert main(["escalate", ticket_id, "--vehicle", "advanced", "--service", "Nope", *base]) == 1
    assert "--service: no service 'Nope'" in capsys.readouterr().err
    code = main(
        [
            "escalate",
            ticket_id,
            "--vehicle",
            "advanced",
            "--service",
            "Backup",
            "--problem",
            "Restore failure",
            "--json",
            *base,
        ]
    )
    assert code == 0
    out = __import__("json").loads(capsys.readouterr().out)
    assert out["escalation"]["state"] == "open" and out["delivery"]["delivered"]
    assert main(["escalations", "list", *base]) == 0
    assert f"{ticket_id}  advanced  open" in capsys.readouterr().out


def test_escalate_command_hand_off_then_record(
    sandbox: Sandbox, demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = pick(demo_ws, "dynamics365", "technical")
    assert main(["escalate", ticket_id, "--vehicle", "advanced", *base]) == 0
    out = capsys.readouterr().out
    assert "https://admin.powerplatform.microsoft.com/support" in out and "escalations record 1 NUMBER" in out
    assert main(["escalations", "record", "1", "2611230000777", *base]) == 0
    assert "open  case 2611230000777" in capsys.readouterr().out
    assert (
        main(
            ["escalate", pick(demo_ws, "office365", "billing"), "--vehicle", "commercial", "--case-number", "12", *base]
        )
        == 1
    )
    assert "does not look like a Microsoft case number" in capsys.readouterr().err


def test_escalate_command_without_tokens_queues_and_says_so(
    demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["escalate", pick(demo_ws, "azure", "technical"), "--vehicle", "advanced", *base]) == 1
    assert "CSP_CONSOLE_AZURE_TOKEN" in capsys.readouterr().err  # the catalogue cannot be read: nothing stored
    assert demo_ws.escalations.escalations() == []


# -- a process killed between the outbox write and the delivery ---------------------------------
@pytest.mark.parametrize("fault", ["slow", "slow_after"])
def test_killed_mid_delivery_then_delivered_exactly_once(
    sandbox: Sandbox, demo_ws: Workspace, config_path: Path, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", AGENT)
    desk = Desk(demo_ws, load_config(config_path), load_plugins(), AGENT, lambda: NOW)
    desk.escalation_draft(pick(demo_ws, "azure", "technical"), "advanced")  # fills the catalogue cache
    desk.close()
    sandbox.fault("PUT /subscriptions/", fault, times=1, delay=3)
    env = {**os.environ, "CSP_CONSOLE_AGENT": AGENT}
    ticket_id = pick(demo_ws, "azure", "technical")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "console.cli",
            "escalate",
            ticket_id,
            "--vehicle",
            "advanced",
            "--db",
            str(demo_ws.locator),
            "--config",
            str(config_path),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not [r for r in sandbox.state.requests if r["method"] == "PUT"]:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (item,) = demo_ws.outbox.outbox_items()
    assert item["state"] == "pending"  # written before the delivery, still owed
    assert main(["escalations", "sync", "--db", str(demo_ws.locator), "--config", str(config_path)]) == 0
    time.sleep(3.5)  # let the killed request's slow handler finish too
    assert len(sandbox.state.tickets) == 1
    (esc,) = demo_ws.escalations.escalations()
    assert esc["state"] == "open"
    assert esc["microsoftCaseId"] == next(iter(sandbox.state.tickets.values()))["properties"]["supportTicketId"]
    assert [o["state"] for o in demo_ws.outbox.outbox_items(("pending", "delivered"))] == ["delivered"]


def test_premier_support_when_the_partner_has_the_contract(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "premier.toml"
    write_demo_config(path)
    path.write_text(
        path.read_text(encoding="utf-8").replace("premier_support = false", "premier_support = true"), encoding="utf-8"
    )
    d = Desk(demo_ws, load_config(path), load_plugins(), AGENT, lambda: NOW)
    ticket_id = pick(demo_ws, "azure", "technical")
    _, options = d.escalation_options(ticket_id)
    assert options[0].vehicle == Vehicle.PREMIER and options[0].eligible  # the best vehicle first
    stored = d.escalate(d.escalation_draft(ticket_id, "premier"))
    d.microsoft_sync(poll=False)
    assert d.ws.escalations.escalation(stored["id"])["state"] == "open"  # type: ignore[index]
    d.close()


def test_tokens_never_reach_the_workspace_or_the_log(
    sandbox: Sandbox, demo_ws: Workspace, base: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    issued = tmp_path / "issued.txt"
    script = tmp_path / "issue_token.py"
    script.write_text(
        "import sys\nfrom console.sandbox.tokens import mint\n"
        f"token = mint(sys.argv[1], sys.argv[2])\nopen({str(issued)!r}, 'a').write(token + '\\n')\nprint(token)\n",
        encoding="utf-8",
    )
    for var in ("PARTNER_CENTER", "AZURE"):
        monkeypatch.setenv(f"CSP_CONSOLE_{var}_TOKEN_COMMAND", f"{sys.executable} {script} {{resource}} {{tenant}}")
    assert main(["sync", *base]) == 0
    assert main(["escalate", pick(demo_ws, "azure", "technical"), "--vehicle", "advanced", *base]) == 0
    secrets = issued.read_text(encoding="utf-8").split()
    assert len(secrets) >= 3  # Partner Center, the customer's ARM token and the partner's auxiliary one
    stored, log = stored_bytes(demo_ws), log_path().read_text(encoding="utf-8")
    for secret in secrets:
        signature_free = secret.split(".")[1]  # the claims part is what makes each token unique
        assert signature_free.encode() not in stored and signature_free not in log


def test_escalating_a_resolved_ticket_reopens_it(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = pick(desk.ws, "office365", "technical")
    desk.set_status(ticket_id, "resolved", "fixed_by_partner")
    stored = desk.escalate(desk.escalation_draft(ticket_id, "signature"), "2611230000888")
    ticket = desk.ws.tickets.ticket(ticket_id)
    assert stored["state"] == "open" and ticket is not None
    assert (ticket["status"], ticket["isOpen"], ticket["resolvedDate"], ticket["resolutionCode"]) == (
        "waiting_microsoft",
        1,
        None,
        None,
    )


# -- one case per problem (issue 16, item 12) ----------------------------------------------------
def test_a_second_case_on_a_ticket_with_an_open_case_needs_a_reason(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = pick(desk.ws, "azure", "technical")
    first = desk.escalate(desk.escalation_draft(ticket_id, "advanced"))
    again = desk.escalation_draft(ticket_id, "advanced")
    assert [e["id"] for e in again.open_cases] == [first["id"]]  # the form knows and asks for a reason
    with pytest.raises(TicketInputError, match="already has an open Microsoft case") as refused:
        desk.escalate(again)
    assert refused.value.field == "another"
    desk.microsoft_sync(poll=False)
    with pytest.raises(TicketInputError, match="already has an open Microsoft case"):  # open at Microsoft too
        desk.escalate(desk.escalation_draft(ticket_id, "advanced"))
    assert len(desk.ws.escalations.escalations(ticket_id=ticket_id)) == 1 and len(sandbox.state.tickets) == 1
    other = desk.escalation_draft(ticket_id, "signature")
    other.another_reason = "A second, unrelated outage in Japan West"
    second = desk.escalate(other)
    desk.microsoft_sync(poll=False)
    assert second["id"] != first["id"] and len(sandbox.state.tickets) == 2
    texts = [e["text"] or "" for e in desk.details(ticket_id).timeline]
    assert any("another case while one is open: A second, unrelated outage in Japan West" in t for t in texts)
    audit = [
        a
        for a in desk.ws.agents.audit_since(entity="ticket", entity_id=ticket_id)
        if a["action"] == "escalation.create"
    ]
    assert "A second, unrelated outage" in json.dumps(audit, ensure_ascii=False)


def test_escalate_twice_on_the_command_line_opens_one_case(
    sandbox: Sandbox, demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = pick(demo_ws, "azure", "technical")
    for _ in range(3):
        main(["escalate", ticket_id, "--vehicle", "advanced", *base])
    assert len(sandbox.state.tickets) == 1 and len(demo_ws.escalations.escalations(ticket_id=ticket_id)) == 1
    assert "already has an open Microsoft case" in capsys.readouterr().err
    assert main(["escalate", ticket_id, "--vehicle", "advanced", "--another", "  ", *base]) == 1
    assert main(["escalate", ticket_id, "--vehicle", "signature", "--another", "second region", *base]) == 0
    assert len(sandbox.state.tickets) == 2


def test_a_delivery_error_after_saving_exits_queued_not_failed(
    sandbox: Sandbox, demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = pick(demo_ws, "azure", "technical")
    sandbox.fault("POST /subscriptions/", "500", times=100)  # checkNameAvailability keeps failing
    assert main(["escalate", ticket_id, "--vehicle", "advanced", *base]) == 4
    err = capsys.readouterr().err
    assert "queued: escalation #1 is saved" in err and "do not escalate again" in err
    sandbox.clear_faults()
    sub = demo_ws.escalations.escalations()[0]["azureSubscriptionId"]
    del sandbox.state.azure_subscriptions[sub]  # now refused for good (it used to exit 0 on a failed delivery)
    args = ["escalate", ticket_id, "--vehicle", "signature", "--another", "a second outage", *base]
    assert main(args) == 1  # refused for good is a failure, not a wait in the outbox (issue 19, item 9)
    err = capsys.readouterr().err
    assert "SubscriptionNotFound" in err and "escalation #2 is saved but Microsoft refused it" in err
    assert "csp-console escalations retry 2" in err
    assert [e["state"] for e in demo_ws.escalations.escalations(ticket_id=ticket_id)] == ["pending", "failed"]


# -- the Azure subscription (issue 16, item 4) ------------------------------------------------------
def test_the_subscription_must_be_one_of_the_customers_known_ones(
    sandbox: Sandbox, desk: Desk, demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = pick(desk.ws, "azure", "technical")
    draft = desk.escalation_draft(ticket_id, "advanced")
    draft.azure_subscription_id = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(TicketInputError, match="is not one of the customer's Azure subscriptions"):
        desk.escalate(draft)
    args = ["escalate", ticket_id, "--vehicle", "advanced", "--subscription", "not-a-known-one", *base]
    assert main(args) == 1 and "is not one of the customer's Azure subscriptions" in capsys.readouterr().err
    desk.ws.conn.execute("DELETE FROM azure_entitlements WHERE customerId = ?", (draft.customer_id,))
    none = desk.escalation_draft(ticket_id, "advanced")
    assert none.no_subscription_known and none.azure_subscription_id is None
    with pytest.raises(TicketInputError, match="no Azure subscription of this customer is known: run csp-console sync"):
        desk.escalate(none)
    assert sandbox.state.tickets == {}


# -- what goes into the case (issue 16, item 11) ---------------------------------------------------
def test_the_case_carries_no_collections_budget_spend_or_refund_figures(sandbox: Sandbox, desk: Desk) -> None:
    from console.plugin_api import Audience, Family, Finding, Level, case_description

    ticket_id = pick(desk.ws, "azure", "technical")
    ctx = __import__("console.escalation.cases", fromlist=["context"]).context(desk, desk.ws.tickets.ticket(ticket_id))
    findings = [
        Finding(
            check_id="azure.budget",
            family=Family.BILLING,
            level=Level.CRITICAL,
            title="Azure spend at 130% of the budget (1300 of 1000 USD)",
            explanation="x",
        ),
        Finding(
            check_id="common.collections",
            family=Family.BILLING,
            level=Level.WARNING,
            title="Invoice 45 days overdue: suspension stage",
            explanation="x",
        ),
        Finding(
            check_id="azure.reservations",
            family=Family.SUBSCRIPTION,
            level=Level.WARNING,
            title="Refund would exceed the USD 50,000 cap",
            explanation="x",
        ),
        Finding(
            check_id="azure.opportunities",
            family=Family.TECHNICAL,
            level=Level.INFO,
            title="Sales: propose reservations",
            explanation="x",
            audience=Audience.SALES,
        ),
        Finding(
            check_id="azure.technical",
            family=Family.TECHNICAL,
            level=Level.CRITICAL,
            title="Production down: Resource Health unavailable",
            explanation="x",
        ),
    ]
    text = case_description(ctx, findings)
    assert "Production down: Resource Health unavailable" in text
    for figure in ("budget", "overdue", "suspension", "Refund", "reservations", "1300"):
        assert figure not in text
    draft = desk.escalation_draft(ticket_id, "advanced")
    for word in ("budget", "overdue", "dunning", "refund", "spend"):
        assert word not in draft.description.casefold()


def test_contact_country_is_alpha3_from_the_customers_country_never_a_guess(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    write_demo_config(path)
    path.write_text(path.read_text(encoding="utf-8").replace('contact_country = "JPN"\n', ""), encoding="utf-8")
    desk = Desk(demo_ws, load_config(path), load_plugins(), AGENT, lambda: NOW)
    try:
        draft = desk.escalation_draft(pick(demo_ws, "azure", "technical"), "advanced")
        country = demo_ws.accounts.account_rows(draft.customer_id)["customer"]["country"]  # type: ignore[index]
        stored = desk.escalate(draft)
        (item,) = [o for o in demo_ws.outbox.outbox_items() if o["escalationId"] == stored["id"]]
        sent = json.loads(item["payload"])["contactDetails"]["country"]
        assert len(country) == 2 and sent == {"JP": "JPN", "US": "USA"}[country]
        demo_ws.conn.execute("UPDATE customers SET country = 'XX' WHERE id = ?", (draft.customer_id,))
        again = desk.escalation_draft(draft.ticket_id, "signature")
        again.another_reason = "a second outage"  # past the one-case-per-problem refusal, which comes first
        with pytest.raises(TicketInputError, match="ISO 3166-1 alpha-3"):
            desk.escalate(again)
    finally:
        desk.close()


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("contact_time_zone", "Asia/Tokyo", "is not a Windows time-zone id"),
        ("contact_country", "JP", "is not an ISO 3166-1 alpha-3 country code"),
    ],
)
def test_a_contact_value_azure_refuses_is_a_config_error_naming_the_line(
    tmp_path: Path, key: str, value: str, says: str
) -> None:
    from console.settings.config import ConfigError

    path = tmp_path / "config.toml"
    write_demo_config(path)
    text = path.read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith(f"{key} ="))
    path.write_text(re.sub(rf'^{key} = ".*"$', f'{key} = "{value}"', text, flags=re.M), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"config\.toml:{line}: microsoft\.{key} .*{says}"):
        load_config(path)


def test_a_note_to_azure_needs_the_agents_email(sandbox: Sandbox, desk: Desk) -> None:
    stored = desk.escalate(desk.escalation_draft(pick(desk.ws, "azure", "technical"), "advanced"))
    desk.microsoft_sync(poll=False)
    desk.ws.conn.execute("UPDATE agents SET email = '' WHERE login = ?", (AGENT,))
    with pytest.raises(TicketInputError, match=f"agent {AGENT} has none on record"):
        desk.message_microsoft(stored["id"], "More logs.")


def test_a_retired_problem_classification_refreshes_the_catalogue_and_asks_to_choose_again(
    sandbox: Sandbox, desk: Desk
) -> None:
    ticket_id = pick(desk.ws, "azure", "technical")
    draft = desk.escalation_draft(ticket_id, "advanced")
    retired = draft.problem_classification_id
    service = next(s for s in desk.ws.microsoft.catalog("service") if s["id"] == draft.service_id)
    stored = desk.escalate(draft)
    sandbox.state.problems[service["name"]] = [p for p in sandbox.state.problems[service["name"]] if p["id"] != retired]
    report = desk.microsoft_sync(poll=False)
    assert report.failed and "choose a current problem classification" in report.failed[0]
    assert desk.ws.escalations.escalation(stored["id"])["state"] == "failed"  # type: ignore[index]
    assert retired not in {p["id"] for p in desk.ws.microsoft.catalog("problem", service["name"])}  # gone from the form
    again = desk.escalation_draft(ticket_id, "advanced")  # a failed case is not an open one
    assert again.problem_classification_id != retired
    desk.escalate(again)
    assert desk.microsoft_sync(poll=False).delivered and len(sandbox.state.tickets) == 1


def test_the_catalogue_is_read_again_when_a_day_old(sandbox: Sandbox, desk: Desk) -> None:
    desk.escalation_services()

    def reads() -> int:
        return len(
            [r for r in sandbox.state.requests if r["path"].startswith("/providers/Microsoft.Support/services?")]
        )

    before = reads()
    desk.escalation_services()
    assert reads() == before  # fresh: from the workspace
    desk.ws.conn.execute("UPDATE support_catalog SET fetchedDate = '2000-01-01T00:00:00Z'")
    desk.escalation_services()
    assert reads() == before + 1


# -- the case follows the ticket (PATCH supportTickets) ------------------------------------------------
def test_severity_and_resolution_reach_the_azure_case_once_even_after_an_outage(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = pick(desk.ws, "azure", "technical")
    stored = desk.escalate(desk.escalation_draft(ticket_id, "advanced"))
    desk.microsoft_sync(poll=False)
    sandbox.fault("PATCH /subscriptions/", "500", times=100)
    desk.classify(desk.ws.tickets.ticket(ticket_id), severity="moderate")  # type: ignore[arg-type]
    assert desk.microsoft_sync(poll=False).pending  # Microsoft down: it waits in the outbox
    sandbox.clear_faults()
    desk.set_status(ticket_id, "resolved", "fixed_by_microsoft")
    report = desk.microsoft_sync(poll=False, force=True)
    assert len(report.delivered) == 2, report
    assert desk.microsoft_sync(poll=False, force=True).delivered == []  # once
    (ticket,) = sandbox.state.tickets.values()
    assert ticket["properties"]["severity"] == "moderate" and ticket["properties"]["status"] == "Closed"
    assert desk.ws.escalations.escalation(stored["id"])["severity"] == "moderate"  # type: ignore[index]
    patches = [r["body"] for r in sandbox.state.requests if r["method"] == "PATCH" and not r["fault"]]
    assert patches == [{"severity": "moderate"}, {"status": "closed"}]


def test_a_closed_case_keeps_the_tickets_clocks_and_breaches(
    sandbox: Sandbox, demo_ws: Workspace, config_path: Path
) -> None:
    """When Microsoft closes a case the ticket goes back to in progress with its clocks as they were, paused only
    while it waited on Microsoft (found trying the console: the clocks restarted from the close and a recorded
    first-response breach was erased, because the escalation's move to waiting_microsoft was not in the ticket's
    status history)."""
    later = NOW + timedelta(hours=12)  # the unanswered tickets' first responses are overdue by then
    desk = Desk(demo_ws, load_config(config_path), load_plugins(), AGENT, lambda: later)
    desk.record_breaches()
    row = desk.ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND service = 'azure' AND category = 'technical' "
        "AND status != 'waiting_microsoft' AND firstResponseBreachedDate IS NOT NULL AND firstResponseDate IS NULL "
        "ORDER BY seq LIMIT 1"
    ).fetchone()
    assert row is not None
    ticket_id = row[0]
    before = desk.ws.tickets.ticket(ticket_id)
    assert before is not None
    draft = desk.escalation_draft(ticket_id, "advanced")
    if draft.service_id is None:
        draft.service_id = desk.escalation_services()[0]["id"]
        draft.problem_classification_id = desk.escalation_problems(draft.service_id)[0]["id"]
    stored = desk.escalate(draft)
    desk.microsoft_sync()
    case = desk.ws.escalations.escalation(stored["id"])["microsoftCaseId"]  # type: ignore[index]
    sandbox.state.respond(case, "Fixed.", status="Closed")
    desk.microsoft_sync()
    desk.close()
    after = desk.ws.tickets.ticket(ticket_id)
    assert after is not None and after["status"] == "in_progress"
    assert after["firstResponseBreachedDate"] == before["firstResponseBreachedDate"]
    assert after["firstResponseDueDate"] == before["firstResponseDueDate"]  # the desk's clock stood still meanwhile


# -- the command line's papercuts (issue 16 smoke test) ---------------------------------------------
def test_escalate_without_a_service_names_the_options_and_the_choices(
    sandbox: Sandbox, demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A ticket whose words preselect no service (its title is Japanese): the error names --service and
    --problem and lists the Azure Support API's services (the sandbox serves them as SupportServices_List
    does: ``properties.displayName``, azure-rest-api-specs specification/support); nothing is stored."""
    ticket_id = pick(demo_ws, "azure", "technical", "東日本%")
    assert main(["escalate", ticket_id, "--vehicle", "advanced", *base]) == 1
    err = capsys.readouterr().err
    assert "--service NAME" in err and "--problem NAME" in err and "csp-console escalations services" in err
    assert "Virtual Machine running Windows" in err and "Azure Databricks" in err and "…" not in err
    assert demo_ws.escalations.escalations() == [] and sandbox.state.tickets == {}
    assert main(["escalations", "services", *base]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 11 and any(line.startswith("Backup  (") for line in listed)
    assert main(["escalations", "services", "Backup", *base]) == 0
    assert [line.split("  (")[0] for line in capsys.readouterr().out.splitlines()] == [
        "Backup failure",
        "Restore failure",
    ]
    assert main(["escalations", "services", "Nope", *base]) == 1
    assert "--service: no service 'Nope'; choose one of: " in capsys.readouterr().err
    args = ["--service", "Backup", "--problem", "Restore failure"]
    assert main(["escalate", ticket_id, "--vehicle", "advanced", *args, *base]) == 0


def test_the_choices_are_cut_after_twenty() -> None:
    from console.cli.microsoft import choices as _choices

    rows = [{"displayName": f"Service {i:02}\x1b[31m"} for i in range(25)]  # the real lists have hundreds
    shown = _choices(rows)
    assert shown.endswith(", …") and "Service 19" in shown and "Service 20" not in shown
    assert "\x1b" not in shown  # Microsoft's text, made literal (safe_text.clean_line)
    assert _choices([{"displayName": "Backup"}, {"displayName": "SQL Database"}]) == "Backup, SQL Database"


def test_a_rerun_on_a_ticket_with_an_open_case_is_refused_for_that_first(
    sandbox: Sandbox, demo_ws: Workspace, desk: Desk, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """One case per problem comes before the case's fields: a re-run without --service is told the ticket
    has an open case (and --another), not to choose a service."""
    ticket_id = pick(demo_ws, "azure", "technical", "東日本%")
    args = ["escalate", ticket_id, "--vehicle", "advanced"]
    assert main([*args, "--service", "Backup", *base]) == 0
    capsys.readouterr()
    assert main([*args, *base]) == 1
    err = capsys.readouterr().err
    assert "already has an open Microsoft case" in err and "--another REASON" in err and "--service" not in err
    again = desk.escalation_draft(ticket_id, "advanced")  # the desk too: no service chosen, refused for the case
    assert again.service_id is None
    with pytest.raises(TicketInputError, match="already has an open Microsoft case") as refused:
        desk.escalate(again)
    assert refused.value.field == "another"
    assert len(demo_ws.escalations.escalations(ticket_id=ticket_id)) == 1 and len(sandbox.state.tickets) == 1


def test_escalations_list_takes_comma_separated_states_and_refuses_unknown_ones(
    sandbox: Sandbox, demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    azure = pick(demo_ws, "azure", "technical")
    handed_off = pick(demo_ws, "dynamics365", "technical")
    assert main(["escalate", azure, "--vehicle", "advanced", *base]) == 0
    assert main(["escalate", handed_off, "--vehicle", "advanced", *base]) == 0
    capsys.readouterr()
    assert main(["escalations", "list", "--state", "open,awaiting_case_number", *base]) == 0
    out = capsys.readouterr().out
    assert f"{azure}  advanced  open" in out and f"{handed_off}  advanced  awaiting_case_number" in out
    assert main(["escalations", "list", "--state", "pending, open", *base]) == 0
    out = capsys.readouterr().out
    assert f"{azure}  advanced  open" in out and handed_off not in out
    assert main(["escalations", "list", "--state", "open", "--state", "awaiting_case_number", *base]) == 0
    assert handed_off in capsys.readouterr().out
    assert main(["escalations", "list", "--state", "open,bogus", *base]) == 2  # a usage error (issue 19, item 9)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--state: no escalation state 'bogus'" in captured.err
    assert "pending, awaiting_case_number, open, closed, failed" in captured.err


def test_a_message_says_it_was_delivered_and_nothing_of_a_poll_it_did_not_run(
    sandbox: Sandbox, demo_ws: Workspace, base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["escalate", pick(demo_ws, "azure", "technical"), "--vehicle", "advanced", *base]) == 0
    capsys.readouterr()
    assert main(["escalations", "message", "1", "More logs attached.", *base]) == 0
    out = capsys.readouterr().out
    assert "delivered: " in out and "open cases read" not in out
    assert main(["escalations", "message", "one", "text", *base]) == 1
    assert "'one' is not an escalation's number" in capsys.readouterr().err
    assert main(["escalations", "sync", *base]) == 0  # a sync does read the open cases, and says so
    assert "1 open cases read" in capsys.readouterr().out


def test_a_day_old_catalogue_still_queues_a_case_while_microsoft_is_away(sandbox: Sandbox, desk: Desk) -> None:
    """Found in review: once the services list was a day old, an outage meant no case at all (the form could
    not be submitted) instead of a case queued in the outbox."""
    ticket_id = pick(desk.ws, "azure", "technical")
    desk.escalation_draft(ticket_id, "advanced")  # the lists are read and kept
    desk.ws.conn.execute("UPDATE support_catalog SET fetchedDate = '2000-01-01T00:00:00Z'")
    sandbox.fault("/providers/Microsoft.Support/services", "drop", times=1000)
    draft = desk.escalation_draft(ticket_id, "advanced")
    assert draft.catalog_error == "" and draft.service_id and draft.problem_classification_id
    stored = desk.escalate(draft)
    assert stored["state"] == "pending"  # queued; the outbox delivers when Microsoft is back
    sandbox.clear_faults()
    desk.microsoft_sync(poll=False)
    assert desk.ws.escalations.escalation(stored["id"])["state"] == "open"  # type: ignore[index]


def test_a_round_that_loses_the_microsoft_lease_stops(sandbox: Sandbox, desk: Desk) -> None:
    """A round renews the workspace's Microsoft lease before each delivery; when another process has taken it
    over (the round ran past the lease's life) the round stops, so two processes never deliver side by side
    (found in review)."""
    first, second = pick(desk.ws, "azure", "technical"), None
    desk.escalate(desk.escalation_draft(first, "advanced"))
    row = desk.ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND service = 'azure' AND category = 'technical' "
        "AND status != 'waiting_microsoft' AND id != ? ORDER BY seq LIMIT 1",
        (first,),
    ).fetchone()
    second = row[0]
    draft = desk.escalation_draft(second, "advanced")
    if draft.service_id is None:
        draft.service_id = desk.escalation_services()[0]["id"]
        draft.problem_classification_id = desk.escalation_problems(draft.service_id)[0]["id"]
    desk.escalate(draft)
    courier = desk.courier()
    answers = iter([True, False])
    courier.keep_alive = lambda: next(answers)
    report = courier.deliver()
    assert len(report.delivered) == 1 and len(sandbox.state.tickets) == 1
    assert "took over the Microsoft lease" in report.pending[0]
    renewed = []
    lease = desk.microsoft_lease
    real = lease.keep

    def counting() -> bool:
        renewed.append(1)
        return real()

    lease.keep = counting  # type: ignore[method-assign]
    desk.microsoft_sync(poll=False)
    assert len(renewed) >= 1  # looked at before the remaining delivery
    assert len(sandbox.state.tickets) == 2


def test_the_azure_subscription_the_customer_names_is_preselected(sandbox: Sandbox, desk: Desk) -> None:
    """Found trying the console: for "Production VMs ..." the form preselected the customer's Dev/Test
    subscription (the first by name); the one the customer's words name comes first."""
    for row in desk.ws.conn.execute(
        "SELECT id, customerId FROM tickets WHERE isOpen = 1 AND service = 'azure' AND category = 'technical' "
        "AND title LIKE 'Production VMs%' AND status != 'waiting_microsoft' ORDER BY seq"
    ).fetchall():
        subs = {e["friendlyName"]: e["azureSubscriptionId"] for e in desk.ws.microsoft.azure_entitlements(row[1])}
        if {"Production", "Dev/Test"} <= set(subs):
            draft = desk.escalation_draft(row[0], "advanced")
            assert draft.azure_subscription_id == subs["Production"]
            return
    pytest.fail("no Production VMs ticket of a customer with Production and Dev/Test subscriptions in the demo")
