"""The escalation form at 80x24 (issue 19, item 8): what is preselected comes from the ticket's words, dropdowns
open inside the form, the focused field is always in sight, and typing never wipes a prefilled field."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import Input, Select, TextArea
from textual.widgets._select import SelectOverlay

from console.sandbox import Sandbox
from console.screens.escalate import EscalationForm
from console.store import Workspace
from tests.test_escalation import pick
from tests.test_ui_escalation import open_form
from tests.ui import make_app, settle

RESIZE_TITLE = "VM does not start after resize"
RESIZE_BODY = (
    "We resized the VM that runs our SQL Server from D4s_v3 to D8s_v3 last night; since then it does not start "
    "and the portal shows a failed state."
)


def retitle(ws: Workspace, title: str, body: str) -> str:
    """An open Azure technical ticket, its title and body replaced (as a customer wrote them)."""
    ticket_id = pick(ws, "azure", "technical")
    ws.conn.execute("UPDATE tickets SET title = ?, body = ? WHERE id = ?", (title, body, ticket_id))
    return ticket_id


def shown(form: EscalationForm, selector: str) -> str:
    """The label a Select shows ("" when nothing is chosen)."""
    select = form.query_one(selector, Select)
    if select.value is Select.BLANK:
        return ""
    return next(str(label) for label, value in select._options if value == select.value)


def inner(region: Region) -> Region:
    """Inside a round border and its padding of one column."""
    return region.shrink((1, 2, 1, 2))


async def test_the_preselection_follows_the_ticket_words(sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path) -> None:
    """It was "SQL Database / Backup and restore": the first hint word found anywhere, then the first problem
    of that service in alphabetical order."""
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, retitle(demo_ws, RESIZE_TITLE, RESIZE_BODY))
        form = app.screen
        assert isinstance(form, EscalationForm)
        assert shown(form, "#esc-service").startswith("Virtual Machine running")
        assert shown(form, "#esc-problem") == "VM start, stop or restart issue"


async def test_nothing_is_preselected_when_no_word_matches(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    ticket_id = retitle(demo_ws, "Strange behaviour since Monday", "Please call us back about it.")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, ticket_id)
        form = app.screen
        assert isinstance(form, EscalationForm)
        assert shown(form, "#esc-service") == "" and shown(form, "#esc-problem") == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and demo_ws.escalations.escalations() == []  # the agent chooses


async def test_another_service_gets_the_problem_its_words_match_or_none(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    """Choosing another service no longer picks its alphabetically first problem."""
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, retitle(demo_ws, RESIZE_TITLE, RESIZE_BODY))
        form = app.screen
        assert isinstance(form, EscalationForm)
        service = form.query_one("#esc-service", Select)
        by_name = {str(label): value for label, value in service._options}
        service.value = by_name["SQL Database"]
        await settle(pilot)
        assert shown(form, "#esc-problem") == ""  # none of its problems is about this ticket
        service.value = by_name["Virtual Machine running Linux"]
        await settle(pilot)
        assert shown(form, "#esc-problem") == "VM boot failure"  # "does not start"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_every_dropdown_opens_inside_the_form(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=size) as pilot:
        await open_form(pilot, retitle(demo_ws, RESIZE_TITLE, RESIZE_BODY))
        form = app.screen
        assert isinstance(form, EscalationForm)
        dialog = inner(form.query_one(".dialog").region)
        key_bar = Region(0, size[1] - 1, size[0], 1)
        for select in form.query(Select):
            select.focus()
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            overlay = select.query_one(SelectOverlay)
            assert select.expanded and app.focused is overlay
            region = overlay.region
            assert region.height >= 2, select.id
            assert dialog.contains_region(region), (select.id, region, dialog)
            assert not region.overlaps(key_bar), (select.id, region)
            await pilot.press("escape")
            await settle(pilot)
            assert not select.expanded and app.screen is form


async def test_tab_keeps_the_focused_field_in_sight(sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, retitle(demo_ws, RESIZE_TITLE, RESIZE_BODY))
        form = app.screen
        assert isinstance(form, EscalationForm)
        scroll = form.query_one("#escalate-form")
        assert app.focused is form.query_one("#esc-title") and scroll.scroll_y == 0  # opened at its first line
        seen = []
        for _ in range(10):
            await pilot.press("tab")
            await settle(pilot)
            focused = app.focused
            assert focused is not None
            seen.append(focused.id)
            visible = scroll.scrollable_content_region
            assert visible.contains_region(focused.region), (focused.id, focused.region, visible)
        assert {"esc-title", "esc-severity", "esc-service", "esc-problem", "esc-description"} <= set(seen)


async def test_typing_into_a_prefilled_field_keeps_its_text(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    """Tab into the prefilled title and type: the text was selected on focus and one key replaced all of it
    (an Input has no undo). The description's edits undo with ctrl+z."""
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, retitle(demo_ws, RESIZE_TITLE, RESIZE_BODY))
        form = app.screen
        assert isinstance(form, EscalationForm)
        title = form.query_one("#esc-title", Input)
        before = title.value
        await pilot.press("shift+tab")  # away, then back by Tab as an agent does
        await settle(pilot)
        while app.focused is not title:
            await pilot.press("tab")
            await settle(pilot)
        await pilot.press("x")
        assert title.value.startswith(before[:-1]) and "x" in title.value and len(title.value) == len(before) + 1
        description = form.query_one("#esc-description", TextArea)
        text = description.text
        while app.focused is not description:
            await pilot.press("tab")
            await settle(pilot)
        await pilot.press(*"Seen at 02:10")
        assert description.text != text and text in description.text.replace("Seen at 02:10", "")
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert description.text == text
