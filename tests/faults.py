"""Helpers for the fault tests: a real small disk (tmpfs), a real second process holding the write lock, the
command line run as a real process (as root or as an unprivileged user), and what the workspace holds."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from console.shared.db_url import is_database_url

ROOT = Path(__file__).resolve().parent.parent
AGENT = "aiko.tanaka"
NOBODY = 65534  # the unprivileged user the read-only tests run the command line as (root ignores file modes)

#: A process that takes the workspace's write lock, says so, and holds it until its standard input closes:
#: another agent's long write or import. On a SQLite file ``BEGIN IMMEDIATE``; on a PostgreSQL database (a URL)
#: the writers' advisory lock in an open transaction (console.store.pg_dialect: every write transaction takes it).
HOLD_THE_LOCK = """
import sys
from console.shared.db_url import is_database_url
if is_database_url(sys.argv[1]):
    import psycopg
    from console.store.pg_dialect import WRITE_LOCK
    conn = psycopg.connect(sys.argv[1])  # (not autocommit: the transaction stays open until the commit)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
else:
    import sqlite3
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
conn.execute("COMMIT")
"""


@contextlib.contextmanager
def small_disk(where: Path, size: str = "2m") -> Iterator[Path]:
    """A real file system of ``size`` bytes (tmpfs) mounted at ``where``: skipped, saying why, where this
    process may not mount (not root, or no CAP_SYS_ADMIN in this container)."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(where)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (mount said: {done.stderr.strip()}); run as root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def remount(where: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte with one file (returned: delete it to free the space)."""
    ballast = disk / "ballast"
    block = b"\0" * 65536
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while os.write(fd, block[:size]):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return ballast


def place(demo: Path, folder: Path) -> Path:
    """A copy of the (checkpointed) demo workspace in ``folder``, with no -wal or -shm file yet."""
    target = folder / "workspace.db"
    shutil.copyfile(demo, target)
    return target


def cli(db: Path, *args: str, user: int | None = None, home: Path) -> subprocess.CompletedProcess[str]:
    """``csp-console ARGS --db DB`` as a real process (as ``user`` when given, through setpriv)."""
    env = {
        **os.environ,
        "CSP_CONSOLE_AGENT": AGENT,
        "XDG_CONFIG_HOME": str(home / "cfg"),
        "XDG_STATE_HOME": str(home / "state"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command: Sequence[str] = [sys.executable, "-m", "console.cli", *args, "--db", str(db)]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL
    )


def said_plainly(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one line the command said on standard error, checked: no traceback, no SQLite jargon alone."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def intact(db: Path) -> None:
    """The workspace passes SQLite's own check (``PRAGMA integrity_check``)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def notes_saying(db: Path, text: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM timeline WHERE text LIKE ?", (f"%{text}%",)).fetchone()[0])
    finally:
        conn.close()


def assignee(db: Path | str, ticket_id: str) -> str | None:
    """The ticket's assignee, read on a connection of its own (read-only on a SQLite file)."""
    if is_database_url(db):
        import psycopg

        with psycopg.connect(str(db), autocommit=True) as session:
            found = session.execute("SELECT assignee FROM tickets WHERE id = %s", (ticket_id,)).fetchone()
        return None if found is None else found[0]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT assignee FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return None if row is None else row[0]
    finally:
        conn.close()
