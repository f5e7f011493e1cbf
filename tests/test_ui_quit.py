"""Leaving the console: only from the queue, asking first when a form is unsaved or claims would be released;
``q`` elsewhere goes back one screen, and in a form it is a letter."""

from __future__ import annotations

import inspect
from pathlib import Path

from textual.widgets import Input, Select

from console.screens.account import AccountScreen
from console.screens.dialogs import Confirm
from console.screens.health import HealthScreen
from console.screens.intake import IntakeScreen
from console.screens.queue import QueueScreen
from console.screens.ticket import TicketScreen
from console.store import Workspace
from tests.ui import AGENT, make_app, settle, table


async def test_q_in_the_new_ticket_form_is_a_letter_never_a_quit(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press(*"quick")
        app.screen.query_one("#severity", Select).focus()  # focus on a dropdown, as in the report
        await pilot.press("q")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, IntakeScreen)
        assert app.screen.query_one("#customer", Input).value == "quick"


async def test_q_goes_back_one_screen_from_ticket_account_and_health(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and app.is_running


async def test_q_on_the_queue_quits_at_once_when_nothing_is_held(demo_ws: Workspace, tmp_path: Path) -> None:
    sql = "SELECT count(*) FROM tickets WHERE assignee = ? AND claimedUntil IS NOT NULL"
    held = demo_ws.conn.execute(sql, (AGENT,))
    assert held.fetchone()[0]  # claims from other consoles or the command line: not this console's to release
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0


async def test_quitting_with_claims_asks_and_names_them(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # Unassigned
        await settle(pilot)
        row = table(pilot).current_row
        assert row is not None and row.assignee is None
        await pilot.press("c")  # claimed in this console: leaving releases it
        await settle(pilot)
        held = app.desk.session_claims()
        assert held == [row.id]
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and held[0] in app.screen.question
        assert "released" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, QueueScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
    assert app.return_code == 0


async def test_ctrl_q_and_the_palette_ask_when_a_form_holds_unsaved_input(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+q")  # nothing typed yet: nothing to lose
        await settle(pilot)
    assert app.return_code == 0

    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"contoso")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and "New-ticket form" in app.screen.question
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen) and app.screen.query_one("#customer", Input).value == "contoso"
        for command in [c for c in app.get_system_commands(app.screen) if c.title == "Quit"]:
            result = command.callback()  # ours (ctrl+c's) and Textual's own
            if inspect.isawaitable(result):
                await result
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("ctrl+c")  # asked already: one question at a time
        await settle(pilot)
        assert len([s for s in app.screen_stack if isinstance(s, Confirm)]) == 1
        await pilot.press("y")
        await settle(pilot)
    assert app.return_code == 0
