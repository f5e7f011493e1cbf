"""Opening the workspace file and its write transactions, for code that holds a bare connection (the
migrations, tests of old schemas). The pragmas and statements are the dialect's (:mod:`console.store.dialect`)."""

from __future__ import annotations

from pathlib import Path
from sqlite3 import Connection
from typing import cast

from console.shared.errors import WorkspaceError
from console.store.base import Interruptible, transaction
from console.store.dialect import BUSY_TIMEOUT_MS, SQLITE
from console.store.pg_url import is_database_url


def connect(path: Path | str) -> Connection:
    """Open the workspace at ``path`` (a workspace's ``locator``): the SQLite file (created if needed) with the
    workspace's pragmas, or the PostgreSQL database of a URL (sqlite3's face, console.store.pg_conn), in
    autocommit mode; writes go through :func:`transaction`."""
    if is_database_url(path):
        from console.store.pg_dialect import POSTGRES

        return cast(Connection, POSTGRES.connect(str(path)))
    return SQLITE.connect(path)


def is_interrupted(error: BaseException | None) -> bool:
    """Whether ``error`` is a query stopped by :meth:`Interruptible.interrupt` (SQLite's "interrupted", or
    PostgreSQL's cancel, SQLSTATE 57014)."""
    if SQLITE.is_interrupted(error):
        return True
    if getattr(error, "sqlstate", None) is None:
        return False
    from console.store.pg_dialect import POSTGRES

    return POSTGRES.is_interrupted(error)


__all__ = ["BUSY_TIMEOUT_MS", "Interruptible", "WorkspaceError", "connect", "is_interrupted", "transaction"]
