"""The PostgreSQL sessions a console's worker threads borrow (psycopg_pool): a thread that ends gives its session
back, the next thread's first query runs on it at once instead of opening a new one (a TCP and TLS handshake and
the authentication, several milliseconds on loopback, tens across offices), and one console holds at most
:data:`MOST` sessions of the server's ``max_connections`` however many workers it starts.

A session is given back as it was handed out: a transaction left open (a worker stopped mid-query) is rolled
back, the settings a thread changed (``lock_timeout`` under a write that gives way, the board's
``default_transaction_read_only``) are reset and the console's own set again. That happens synchronously, on
the giving thread, not in the pool's background workers: a pool closed meanwhile would drop a session its workers
still held without closing it. A session the server ended (a restart, ``pg_terminate_backend``, a failover) is
found by the pool's check before it is handed out and replaced.

Sources: psycopg_pool 3.2 documentation, "Connection pools" (``min_size``/``max_size``, ``timeout`` and
:class:`psycopg_pool.PoolTimeout`, ``check=ConnectionPool.check_connection``, ``configure``, ``getconn`` and
``putconn``); PostgreSQL 15, ``RESET ALL``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool, PoolTimeout

from console.shared.db_url import scrub
from console.shared.errors import WorkspaceError
from console.store.pg_url import WorkspaceUrl

#: The most sessions one console keeps open for its worker threads (the first thread's own session aside).
MOST = 16
#: How long a thread waits for a free session when all :data:`MOST` are out, before it is told why.
WAIT_S = 10.0

# The pool logs a lost session or a failed connect as a warning on its own logger; the console says them itself.
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())

Configure = Callable[[psycopg.Connection[Any]], None]


class SessionPool:
    """Sessions of one workspace database, borrowed by threads and given back when they end."""

    def __init__(self, url: WorkspaceUrl, configure: Configure) -> None:
        self.url = url
        self._configure = configure
        self._lock = threading.Lock()
        self._out: set[int] = set()
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url.conninfo,
            kwargs={"autocommit": True, "connect_timeout": 10},
            min_size=0,
            max_size=MOST,
            timeout=WAIT_S,
            configure=configure,
            check=ConnectionPool.check_connection,
            num_workers=2,
            name=f"csp-console {url.database}",
            open=True,
        )

    def borrow(self) -> psycopg.Connection[Any]:
        """A session, ready (the console's settings, no transaction); :class:`WorkspaceError` saying why when none
        can be had within :data:`WAIT_S` (the server refuses, or every session of this console is out)."""
        try:
            raw = self._pool.getconn()
        except PoolTimeout:
            raise WorkspaceError(self._why()) from None
        with self._lock:
            self._out.add(id(raw))
        return raw

    def owns(self, raw: psycopg.Connection[Any]) -> bool:
        with self._lock:
            return id(raw) in self._out

    def give_back(self, raw: psycopg.Connection[Any]) -> None:
        """Return a borrowed session, reset; one that cannot be reset (lost meanwhile) is closed instead."""
        with self._lock:
            self._out.discard(id(raw))
        try:
            self._reset(raw)
        except psycopg.Error:
            raw.close()  # (the pool replaces a closed session when it is given back)
        self._pool.putconn(raw)

    def _reset(self, raw: psycopg.Connection[Any]) -> None:
        if raw.closed or raw.broken:
            return
        if raw.info.transaction_status != TransactionStatus.IDLE:
            raw.execute("ROLLBACK")
        raw.execute("RESET ALL")
        self._configure(raw)

    def _why(self) -> str:
        """Why no session came: the server's own reason when it refuses a new one, else this console's limit."""
        try:
            psycopg.connect(self.url.conninfo, connect_timeout=5).close()
        except psycopg.Error as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            return f"{self.url}: cannot connect ({scrub(reason, self.url.conninfo)})"
        return f"{self.url}: no database session free within {WAIT_S:g} s (this console holds {MOST} at most, all busy)"

    def close(self) -> None:
        """Close every session in the pool; one still out is closed when it is given back."""
        self._pool.close()
