"""The store's base: the workspace file's connections (one per thread), its write transactions, the audit
append and the clock. Every repository (``console/store/*.py``) takes one and writes through it; none reads
the wall clock or opens a connection of its own."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from console.shared.clock import to_iso, utcnow
from console.shared.faults import WorkspaceBusy
from console.store.dialect import SQLITE, SqliteDialect
from console.store.pg_url import is_database_url

if TYPE_CHECKING:
    from console.store.pg_pool import SessionPool

T = TypeVar("T")


class Interruptible(Protocol):
    """A connection whose running query another thread may stop (a superseded search keystroke)."""

    def interrupt(self) -> None: ...


class Base:
    """A handle on the workspace file. Each thread gets its own connection."""

    def __init__(
        self, path: Path | str, *, clock: Callable[[], datetime] = utcnow, dialect: SqliteDialect | None = None
    ) -> None:
        #: Where the workspace is: a SQLite file, or a PostgreSQL database (``postgresql://...``, console.store.pg_url).
        self.url: Any = None
        if is_database_url(path):
            from console.store.pg_dialect import POSTGRES
            from console.store.pg_url import WorkspaceUrl

            self.url = WorkspaceUrl.parse(str(path))
            dialect = cast(SqliteDialect, POSTGRES)  # (PostgresDialect: the same methods, its own connections)
        #: The SQLite file (for PostgreSQL, a name standing for the database in messages and the audit).
        self.path = Path(path) if self.url is None else Path(f"postgresql-{self.url.database}")
        #: What the workspace was opened with (a path, or the URL with any password: for code, never shown).
        self.locator: Path | str = self.url.conninfo if self.url is not None else self.path
        #: How the workspace is named to people: the file's path, or the URL without its password.
        self.location = str(self.path) if self.url is None else str(self.url)
        #: The store's one source of time: every stamp it writes (audit rows, changes, deliveries) reads it.
        self.clock = clock
        self.dialect: SqliteDialect = dialect or SQLITE
        self._local = threading.local()
        self._all: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        self._left_running: list[sqlite3.Connection] = []  # see close()
        self._pool: SessionPool | None = None  # PostgreSQL: the worker threads' sessions (see _open)
        self._opened_first = False
        #: Told every audit row once its transaction committed (the syslog mirror, console.desk.audit_mirror).
        self.mirror: Callable[[dict[str, Any]], None] | None = None
        #: Sessions refuse writes (:meth:`make_read_only`).
        self.read_only = False

    @property
    def engine(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.dialect.name

    def now(self) -> str:
        """The clock's time in the stored form (``2026-11-23T03:09:44Z``)."""
        return to_iso(self.clock())

    # -- connections -------------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(conn, "closed", False):  # (a PostgreSQL session lost: a new one)
            with self._lock:
                self._all = [item for item in self._all if item[1] is not conn]
                self._let_go(conn)
            conn = None
        if conn is None:
            with self._lock:  # worker threads come and go: what ended threads held is let go first, to reuse
                for thread, old in self._all:
                    if not thread.is_alive():
                        self._let_go(old)
                self._all = [item for item in self._all if item[0].is_alive()]
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                if self.read_only:  # (under the lock: a make_read_only meanwhile reaches it either way)
                    self.dialect.read_only(conn)
                self._all.append((threading.current_thread(), conn))
        return conn

    def _open(self) -> sqlite3.Connection:
        """A new connection for this thread. On PostgreSQL the first thread's (the one that opened the workspace:
        a bad address or a refusal is said at once) is its own session; every other thread borrows one from the
        workspace's pool (:mod:`console.store.pg_pool`), given back when the thread has ended."""
        if self.url is None:
            return self.dialect.connect(self.path)
        from console.store.pg_dialect import POSTGRES

        with self._lock:
            first, self._opened_first = not self._opened_first, True
            if not first and self._pool is None:
                self._pool = POSTGRES.sessions(self.url)
            pool = self._pool
        if pool is None:
            try:
                return cast(sqlite3.Connection, POSTGRES.connect(self.url))
            except BaseException:
                with self._lock:
                    self._opened_first = False
                raise
        return cast(sqlite3.Connection, POSTGRES.wrap(pool.borrow(), self.url))

    def _let_go(self, conn: Any) -> None:
        """Close a connection, or give a borrowed session back to the pool (under the lock)."""
        raw = getattr(conn, "raw", None)
        if self._pool is not None and raw is not None and self._pool.owns(raw):
            self._pool.give_back(raw)
        else:
            conn.close()

    def make_read_only(self) -> None:
        """From now on every session of this workspace object refuses writes at the database (SQLite's
        ``query_only``; PostgreSQL's ``default_transaction_read_only``): the served board's, whatever its code
        does. Its change-notice session only listens."""
        with self._lock:
            self.read_only = True
            for _, conn in self._all:
                self.dialect.read_only(conn)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._all)

    def close(self) -> None:
        """Close the connections of this thread and of ended threads. A connection of a thread still alive
        may be in the middle of a query (a worker the console left running as it quit): closing it from here
        would free what that query is using and crash the process, so it is interrupted and kept until the
        process ends instead."""
        me = threading.current_thread()
        with self._lock:
            for thread, conn in self._all:
                if thread is me or not thread.is_alive():
                    self._let_go(conn)
                else:
                    conn.interrupt()
                    self._left_running.append(conn)
            self._all.clear()
            if self._watch is not None:  # only ever used under the lock
                self._watch.close()
                self._watch = None
            if self._pool is not None:  # (a session still out, left running, is closed when the process ends)
                self._pool.close()
                self._pool = None
            self._opened_first = False
        self._local = threading.local()

    def within(self, seconds: float, read: Callable[[], T]) -> T | None:
        """``read()`` on this thread's connection if it succeeds within ``seconds``, else ``None``."""
        return self.dialect.within(self.conn, seconds, read)

    # -- transactions ------------------------------------------------------------------------------
    @contextmanager
    def transaction(self, *, rows: bool = False) -> Iterator[sqlite3.Connection]:
        """A write transaction on this thread's connection (the write lock at once), committed on success and
        rolled back on any exception. ``rows``: one that writes only rows it locks (a claim); on PostgreSQL
        such transactions run side by side (:mod:`console.store.pg_dialect`), prefer :meth:`row_writes`."""
        try:
            with transaction(self.conn, self.dialect, rows=rows) as conn:
                yield conn
        finally:  # committed or rolled back: the audit rows it wrote are mirrored, or forgotten
            written, self._local.mirrored = getattr(self._local, "mirrored", []), []
        if self.mirror is not None:
            for row in written:
                self.mirror(row)

    def row_writes(self, work: Callable[[], T]) -> T:
        """``work()`` in a transaction that writes only rows it locks first (``transaction(rows=True)``: a
        claim; inside a transaction already, ``work()`` joins it). Its locks after the start (the row, then
        the writes' turn) wait the busy timeout each; refused past it, or by PostgreSQL to break a deadlock
        (none is foreseen: :mod:`console.store.pg_dialect`), nothing of it was written and it is run again
        after each of :data:`BUSY_BACKOFF`, then said busy (:class:`WorkspaceBusy`) or raised."""
        if self.conn.in_transaction:
            return work()
        for pause in (*BUSY_BACKOFF, None):
            try:
                with self.transaction(rows=True):
                    return work()
            except sqlite3.Error as exc:
                busy = self.dialect.is_busy(exc) and not self.dialect.giving_way(self.conn)
                if not (busy or self.dialect.is_deadlock(exc)):
                    raise
                if pause is None:
                    if busy:
                        raise WorkspaceBusy() from exc
                    raise
                time.sleep(pause)
        raise AssertionError("unreachable")

    def writing(self) -> AbstractContextManager[Any]:
        """A transaction of its own, or the caller's when one is open (a bulk load, an import)."""
        return nullcontext() if self.conn.in_transaction else self.transaction()

    def require_transaction(self, what: str) -> None:
        if not self.conn.in_transaction:
            raise RuntimeError(f"{what} must run inside Workspace.transaction()")

    # -- the audit log -----------------------------------------------------------------------------
    def audit(self, agent: str, action: str, entity: str, entity_id: str, detail: dict[str, Any]) -> None:
        """Record who did what (inside the caller's transaction, or one of its own), at the clock's time, chained
        to the row before it (:mod:`console.store.audit_chain`)."""
        from console.store import audit_chain

        with self.writing():
            self.dialect.one_at_a_time(self.conn)  # (the chain's appends are serial)
            at, detail_text = self.now(), json.dumps(detail, ensure_ascii=False)
            row_id, digest = audit_chain.append(self.conn, at, agent, action, entity, entity_id, detail_text)
        if self.mirror is not None:  # told when the transaction commits (a rolled-back row never happened)
            row = {"id": row_id, "at": at, "agent": agent, "action": action, "entity": entity, "entityId": entity_id}
            self._local.__dict__.setdefault("mirrored", []).append({**row, "detail": detail, "hash": digest})

    # -- change notices ----------------------------------------------------------------------------
    def data_version(self) -> int:
        """A number that changes whenever any connection commits a change to the workspace (a cheap poll),
        always read on one dedicated connection."""
        with self._lock:
            watch = self._watch
            if watch is None:
                watch = self._watch = self.dialect.watcher(self.url or self.path)
            return self.dialect.data_version(watch)

    def changed_since(self, version: int | None) -> tuple[bool, int | None]:
        """(whether anything was committed since ``version`` was read, the version now). Quick enough for the
        screen's thread (an in-memory read); when the file is busy, nothing has changed yet."""
        try:
            now = self.data_version()
        except sqlite3.Error:
            return False, version
        return version is not None and now != version, now


