"""A damaged workspace file (pages overwritten on a real SQLite file, as a failing disk or a bad copy leaves
it): the command line and the console say "the workspace file ... is damaged" and how to restore it (README,
"When something goes wrong"), never SQLite's "database disk image is malformed" traceback."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from console.cli.main import main
from console.store import Workspace
from tests.ui import make_app, settle


def damage_pages(db: Path, table: str) -> None:
    """Overwrite the first page of ``table``'s B-tree (its root) with bytes that are no page at all."""
    conn = sqlite3.connect(db)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with db.open("r+b") as f:
        f.seek((root - 1) * size)
        f.write(bytes(range(256)) * (size // 256))


def damaged_copy(demo_file: Path, tmp_path: Path) -> Path:
    db = tmp_path / "workspace.db"
    shutil.copyfile(demo_file, db)
    damage_pages(db, "tickets")
    return db


@pytest.mark.sqlite_only("it overwrites pages of the SQLite file and reads the file's path and sqlite3's check back")
def test_damaged_pages_are_said_with_how_to_restore(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")
    db = damaged_copy(demo_file, tmp_path)
    assert main(["ticket", "show", "CSP-000001", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "malformed" not in err
    assert err.startswith(f"csp-console: error: the workspace file {db} is damaged")
    assert "restore the last backup" in err and f'sqlite3 {db} "PRAGMA integrity_check"' in err
    assert len(err.splitlines()) == 1


@pytest.mark.sqlite_only("it overwrites the SQLite file's header")
def test_a_file_that_is_no_database_is_said_as_damaged(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "workspace.db"
    shutil.copyfile(demo_file, db)
    with db.open("r+b") as f:
        f.write(b"this is no SQLite file, just bytes")  # the header's magic string
    assert main(["ticket", "note", "CSP-000001", "hello", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"csp-console: error: the workspace file {db} is damaged or no workspace at all"), err
    assert "give --db the workspace's file, or restore the last backup" in err and len(err.splitlines()) == 1
    text = tmp_path / "notes.db"
    text.write_text("hello\n", encoding="utf-8")  # (--db given a text file was said "corrupted pages")
    assert main(["ticket", "show", "1", "--db", str(text)]) == 1
    err = capsys.readouterr().err
    assert "damaged or no workspace at all" in err and "corrupted pages" not in err
    assert text.read_text(encoding="utf-8") == "hello\n"


@pytest.mark.sqlite_only("it overwrites pages of the SQLite file")
async def test_the_console_says_a_damaged_workspace_plainly(demo_file: Path, tmp_path: Path) -> None:
    db = damaged_copy(demo_file, tmp_path)
    ws = Workspace.open(db)
    app = make_app(ws, tmp_path)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            said = [n for n in app._notifications if n.severity == "error"]
            assert said, "nothing said"
            assert all(n.message.startswith(f"The workspace file {db} is damaged") for n in said), said
            assert not any("Malformed" in n.message or "DatabaseError" in n.message for n in said)
    finally:
        ws.close()


def test_the_result_codes_read_are_sqlites() -> None:
    """The faults module names SQLite's result codes by number (only the store imports sqlite3): the same ones."""
    from console.shared import faults

    assert {sqlite3.SQLITE_FULL} == faults._FULL
    assert {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB} == faults._CORRUPT
    assert {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED} == faults._BUSY
    assert {sqlite3.SQLITE_IOERR} == faults._IOERR
    assert {
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_AUTH,
    } == faults._READONLY


def test_a_directory_given_as_the_workspace_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ticket", "show", "CSP-000001", "--db", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    said = f"{tmp_path} is a directory, not a workspace file: give the file's path (--db, CSP_CONSOLE_DB)"
    assert err == f"csp-console: error: {said}\n"
