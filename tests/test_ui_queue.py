"""The queue screen, driven from the keyboard: navigation, views, search, filters, sort, claim."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from console.screens.dialogs import ChoicePrompt, Confirm, TextPrompt
from console.screens.filters import FilterDialog
from console.screens.help import HelpScreen
from console.screens.queue import QueueScreen
from console.shared.clock import to_iso
from console.store import Workspace
from console.tickets import ops as ticket_ops
from console.tickets.queue_query import QueueQuery
from console.widgets.queue_table import PAGE
from tests.conftest import NOW
from tests.ui import AGENT, make_app, settle, table


def rows(pilot: object) -> list:
    t = table(pilot)  # type: ignore[arg-type]
    return [t.row_at(i) for i in range(t.count or 0)]


async def load_all(pilot: object) -> list:
    """Scroll through the whole view so every page is loaded; return the rows."""
    t = table(pilot)  # type: ignore[arg-type]
    for i in range(0, t.count or 0, PAGE):
        t.cursor = i
        await settle(pilot)  # type: ignore[arg-type]
    return rows(pilot)


async def test_queue_lists_navigates_and_quits(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        t = table(pilot)
        expected = demo_ws.queue.queue_page(QueueQuery(), limit=10_000)
        assert t.count == len(expected)
        assert t.current_row.id == expected[0].id
        await pilot.press("j", "j", "k")
        assert t.current_row.id == expected[1].id
        await pilot.press("G")
        await settle(pilot)
        assert t.current_row.id == expected[-1].id
        await pilot.press("pageup")
        await settle(pilot)
        assert t.rows_visible == 24 - 4  # views bar, title, column header, footer
        assert t.current_row.id == expected[len(expected) - 1 - (t.rows_visible - 1)].id
        await pilot.press("g")
        assert t.cursor == 0
        await pilot.press("q")  # nothing claimed in this console, nothing typed: no question
    assert app.return_code == 0


@pytest.mark.parametrize(
    ("key", "check"),
    [
        ("1", lambda r: r.assignee == AGENT),
        ("2", lambda r: r.assignee is None),
        ("3", lambda r: r.slaDueDate <= to_iso(NOW + timedelta(hours=1))),
        ("4", lambda r: r.status == "waiting_microsoft"),
        ("5", lambda r: r.category == "billing"),
        ("6", lambda r: r.status not in ("resolved", "closed")),
    ],
)
async def test_builtin_views(demo_ws: Workspace, tmp_path: Path, key: str, check: object) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        found = await load_all(pilot)
        assert found and all(check(r) for r in found)  # type: ignore[operator]
        index = int(key) - 1
        assert screen.view_index == index
        assert screen.counts[index] == len(found)  # the live count matches the view


async def test_search_as_you_type_and_clear(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = table(pilot).count
        await pilot.press("slash")
        await pilot.press(*"金額")
        await settle(pilot)
        found = await load_all(pilot)
        assert found
        for r in found:
            t = demo_ws.tickets.ticket(r.id)
            notes = " ".join(e["text"] or "" for e in demo_ws.tickets.timeline(t["seq"]))
            assert "金額" in t["title"] + t["body"] + notes
        assert table(pilot).count == demo_ws.queue.queue_count(QueueQuery(search="金額"))
        await pilot.press("enter")  # back to the list, search kept
        assert app.focused is table(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen) and screen.view_index is None  # a search: a view of one's own
        assert "Custom view" in str(screen.query_one("#queue-title").render())
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert table(pilot).count == before
        assert screen.search_box is not None
        assert not screen.search_box.display and screen.search_box.value == ""
        # cleared: the view it was typed in, by name again (it said "Custom view": a new user's walk-through)
        assert screen.view_index == 5 and "All open" in str(screen.query_one("#queue-title").render())
        # The box is mounted once, on the first "/", and reused; a view key closes it and drops the search.
        await pilot.press("slash", *"in")
        await settle(pilot)
        assert len(screen.query("#search")) == 1 and app.focused is screen.search_box
        await pilot.press("enter", "2")
        await settle(pilot)
        assert not screen.search_box.display and table(pilot).query_.search == ""
        assert screen.view_index == 1


async def test_a_saved_views_own_search_survives_the_search_box_it_closes(demo_ws: Workspace, tmp_path: Path) -> None:
    """A view key pressed while the search box holds words closes the box; the view chosen keeps its own search
    (the box's clearing arrived after the view and emptied it: the older bug the review named)."""
    demo_ws.queue.save_view(AGENT, "請求の確認", QueueQuery(search="確認").to_json())
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"金額", "enter", "7")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen) and screen.search_box is not None
        assert not screen.search_box.display and screen.view_index == 6
        assert table(pilot).query_.search == "確認"
        assert table(pilot).count == demo_ws.queue.queue_count(QueueQuery(search="確認"))
        assert "請求の確認" in str(screen.query_one("#queue-title").render())


