"""An agent's day at a desk in Tokyo (issue 19, items 7 and 10, and the new-user trial): every time on screen in
the desk's zone and the customer's hours named as theirs; Assign offers who may work the ticket, read when it
opens; the account lists every open ticket; the help lists only the console's keys; saved views fit at 80
columns and deleting one asks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from textual.screen import Screen
from textual.widgets import OptionList, Static

from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.screens.account import AccountScreen
from console.screens.dialogs import ChoicePrompt, Confirm
from console.screens.help import HelpScreen
from console.screens.ticket import TicketScreen
from console.settings.config import load_config
from console.store import Workspace
from console.tickets.ops import NewTicket
from console.tickets.queue_query import QueueQuery
from tests.ui import AGENT, make_app, settle

CREATED = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo, the desk's zone (the demo config's)
#: A stored UTC time that leaked onto a screen: ``00:30Z``, ``2026-11-23T00:30:00Z``, ``00:30 UTC``.
UTC_TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?Z\b|\d{2}:\d{2} UTC\b")


def text_of(screen: Screen[object]) -> str:
    """Everything a screen's Statics and lists show (scrolled out of sight included), as plain characters."""
    out = []
    console = Console(width=200, record=True, color_system=None)
    for widget in screen.query(Static):
        visual = widget.render()
        console.print(getattr(visual, "_renderable", visual))
    for options in screen.query(OptionList):
        for n in range(options.option_count):
            console.print(options.get_option_at_index(n).prompt)
    out.append(console.export_text())
    return "\n".join(out)


def new_ticket(ws: Workspace, tmp_path: Path, domain: str, at: datetime = CREATED) -> str:
    """A ticket logged by phone at ``at``, claimed and noted then (its timeline and audit carry that time)."""
    ws.clock = lambda: at
    desk = Desk(ws, load_config(tmp_path / "config.toml"), load_plugins(), AGENT, lambda: at)
    cid = ws.accounts.find_customer(domain)
    assert cid is not None
    request = NewTicket(cid, "phone", "請求書の金額を確認したい", contact_name="山田 太郎", severity="moderate")
    tid = desk.log_ticket(request)
    desk.claim(tid)
    desk.note(tid, "折り返し連絡します。")
    desk.close()
    return tid


async def test_every_screen_says_the_desks_time_and_names_the_customers_zone(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)  # writes the demo config: [console] time_zone = "Asia/Tokyo"
    tokyo = new_ticket(demo_ws, tmp_path, "sakura-shoji.co.jp")
    new_york = new_ticket(demo_ws, tmp_path, "tailspintoys.com")
    demo_ws.clock = lambda: CREATED
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.open_ticket(tokyo)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        header = text_of(screen)
        assert "Created 2026-11-23 09:30 JST" in header  # 00:30Z at a desk in Tokyo
        assert "2026-11-23 09:30 JST  aiko.tanaka  internal note" in header  # the timeline
        assert "Mon-Fri 09:00-18:00 Asia/Tokyo (customer)" in header  # the SLA section's hours are the customer's
        assert not UTC_TIME.search(header), UTC_TIME.findall(header)
        app.open_ticket(new_york)
        await settle(pilot)
        shown = text_of(app.screen)
        assert "America/New_York (customer)" in shown and "Created 2026-11-23 09:30 JST" in shown
        assert re.search(r"due 11-\d\d \d\d:\d\d JST", shown), shown  # its due time in the desk's time
        assert not UTC_TIME.search(shown), UTC_TIME.findall(shown)
        await pilot.press("o")  # the account
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        shown = text_of(app.screen)
        assert "America/New_York (customer)" in shown  # the offer's hours are the customer's
        assert re.search(rf"{new_york}  due 11-\d\d \d\d:\d\d JST", shown), shown  # its open tickets' due times
        assert not UTC_TIME.search(shown), UTC_TIME.findall(shown)
        app.open_health()
        await settle(pilot)
        shown = text_of(app.screen)
        assert "Queue health  2026-11-23 12:00 JST" in shown  # the console's clock: 03:00Z
        assert not UTC_TIME.search(shown), UTC_TIME.findall(shown)


