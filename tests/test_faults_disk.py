"""A full disk and a read-only workspace, on real file systems: the command line and the console say it in one
sentence (never a traceback, never SQLite's "cannot rollback - no transaction is active" that hid the first
error), nothing is half-written, and the same action succeeds once the fault is gone.

The small disk is a real tmpfs (``mount -t tmpfs -o size=2m``; these tests run as root, and skip saying so
where mounting is refused). Root ignores file modes, so the chmod tests run the command line as ``nobody``
(setpriv(1)); the read-only file system is the tmpfs remounted with ``-o remount,ro`` (mount(8))."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.demo.workspace import generate
from console.store import Workspace
from tests.conftest import NOW
from tests.faults import NOBODY, assignee, cli, fill, intact, notes_saying, place, remount, said_plainly, small_disk
from tests.ui import make_app, settle, table

NOTE = "printer on floor 3 is back"


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20-ticket demo workspace (about 1 MB), checkpointed: it fits a 2 MB disk with little to spare."""
    path = tmp_path_factory.mktemp("small") / "demo.db"
    ws = Workspace.open(path)
    generate(ws, tickets=20, seed=7, now=NOW)
    ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.close()
    return path


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk") as where:
        yield where


def test_a_note_on_a_full_disk_is_said_plainly_and_nothing_is_half_written(
    small_demo: Path, disk: Path, tmp_path: Path
) -> None:
    db = place(small_demo, disk)
    # Another agent's console has the workspace open (its -wal and -shm files exist): the disk fills up while the
    # note is being written, not before the file is opened.
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("SELECT count(*) FROM tickets").fetchone()
    ballast = fill(disk)
    done = cli(db, "ticket", "note", "CSP-000001", NOTE * 200, home=tmp_path)
    assert done.returncode == 1
    line = said_plainly(done, f"the disk holding {disk} is full", "nothing was saved", "df -h")
    assert "rollback" not in line and "no transaction" not in line
    assert other.execute("SELECT count(*) FROM timeline WHERE text LIKE ?", (f"%{NOTE}%",)).fetchone()[0] == 0
    other.close()
    ballast.unlink()  # space freed (SQLite's own check needs a little, for its -shm file)
    intact(db)
    assert notes_saying(db, NOTE) == 0
    again = cli(db, "ticket", "note", "CSP-000001", NOTE * 200, home=tmp_path)
    assert again.returncode == 0, again.stderr
    assert notes_saying(db, NOTE) == 1
    intact(db)


async def test_a_claim_in_the_console_on_a_full_disk_is_said_and_can_be_retried(
    small_demo: Path, disk: Path, tmp_path: Path
) -> None:
    ws = Workspace.open(place(small_demo, disk))
    app = make_app(ws, tmp_path)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("2")  # unassigned
            await settle(pilot)
            ticket_id = table(pilot).current_row.id
            ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no WAL space left over to write into
            ballast = fill(disk)
            app._notifications.clear()
            await pilot.press("c")
            await settle(pilot)
            said = [n for n in app._notifications if n.severity == "error"]
            assert [n.title for n in said] == [f"{ticket_id} not claimed"]
            assert said[0].message.startswith(f"The disk holding {disk} is full: nothing was saved")
            assert assignee(ws.locator, ticket_id) is None
            ballast.unlink()
            await pilot.press("c")  # the same key again, once there is room
            await settle(pilot)
            assert assignee(ws.locator, ticket_id) == "aiko.tanaka"
    finally:
        ws.close()
    intact(ws.locator)


def test_a_read_only_file_system_is_named(small_demo: Path, disk: Path, tmp_path: Path) -> None:
    db = place(small_demo, disk)
    assert cli(db, "ticket", "show", "CSP-000001", home=tmp_path).returncode == 0
    remount(disk, "ro")
    try:
        done = cli(db, "ticket", "note", "CSP-000001", NOTE, home=tmp_path)
        assert done.returncode == 1
        said_plainly(done, f"the file system holding {disk} is mounted read-only", "remount it read-write")
    finally:
        remount(disk, "rw")
    intact(db)
    assert notes_saying(db, NOTE) == 0


@pytest.fixture
def shared_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder the unprivileged user reaches (pytest's own are root's, mode 0700)."""
    folder = tmp_path / "srv"
    folder.mkdir()
    for part in (tmp_path, *tmp_path.parents):
        if part == Path("/"):
            break
        os.chmod(part, os.stat(part).st_mode | 0o111)
    folder.chmod(0o777)
    return folder


def test_a_workspace_file_the_agent_cannot_write_is_named(small_demo: Path, shared_dir: Path, tmp_path: Path) -> None:
    db = place(small_demo, shared_dir)
    os.chown(db, NOBODY, NOBODY)  # the owner (who may name the agent, CSP_CONSOLE_AGENT) ...
    db.chmod(0o444)  # ... may read it, not write it
    done = cli(db, "ticket", "note", "CSP-000001", NOTE, user=NOBODY, home=shared_dir)
    assert done.returncode == 1
    said_plainly(done, f"the workspace file {db} cannot be written by uid {NOBODY}", "ls -l")
    intact(db)
    assert notes_saying(db, NOTE) == 0


def test_a_folder_the_agent_cannot_write_is_named(small_demo: Path, shared_dir: Path, tmp_path: Path) -> None:
    db = place(small_demo, shared_dir)
    os.chown(db, NOBODY, NOBODY)
    db.chmod(0o666)
    shared_dir.chmod(0o555)  # SQLite cannot create the -wal and -shm files next to the workspace
    try:
        done = cli(db, "ticket", "note", "CSP-000001", NOTE, user=NOBODY, home=tmp_path / "nohome")
    finally:
        shared_dir.chmod(0o777)
    assert done.returncode == 1
    said_plainly(done, f"the directory {shared_dir} cannot be written by uid {NOBODY}", "-wal and -shm")
    intact(db)


def test_a_transaction_sqlite_rolled_back_itself_keeps_the_first_error(empty_ws: Workspace) -> None:
    """After some SQLITE_FULL and SQLITE_IOERR errors SQLite rolls the transaction back itself
    (https://sqlite.org/lang_transaction.html, "Response To Errors Within A Transaction"); the ROLLBACK that
    followed then failed with "cannot rollback - no transaction is active" and hid the disk-full error."""
    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"), empty_ws.transaction() as conn:
        conn.execute("ROLLBACK")  # as SQLite does on its own after such an error
        raise sqlite3.OperationalError("database or disk is full")
    assert not empty_ws.conn.in_transaction
    with empty_ws.transaction():  # the connection is usable again
        pass
