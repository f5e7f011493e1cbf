"""The ticket, account and intake screens, driven from the keyboard, asserting on what was written."""

from __future__ import annotations

import types
from pathlib import Path

from console.plugin_api import Check, Family, hookimpl
from console.plugins.host import load_plugins
from console.screens.account import AccountScreen
from console.screens.dialogs import ChoicePrompt, TextPrompt
from console.screens.intake import IntakeScreen
from console.screens.queue import QueueScreen
from console.screens.ticket import TicketScreen
from console.store import Workspace
from console.tickets import ops as ticket_ops
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW
from tests.ui import AGENT, make_app, settle, table


async def open_ticket(pilot: object, ticket_id: str) -> TicketScreen:
    pilot.app.open_ticket(ticket_id)  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, TicketScreen)
    return screen


def first_open(ws: Workspace, **match: object) -> dict:
    for batch in ws.tickets.iter_tickets():
        for row in batch:
            if all(row[k] == v for k, v in match.items()):
                return row
    raise AssertionError(f"no open ticket with {match}")


async def test_open_from_queue_shows_findings_and_goes_back(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ticket_id = table(pilot).current_row.id
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.ticket_id == ticket_id
        stored = demo_ws.tickets.findings(demo_ws.tickets.ticket(ticket_id)["seq"])
        assert stored and [f["checkId"] for f in stored] == [f["checkId"] for f in screen.details.findings]
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_claim_note_reply_status_classify_assign_resolve(demo_ws: Workspace, tmp_path: Path) -> None:
    row = first_open(demo_ws, assignee=None, status="new", severity="moderate")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_ticket(pilot, row["id"])
        await pilot.press("c")
        await settle(pilot)
        t = demo_ws.tickets.ticket(row["id"])
        assert t["assignee"] == AGENT and t["status"] == "triaged"
        # An internal note, with text that looks like markup.
        await pilot.press("n")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"金額を確認 [b]x[/b]", "ctrl+s")
        await settle(pilot)
        # A reply: stops the first-response clock.
        await pilot.press("r", *"Hello", "ctrl+s")
        await settle(pilot)
        t = demo_ws.tickets.ticket(row["id"])
        assert t["firstResponseDate"] == "2026-11-23T03:00:00Z"
        assert t["slaDueDate"] == t["resolutionDueDate"]
        events = demo_ws.tickets.timeline(t["seq"])
        assert [(e["kind"], e["text"]) for e in events if e["kind"] in ("note", "reply")] == [
            ("note", "金額を確認 [b]x[/b]"),
            ("reply", "Hello"),
        ]
        # Status: waiting on the customer.
        await pilot.press("s")
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("j", "j", "enter")  # from triaged: in_progress, [waiting_customer]
        await settle(pilot)
        assert demo_ws.tickets.ticket(row["id"])["status"] == "waiting_customer"
        # Severity to critical moves the SLA targets.
        await pilot.press("e", "j", "j", "enter")  # severity
        await pilot.press("g", "enter")  # critical is first
        await settle(pilot)
        t = demo_ws.tickets.ticket(row["id"])
        assert t["severity"] == "critical" and t["severityRank"] == 1
        # Assign to another agent.
        await pilot.press("a")
        await settle(pilot)  # who may work it is read when the dialog opens
        choices = [value for value, _ in app.screen.choices]
        await pilot.press("g", *["j"] * choices.index("maria.garcia"), "enter")
        await settle(pilot)
        assert demo_ws.tickets.ticket(row["id"])["assignee"] == "maria.garcia"
        # Resolve with a code.
        await pilot.press("x", "g", "j", "enter")  # fixed_by_partner
        await settle(pilot)
        t = demo_ws.tickets.ticket(row["id"])
        assert (t["status"], t["resolutionCode"], t["isOpen"]) == ("resolved", "fixed_by_partner", 0)
        actions = [a["action"] for a in demo_ws.agents.audit_entries("ticket") if a["entityId"] == row["id"]]
        assert actions == [
            "ticket.claim",
            "ticket.note",
            "ticket.reply",
            "ticket.status",
            "ticket.classify",
            "ticket.assign",
            "ticket.status",
        ]
        assert demo_ws.queue.queue_count(QueueQuery(search="確認")) >= 1


async def test_stale_change_is_refused_and_the_fresh_ticket_shown(demo_ws: Workspace, tmp_path: Path) -> None:
    row = first_open(demo_ws, status="triaged")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_ticket(pilot, row["id"])
        seen = screen.ticket["version"]
        ticket_ops.set_status(demo_ws, demo_ws.tickets.ticket(row["id"]), "in_progress", "kenji.sato", NOW)  # elsewhere
        await pilot.press("s", "j", "j", "j", "enter")  # triaged -> waiting_microsoft, on the old version
        await settle(pilot)
        t = demo_ws.tickets.ticket(row["id"])
        assert t["status"] == "in_progress"  # nothing overwritten
        messages = [n.message for n in app._notifications]
        assert any("was changed by kenji.sato" in m and f"based on version {seen}" in m for m in messages)
        assert screen.ticket["version"] == t["version"]  # the fresh state is shown


