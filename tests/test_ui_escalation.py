"""Escalating from the console, driven with Pilot against the local Partner Center / Azure Support API."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input

from console.microsoft import sync
from console.microsoft.connect import connect
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.screens.escalate import EscalationForm, VehiclePicker
from console.settings.config import Config
from console.store import Workspace
from console.widgets.render import escalations_block
from tests.test_escalation import pick
from tests.ui import make_app, settle


async def open_form(pilot: Pilot[None], ticket_id: str) -> None:
    """Open the ticket, press m, choose the first eligible vehicle."""
    await settle(pilot)
    pilot.app.open_ticket(ticket_id)  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)
    assert isinstance(pilot.app.screen, VehiclePicker)
    await pilot.press("enter")
    await settle(pilot)


async def test_azure_escalation_from_the_ticket_screen(sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    ticket_id = pick(demo_ws, "azure", "technical")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, ticket_id)  # the first eligible: Advanced Support for Partners
        assert isinstance(app.screen, EscalationForm)
        assert app.screen.query_one("#esc-service").value  # preselected from the ticket's words
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EscalationForm)
        (esc,) = demo_ws.escalations.escalations()
        assert esc["vehicle"] == "advanced" and esc["state"] == "open" and len(sandbox.state.tickets) == 1
        assert demo_ws.tickets.ticket(ticket_id)["status"] == "waiting_microsoft"  # type: ignore[index]
        shown = app.screen.details.escalations  # type: ignore[attr-defined]
        assert app.screen.query_one("#cases").display and shown[0]["microsoftCaseId"] == esc["microsoftCaseId"]
        text = Console(width=200, record=True)
        text.print(escalations_block(shown, app.vehicle_names))
        assert f"Advanced Support for Partners  open at Microsoft  case {esc['microsoftCaseId']}" in text.export_text()


async def test_hand_off_with_a_case_number_and_a_refusal_that_keeps_the_form(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    ticket_id = pick(demo_ws, "office365", "technical")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, ticket_id)
        form = app.screen
        assert isinstance(form, EscalationForm) and not form.draft.via_api
        form.query_one("#esc-title", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and demo_ws.escalations.escalations() == []  # refused: nothing stored, the form stays
        form.query_one("#esc-title", Input).value = "Microsoft 365: mail flow stopped"
        form.query_one("#esc-case", Input).value = "2611230000321"
        await pilot.press("ctrl+s")
        await settle(pilot)
        (esc,) = demo_ws.escalations.escalations()
        assert esc["state"] == "open" and esc["microsoftCaseId"] == "2611230000321"
        assert esc["title"] == "Microsoft 365: mail flow stopped"


async def test_record_the_case_number_later(sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    ticket_id = pick(demo_ws, "dynamics365", "technical")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.desk.escalate(app.desk.escalation_draft(ticket_id, "advanced"))
        app.open_ticket(ticket_id)
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("enter")  # first row: record the case number
        await settle(pilot)
        await pilot.press(*"2611230000555", "enter")
        await settle(pilot)
        (esc,) = demo_ws.escalations.escalations()
        assert esc["state"] == "open" and esc["microsoftCaseId"] == "2611230000555"
        timeline = [e["text"] for e in demo_ws.tickets.timeline(demo_ws.tickets.ticket(ticket_id)["seq"])]  # type: ignore[index]
        assert "Microsoft case number recorded: 2611230000555" in timeline


async def test_the_console_delivers_what_the_outbox_owes_when_it_starts(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    draft = app.desk.escalation_draft(pick(demo_ws, "azure", "technical"), "advanced")
    stored = app.desk.escalate(draft)  # written, not delivered (as after a crash)
    assert demo_ws.escalations.escalation(stored["id"])["state"] == "pending"  # type: ignore[index]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert demo_ws.escalations.escalation(stored["id"])["state"] == "open"  # type: ignore[index]
        assert len(sandbox.state.tickets) == 1


async def test_the_account_shows_synced_service_requests(sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path) -> None:
    clients = connect(Config().microsoft)
    sync.run(demo_ws, clients.partner_center, load_plugins())
    clients.close()
    customer = next(iter(sandbox.state.service_requests.values()))["organization"]["id"]
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.open_account(customer)
        await settle(pilot)
        account = app.screen.account  # type: ignore[attr-defined]
        assert account.service_requests and account.service_requests[0]["notes"]


async def test_names_from_microsoft_and_the_data_render_literally(demo_ws: Workspace, tmp_path: Path) -> None:
    """Service names from the Support API's list are shown as written, never as markup."""
    hostile = "[bold red]VMs[/] [@click=app.quit]x[/]"
    demo_ws.microsoft.replace_catalog("service", None, [{"id": "/s/1", "name": "s1", "displayName": hostile}])
    demo_ws.microsoft.replace_catalog("problem", "s1", [{"id": "/s/1/p/1", "name": "p1", "displayName": "[b]boot[/b]"}])
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_form(pilot, pick(demo_ws, "azure", "technical"))
        service = app.screen.query_one("#esc-service")
        service.value = "/s/1"
        await settle(pilot)
        app.screen.query_one("#esc-problem").value = "/s/1/p/1"  # no word of the ticket's matches: chosen by hand
        await settle(pilot)
        for select, text in ((service, hostile), (app.screen.query_one("#esc-problem"), "[b]boot[/b]")):
            label = select.query_one("SelectCurrent").query_one("#label")
            assert str(label.render()) == text  # a str label would have been read as markup
        assert app.is_running  # the [@click=app.quit] was not run


