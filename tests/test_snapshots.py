"""SVG snapshots of every screen at 80x24 and 160x48, hostile text included (fixed clock, no blink)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.queue_query import QueueQuery
from console.store import Workspace
from tests.ui import make_app, settle, table

SIZES = [(80, 24), (160, 48)]
Steps = Callable[[Pilot[None]], Awaitable[None]]


async def queue(pilot: Pilot[None]) -> None:
    await settle(pilot)


async def queue_hostile(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.screen._apply(QueueQuery(statuses=(), sort="id"))  # type: ignore[attr-defined]
    await settle(pilot)


async def ticket(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_ticket(table(pilot).current_row.id)  # type: ignore[attr-defined, union-attr]
    await settle(pilot)


async def ticket_hostile(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_ticket("CSP-000001")  # type: ignore[attr-defined]
    await settle(pilot)


async def ticket_escapes(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_ticket("CSP-000003")  # type: ignore[attr-defined]
    await settle(pilot)


async def account(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await pilot.press("o")
    await settle(pilot)


async def intake(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    await pilot.press(*"さくら")
    await settle(pilot)


async def help_screen(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def filters(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("u")  # one customer's tickets: a short, still list behind the dialog
    await settle(pilot)
    await pilot.press("f")
    await settle(pilot)


async def note(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await pilot.press("n", *"金額を確認しました [b]ok[/b]")
    await settle(pilot)


SCREENS: dict[str, Steps] = {
    "queue": queue,
    "queue_hostile": queue_hostile,
    "ticket": ticket,
    "ticket_hostile": ticket_hostile,
    "ticket_escapes": ticket_escapes,
    "account": account,
    "intake": intake,
    "help": help_screen,
    "filters": filters,
    "note": note,
}


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
@pytest.mark.parametrize("name", list(SCREENS))
def test_snapshot(snap_compare: object, demo_file: Path, tmp_path: Path, name: str, size: tuple[int, int]) -> None:
    target = tmp_path / "snap.db"
    target.write_bytes(demo_file.read_bytes())
    app = make_app(Workspace.open(target), tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=SCREENS[name])  # type: ignore[operator]
