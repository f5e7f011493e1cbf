"""Opening the workspace file and its write transactions, for code that holds a bare connection (the
migrations, tests of old schemas). The pragmas and statements are the dialect's (:mod:`console.store.dialect`)."""

from __future__ import annotations

from pathlib import Path
from sqlite3 import Connection

from console.shared.errors import WorkspaceError
from console.store.base import Interruptible, transaction
from console.store.dialect import BUSY_TIMEOUT_MS, SQLITE


def connect(path: Path | str) -> Connection:
    """Open (creating if needed) the SQLite file at ``path`` with the workspace's pragmas, in autocommit mode;
    writes go through :func:`transaction`."""
    return SQLITE.connect(path)


def is_interrupted(error: BaseException | None) -> bool:
    """Whether ``error`` is a query stopped by :meth:`Interruptible.interrupt`."""
    return SQLITE.is_interrupted(error)


__all__ = ["BUSY_TIMEOUT_MS", "Interruptible", "WorkspaceError", "connect", "is_interrupted", "transaction"]
