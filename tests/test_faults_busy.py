"""A busy workspace: another process (a long import, another agent's write) holds the write lock past the busy
timeout. The command line (``ticket claim``) and the console (``c``) try again a few times, then say it in one
sentence: exit status 75 (EX_TEMPFAIL, sysexits.h: "try again later"; README, "The command line"), a notice in
the console; nothing is claimed, nothing lost, and the same claim succeeds once the lock is released.

The busy timeout is shortened here (0.4 s, the retries' pauses too) so the test does not wait 15 s; the lock is
held by a real second process on the real workspace (a SQLite file, or a PostgreSQL database)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.cli.main import main
from console.store import Workspace, base, dialect, pg_dialect
from tests.faults import HOLD_THE_LOCK, assignee
from tests.ui import make_app, settle, table


@pytest.fixture
def short_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialect, "BUSY_TIMEOUT_MS", 400)
    monkeypatch.setattr(pg_dialect, "BUSY_TIMEOUT_MS", 400)  # (PostgreSQL's lock_timeout: the same 5 s)
    monkeypatch.setattr(base, "BUSY_BACKOFF", (0.05, 0.1), raising=False)


class Holder:
    """A second process holding the workspace's write lock (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's advisory
    lock) until :meth:`release`."""

    def __init__(self, db: Path | str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD_THE_LOCK, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "held"

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            assert self.proc.wait(timeout=10) == 0


@pytest.fixture
def hold(demo_ws: Workspace) -> Iterator[Holder]:
    holder = Holder(demo_ws.locator)
    yield holder
    holder.release()


def free_ticket(ws: Workspace) -> str:
    return next(r["id"] for b in ws.tickets.iter_tickets() for r in b if r["assignee"] is None and r["status"] != "new")


@pytest.mark.usefixtures("short_patience")
def test_ticket_claim_on_a_busy_workspace_says_so_and_works_when_retried(
    demo_ws: Workspace, hold: Holder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")
    ticket_id = free_ticket(demo_ws)
    assert main(["ticket", "claim", ticket_id, "--db", str(demo_ws.locator)]) == 75
    err = capsys.readouterr().err
    assert err == (
        "csp-console: the workspace is busy: another agent is importing or writing; try again in a moment "
        "(nothing was changed)\n"
    )
    assert main(["ticket", "claim", ticket_id, "--db", str(demo_ws.locator), "--json"]) == 75
    answer = json.loads(capsys.readouterr().err)
    assert (answer["status"], answer["exit"]) == ("busy", 75)
    assert assignee(demo_ws.locator, ticket_id) is None
    hold.release()
    assert main(["ticket", "claim", ticket_id, "--db", str(demo_ws.locator)]) == 0
    assert assignee(demo_ws.locator, ticket_id) == "aiko.tanaka"


@pytest.mark.usefixtures("short_patience")
async def test_c_on_a_busy_workspace_says_so_and_works_when_pressed_again(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # unassigned
        await settle(pilot)
        ticket_id = table(pilot).current_row.id
        holder = Holder(demo_ws.locator)
        try:
            app._notifications.clear()
            await pilot.press("c")
            await settle(pilot)
            said = [(n.title, n.message) for n in app._notifications if n.severity == "error"]
            assert said == [
                (
                    f"{ticket_id} not claimed",
                    "The workspace is busy: another agent is importing or writing; try again in a moment "
                    "(nothing was changed).",
                )
            ]
            assert assignee(demo_ws.locator, ticket_id) is None
        finally:
            holder.release()
        await pilot.press("c")
        await settle(pilot)
        assert assignee(demo_ws.locator, ticket_id) == "aiko.tanaka"


@pytest.mark.usefixtures("short_patience")
async def test_a_note_on_a_busy_workspace_comes_back_to_be_saved_again(demo_ws: Workspace, tmp_path: Path) -> None:
    """The text an agent typed is never lost to a fault: the prompt comes back holding it; ctrl+s saves it."""
    from textual.widgets import TextArea

    from console.screens.dialogs import TextPrompt

    ticket_id = free_ticket(demo_ws)
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_ticket(ticket_id)
        await settle(pilot)
        await pilot.press("n", *"call back at 3pm")
        holder = Holder(demo_ws.locator)
        try:
            await pilot.press("ctrl+s")
            await settle(pilot)
            said = [n for n in app._notifications if n.severity == "error"]
            assert [n.title for n in said] == ["Not saved: the text is kept"]
            assert said[0].message.startswith("The workspace is busy: another agent is importing or writing")
            assert isinstance(app.screen, TextPrompt)
            assert app.screen.query_one(TextArea).text == "call back at 3pm"
        finally:
            holder.release()
        await pilot.press("ctrl+s")
        await settle(pilot)
    seq = demo_ws.tickets.ticket(ticket_id)["seq"]
    assert [e["text"] for e in demo_ws.tickets.timeline(seq) if e["kind"] == "note"][-1] == "call back at 3pm"


def test_a_write_that_gives_way_still_gives_way_at_once(demo_ws: Workspace, hold: Holder) -> None:
    """Recording that a ticket was seen gives way to another writer (``patience``): no retries, no busy notice."""
    import time

    ticket_id = free_ticket(demo_ws)
    started = time.monotonic()
    assert demo_ws.notices.see_ticket("aiko.tanaka", ticket_id, wait=0.1) is None
    assert time.monotonic() - started < 1.5