async def test_assign_offers_who_may_work_the_ticket_and_agents_added_since_start(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    tid = new_ticket(demo_ws, tmp_path, "sakura-shoji.co.jp")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        demo_ws.agents.add_agent("hana.kimura", "木村 花", "hana@example.jp", ["helpdesk_agent"], "kenji.sato")
        demo_ws.agents.add_agent("dan.revoked", "Dan", "dan@example.com", [], "kenji.sato")  # every role revoked
        app.open_ticket(tid)
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoicePrompt)
        offered = [value for value, _ in dialog.choices]
        assert offered[0] == "" and "hana.kimura" in offered  # added after the console started
        assert "priya.nair" not in offered  # a Sales agent may not work tickets (the desk's role map)
        assert "dan.revoked" not in offered
        assert AGENT in offered and "li.wei" in offered
        labels = dict(dialog.choices)
        assert labels["hana.kimura"] == "hana.kimura  木村 花" and labels[AGENT].endswith("(you)")
        dialog.query_one(OptionList).highlighted = offered.index("hana.kimura")
        await pilot.press("enter")
        await settle(pilot)
        assert demo_ws.tickets.ticket(tid)["assignee"] == "hana.kimura"


def test_the_desk_refuses_an_assignee_who_may_not_work_tickets(demo_ws: Workspace, tmp_path: Path) -> None:
    import pytest

    from console.tickets.ops import TicketInputError

    make_app(demo_ws, tmp_path)  # the demo config
    tid = new_ticket(demo_ws, tmp_path, "sakura-shoji.co.jp")
    desk = Desk(demo_ws, load_config(tmp_path / "config.toml"), load_plugins(), "kenji.sato", lambda: CREATED)
    with pytest.raises(TicketInputError, match=r"priya\.nair"):
        desk.assign(tid, "priya.nair")
    desk.close()


async def test_the_account_lists_every_open_ticket(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    cid = demo_ws.accounts.find_customer("sakura-shoji.co.jp")
    assert cid is not None
    for n in range(40):
        new_ticket(demo_ws, tmp_path, "sakura-shoji.co.jp", at=CREATED.replace(minute=n))
    total = len(demo_ws.tickets.open_tickets_of(cid))
    assert total > 50
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_account(cid)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        options = screen.query_one("#open-tickets", OptionList)
        assert options.option_count == total  # all of them, not the first 10
        assert f"Open tickets {total} " in text_of(screen)  # the count shown
        await pilot.press("tab")
        assert options.has_focus
        await pilot.press(*["j"] * (total - 1))  # to the last one, scrolling the list
        last = options.get_option_at_index(total - 1).id
        assert options.highlighted == total - 1 and options.scroll_offset.y > 0
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == last


async def test_help_lists_only_the_consoles_keys_grouped_by_screen(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path, keys={"queue.claim": "K", "ticket.note": "N"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        assert all(binding_id for _, _, binding_id in screen.rows)  # none of Textual's own
        described = {what for _, what, _ in screen.rows}
        assert not described & {"Focus Next", "Focus Previous", "Scroll Left", "Copy selected text", "palette"}
        headings = [heading for heading, _ in screen.groups]
        assert headings[:2] == ["Queue (this screen)", "Everywhere"] and "Ticket" in headings and "Account" in headings
        rows = {binding_id: keys for keys, _, binding_id in screen.rows}
        assert rows["queue.claim"] == "K *"  # the keymap's key, marked as remapped
        ticket = dict(screen.groups)["Ticket"]
        assert ("N *", "Note", "ticket.note") in ticket
        shown = text_of(screen)
        assert "1…9" in shown and "queue.view1…9" in shown and "remapped in the config file" in shown


async def test_saved_views_fit_80_columns_and_deleting_one_asks(demo_ws: Workspace, tmp_path: Path) -> None:
    long_name = "東京 重大度A と B のエスカレーション待ち"  # 22 characters, 42 cells
    for name in ("請求", "Sev A overdue in Tokyo and Osaka", long_name):
        demo_ws.queue.save_view(AGENT, name, QueueQuery(categories=("billing",)).to_json())
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        bar = app.screen.query_one("#views-bar", Static)
        line = text_of_static(bar)
        # The long name cut by cell width (12 cells), the current view (9) in sight, the views left out said by "…".
        assert "9 東京 重大度… " in line and line.startswith("… ") and "8 Sev A overd… " in line, line
        from rich.cells import cell_len

        assert cell_len(line.rstrip()) <= 80
        await pilot.press("v")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ChoicePrompt)
        assert all(cell_len(label) <= 60 for _, label in picker.choices)
        await pilot.press("escape")
        await pilot.press("D")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, Confirm) and f"“{long_name}”" in confirm.question
        await pilot.press("n")
        await settle(pilot)
        assert len(demo_ws.queue.saved_views(AGENT)) == 3  # declined: kept
        await pilot.press("D", "y")
        await settle(pilot)
        assert {name for name, _ in demo_ws.queue.saved_views(AGENT)} == {"Sev A overdue in Tokyo and Osaka", "請求"}


def text_of_static(widget: Static) -> str:
    console = Console(width=200, record=True, color_system=None)
    visual = widget.render()
    console.print(getattr(visual, "_renderable", visual))
    return console.export_text()
