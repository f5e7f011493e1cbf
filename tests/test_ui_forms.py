"""Forms under a burst of keys (paste, a laggy SSH link): every key lands in the field in front when it was typed."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import _character_to_key
from textual.errors import NoWidget
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


def in_sight(pilot: Pilot[None], selector: str) -> bool:
    """Whether the widget is drawn on screen (not scrolled away, not under the key bar)."""
    screen = pilot.app.screen
    widget = screen.query_one(selector)
    region = widget.region
    if not widget.display or region.height == 0 or region.bottom > pilot.app.size.height - 1:
        return False
    try:
        found, _ = screen.get_widget_at(region.x + 1, region.y)
    except NoWidget:
        return False
    return found is widget or widget in found.ancestors


async def test_a_failed_save_at_80x24_is_said_in_sight_at_the_bad_field(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"contoso", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IntakeScreen) and screen.customer_id is not None
        await pilot.press(*"Sato", "tab", *"not-an-email", "tab", "tab", "tab", "tab", "tab", "tab")
        await pilot.press(*"Invoice question", "tab", *"Please check last month's invoice")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert in_sight(pilot, "#intake-error")
        assert "Not saved" in str(app.screen.query_one("#intake-error").render())
        assert app.focused is not None and app.focused.id == "contact-email" and in_sight(pilot, "#contact-email")
        assert app.focused.has_class("-bad-field")
        await pilot.press(*["backspace"] * 12, *"sato@contoso.example", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, IntakeScreen)  # saved


async def test_the_time_dialog_says_what_is_wrong_and_stays_open(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, TimeDialog)
        await pilot.press(*"half an hour", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TimeDialog)  # nothing typed is lost
        assert value(pilot, "#minutes") == "half an hour"  # and nothing typed was dropped
        assert in_sight(pilot, "#time-error") and app.focused is not None and app.focused.id == "minutes"
        assert "whole number of minutes" in str(app.screen.query_one("#time-error").render())
        await pilot.press(*["backspace"] * 12, *"30", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, TimeDialog)


async def test_going_back_to_a_filled_field_and_typing_keeps_its_text(demo_ws: Workspace, tmp_path: Path) -> None:
    """Issue 19 item 8: a field that selects all on focus loses its whole text to one key, and Textual's Input
    has no undo. Tab back into the filled contact name and type: the key is added, nothing is lost."""
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#contact-name", Input).focus()
        await settle(pilot)
        await pilot.press(*"Sato", "tab", *"sato@example.com", "shift+tab", "end", *" Ken")
        await settle(pilot)
        assert value(pilot, "#contact-name") == "Sato Ken"
        assert value(pilot, "#contact-email") == "sato@example.com"
        await pilot.press("tab", "x")
        await settle(pilot)
        assert value(pilot, "#contact-email") != "x"


async def test_no_field_of_the_console_selects_all_on_focus() -> None:
    """Every Input the screens build keeps its text when focused (select_on_focus=False)."""
    import ast

    for path in sorted(Path("console/screens").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Input", "FindBox"):
                keywords = {k.arg: k.value for k in node.keywords}
                flag = keywords.get("select_on_focus")
                assert isinstance(flag, ast.Constant) and flag.value is False, f"{path}:{node.lineno}"