async def test_the_palette_offers_only_keys_a_terminal_sends(demo_ws: Workspace, tmp_path: Path) -> None:
    """The command palette lists the screen's actions with their keys; Textual's own "Copy selected text" is left
    out: its ctrl+c is the console's quit, and super+c never comes over SSH (a new user's walk-through)."""
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        commands = list(app.get_system_commands(app.screen))
        offered = {c.title: c.help for c in commands}
        assert offered["Claim"] == "key: c"
        assert "Copy selected text" not in offered
        assert not [h for h in offered.values() if "super" in str(h)], offered
        # One entry per action with all its keys; Textual's widgets' moving keys (ctrl+PgUp/PgDn, which some
        # terminals keep for their tabs) and its Screenshot (customers' names to a file in the working folder)
        # and second Quit, its Keys panel (the same moving keys again, escape not closing it) and its Maximize
        # (the key bar gone, nothing saying how to come back) are not offered; its Theme is.
        assert len(commands) == len(offered) and offered["Quit"] == "keys: ^c, q"
        assert offered["Page down"] == "keys: pgdn, ^f"
        left_out = {"Page Left", "Page Right", "Scroll Left", "Focus Next", "Screenshot", "palette", "Keys", "Maximize"}
        assert not left_out & set(offered)
        assert not [h for h in offered.values() if "^pgup" in str(h) or "^pgdn" in str(h)], offered
        assert "Theme" in offered and "Command (:1511, :c name, :q, :help)" in offered


async def test_the_search_box_is_mounted_only_when_asked_for(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen) and screen.search_box is None
        await pilot.press("escape", "2")  # nothing to close: the keys still work
        await settle(pilot)
        assert screen.view_index == 1 and screen.search_box is None


