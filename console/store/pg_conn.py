"""A PostgreSQL connection (psycopg 3) with the face the repositories know from :mod:`sqlite3`: ``execute`` and
``executemany`` with ``?`` marks, cursors with ``fetchone``/``fetchall``/``rowcount``/``lastrowid``, rows read by
position or by column name, ``in_transaction`` and ``interrupt()``, and the DB-API errors as ``sqlite3`` names
them (``IntegrityError``, ``OperationalError``...), so one repository serves both engines.

PostgreSQL folds unquoted names to lower case; a row gives its columns back under the names the statement
wrote (``createdDate``), else under the schema's own spelling (:data:`CATALOG`, recorded by the migrations),
and looks names up regardless of case, as :class:`sqlite3.Row` does.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from console.store.pg_sql import NUL_HELD, Translated, translate

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Catalog:
    """What the store needs to know of the schema on the PostgreSQL side: the spelling of every column the
    migrations made (PostgreSQL keeps them lower-cased) and each table's key (for ``INSERT OR REPLACE`` and
    ``lastrowid``). Loaded once per workspace from the ``csp_columns`` table the migrations fill."""

    def __init__(self) -> None:
        self.spelling: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.generated: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self, conn: psycopg.Connection[Any]) -> None:
        with self._lock:
            self.spelling, self.keys, self.generated = _read_catalog(conn)

    def primary_key(self, table: str) -> str | None:
        return self.keys.get(table.lower())


def _read_catalog(conn: psycopg.Connection[Any]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    spelling: dict[str, str] = {}
    keys: dict[str, str] = {}
    generated: dict[str, str] = {}
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('csp_columns') IS NOT NULL")
        row = cur.fetchone()
        if row and row[0]:
            cur.execute("SELECT name FROM csp_columns")
            spelling = {name.lower(): name for (name,) in cur.fetchall()}
        cur.execute(
            "SELECT c.relname, string_agg(a.attname, ', ' ORDER BY array_position(i.indkey, a.attnum)), "
            "bool_or(a.attidentity <> '') FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) WHERE i.indisprimary "
            "GROUP BY c.relname"
        )
        for table, key, identity in cur.fetchall():
            keys[table] = key
            if identity:
                generated[table] = key
    if not conn.autocommit:
        conn.rollback()
    return spelling, keys, generated


@lru_cache(maxsize=4096)
def _names(sql: str, columns: tuple[str, ...], spelling_id: int) -> tuple[str, ...]:
    del spelling_id  # (part of the cache's key: a catalog loaded again gives new names)
    written = {w.lower(): w for w in reversed(_WORD.findall(sql))}
    return tuple(written.get(c, c) for c in columns)


class Row(tuple[Any, ...]):
    """A result row: by position, by column name (any case), ``keys()``; ``dict(row)`` as with sqlite3.Row."""

    _index: dict[str, int]
    _keys: tuple[str, ...]

    def __new__(cls, values: Sequence[Any], names: tuple[str, ...], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._keys = names
        row._index = index
        return row

    def get(self, key: str) -> Any:
        return self[key]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key.lower()])
            except KeyError:
                raise IndexError(f"No item with that key: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._keys)


class Cursor:
    """The result of one statement, read as a sqlite3 cursor is."""

    def __init__(self, cur: psycopg.Cursor[Any], names: tuple[str, ...] | None, lastrowid: int | None) -> None:
        self._cur = cur
        self.rowcount = cur.rowcount
        self.lastrowid = lastrowid
        self._names = names
        self._index = {n.lower(): i for i, n in enumerate(names)} if names else {}
        self.description = [(n, None, None, None, None, None, None) for n in names] if names else None

    def _row(self, values: Sequence[Any] | None) -> Row | None:
        if values is None or self._names is None:
            return None
        return Row(values, self._names, self._index)

    def fetchone(self) -> Row | None:
        if self._names is None:
            return None
        return self._row(self._cur.fetchone())

    def fetchall(self) -> list[Row]:
        if self._names is None:
            return []
        names, index = self._names, self._index
        return [Row(values, names, index) for values in self._cur.fetchall()]

    def fetchmany(self, size: int = 1) -> list[Row]:
        if self._names is None:
            return []
        return [Row(values, self._names, self._index) for values in self._cur.fetchmany(size)]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())

    def close(self) -> None:
        self._cur.close()


class Connection:
    """One PostgreSQL session in autocommit mode; the dialect opens and ends its transactions."""

    def __init__(self, raw: psycopg.Connection[Any], catalog: Catalog) -> None:
        self.raw = raw
        self.catalog = catalog
        self.row_factory: object = None  # (as a sqlite3 connection has it; rows are always Row here)
        self._trace: Callable[[str], object] | None = None
        #: In a transaction holding the write lock shared (a claim): its writes' lock not taken yet.
        self.serial_pending = False
        #: A statement without parameters to send ahead of the next one, in its round trip (:meth:`carry`).
        self._carried: str | None = None

    # -- statements -------------------------------------------------------------------------------
    def _translated(self, sql: str) -> Translated:
        return translate(sql, self.catalog.primary_key)

    def set_trace_callback(self, trace: Callable[[str], object] | None) -> None:
        """``trace(sql)`` with each statement sent to the server from now on (``None``: no more), as
        :meth:`sqlite3.Connection.set_trace_callback` calls it."""
        self._trace = trace

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        tr = self._translated(sql)
        key = self.catalog.generated.get(tr.inserts_into.lower()) if tr.inserts_into else None
        text = f"{tr.sql} RETURNING {key}" if key else tr.sql
        cur = self.raw.cursor()
        self._send(text, lambda: cur.execute(text, _params(params, tr)))
        lastrowid = None
        if key:
            row = cur.fetchone()
            lastrowid = int(row[0]) if row else None
            return Cursor(cur, None, lastrowid)
        names = None
        result = cur.pgresult  # (its names read from libpq's result: psycopg's description builds a Column each)
        if result is not None and result.nfields:
            columns = tuple((result.fname(i) or b"").decode() for i in range(result.nfields))
            spelled = _names(sql, columns, id(self.catalog.spelling))
            spelling = self.catalog.spelling
            names = tuple(spelling.get(n, n) if n == c else n for n, c in zip(spelled, columns, strict=True))
        return Cursor(cur, names, lastrowid)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Cursor:
        tr = self._translated(sql)
        cur = self.raw.cursor()
        rows = [_params(p, tr) or () for p in seq]
        self._send(tr.sql, lambda: cur.executemany(tr.sql, rows))
        return Cursor(cur, None, None)

    def carry(self, sql: str) -> None:
        """Send ``sql`` (one statement without parameters: the store's own fixed text) ahead of the next
        statement, in the same round trip (libpq's pipeline mode; a script's text goes before it): a claim's
        turn to write is taken with its first write, not by a round trip of its own. Dropped at the end of the
        transaction if no statement followed (nothing was written, so nothing needed it)."""
        self._carried = sql

    def drop_carried(self) -> None:
        self._carried = None

    def _send(self, text: str, send: Callable[[], object]) -> None:
        carried, self._carried = self._carried, None
        if self._trace is not None:
            self._trace(text if carried is None else f"{carried}; {text}")
        with _as_dbapi_errors():
            if carried is None:
                send()
                return
            with self.raw.pipeline():  # (both sent, then one sync: the first one's error stops the second)
                self.raw.execute(carried)
                send()

    def script(self, sql: str) -> None:
        """Statements without parameters sent together in one round trip (the simple query protocol): the
        store's own fixed text only (a transaction's start with its lock, a commit with its notice)."""
        carried, self._carried = self._carried, None
        if carried is not None:
            sql = f"{carried}; {sql}"
        if self._trace is not None:
            self._trace(sql)
        with _as_dbapi_errors():
            self.raw.execute(sql.encode())

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 1000) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a query ``size`` at a time from a server-side cursor (inside the caller's transaction):
        a table of millions is never held in memory whole, as a client-side result would be. Outside a
        transaction (where a server-side cursor cannot live) the result comes whole.

        The cursor is closed when the rows end or the caller lets go of them, but only inside the transaction
        that declared it: a stream dropped later (kept alive by a traceback) must not send a ``CLOSE`` that
        fails and aborts whatever transaction the session is in by then."""
        tr = self._translated(sql)
        if self._trace is not None:
            self._trace(tr.sql)
        cur = self.raw.cursor()
        if not self.in_transaction:
            with _as_dbapi_errors():
                cur.execute(tr.sql, _params(params, tr))
            while rows := cur.fetchmany(size):
                yield [tuple(r) for r in rows]
            return
        name = f"csp_stream_{next(_STREAMS)}"
        with _as_dbapi_errors():
            cur.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {tr.sql}", _params(params, tr))
            declared_in = self._transaction_id(cur)
        try:
            while True:
                with _as_dbapi_errors():
                    rows = cur.execute(f"FETCH FORWARD {int(size)} FROM {name}").fetchall()
                if not rows:
                    return
                yield [tuple(r) for r in rows]
        finally:
            with contextlib.suppress(psycopg.Error):
                if self.raw.info.transaction_status == TransactionStatus.INTRANS and (
                    self._transaction_id(cur) == declared_in
                ):
                    cur.execute(f"CLOSE {name}")

    @staticmethod
    def _transaction_id(cur: psycopg.Cursor[Any]) -> Any:
        """The session's transaction, by its backend's virtual transaction id (the same until it ends)."""
        row = cur.execute(
            "SELECT virtualtransaction FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'virtualxid'"
        ).fetchone()
        return row[0] if row else None

    # -- state ------------------------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def interrupt(self) -> None:
        """Stop the statement running on this connection (from another thread)."""
        with contextlib.suppress(psycopg.Error, OSError):
            self.raw.cancel_safe(timeout=2)

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        """Closed, or lost (the server restarted, a failover, the network): the store opens a new session."""
        return bool(self.raw.closed or self.raw.broken)


