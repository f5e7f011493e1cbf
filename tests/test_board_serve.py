"""``csp-console board``: the health board alone, read-only, and served to browsers with textual-serve.

The browser tests run the real server (a child process on 127.0.0.1), open it in Debian's headless Chromium
(tests/board_browser.py) and change the workspace through the real command line in another process."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console.desk.read_only import ReadOnly
from console.screens.board import BoardScreen, ReadOnlyBoard
from console.settings.config import Config
from console.store import Workspace
from console.store.pg_dialect import CHANNEL
from tests.board_browser import board_page, csp, figure, need_chromium, served
from tests.conftest import NOW, set_policy
from tests.ui import settle

#: The issue's bar: a change made in a console shows on a board open in a browser within this many seconds.
WITHIN = 2.0

#: Keys that act or leave on the console's screens (open, claim, resolve, new, account, the boards, the
#: directory, the queue's views, the command prompt, the palette, back): on the board none may do anything.
ACTING_KEYS = ("enter", "c", "x", "n", "a", "A", "S", "I", "h", "b", "C", "1", "/", "escape", "backspace", "ctrl+p")


def _unclaimed(ws: Workspace) -> str:
    row = ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 1 AND assignee IS NULL ORDER BY seq LIMIT 1")
    return str(row.fetchone()[0])


class _Commits:
    """Commits to the workspace, seen on a connection of its own: on a SQLite file ``PRAGMA data_version``, which
    moves when any other connection commits to it (SQLite, "PRAGMA data_version"): a board that wrote anything
    at all would move it; on PostgreSQL the workspace's change notices (``LISTEN csp_changes``: every write
    transaction of the store sends one at its commit, console.store.pg_dialect), counted."""

    def __init__(self, ws: Workspace) -> None:
        self.seen = 0
        if ws.engine == "sqlite":
            self.sqlite: sqlite3.Connection | None = sqlite3.connect(ws.path, check_same_thread=False)
            self.sqlite.execute("SELECT count(*) FROM tickets").fetchone()
        else:
            import psycopg

            self.sqlite = None
            self.pg = psycopg.connect(str(ws.locator), autocommit=True)
            self.pg.execute(f"LISTEN {CHANNEL}")

    def version(self) -> int:
        if self.sqlite is not None:
            return int(self.sqlite.execute("PRAGMA data_version").fetchone()[0])
        self.seen += sum(1 for _ in self.pg.notifies(timeout=0))
        return self.seen

    def close(self) -> None:
        (self.sqlite or self.pg).close()


@contextlib.contextmanager
def _first_commit(ws: Workspace) -> Iterator[Callable[[], float]]:
    """While the block runs, commits to ``ws`` are looked for every 2 ms on a connection of its own
    (:class:`_Commits`); the callable yielded gives the monotonic time the first commit of another connection
    was seen."""
    seen: list[float] = []
    stop = threading.Event()
    commits = _Commits(ws)  # (listening before the block starts: its first commit is not missed)

    def watch() -> None:
        start = commits.version()
        while not stop.is_set() and not seen:
            if commits.version() != start:
                seen.append(time.monotonic())
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()

    def first() -> float:
        assert seen, "nothing was committed"
        return seen[0]

    try:
        yield first
    finally:
        stop.set()
        watcher.join()
        commits.close()


def _gone(pid: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status")
        if not status.exists() or "State:\tZ" in status.read_text():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.xdist_group("browser")
def test_a_change_made_in_the_console_shows_in_the_browser_within_2_s(demo_ws: Workspace, tmp_path: Path) -> None:
    need_chromium()
    ticket = _unclaimed(demo_ws)
    with served(demo_ws.locator) as server, board_page(server.url, tmp_path / "profile") as board:
        text = board.text()
        open_before, resolved_before = figure(text, "All open"), figure(text, "Resolved today")
        board.screenshot("board-served.png", tmp_path)
        # Another agent resolves a ticket in their own console's process (the command line's desk); the clock
        # starts at its first commit to the workspace, seen from here.
        with _first_commit(demo_ws) as committed:
            done = csp(demo_ws.locator, "ticket", "resolve", ticket, "fixed_by_partner", agent="maria.garcia")
        assert done.returncode == 0, done.stderr
        changed_at = committed()

        def shown(text: str) -> bool:
            return "All open" in text and figure(text, "All open") == open_before - 1

        text = board.wait_for(shown, WITHIN, f"All open {open_before - 1:,} after {ticket} was resolved")
        took = time.monotonic() - changed_at
        assert took < WITHIN
        assert figure(text, "Resolved today") == resolved_before + 1
        shot = board.screenshot("board-after-change.png", tmp_path)
        assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        boards = server.children()
        assert len(boards) == 1  # one board process for the one browser connection
        code, said = server.stop()  # Ctrl-C while a browser is connected
    assert code == 0, said
    assert "Stopped serving the board." in said
    assert all(_gone(pid) for pid in boards)
    print(f"the browser showed the change {took:.2f} s after it was committed")


@pytest.mark.xdist_group("browser")
def test_the_board_in_the_browser_is_read_only(demo_ws: Workspace, tmp_path: Path) -> None:
    need_chromium()
    seen = _Commits(demo_ws)
    before = seen.version()
    keys = ("Enter", ":", "1", "5", "Enter", "c", "x", "n", "a", "Shift+A", "h", "b", "Shift+C", "Escape", "Control+p")
    with served(demo_ws.locator) as server, board_page(server.url, tmp_path / "profile") as board:
        open_before = figure(board.text(), "All open")
        board.press(*keys)
        text = board.wait_for(lambda t: "Read-only board" in t, 5, "a read-only notice")
        board.screenshot("board-read-only.png", tmp_path)
        assert text.splitlines()[0].lstrip().startswith("Queue health")  # still the board, nothing over it
        assert figure(text, "All open") == open_before
        [child] = server.children()
        board.press("q")  # quitting ends this browser's board, and nothing else
        assert _gone(child)
    assert seen.version() == before  # nothing was written to the workspace by anyone
    seen.close()


async def test_the_read_only_board_refuses_every_action_and_writes_nothing(demo_ws: Workspace) -> None:
    """In process: the keys that act elsewhere, the console's ways to other screens, and the desk's actions."""
    seen = _Commits(demo_ws)
    before = seen.version()
    ticket = _unclaimed(demo_ws)
    customer = str(demo_ws.tickets.ticket(ticket)["customerId"])  # type: ignore[index]
    app = ReadOnlyBoard(demo_ws, Config(), clock=lambda: NOW, agent="kenji.sato", cursor_blink=False)  # every role
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen) and app.screen.health is not None
        for key in ACTING_KEYS:
            await pilot.press(key)
            await settle(pilot)
            assert app.screen_stack == [app.screen] and isinstance(app.screen, BoardScreen), key
        assert app.refusals >= 3  # enter, escape and backspace at least say so
        app.open_ticket(ticket)
        app.open_account(customer)
        app.open_intake()
        app.open_collections()
        app.show_queue(None)
        await settle(pilot)
        assert len(app.screen_stack) == 1 and isinstance(app.screen, BoardScreen)
        desk = app.desk
        assert desk.health_board() is not None  # reading is allowed (ticket.view, the agent's roles)
        for act in (
            lambda: desk.claim(ticket),
            lambda: desk.set_status(ticket, "resolved", "fixed_by_partner"),
            lambda: desk.note(ticket, "a note"),
            lambda: desk.assign(ticket, "kenji.sato"),
            lambda: desk.classify(ticket, severity="critical"),
            lambda: desk.authorize("policy.set"),
        ):
            with pytest.raises(ReadOnly, match="read-only"):
                act()
        await pilot.press("question_mark")  # the list of keys may open over the board
        await settle(pilot)
        assert len(app.screen_stack) == 2
        await pilot.press("escape")
        await pilot.press("q")
    assert seen.version() == before
    assert demo_ws.tickets.ticket(ticket)["status"] != "resolved"  # type: ignore[index]
    seen.close()


def test_a_non_loopback_address_is_refused_unless_public(demo_ws: Workspace) -> None:
    for address in ("0.0.0.0:8765", "192.0.2.10:8765", "[2001:db8::1]:8765", "board.example.com:8765"):
        done = csp(demo_ws.locator, "board", "--serve", address)
        assert done.returncode == 3, done.stderr
        [line] = done.stderr.splitlines()
        assert address in line and "not a loopback address" in line and "--public" in line
    # --public lets it past the check: 192.0.2.10 (TEST-NET-1, RFC 5737) is no address of this machine
    done = csp(demo_ws.locator, "board", "--serve", "192.0.2.10:8765", "--public")
    assert done.returncode == 1
    assert done.stderr.startswith("csp-console: error: cannot serve on 192.0.2.10:8765: ")


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", ":8000", "::1:8000",
                                     "127.0.0.1:99999", "127.0.0.1:http", "[::1:8000", "bad_host:8000"])  # fmt: skip
def test_a_bad_address_names_the_option(demo_ws: Workspace, address: str) -> None:
    done = csp(demo_ws.locator, "board", "--serve", address)
    assert done.returncode == 2
    assert f"argument --serve: expected HOST:PORT (e.g. 127.0.0.1:8000, [::1]:8000), got {address!r}" in done.stderr


def test_a_port_in_use_is_said(demo_ws: Workspace) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = csp(demo_ws.locator, "board", "--serve", f"127.0.0.1:{port}")
    assert done.returncode == 1
    assert (
        done.stderr == f"csp-console: error: cannot serve on 127.0.0.1:{port}: the port is in use (another server?)\n"
    )


def test_the_server_is_the_agent_who_starts_it_checked_as_the_board_is(demo_ws: Workspace) -> None:
    done = csp(demo_ws.locator, "board", "--serve", "127.0.0.1:8765", agent="nobody")
    assert done.returncode == 3 and "'nobody' is not an agent of the workspace" in done.stderr
    set_policy(demo_ws, {"roles.ticket.view": ["global_admin"]})  # the desk's role map: only admins see tickets
    done = csp(demo_ws.locator, "board", "--serve", "127.0.0.1:8765", agent="maria.garcia")
    assert done.returncode == 3 and "may not ticket.view" in done.stderr
    done = csp(demo_ws.locator, "board", "--public")
    assert done.returncode == 2 and "go with --serve" in done.stderr