async def test_resolve_needs_a_code_and_escape_cancels(demo_ws: Workspace, tmp_path: Path) -> None:
    row = first_open(demo_ws, status="in_progress")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_ticket(pilot, row["id"])
        await pilot.press("x", "escape")
        await pilot.press("n", "escape")
        await settle(pilot)
        assert demo_ws.tickets.ticket(row["id"])["version"] == row["version"]
        await pilot.press("n", "ctrl+s")  # an empty note
        await settle(pilot)
        assert any("The note is empty" in n.message for n in app._notifications)


async def test_account_screen(demo_ws: Workspace, tmp_path: Path) -> None:
    row = first_open(demo_ws)
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_ticket(pilot, row["id"])
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        account = screen.account
        assert account.customer.id == row["customerId"]
        assert {t["id"] for t in account.open_tickets} >= {row["id"]}
        assert len(account.subscriptions) == len(demo_ws.accounts.account_rows(row["customerId"])["subscriptions"])
        await pilot.press("tab")  # to the open tickets list
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("t")  # this customer's tickets in the queue
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and table(pilot).query_.customer_id == row["customerId"]


async def test_intake_logs_a_phoned_in_request(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = demo_ws.records.counts()["tickets"]
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press("ctrl+s")  # nothing filled in
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen) and demo_ws.records.counts()["tickets"] == before
        await pilot.press(*"ｻｸﾗ", "enter")  # half-width katakana finds さくら? no: type-ahead is NFKC, so ｻｸﾗ = サクラ
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IntakeScreen)
        if screen.customer_id is None:
            await pilot.press(*["backspace"] * 3, *"さくら", "enter")
            await settle(pilot)
        assert screen.customer_id is not None
        await pilot.press(*"佐々木 花子", "tab", *"not-an-email", "tab", "tab")
        await pilot.press("enter", "down", "enter")  # channel: phone -> email
        await pilot.press("tab", "enter", "down", "down", "down", "enter")  # service: Microsoft 365
        await pilot.press("tab", "enter", "down", "enter")  # category: billing
        await pilot.press("tab", "enter", "down", "down", "down", "enter")  # severity: minimal
        await pilot.press("tab", *"請求書の金額が違う", "tab", *"先月の請求書を確認してください")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)  # a bad email is refused, nothing written
        assert demo_ws.records.counts()["tickets"] == before
        assert app.screen.focused.id == "contact-email"
        await pilot.press(*["backspace"] * 12, *"sasaki@sakura-shoji.co.jp", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        t = demo_ws.tickets.ticket(app.screen.ticket_id)
        assert t["customerId"] == screen.customer_id
        assert (t["contactName"], t["contactEmail"], t["channel"]) == (
            "佐々木 花子",
            "sasaki@sakura-shoji.co.jp",
            "email",
        )
        assert (t["service"], t["category"], t["severity"], t["status"]) == ("office365", "billing", "minimal", "new")
        assert t["title"] == "請求書の金額が違う" and t["body"] == "先月の請求書を確認してください"
        # Sev C: 8 business hours of the customer's offer (weekdays 09:00-18:00 Tokyo). Monday 23 November is
        # a Japanese holiday, so the clock starts Tuesday 09:00 JST and ends 17:00 JST.
        assert t["firstResponseDueDate"] == "2026-11-24T08:00:00Z"
        assert demo_ws.tickets.findings(t["seq"])  # the plugins' checks ran on save


async def test_a_failing_plugin_shows_a_notice_and_the_console_keeps_working(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    def boom(ctx: object) -> list:
        raise RuntimeError("plugin bug")

    bad = types.ModuleType("bad")
    bad.csp_checks = hookimpl(lambda: [Check(id="bad.boom", family=Family.TECHNICAL, run=boom)])  # type: ignore[attr-defined]
    host = load_plugins(extra={"bad": bad})
    row = first_open(demo_ws)
    app = make_app(demo_ws, tmp_path, host=host)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_ticket(pilot, row["id"])
        assert any("RuntimeError: plugin bug" in n.message for n in app._notifications)
        checks = [f["checkId"] for f in screen.details.findings]
        assert "bad.boom.failed" in checks and any(c.startswith("common.") for c in checks)
        await pilot.press("c")
        await settle(pilot)
        assert demo_ws.tickets.ticket(row["id"])["assignee"] == AGENT


def shown(widget: object) -> str:
    """The text a Static shows, as plain characters."""
    from rich.console import Console

    visual = widget.render()  # type: ignore[attr-defined]
    console = Console(width=200, record=True, color_system=None)
    console.print(getattr(visual, "_renderable", visual))
    return console.export_text()


async def test_hostile_text_is_shown_literally(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_ticket(pilot, "CSP-000001")  # [bold red]URGENT[/] [@click=app.quit]...
        text = shown(app.screen.query_one("#ticket-header")) + shown(app.screen.query_one("#description"))
        assert "[bold red]URGENT[/] [@click=app.quit]click here[/]" in text
        assert "[link=https://evil.example]" in text
        await open_ticket(pilot, "CSP-000003")  # terminal escapes
        text = shown(app.screen.query_one("#ticket-header")) + shown(app.screen.query_one("#description"))
        assert "\x1b" not in text and "␛[31mred␛[0m" in text and "␛[2J" in text
        await open_ticket(pilot, "CSP-000005")  # right-to-left override, zero-width characters
        text = shown(app.screen.query_one("#ticket-header")) + shown(app.screen.query_one("#description"))
        assert "\u202e" not in text and "\u200b" not in text and "exe.fdp" in text
        assert app.is_running  # the [@click=app.quit] did not quit
