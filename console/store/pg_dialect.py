"""What is PostgreSQL about the store, in one place (the twin of :class:`console.store.dialect.SqliteDialect`,
method for method): opening a session (psycopg 3), the write lock, the change notices, interrupting a query,
and the SQL fragments that differ.

- **The write lock.** SQLite lets one writer in at a time (``BEGIN IMMEDIATE``), and the store's invariants lean
  on it: the audit chain appends to the row before it, versions and claims are checked and set in one
  transaction, a ticket number follows the last. On PostgreSQL a write transaction takes one transaction-level
  advisory lock (``pg_advisory_xact_lock``) for the workspace first: the same one writer at a time, across every
  host, released by the commit or the rollback (or the session's end, if a host dies), waiting at most
  ``lock_timeout`` (the busy timeout's 5 s) and then said busy as SQLite's is. Reads never wait for it.
- **Claims lock rows.** A claim (and "take next") takes that lock *shared* instead (``rows=True``): claims run
  side by side while they read and pick, each holding the ticket it claims by its row lock (``SELECT ... FOR
  UPDATE``; "next" picks with ``FOR UPDATE SKIP LOCKED``, so agents taking "next" at once get other tickets
  without waiting for each other), while every other writer still has the workspace to itself. Their writes
  are one at a time again (:meth:`PostgresDialect.one_at_a_time`, a second advisory lock, :data:`SERIAL_LOCK`,
  from the first write to the commit): they all count in the same health rollup rows, which taken in changing
  orders would deadlock, and their audit rows are one chain.
- **Change notices.** Every write transaction sends ``NOTIFY csp_changes`` (delivered at its commit, to every
  console on every host listening); :meth:`data_version` counts the notices that reached the watching session
  (read from its socket without a round trip: nothing is polled while nothing changes).
- **Full-text search.** The FTS5 tables are tables of ``tsvector`` documents (``simple`` configuration over the
  project's own search form, :mod:`console.store.pg_ddl`); an FTS5 match expression becomes a ``tsquery``
  (:func:`tsquery`): ``"word"*`` a prefix, ``"ab bc"`` a phrase.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus

from console.shared.db_url import scrub
from console.shared.errors import WorkspaceError
from console.store.dialect import BUSY_TIMEOUT_MS, Fragments
from console.store.pg_conn import Catalog, Connection
from console.store.pg_pool import SessionPool
from console.store.pg_url import WorkspaceUrl

T = TypeVar("T")

#: The advisory lock of a workspace's writers (one per database: the key names the purpose, not the row).
WRITE_LOCK = 0x0C5F_0001
#: The lock of the writes of the transactions holding :data:`WRITE_LOCK` shared (claims): one at a time.
SERIAL_LOCK = 0x0C5F_0002
CHANNEL = "csp_changes"


class _NumberLoader(Loader):
    """``numeric`` as SQLite gives numbers back: an ``int`` when whole, else a ``float`` (``sum`` of integers is
    numeric in PostgreSQL)."""

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


class Watch:
    """The listening session and the count of change notices it has seen."""

    def __init__(self, raw: psycopg.Connection[Any], url: WorkspaceUrl) -> None:
        self.raw = raw
        self.url = url
        self.seen = 0

    def close(self) -> None:
        self.raw.close()


class PostgresDialect(Fragments):
    """PostgreSQL 13 or newer (the workspace database)."""

    name = "postgresql"
    insert_or_ignore = "INSERT OR IGNORE"  # (turned into ON CONFLICT DO NOTHING by console.store.pg_sql)
    insert_or_replace = "INSERT OR REPLACE"
    counters = "csp_sequence"  # (console.store.pg_migrate keeps it; console.store.pg_sql reads sqlite_sequence so)
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE OF t SKIP LOCKED"  # (the pick's table is ``tickets t``: console.store.queue)
    # (read committed, PostgreSQL's default, would give each statement a snapshot of its own)
    read_snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(self) -> None:
        self.catalogs: dict[str, Catalog] = {}

    # -- connections -----------------------------------------------------------------------------
    @staticmethod
    def configure(raw: psycopg.Connection[Any]) -> None:
        """The console's settings on a new session, or on one given back to the pool (console.store.pg_pool)."""
        raw.adapters.register_loader("numeric", _NumberLoader)
        # One round trip; the door guard's triggers ask for csp.door (migration 31).
        raw.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}; SET csp.door = 'on'".encode())

    def _raw(self, url: WorkspaceUrl) -> psycopg.Connection[Any]:
        try:
            raw = psycopg.connect(url.conninfo, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise WorkspaceError(f"{url}: cannot connect ({scrub(_first_line(exc), url.conninfo)})") from None
        self.configure(raw)
        return raw

    def connect(self, url: WorkspaceUrl | str) -> Connection:
        url = WorkspaceUrl.parse(str(url)) if not isinstance(url, WorkspaceUrl) else url
        return self.wrap(self._raw(url), url)

    def wrap(self, raw: psycopg.Connection[Any], url: WorkspaceUrl) -> Connection:
        """A session as the repositories use it (the workspace's catalog, read once per workspace)."""
        catalog = self.catalogs.get(url.conninfo)
        if catalog is None:
            catalog = self.catalogs[url.conninfo] = Catalog()
            catalog.load(raw)
        return Connection(raw, catalog)

    def sessions(self, url: WorkspaceUrl) -> SessionPool:
        """The pool the workspace's worker threads borrow their sessions from."""
        return SessionPool(url, self.configure)

    def batches(self, conn: Connection, sql: str, params: Sequence[Any], size: int) -> Iterator[list[Any]]:
        """A query's rows ``size`` at a time, from a server-side cursor (inside the caller's transaction)."""
        return conn.stream(sql, params, size)

    def read_only(self, conn: Connection) -> None:
        """Make the session's transactions read-only (SQLSTATE 25006 on a write)."""
        conn.execute("SET default_transaction_read_only = on")

    def reload_catalog(self, conn: Connection) -> None:
        conn.catalog.load(conn.raw)

    @staticmethod
    def scratch(path: Any) -> sqlite3.Connection:
        from console.store.dialect import SQLITE

        return SQLITE.scratch(path)

    def schema(self, conn: Connection, statement: str) -> None:
        from console.store.pg_migrate import PgDatabase

        PgDatabase(conn).execute(statement)

    def triggers_on(self, conn: Connection, table: str) -> dict[str, str]:
        """The triggers on ``table``, each as the SQLite text it was made from (its comment) while it is still
        what that text makes (its function, timing, events and columns) and enabled; else PostgreSQL's own
        definition (a trigger changed, disabled, or not the console's). The engine's own counters are left out."""
        from console.store.pg_audited import is_note
        from console.store.pg_migrate import is_counter, made_from

        rows = conn.execute(
            "SELECT t.tgname, obj_description(t.oid, 'pg_trigger'), p.prosrc, pg_get_triggerdef(t.oid), t.tgenabled "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND c.relname = ? AND c.relnamespace = current_schema()::regnamespace",
            (table.lower(),),
        ).fetchall()
        found, keys = {}, conn.catalog.primary_key
        for name, said, source, definition, enabled in rows:
            if is_counter(said, source) or is_note(name, source, definition, enabled):
                continue  # (the engine's counter; the grants' note of audited transactions, console.store.pg_audited)
            same = said is not None and enabled != "D" and made_from(said, source, definition, keys)
            disabled = " (disabled: ALTER TABLE ... DISABLE TRIGGER)" if enabled == "D" else ""
            found[name] = said if same else f"{definition}{disabled} -- {source.strip()}"
        return found

    def drop_trigger(self, conn: Connection, name: str, table: str) -> None:
        quoted = name.replace('"', '""')
        conn.execute(f'DROP TRIGGER IF EXISTS "{quoted}" ON {table}')

    def begin(self, conn: Connection, *, immediate: bool = True, rows: bool = False) -> None:
        conn.serial_pending = False
        conn.drop_carried()
        if not immediate:
            conn.execute("BEGIN")
            return
        take = "pg_advisory_xact_lock_shared" if rows else "pg_advisory_xact_lock"
        try:  # the transaction and its lock in one round trip
            conn.script(f"BEGIN; SELECT {take}({WRITE_LOCK})")
            conn.serial_pending = rows
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                conn.raw.execute("ROLLBACK")
            raise

    def one_at_a_time(self, conn: Connection) -> None:
        if conn.serial_pending:  # (a transaction with the write lock to itself writes alone already)
            conn.carry(f"SELECT pg_advisory_xact_lock({SERIAL_LOCK})")  # (sent with the first write)
            conn.serial_pending = False

    def is_deadlock(self, error: BaseException | None) -> bool:
        return getattr(error, "sqlstate", None) == "40P01"

    def commit(self, conn: Connection) -> None:
        conn.serial_pending = False
        conn.drop_carried()
        # A notice only for a transaction that wrote (as SQLite's data_version moves only for one): a write
        # transaction that found nothing to do (a sample not due, a lease still held) wakes nobody. The notice
        # and the commit go in one round trip.
        conn.script(f"SELECT pg_notify('{CHANNEL}', '') WHERE pg_current_xact_id_if_assigned() IS NOT NULL; COMMIT")

    def rollback(self, conn: Connection) -> None:
        conn.serial_pending = False
        conn.drop_carried()
        conn.execute("ROLLBACK")

    @contextmanager
    def patience(self, conn: Connection, seconds: float) -> Iterator[None]:
        conn.execute(f"SET lock_timeout = {max(1, int(seconds * 1000))}")
        try:
            yield
        finally:
            _reset(conn, f"SET lock_timeout = {BUSY_TIMEOUT_MS}")

    def is_busy(self, error: BaseException | None) -> bool:
        from console.shared.faults import is_busy

        return getattr(error, "sqlstate", None) == "55P03" or is_busy(error)

    def giving_way(self, conn: Connection) -> bool:
        row = conn.execute("SELECT current_setting('lock_timeout')").fetchone()
        said = str(row[0]) if row else ""
        return _milliseconds(said) < BUSY_TIMEOUT_MS

    def watcher(self, url: WorkspaceUrl | str) -> Watch:
        url = WorkspaceUrl.parse(str(url)) if not isinstance(url, WorkspaceUrl) else url
        raw = self._raw(url)
        raw.execute(f"LISTEN {CHANNEL}")
        return Watch(raw, url)

    def data_version(self, watch: Watch) -> int:
        """The notices seen so far. A session lost (the server restarted, a failover) is said as a store error
        (the caller treats it as "no news" and asks again); the next ask listens on a new session, and counts the
        loss as a change, since notices may have gone by meanwhile."""
        if watch.raw.closed or watch.raw.broken:
            watch.raw = self._raw(watch.url)
            watch.raw.execute(f"LISTEN {CHANNEL}")
            watch.seen += 1
        try:
            for _ in watch.raw.notifies(timeout=0):
                watch.seen += 1
        except psycopg.Error as exc:
            with contextlib.suppress(psycopg.Error):
                watch.raw.close()
            raise sqlite3.OperationalError(f"the change notices' session was lost ({_first_line(exc)})") from None
        return watch.seen

    @contextmanager
    def bulk_memory(self, conn: Connection) -> Iterator[None]:
        conn.execute("SET maintenance_work_mem = '256MB'")
        try:
            yield
        finally:
            conn.execute("RESET maintenance_work_mem")

    def drop_indexes(self, conn: Connection, table: str) -> list[str]:
        rows = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND i.tablename = ? AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
            "ORDER BY i.indexname",
            (table.lower(),),
        ).fetchall()
        for name, _ in rows:
            conn.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in rows]

    def checkpoint(self, conn: Connection) -> tuple[int, int]:
        return 0, 0  # (PostgreSQL's checkpointer does this on its own)

    def analyze(self, conn: Connection) -> None:
        conn.execute("ANALYZE")

    def is_interrupted(self, error: BaseException | None) -> bool:
        return getattr(error, "sqlstate", None) == "57014"

    def within(self, conn: Connection, seconds: float, read: Callable[[], T]) -> T | None:
        before = conn.execute("SELECT current_setting('statement_timeout')").fetchone()
        conn.execute(f"SET statement_timeout = {max(1, int(seconds * 1000))}")
        try:
            return read()
        except sqlite3.Error:
            return None
        finally:
            _reset(conn, "SELECT set_config('statement_timeout', ?, false)", (str(before[0]) if before else "0",))

    # -- SQL fragments -----------------------------------------------------------------------------
    def own_columns(self, table: str, assignments: str) -> str:
        """``version = version + 1``: PostgreSQL wants the row's own column named by its table."""
        return re.sub(r"=\s*([A-Za-z_]\w*)\b(?!\s*\()", rf"= {table}.\1", assignments)

    @staticmethod
    def greatest(a: str, b: str) -> str:
        return f"greatest({a}, {b})"

    @staticmethod
    def hours_between(start: str, end: str) -> str:
        return f"(extract(epoch from ({end})::timestamptz - ({start})::timestamptz) / 3600.0)"

    @staticmethod
    def indexed_by(index: str) -> str:
        return ""  # (PostgreSQL's planner takes no hints)

    @staticmethod
    def not_driving(expression: str) -> str:
        return f"({expression} + 0)"

    @staticmethod
    def fts_match(index: str) -> str:
        return f"{index}.doc @@ to_tsquery('simple', ?)"

    @staticmethod
    def fts_rowids(index: str) -> str:
        return f"SELECT rowid FROM {index} WHERE doc @@ to_tsquery('simple', ?)"

    @staticmethod
    def fts_arg(expression: str) -> str:
        return tsquery(expression)

    @staticmethod
    def like_escaped(column: str) -> str:
        return f"{column} ILIKE ? ESCAPE '\\'"