_STREAMS = itertools.count(1)


def _held(value: Any) -> Any:
    """A value as PostgreSQL can hold it: text has no NUL there ("PostgreSQL text fields cannot contain NUL (0x00)
    bytes"), so a NUL in text (a hostile mail, a pasted note) is stored as U+2400, the symbol the console shows
    for it on either engine (console.shared.safe_text)."""
    return value.replace("\x00", NUL_HELD) if isinstance(value, str) and "\x00" in value else value


def _params(params: Sequence[Any] | dict[str, Any], tr: Translated) -> Any:
    if isinstance(params, dict):
        if not tr.named:
            raise sqlite3.ProgrammingError("named parameters given to a statement with ? marks")
        return {k: _held(v) for k, v in params.items()}
    values = [_held(v) for v in params]  # (always a sequence, even empty: psycopg then reads %% as %)
    if len(values) != tr.marks:
        raise sqlite3.ProgrammingError(
            f"Incorrect number of bindings supplied. The current statement uses {tr.marks}, and there are "
            f"{len(values)} supplied."
        )
    return values


@contextlib.contextmanager
def _as_dbapi_errors() -> Iterator[None]:
    """psycopg's errors raised as the sqlite3 module's DB-API classes (the store's ``except`` clauses), each
    keeping PostgreSQL's own as its cause and its SQLSTATE as ``sqlstate``."""
    try:
        yield
    except psycopg.Error as exc:
        raise dbapi_error(exc) from exc


def dbapi_error(exc: psycopg.Error) -> sqlite3.Error:
    kind: type[sqlite3.Error]
    if isinstance(exc, psycopg.IntegrityError):
        kind = sqlite3.IntegrityError
    elif isinstance(exc, (psycopg.OperationalError, pg_errors.LockNotAvailable, pg_errors.QueryCanceled)):
        kind = sqlite3.OperationalError
    elif isinstance(exc, psycopg.ProgrammingError):
        kind = sqlite3.OperationalError  # (sqlite3 says "no such table/column" as an OperationalError)
    elif isinstance(exc, psycopg.DataError):
        kind = sqlite3.DataError
    elif isinstance(exc, psycopg.InterfaceError):
        kind = sqlite3.InterfaceError
    else:
        kind = sqlite3.DatabaseError
    said = (exc.diag.message_primary or str(exc)).strip() if hasattr(exc, "diag") else str(exc)
    error = kind(said)
    setattr(error, "sqlstate", exc.sqlstate)  # noqa: B010 (sqlite3's errors have no such attribute of their own)
    return error