async def test_filter_dialog_from_the_keyboard(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        assert isinstance(app.screen, FilterDialog)
        # status: open -> down to "any"
        await pilot.press("enter", "down", "enter")
        # service: any -> Azure
        await pilot.press("tab", "enter", "down", "enter")
        # category: any -> billing
        await pilot.press("tab", "enter", "down", "enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
        found = await load_all(pilot)
        assert found and all(r.service == "azure" and r.category == "billing" for r in found)
        assert any(r.status in ("resolved", "closed") for r in found)  # any status
        assert table(pilot).count == demo_ws.queue.queue_count(
            QueueQuery(statuses=(), services=("azure",), categories=("billing",))
        )
        await pilot.press("f", "ctrl+l")
        await settle(pilot)
        assert table(pilot).count == demo_ws.queue.queue_count(QueueQuery())


async def test_assignee_filter_and_this_customer(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f", "tab", "tab", "tab", "tab", "enter", "down", "down", "enter", "ctrl+s")
        await settle(pilot)  # assignee: anyone -> me -> unassigned
        found = await load_all(pilot)
        assert found and all(r.assignee is None for r in found)
        customer = table(pilot).current_row.customerId
        await pilot.press("u")
        await settle(pilot)
        assert all(r.customerId == customer for r in await load_all(pilot))
        await pilot.press("u")
        await settle(pilot)
        assert table(pilot).query_.customer_id is None


async def test_sort_and_reverse(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("k", "enter")  # sla -> created
        await settle(pilot)
        created = [r.createdDate for r in await load_all(pilot)]
        assert created == sorted(created) and table(pilot).query_.sort == "created"
        await pilot.press("r")
        await settle(pilot)
        assert [r.createdDate for r in await load_all(pilot)] == sorted(created, reverse=True)


async def test_save_use_and_delete_a_view(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("5", "s", "k", "enter")  # billing, by created
        await settle(pilot)
        await pilot.press("w")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"請求 billing", "enter")
        await settle(pilot)
        saved = demo_ws.queue.saved_views(AGENT)
        assert saved == [("請求 billing", QueueQuery(categories=("billing",), sort="created").to_json())]
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        assert table(pilot).query_ == QueueQuery(categories=("billing",), sort="created")
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and "“請求 billing”" in app.screen.question  # asks, naming it
        assert demo_ws.queue.saved_views(AGENT) != []  # nothing deleted before the answer
        await pilot.press("y")
        await settle(pilot)
        assert demo_ws.queue.saved_views(AGENT) == []


async def test_claim_from_the_queue_and_take_over_with_confirmation(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # unassigned
        await settle(pilot)
        ticket_id = table(pilot).current_row.id
        await pilot.press("c")
        await settle(pilot)
        assert demo_ws.tickets.ticket(ticket_id)["assignee"] == AGENT
        await pilot.press("6")
        await settle(pilot)
        t = table(pilot)
        while t.current_row.assignee in (None, AGENT):
            await pilot.press("j")
            await settle(pilot)
        other = t.current_row
        await pilot.press("c")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert demo_ws.tickets.ticket(other.id)["assignee"] == other.assignee
        await pilot.press("c", "y")
        await settle(pilot)
        assert demo_ws.tickets.ticket(other.id)["assignee"] == AGENT
        actions = [
            a["action"] for a in demo_ws.agents.audit_entries("ticket") if a["entityId"] in (ticket_id, other.id)
        ]
        assert actions == ["ticket.claim", "ticket.takeover"]


async def test_help_lists_every_key_with_its_binding_id(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {binding_id: (keys, what) for keys, what, binding_id in app.screen.rows}
        assert rows["queue.claim"] == ("c", "Claim")
        assert rows["queue.down"][0] == "↓ j"
        for binding_id in ("queue.search", "queue.filter", "queue.views", "queue.save_view", "app.quit", "app.help"):
            assert binding_id in rows
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_command_palette_offers_the_screen_actions(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Claim", "Search", "Filter", "Sort", "New", "Save view", "Help", "Quit"):
            assert title in titles
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Claim")
        command.callback()
        await settle(pilot)
        assert isinstance(app.screen, (QueueScreen, Confirm))


async def test_keys_can_be_remapped_from_the_config(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path, keys={"queue.claim": "K", "queue.open": "o"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        ticket_id = table(pilot).current_row.id
        await pilot.press("c")  # no longer claims
        await settle(pilot)
        assert demo_ws.tickets.ticket(ticket_id)["assignee"] is None
        await pilot.press("K")
        await settle(pilot)
        assert demo_ws.tickets.ticket(ticket_id)["assignee"] == AGENT


async def test_another_sessions_change_reaches_the_open_console(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        before = table(pilot).count
        other = Workspace.open(demo_ws.locator)  # another agent's session: its own connection
        first = other.tickets.ticket(table(pilot).current_row.id)
        ticket_ops.claim(other, first, "kenji.sato", NOW, timedelta(minutes=30))
        started = asyncio.get_running_loop().time()
        while table(pilot).count != before - 1 and asyncio.get_running_loop().time() - started < 15:
            await pilot.pause(0.05)
        assert table(pilot).count == before - 1  # without a key press (how soon: bench's "live update", p95 0.5 s)
        await settle(pilot)
        # An open ticket follows too.
        second = other.tickets.ticket(table(pilot).current_row.id)
        await pilot.press("enter")
        await settle(pilot)
        ticket_ops.add_note(other, second, "seen by another agent", "kenji.sato", NOW)
        started = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - started < 3:
            await pilot.pause(0.05)
            details = app.screen.details
            if details and any(e["text"] == "seen by another agent" for e in details.timeline):
                break
        assert any(e["text"] == "seen by another agent" for e in app.screen.details.timeline)
        other.close()


async def test_first_run_notice_is_shown_literally(demo_ws: Workspace, tmp_path: Path) -> None:
    notice = "Created a demo workspace at /tmp/[bold]odd[/] dir"
    app = make_app(demo_ws, tmp_path, notice=notice)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [n.message for n in app._notifications] == [notice]
        assert not any(n.markup for n in app._notifications)


async def test_no_color_is_respected(demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color and "nocolor" in app.pseudo_classes  # Textual then drops every colour