async def test_m_again_on_a_ticket_with_an_open_case_asks_for_a_reason(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    ticket_id = pick(demo_ws, "azure", "technical")
    async with app.run_test(size=(100, 40)) as pilot:
        await open_form(pilot, ticket_id)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(demo_ws.escalations.escalations()) == 1
        await pilot.press("m")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, VehiclePicker)
        picker.dismiss(next(c for c in picker.choices if c[0] == "vehicle" and c[1].value == "signature"))
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EscalationForm) and form.query_one("#esc-open-case").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and len(demo_ws.escalations.escalations()) == 1  # refused: one case per problem
        form.query_one("#esc-another", Input).value = "Second outage, other region"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(demo_ws.escalations.escalations()) == 2 and len(sandbox.state.tickets) == 2


async def test_the_form_says_when_no_azure_subscription_is_known(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    ticket_id = pick(demo_ws, "azure", "technical")
    customer = demo_ws.tickets.ticket(ticket_id)["customerId"]  # type: ignore[index]
    demo_ws.conn.execute("DELETE FROM azure_entitlements WHERE customerId = ?", (customer,))
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_form(pilot, ticket_id)
        form = app.screen
        assert isinstance(form, EscalationForm)
        assert "run csp-console sync" in str(form.query_one("#esc-no-subscription").render())
        assert not form.query("#esc-subscription")  # the plan's Partner Center id is never offered
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and demo_ws.escalations.escalations() == []


async def test_quitting_from_the_escalation_form_asks_once_the_case_text_is_edited(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    """The escalation form is a form like the New-ticket one: the catalogue's preselection is not the agent's
    input, what they type is (quitting used to leave without asking and lose an edited case text)."""
    from console.screens.dialogs import Confirm

    app = make_app(demo_ws, tmp_path)
    ticket_id = pick(demo_ws, "azure", "technical")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, ticket_id)
        form = app.screen
        assert isinstance(form, EscalationForm) and form.query_one("#esc-service").value  # preselected
        assert not form.has_unsaved_input()
        await pilot.press(*" after resize")
        assert form.has_unsaved_input()
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and "escalation form" in app.screen.question
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form and form.query_one("#esc-title", Input).value.endswith(" after resize")
