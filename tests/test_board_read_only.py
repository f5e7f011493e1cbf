"""The served board's sessions refuse writes at the database (``Workspace.make_read_only``: SQLite's
``PRAGMA query_only``, PostgreSQL's ``default_transaction_read_only``), not only at the desk's door; the board
still reads and follows other agents' changes live. Run on both engines (``--engine postgresql``)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from console.screens.board import BoardScreen, ReadOnlyBoard
from console.settings.config import Config
from console.store import Workspace
from tests.conftest import NOW
from tests.ui import settle


def audit_rows(locator: object) -> int:
    with Workspace.open(str(locator)) as other:
        return int(other.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])


def test_a_read_only_workspace_refuses_writes_on_every_session(demo_ws: Workspace) -> None:
    before = audit_rows(demo_ws.locator)
    demo_ws.make_read_only()
    with pytest.raises(sqlite3.Error):  # this thread's session, opened before
        demo_ws.audit("kenji.sato", "ticket.note", "ticket", "CSP-000001", {"by": "a read-only board"})
    assert not demo_ws.conn.in_transaction  # rolled back, nothing half-written

    raised: list[BaseException] = []

    def in_a_worker() -> None:  # a worker thread's session, opened after
        try:
            demo_ws.conn.execute("UPDATE tickets SET title = 'changed' WHERE seq = 1")
        except sqlite3.Error as exc:
            raised.append(exc)

    worker = threading.Thread(target=in_a_worker)
    worker.start()
    worker.join()
    assert len(raised) == 1
    assert audit_rows(demo_ws.locator) == before
    assert demo_ws.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] > 0  # reading goes on


async def test_the_board_on_read_only_sessions_reads_and_follows_changes(demo_ws: Workspace) -> None:
    demo_ws.make_read_only()
    app = ReadOnlyBoard(demo_ws, Config(), clock=lambda: NOW, agent="kenji.sato", cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen) and app.screen.health is not None
        before = app.screen.health.backlog["total"]
        with Workspace.open(str(demo_ws.locator)) as writer:  # another agent resolves an open ticket
            seq = writer.conn.execute("SELECT min(seq) FROM tickets WHERE isOpen = 1").fetchone()[0]
            with writer.transaction():
                writer.conn.execute("UPDATE tickets SET status = 'resolved', isOpen = 0 WHERE seq = ?", (seq,))
                writer.audit("li.wei", "ticket.status", "ticket", f"CSP-{seq:06d}", {"after": {"status": "resolved"}})
        for _ in range(100):
            await pilot.pause(0.05)
            await settle(pilot)
            if app.screen.health.backlog["total"] == before - 1:
                break
        assert app.screen.health.backlog["total"] == before - 1
        assert not [n for n in app._notifications if n.severity == "error"]  # nothing it did was refused


def test_the_board_command_makes_its_sessions_read_only(
    demo_ws: Workspace, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``csp-console board`` (each browser's board process too) opens the workspace read-only before the board
    runs: what run_app is handed refuses writes."""
    import console.cli.board as board_cli

    seen: list[bool] = []

    def run_app(opened: object, make: object) -> int:
        ws = opened.workspace  # type: ignore[attr-defined]
        seen.append(ws.read_only)
        with pytest.raises(sqlite3.Error):
            ws.conn.execute("UPDATE tickets SET title = 'x' WHERE seq = 1")
        return 0

    monkeypatch.setattr(board_cli, "run_app", run_app)
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "kenji.sato")
    assert board_cli.cmd_board(board_cli_args(), demo_ws.locator, demo_ws_config(tmp_path)) == 0
    assert seen == [True]


def board_cli_args() -> object:
    import argparse

    return argparse.Namespace(serve=None, public=False, public_url=None)


def demo_ws_config(tmp_path: object) -> object:
    from pathlib import Path

    from console.settings.config import write_demo_config

    path = Path(str(tmp_path)) / "config.toml"
    write_demo_config(path)
    return path


async def test_the_boards_help_lists_only_the_keys_that_work_on_it(demo_ws: Workspace) -> None:
    """``?`` over the board lists the board's keys and nothing the board refuses: no other screen's keys (the
    queue, a ticket), no plugin action, no command prompt; and every key it lists works (none is refused)."""
    from console.screens.help import HelpScreen

    app = ReadOnlyBoard(demo_ws, Config(), clock=lambda: NOW, agent="kenji.sato", cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        shown = app.screen
        assert isinstance(shown, HelpScreen)
        assert [heading for heading, rows in shown.groups if rows] == [
            "Health board, read-only (this screen)",
            "Everywhere",
        ]
        listed = {row[2] for row in shown.rows}
        assert listed.isdisjoint(ReadOnlyBoard.REFUSED_BINDINGS)
        assert {"board.quit", "health.pause", "health.refresh", "health.down", "app.help"} <= listed
        await pilot.press("escape")
        await settle(pilot)
        for key in ("p", "p", "ctrl+r", "j", "k"):  # what the list offers, pressed: nothing is refused
            await pilot.press(key)
            await settle(pilot)
        assert app.refusals == 0
        for key in ("enter", "escape", "colon"):  # what it leaves out: each only says it is refused
            await pilot.press(key)
            await settle(pilot)
        assert app.refusals == 3 and isinstance(app.screen, BoardScreen)
