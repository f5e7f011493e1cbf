"""What the console's start-up does before the first queue is painted, and what it leaves for after."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from console.settings.paths import child_env
from console.store import Workspace
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.ui import make_app, until

ROOT = Path(__file__).resolve().parent.parent

#: Modules the first painted queue does without: imported when first used, after the queue is on screen.
DEFERRED = (
    "console.desk.door",
    "console.plugins.host",
    "console.health.board",
    "console.sla.clocks",
    "console.billing.collections",
    "console.billing.account",
    "console.tickets.triage",
    "console.demo.workspace",
    "sqlite_utils",
    "pluggy",
    "httpx",
    "textual.widgets._text_area",
    "textual.widgets._footer",
    "console.cli.desk",  # the commands' parsers: opening the console reads only --db and --config
    "console.cli.billing",
    "console.cli.microsoft",
)


def test_the_console_path_imports_nothing_the_first_queue_does_without(demo_copy: Callable[..., Where]) -> None:
    script = (  # the workspace from the environment (console.settings.paths.CHILD_WORKSPACE_ENV), as a child's is
        "import os, sys; db = os.environ['CSP_CONSOLE_CHILD_WORKSPACE']; "
        "from console.cli.main import parse_args; parse_args(['--db', db]); "
        "from console.app import CspConsoleApp; from console.demo.first_run import open_or_create; "
        "from console.store import Workspace; Workspace.open(db).close(); "
        "print(','.join(m for m in sys.argv[1].split(',') if m in sys.modules))"
    )
    with Workspace.open(demo_copy("demo")) as ws:
        locator = ws.locator
    out = subprocess.run(
        [sys.executable, "-c", script, ",".join(DEFERRED)],
        env=child_env(locator),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()
    assert out == ""


def test_opening_the_console_reads_only_its_two_options(tmp_path: Path) -> None:
    from console.cli.main import parse_args

    args = parse_args(["--db", str(tmp_path / "w.db"), "--config=c.toml"])
    assert args.command is None and args.db == tmp_path / "w.db" and args.config == Path("c.toml")
    assert parse_args([]).command is None
    # Anything else goes through the whole parser: commands, --help, --version and mistakes.
    assert parse_args(["--db", "w.db", "plugins", "--json"]).command == "plugins"
    for argv, status, said in (
        (["--db"], 2, "argument --db: expected one argument"),
        (["--bogus"], 2, "unrecognized arguments: --bogus"),
        (["nosuch"], 2, "invalid choice: 'nosuch'"),
        (["--help"], 0, "import"),
        (["--version"], 0, "csp-console "),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "console.cli", *argv], capture_output=True, text=True, cwd=ROOT, check=False
        )
        assert run.returncode == status, (argv, run.stderr)
        assert said in run.stdout + run.stderr, (argv, run.stdout, run.stderr)
        assert run.stderr.count("usage: csp-console") <= 1


async def test_the_rest_of_the_set_up_runs_once_the_first_page_is_shown(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    assert "desk" not in app.__dict__ and "host" not in app.__dict__  # nothing of it built before the queue
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("QueueTable")
        await until(pilot, lambda: app._settled and table.count and table.row_at(0) is not None, "the first page")
        assert "desk" in app.__dict__  # built by the deferred set-up, not at start


async def test_a_broken_plugin_is_reported_once_the_queue_is_up(demo_ws: Workspace, tmp_path: Path) -> None:
    from console.plugins.host import load_plugins
    from tests.test_plugins import plugin

    bad = plugin("bad", csp_checks=lambda: 1 / 0)
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"bad": bad}))
    async with app.run_test(size=(80, 24)) as pilot:

        def reported() -> bool:
            notices = [(n.title, n.message) for n in app._notifications]
            return any(t == "Plugin bad in part refused" and "ZeroDivisionError" in m for t, m in notices)

        await until(pilot, reported, "the broken plugin's notice")


async def test_a_view_too_slow_to_read_inline_is_read_by_a_worker(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.widgets import queue_table

    monkeypatch.setattr(demo_ws, "within", lambda seconds, read: None)  # every inline read is "too slow"
    ran: list[str] = []
    run = queue_table.QueueTable._run
    monkeypatch.setattr(
        queue_table.QueueTable, "_run", lambda self, g, name, fn: (ran.append(name), run(self, g, name, fn))
    )
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(queue_table.QueueTable)
        await until(pilot, lambda: table.count_exact and table.row_at(0) is not None, "the first page, by workers")
        assert table.count == demo_ws.queue.queue_count(table.query_)
        assert [r.id for r in demo_ws.queue.queue_page(table.query_, limit=3)] == [table.row_at(i).id for i in range(3)]
        await pilot.press("5")  # another view: read by workers too
        await until(
            pilot,
            lambda: table.count_exact and table.row_at(0) is not None and table.query_.categories,
            "view 5's first page, by workers",
        )
        assert table.count == demo_ws.queue.queue_count(table.query_) and table.row_at(0).category == "billing"
    assert ran.count(0) == 2 and ran.count(None) == 2  # page 0 and the count, for each view


async def test_a_refresh_keeps_the_cursor_where_the_agent_left_it(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    from tests.ui import settle

    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("QueueTable")
        await settle(pilot)  # waits for the count: a fixed 0.2 s was too short on a loaded machine
        assert table.count > 100
        await pilot.press(*["pagedown"] * 5)
        at = table.cursor
        assert at > 60
        table.reload(keep_cursor=True)  # what a change written by another session does
        await settle(pilot)
        assert table.cursor == at and table.count_exact


async def test_a_broken_collections_policy_closes_the_console_with_its_line(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    (tmp_path / "collections.toml").write_text('[[stage]]\ndays = "ten"\n', encoding="utf-8")
    said: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(300):
            await pilot.pause(0.01)
            if app._exit:
                said = [str(r) for r in app._exit_renderables]  # printed once the terminal is given back
                break
    assert app.return_code == 1
    assert any("collections.toml:2: stage 1.days: expected int, got str" in line for line in said), said


async def test_the_queue_is_the_bottom_screen_and_the_way_back_leads_to_it(demo_ws: Workspace, tmp_path: Path) -> None:
    from console.screens.account import AccountScreen
    from console.screens.queue import QueueScreen
    from console.screens.ticket import TicketScreen
    from tests.ui import settle

    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert len(app.screen_stack) == 1 and isinstance(app.screen, QueueScreen)  # no empty screen under it
        queue = app.screen
        customer = queue.table.row_at(0).customerId  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen) and len(app.screen_stack) == 3
        await pilot.press("t")  # this customer's tickets: back down to the queue, filtered
        await settle(pilot)
        assert app.screen is queue and len(app.screen_stack) == 1
        assert queue.table.query_.customer_id == customer


def test_the_desk_and_the_account_load_no_http_client() -> None:
    """httpx (and the Microsoft clients) load when Microsoft is first reached: a desk opened for a claim, or the
    account view, does without them (found by bench-quick: an import in console.microsoft.gdap made every desk ~70 ms
    slower to open, and the 4-process claims figure missed its target)."""
    code = (
        "import sys, console.desk.door, console.billing.account, console.microsoft.gdap; "
        "print(sorted(m for m in sys.modules if m.startswith(('httpx', 'msal'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
