"""The console itself, driven with Pilot; SVG snapshots at 80x24 and 160x48."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.app import CspConsoleApp
from console.config import load_config, write_demo_config
from console.queue_query import QueueQuery
from console.store import Workspace
from console.widgets.queue_table import PAGE, QueueTable
from tests.conftest import NOW


def make_app(ws: Workspace, tmp_path: Path, notice: str | None = None) -> CspConsoleApp:
    config_path = tmp_path / "config.toml"
    write_demo_config(config_path)
    return CspConsoleApp(ws, load_config(config_path), clock=lambda: NOW, notice=notice)


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the queue's workers have loaded what is on screen."""
    for _ in range(50):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        table = pilot.app.screen.query_one(QueueTable)
        if table.count is not None and not table._loading:
            return
    raise AssertionError("the queue never settled")


async def test_queue_lists_the_workspace_tickets_and_quits(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        expected = demo_ws.queue_page(QueueQuery(), limit=PAGE * 10)
        assert table.count == demo_ws.queue_count(QueueQuery()) == len(expected)
        assert table.current_row is not None and table.current_row.id == expected[0].id
        await pilot.press("j", "j", "k")
        assert table.current_row is not None and table.current_row.id == expected[1].id
        await pilot.press("G")
        await settle(pilot)
        assert table.cursor == len(expected) - 1
        assert table.current_row is not None and table.current_row.id == expected[-1].id
        await pilot.press("pageup")
        await settle(pilot)
        step = table.size.height - 1
        assert table.size.height == 24 - 3  # title, header and footer take one line each
        assert table.current_row is not None and table.current_row.id == expected[len(expected) - 1 - step].id
        await pilot.press("g")
        assert table.cursor == 0
        await pilot.press("q")
    assert app.return_code == 0


async def test_first_run_notice_is_shown_literally(demo_ws: Workspace, tmp_path: Path) -> None:
    notice = "Created a demo workspace at /tmp/[bold]odd[/] dir"
    app = make_app(demo_ws, tmp_path, notice=notice)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert messages == [notice]
        assert not any(n.markup for n in app._notifications)


async def test_middle_of_a_large_queue_loads_by_offset(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        table.set_query(QueueQuery(statuses=()))
        await settle(pilot)
        assert table.count == 400
        table.cursor = 250  # a jump into the middle, no neighbouring page cached
        await settle(pilot)
        expected = demo_ws.queue_page(QueueQuery(statuses=()), limit=400)
        assert table.current_row is not None and table.current_row.id == expected[250].id


def _snap(demo_file: Path, tmp_path: Path) -> CspConsoleApp:
    target = tmp_path / "snap.db"
    target.write_bytes(demo_file.read_bytes())
    return make_app(Workspace.open(target), tmp_path)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_snapshot_queue(snap_compare: object, demo_file: Path, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(_snap(demo_file, tmp_path), terminal_size=size, run_before=settle)  # type: ignore[operator]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_snapshot_hostile_text(snap_compare: object, demo_file: Path, tmp_path: Path, size: tuple[int, int]) -> None:
    """The demo's hostile tickets (markup, escapes, bidi overrides, huge lines) render literally."""

    async def show_hostile(pilot: Pilot[None]) -> None:
        await settle(pilot)
        table = pilot.app.screen.query_one(QueueTable)
        table.set_query(QueueQuery(statuses=(), sort="id"))
        await settle(pilot)

    assert snap_compare(_snap(demo_file, tmp_path), terminal_size=size, run_before=show_hostile)  # type: ignore[operator]
