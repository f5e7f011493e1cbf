"""Helpers for driving the console with Pilot."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.worker import WorkerState

from console.app import CspConsoleApp
from console.plugins.host import PluginHost
from console.settings.config import Config, load_config, write_demo_config
from console.store import Workspace
from console.widgets.queue_table import QueueTable
from tests.conftest import NOW, demo_desk_rules

AGENT = "aiko.tanaka"


def make_app(
    ws: Workspace,
    tmp_path: Path,
    *,
    notice: str | None = None,
    keys: dict[str, str] | None = None,
    host: PluginHost | None = None,
    agent: str = AGENT,
    start_screen: str = "queue",
    theme: str | None = None,
) -> CspConsoleApp:
    config_path = tmp_path / "config.toml"
    write_demo_config(config_path, NOW.date())
    demo_desk_rules(ws)
    config = load_config(config_path)
    if keys:
        config = Config(partner=config.partner, keys=keys, path=config.path, loaded_from_file=True)
    if theme:
        config = dataclasses.replace(config, theme=theme)
    return CspConsoleApp(
        ws,
        config,
        clock=lambda: NOW,
        notice=notice,
        agent=agent,
        host=host,
        cursor_blink=False,
        start_screen=start_screen,
    )


async def until(pilot: Pilot[None], done: Callable[[], object], what: str, seconds: float = 15.0) -> None:
    """Wait until ``done()`` is true, by the clock (a loaded machine's pauses last longer than asked): the
    condition itself, never a number of pauses."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        await pilot.pause(0.02)


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every worker has finished and the queue (if in front) has what it shows."""
    app = pilot.app
    for _ in range(500):
        await pilot.pause(0.01)
        tables = [t for screen in app.screen_stack for t in screen.query(QueueTable)]
        busy = any(t.count is None or t._loading or not t.count_exact for t in tables)
        working = any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)
        if not busy and not working:
            # Let the layout that a new count or page triggers (virtual size, scrollbar) settle too.
            await pilot.wait_for_scheduled_animations()
            await pilot.pause(0.05)
            await pilot.pause()
            return
    raise AssertionError("the console never settled")


def table(pilot: Pilot[None]) -> QueueTable:
    return pilot.app.screen.query_one(QueueTable)
