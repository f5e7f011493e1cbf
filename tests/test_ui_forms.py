"""Forms under a burst of keys (paste, a laggy SSH link): every key lands in the field in front when it was typed."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Input

from console.screens.billing_dialogs import TimeDialog
from console.screens.intake import IntakeScreen
from console.store import Workspace
from tests.ui import make_app, settle

CHARS = {"space": " ", "tab": "\t", "backspace": "\x7f", "enter": "\r"}


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Post every key at once, as the terminal driver does for one read of a burst: no pause between them."""
    app = pilot.app
    assert app._driver is not None
    for key in keys:
        name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
        event = events.Key(name, key if len(key) == 1 else CHARS.get(key))
        event.set_sender(app)
        app._driver.send_message(event)
    await settle(pilot)


def value(pilot: Pilot[None], selector: str) -> str:
    return pilot.app.screen.query_one(selector, Input).value


async def test_keys_after_tab_in_a_burst_land_in_the_next_field(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        app.screen.query_one("#contact-name", Input).focus()
        await settle(pilot)
        await burst(pilot, *"Sato", "tab", *"sato@example.com", "tab", *"0312345678")
        assert value(pilot, "#contact-name") == "Sato"
        assert value(pilot, "#contact-email") == "sato@example.com"
        assert value(pilot, "#contact-phone") == "0312345678"


async def test_a_burst_with_backspaces_in_the_customer_field(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await burst(pilot, *"abc", "backspace", "backspace", "backspace", *"xyz")
        assert value(pilot, "#customer") == "xyz"


async def test_a_burst_with_backspaces_in_the_queue_search(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await burst(pilot, *"abc", "backspace", "backspace", "backspace", *"xyz")
        assert value(pilot, "#search") == "xyz"


async def test_keys_after_tab_in_the_time_dialog(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(TimeDialog("CSP-1", "charged"))
        await settle(pilot)
        await burst(pilot, *"30", "tab", *"call with the customer")
        assert value(pilot, "#minutes") == "30"
        assert value(pilot, "#time-note") == "call with the customer"