_TERM = re.compile(r'"((?:[^"]|"")*)"(\*?)')
_LEXEME = re.compile(r"\w+")


def tsquery(expression: str) -> str:
    """An FTS5 match expression of :func:`console.tickets.search_text.build_query` (quoted terms joined by
    ``AND``, a ``*`` after a prefix) as a ``tsquery``:
    ``"inv"* AND "金額 額に"`` -> ``'inv':* & ('金額' <-> '額に')``."""
    terms = []
    for text, star in _TERM.findall(expression):
        words = _LEXEME.findall(text.replace('""', '"'))
        if not words:
            continue
        quoted = [_lexeme(w) for w in words]
        if star:
            quoted[-1] += ":*"
        terms.append(quoted[0] if len(quoted) == 1 else "(" + " <-> ".join(quoted) + ")")
    return " & ".join(terms) or "''"


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _reset(conn: Connection, statement: str, params: Sequence[Any] = ()) -> None:
    """Put a session setting back, unless the transaction it was changed in failed: its rollback puts it back
    itself (a SET is transactional), and a statement now would hide the error the caller is to hear."""
    if conn.raw.info.transaction_status == TransactionStatus.INERROR:
        return
    conn.execute(statement, params)


def _milliseconds(setting: str) -> int:
    found = re.fullmatch(r"(\d+)\s*(ms|s|min)?", setting.strip())
    if not found:
        return BUSY_TIMEOUT_MS
    scale = {"ms": 1, None: 1, "s": 1000, "min": 60000}[found.group(2)]
    return int(found.group(1)) * scale


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


POSTGRES = PostgresDialect()
