"""Opening the workspace file: WAL, foreign keys, a busy timeout, and explicit transactions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000


class Interruptible(Protocol):
    """A connection whose running query another thread may stop (a superseded search keystroke)."""

    def interrupt(self) -> None: ...


def is_interrupted(error: BaseException | None) -> bool:
    """Whether ``error`` is a query stopped by :meth:`Interruptible.interrupt`."""
    return isinstance(error, sqlite3.OperationalError) and "interrupt" in str(error)


def within(conn: sqlite3.Connection, seconds: float, read: Callable[[], T]) -> T | None:
    """``read()`` on ``conn``, stopped once it has run ``seconds``: its result, or ``None`` when it took longer
    or failed. For the screen's thread, which reads inline only what is quick and hands the rest to a worker
    (which reads it again, and reports what fails)."""
    deadline = time.perf_counter() + seconds
    conn.set_progress_handler(lambda: time.perf_counter() > deadline, 2000)
    try:
        return read()
    except sqlite3.Error:
        return None
    finally:
        conn.set_progress_handler(None, 0)


class WorkspaceError(Exception):
    """The workspace file cannot be opened or used; the message says why and where."""


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (creating if needed) the SQLite file at ``path`` with the workspace's pragmas.

    The connection is in autocommit mode; writes go through :func:`transaction`.
    """
    target = Path(path)
    if str(path) != ":memory:":
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(
            str(target), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if str(path) != ":memory:":
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise WorkspaceError(f"{target}: cannot switch to WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise WorkspaceError(f"{target}: not a usable SQLite workspace ({exc})") from exc
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """A write transaction: ``BEGIN IMMEDIATE`` (so writers queue on the busy timeout instead of failing
    midway), committed on success and rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