def dialect_of(conn: Any) -> SqliteDialect:
    """The dialect of a bare connection: PostgreSQL's for a :class:`console.store.pg_conn.Connection`."""
    if type(conn).__module__ == "console.store.pg_conn":
        from console.store.pg_dialect import POSTGRES

        return cast(SqliteDialect, POSTGRES)
    return SQLITE


@contextmanager
def transaction(
    conn: sqlite3.Connection, dialect: SqliteDialect | None = None, *, rows: bool = False
) -> Iterator[sqlite3.Connection]:
    """A write transaction on ``conn``: committed on success, rolled back on any exception."""
    dialect = dialect or dialect_of(conn)
    begin_patiently(conn, dialect, rows=rows)
    try:
        yield conn
    except BaseException:
        # After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has rolled the transaction back
        # itself; a ROLLBACK then fails ("cannot rollback - no transaction is active") and must not hide the
        # first error, the one the agent is told about.
        if conn.in_transaction:
            with suppress(sqlite3.Error):
                dialect.rollback(conn)
        raise
    else:
        try:
            dialect.commit(conn)
        except BaseException:
            if conn.in_transaction:  # a failed COMMIT (the disk filled up) leaves the transaction open
                with suppress(sqlite3.Error):
                    dialect.rollback(conn)
            raise


#: The pauses between tries to take the write lock, each try waiting the busy timeout (5 s): another agent's
#: import batch or long write gets about 15 s in all before the caller is told the workspace is busy.
BUSY_BACKOFF = (0.25, 1.0)


def begin_patiently(conn: sqlite3.Connection, dialect: SqliteDialect = SQLITE, *, rows: bool = False) -> None:
    """Take the write lock, trying again after each of :data:`BUSY_BACKOFF` while another connection holds it;
    then :class:`WorkspaceBusy` (nothing was done). Under :meth:`SqliteDialect.patience` (a write that gives
    way) the first refusal is final, and SQLite's own."""
    for pause in (*BUSY_BACKOFF, None):
        try:
            dialect.begin(conn, rows=rows)
            return
        except sqlite3.OperationalError as exc:
            if not dialect.is_busy(exc) or dialect.giving_way(conn):
                raise  # (a write that gives way sees SQLite's own busy error, as it expects)
            if pause is None:
                raise WorkspaceBusy() from exc
            time.sleep(pause)
