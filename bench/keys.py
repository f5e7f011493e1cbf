"""In-process measurements of a running console (headless, 80x24): keystrokes, memory, live updates, idle."""

from __future__ import annotations

import itertools
import resource
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable
from textual.worker import WorkerState

from bench.common import median, p95

KEYS = {"down": 30, "pagedown": 15, "end": 6, "filter": 10, "search": 8}


def _background(group: str) -> bool:
    """A worker of the console's background jobs (console/app.py names their groups ``job:NAME``; before the
    jobs had one module they were the groups ``poll`` and ``expire``): it runs beside the keystrokes, on its
    timer, whatever key is pressed."""
    return group.startswith("job:") or group in ("poll", "expire")


async def _quiet(pilot: Any) -> None:
    app = pilot.app
    for _ in range(2000):
        await pilot.pause(0)
        busy = any(  # the console's background jobs (workers of group "job:NAME") are not the keystroke's work
            w.state in (WorkerState.PENDING, WorkerState.RUNNING) and not _background(w.group) for w in app.workers
        )
        tables = [t for s in app.screen_stack for t in s.query("QueueTable")]
        if not busy and not any(t._loading or t.count is None for t in tables):
            return


def _rss_mib() -> float:
    """The process's resident memory now (ru_maxrss would carry the parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Bare(App[None]):
    """The floor: a bare app showing a 60-row DataTable; ``5`` and ``6`` refill it (the console's view keys, so
    that a filter's floor is a key press, timed as the console's is)."""

    BINDINGS = [("5", "refill('1')", "Refill"), ("6", "refill('')", "Refill")]

    def action_refill(self, needle: str) -> None:
        self.fill(needle)

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Ticket", "Age", "SLA", "S", "Svc", "Cat", "Customer", "Title", "Assignee", "Status")
        self.fill("")

    def fill(self, needle: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for i in range(60):
            title = f"Ticket title number {i}"
            if needle in title:
                table.add_row(f"CSP-{i:06d}", "1h", "2h", "A", "M365", "TECH", "Contoso", title, "aiko", "new")


async def _press_all(pilot: Any, key_for: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name, keys in key_for.items():
        times = []
        for key in keys:
            start = time.perf_counter()
            await pilot.press(key)
            await _quiet(pilot)
            times.append((time.perf_counter() - start) * 1000)
        out[name] = {"median_ms": median(times), "p95_ms": p95(times)}
    return out


async def run(which: str, db: str) -> dict[str, Any]:
    keys = {
        "down": ["down"] * KEYS["down"],
        "pagedown": ["pagedown"] * KEYS["pagedown"],
        "end": ["end", "home"] * (KEYS["end"] // 2),
        "filter": ["5", "6"] * (KEYS["filter"] // 2),
    }
    if which == "bare":
        app: App[Any] = Bare()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            # The floor of a filter change is the table refilled by a key press, pressed and waited for as the
            # console's view keys are (until 2026-12-03 it was fill() without a key press: a floor without the
            # key's own round trip, which every other key's floor has).
            result = await _press_all(pilot, keys)
            times = []
            for _ in "number 1"[: KEYS["search"]]:  # and for a search character: filter the rows
                start = time.perf_counter()
                app.fill("number 1"[: len(times) + 1])
                await pilot.pause(0)
                times.append((time.perf_counter() - start) * 1000)
            result["search"] = {"median_ms": median(times), "p95_ms": p95(times)}
            await pilot.press("end")
            result["rss_mib"] = _rss_mib()
        return result
    from console.app import CspConsoleApp
    from console.settings.config import Config
    from console.store import Workspace

    ws = Workspace.open(db)
    app = CspConsoleApp(ws, Config(), agent="aiko.tanaka", cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _quiet(pilot)
        result = await _press_all(pilot, keys)
        await pilot.press("6", "slash")
        await _quiet(pilot)
        result.update(await _press_all(pilot, {"search": list("invoice")[: KEYS["search"]]}))
        await pilot.press("escape", "end")
        await _quiet(pilot)
        result["rss_mib"] = _rss_mib()
    ws.close()
    return result


async def live(db: str, trials: int = 10) -> list[float]:
    from console.app import CspConsoleApp
    from console.settings.config import Config
    from console.shared.clock import utcnow
    from console.store import Workspace
    from console.tickets import ops as ticket_ops

    ws = Workspace.open(db)
    other = Workspace.open(db)
    # Chosen before the console starts: reading 1,000,000 tickets here would stall its event loop (and its
    # poll timer) during the first trials.
    unassigned = (r["id"] for b in other.tickets.iter_tickets() for r in b if r["assignee"] is None)
    candidates = list(itertools.islice(unassigned, trials))
    app = CspConsoleApp(ws, Config(), agent="aiko.tanaka", cursor_blink=False)
    delays = []
    async with app.run_test(size=(80, 24)) as pilot:
        await _quiet(pilot)
        await pilot.press("2")  # unassigned
        await _quiet(pilot)
        table = app.screen.query_one("QueueTable")
        for ticket_id in candidates:
            before = table.count
            ticket_ops.claim(other, other.tickets.ticket(ticket_id), "kenji.sato", utcnow(), timedelta(minutes=30))
            start = time.perf_counter()
            while table.count == before and time.perf_counter() - start < 5:
                await pilot.pause(0.005)
            delays.append(time.perf_counter() - start)
    other.close()
    ws.close()
    return delays


async def idle(db: str, seconds: float | str) -> float:
    seconds = float(seconds)
    from console.app import CspConsoleApp
    from console.settings.config import Config
    from console.store import Workspace

    ws = Workspace.open(db)
    app = CspConsoleApp(ws, Config(), agent="aiko.tanaka", cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _quiet(pilot)
        await pilot.pause(1)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await pilot.pause(seconds)
        share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    ws.close()
    return share
