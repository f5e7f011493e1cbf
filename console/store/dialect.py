"""What is SQLite about the store, in one place: opening a file (WAL, busy timeout, foreign keys), the write
lock, the change counter the consoles poll, interrupting a query, and the SQL fragments the repositories
build their statements from (upserts, "insert unless present", full-text matches, planner hints).

The repositories write plain SQL with ``?`` parameters and ask the dialect for anything else. A second
database (PostgreSQL) is a second class with the same methods; the schema itself (``migrations/``, the
rollups' triggers, the full-text tables) is the SQLite dialect's and would come with its own migrations.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from console.shared.errors import WorkspaceError
from console.shared.faults import fault_sentence, is_busy
from console.shared.private_files import create_private, private_dir

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
#: The page cache of a bulk load (the demo, an import into a new workspace), in KiB.
BULK_CACHE_KIB = 256 * 1024
#: Pages in the write-ahead log past which the commit that crosses it copies them back into the file. A
#: console keeps the log far below it (:meth:`SqliteDialect.checkpoint`, every couple of seconds, on a
#: background thread); SQLite's default of 1,000 made every ~50th claim write ~1,000 scattered pages back and
#: wait for the disk, which was five sixths of a claim's time (issue 23).
AUTOCHECKPOINT_PAGES = 10_000


#: The SQL function the door guard's triggers call (migration 31): only the console's connections define it.
DOOR_FUNCTION = "csp_door"


def _door_open() -> int:
    """``csp_door()``: defined only on the console's connections (migration 31, ``door_guard``)."""
    return 1


class Fragments:
    """The SQL fragments both engines spell alike (the parameter marks are ``?`` on both: PostgreSQL's are made by
    console.store.pg_sql); each dialect adds its own (full-text matches, planner hints, date arithmetic)."""

    @staticmethod
    def marks(count: int) -> str:
        """``count`` parameter marks, comma-separated (for ``IN (...)`` and ``VALUES (...)``)."""
        return ",".join("?" * count)

    def insert(self, table: str, columns: Sequence[str], verb: str = "INSERT") -> str:
        return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"

    def upsert(
        self, table: str, columns: Sequence[str], key: str, *, update: Sequence[str] | None = None, also: str = ""
    ) -> str:
        """Insert ``columns`` or, when the row with this ``key`` exists, update the ``update`` columns (every
        other column by default) and run ``also`` (a further assignment such as ``version = version + 1``)."""
        chosen = [c for c in columns if c != key] if update is None else update
        also = self.own_columns(table, also) if also else ""
        updates = ", ".join([*(f"{c} = excluded.{c}" for c in chosen), *([also] if also else [])])
        return f"{self.insert(table, columns)} {self.upsert_set(key, updates)}"

    def upsert_set(self, key: str, assignments: str) -> str:
        """The clause after an ``INSERT``: on a row with this ``key`` already, ``assignments`` (``excluded.c``
        is the value offered)."""
        return f"ON CONFLICT({key}) DO UPDATE SET {assignments}"

    def own_columns(self, table: str, assignments: str) -> str:
        """``assignments`` of an upsert's update as the engine reads them (SQLite: as written)."""
        return assignments

    @staticmethod
    def values_list(rows: Iterable[object]) -> str:
        """``(?), (?), ...``: one single-column row per item, for a ``WITH m(x) AS (VALUES ...)``."""
        return ", ".join("(?)" for _ in rows)


class SqliteDialect(Fragments):
    """SQLite 3 (the workspace file)."""

    name = "sqlite"
    #: ``INSERT`` that skips a row whose key is already there.
    insert_or_ignore = "INSERT OR IGNORE"
    #: ``INSERT`` that replaces a row whose key is already there.
    insert_or_replace = "INSERT OR REPLACE"
    #: The table of the ``AUTOINCREMENT`` counters (the highest id given out per table), as people are told of it.
    counters = "sqlite_sequence"
    #: After a read in a write transaction: lock the rows read for the rest of it (SQLite's one writer holds
    #: the whole file already).
    for_update = ""
    #: After the pick of "next" (the first unassigned ticket of a view): lock it, passing over rows other
    #: transactions have locked (nothing on SQLite: the pick runs under the one write lock).
    skip_locked = ""
    #: A read-only transaction that sees one snapshot throughout (WAL: the snapshot of its first read, writers
    #: going on): a walk of the audit chain, the source of a copy.
    read_snapshot = "BEGIN"

    # -- connections -----------------------------------------------------------------------------
    def batches(self, conn: sqlite3.Connection, sql: str, params: Sequence[Any], size: int) -> Iterator[list[Any]]:
        """A query's rows ``size`` at a time (SQLite steps through them as they are fetched)."""
        cursor = conn.execute(sql, params)
        while batch := cursor.fetchmany(size):
            yield [tuple(row) for row in batch]

    def read_only(self, conn: sqlite3.Connection) -> None:
        """Make the session refuse every write ("attempt to write a readonly database")."""
        conn.execute("PRAGMA query_only = ON")

    def connect(self, path: Path | str) -> sqlite3.Connection:
        """Open (creating if needed, mode 0600) the SQLite file at ``path`` with the workspace's pragmas.

        The connection is in autocommit mode; writes go through :meth:`begin` / :meth:`commit`.
        """
        target = Path(path)
        memory = str(path) == ":memory:"
        if not memory:  # a new workspace is its owner's alone (0600; SQLite gives -wal and -shm the same mode)
            with contextlib.suppress(OSError):  # a folder it cannot write: SQLite's own error says so below
                private_dir(target.parent)
                create_private(target)
        try:
            conn = sqlite3.connect(
                str(target), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
            conn.row_factory = sqlite3.Row
            conn.create_function(DOOR_FUNCTION, 0, _door_open)  # the guarded tables' triggers ask for it
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not memory:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise WorkspaceError(f"{target}: cannot switch to WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
        except sqlite3.DatabaseError as exc:
            said = fault_sentence(exc, None if memory else target)
            raise WorkspaceError(said or f"{target}: not a usable SQLite workspace ({exc})") from exc
        return conn

    @staticmethod
    def scratch(path: Path | str) -> sqlite3.Connection:
        """A private SQLite file for scratch work (an import's staging file): SQLite on either engine, no
        durability (rebuilt from the input if lost), a journal in memory for savepoints."""
        conn = sqlite3.connect(str(path), isolation_level=None)
        conn.execute("PRAGMA journal_mode = MEMORY")
        conn.execute("PRAGMA synchronous = OFF")
        return conn

    def schema(self, conn: sqlite3.Connection, statement: str) -> None:
        """Run a schema statement written in SQLite's spelling (a trigger, a table) on ``conn``."""
        conn.execute(statement)

    @staticmethod
    def fts_arg(expression: str) -> str:
        """The parameter of :meth:`fts_match` / :meth:`fts_rowids` for an FTS5 match expression."""
        return expression

    def triggers_on(self, conn: sqlite3.Connection, table: str) -> dict[str, str]:
        """The triggers on ``table``: name -> the statement that made it."""
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,))
        return {str(name): str(sql) for name, sql in rows}

    def drop_trigger(self, conn: sqlite3.Connection, name: str, table: str) -> None:
        conn.execute(f'DROP TRIGGER "{name.replace(chr(34), chr(34) * 2)}"')

    def begin(self, conn: sqlite3.Connection, *, immediate: bool = True, rows: bool = False) -> None:
        """Start a write transaction: ``BEGIN IMMEDIATE`` takes the write lock at once, so writers queue on the
        busy timeout instead of failing midway. ``rows`` (a claim, which locks the ticket it writes) is
        PostgreSQL's: SQLite has one writer at a time whatever the transaction."""
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    def one_at_a_time(self, conn: sqlite3.Connection) -> None:
        """Before a transaction's first write: from here to its commit it writes alone (a claim's reads and pick
        may run beside others' on PostgreSQL; on SQLite the write lock has made every write transaction so)."""

    def is_deadlock(self, error: BaseException | None) -> bool:
        """Whether the engine broke a deadlock by refusing this transaction (SQLite's one writer meets none)."""
        return False

    def commit(self, conn: sqlite3.Connection) -> None:
        conn.execute("COMMIT")

    def rollback(self, conn: sqlite3.Connection) -> None:
        conn.execute("ROLLBACK")

    @contextmanager
    def patience(self, conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
        """Within the block, ``conn`` waits at most ``seconds`` for another connection's lock (a write that
        may as well give way, :meth:`is_busy`), then the usual busy timeout again."""
        conn.execute(f"PRAGMA busy_timeout = {max(0, int(seconds * 1000))}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def is_busy(self, error: BaseException | None) -> bool:
        """Whether ``error`` is another connection holding the lock (``database is locked``), or the
        :class:`~console.shared.faults.WorkspaceBusy` said after the retries."""
        return is_busy(error)

    def giving_way(self, conn: sqlite3.Connection) -> bool:
        """Whether ``conn`` is inside :meth:`patience` (its busy timeout shorter than the usual)."""
        return int(conn.execute("PRAGMA busy_timeout").fetchone()[0]) < BUSY_TIMEOUT_MS

    def watcher(self, path: Path | str) -> sqlite3.Connection:
        """The one connection the change counter is read on (it is per connection in SQLite). Read on the
        screen's thread: it never waits for another process's lock."""
        watch = self.connect(path)
        watch.execute("PRAGMA busy_timeout = 0")
        return watch

    def data_version(self, watch: sqlite3.Connection) -> int:
        """A number that changes whenever any connection commits a change to the file."""
        return int(watch.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def bulk_memory(self, conn: sqlite3.Connection) -> Iterator[None]:
        """Within the block ``conn`` keeps up to :data:`BULK_CACHE_KIB` of pages in memory (SQLite's default is
        2 MiB): a bulk load's index builds sort in memory and its inserts find their pages."""
        before = int(conn.execute("PRAGMA cache_size").fetchone()[0])
        conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA cache_size = {before}")

    def drop_indexes(self, conn: sqlite3.Connection, table: str) -> list[str]:
        """Drop the indexes made by ``CREATE INDEX`` on ``table`` (inside the caller's transaction); return the
        statements that build them again."""
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
            "ORDER BY name",
            (table,),
        ).fetchall()
        for name, _ in rows:
            conn.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in rows]

    def checkpoint(self, conn: sqlite3.Connection) -> tuple[int, int]:
        """Copy what the write-ahead log holds back into the file without waiting for (or blocking) anyone:
        ``(frames in the log, frames copied)``."""
        _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames), int(copied)

    def analyze(self, conn: sqlite3.Connection) -> None:
        """Refresh the query planner's statistics (every index, all rows)."""
        conn.execute("PRAGMA analysis_limit = 0")
        conn.execute("ANALYZE")

    def is_interrupted(self, error: BaseException | None) -> bool:
        """Whether ``error`` is a query stopped by ``conn.interrupt()``."""
        return isinstance(error, sqlite3.OperationalError) and "interrupt" in str(error)

    def within(self, conn: sqlite3.Connection, seconds: float, read: Callable[[], T]) -> T | None:
        """``read()`` on ``conn``, stopped once it has run ``seconds``: its result, or ``None`` when it took
        longer or failed."""
        deadline = time.perf_counter() + seconds
        conn.set_progress_handler(lambda: time.perf_counter() > deadline, 2000)
        try:
            return read()
        except sqlite3.Error:
            return None
        finally:
            conn.set_progress_handler(None, 0)

    # -- SQL fragments -----------------------------------------------------------------------------
    @staticmethod
    def greatest(a: str, b: str) -> str:
        """The larger of two SQL values."""
        return f"max({a}, {b})"

    @staticmethod
    def hours_between(start: str, end: str) -> str:
        """Hours from timestamp ``start`` to ``end`` (both ISO text), as a real number."""
        return f"(julianday({end}) - julianday({start})) * 24"

    @staticmethod
    def indexed_by(index: str) -> str:
        """A hint after a table name: read it through ``index``."""
        return f" INDEXED BY {index}"

    @staticmethod
    def not_driving(expression: str) -> str:
        """``expression`` such that the planner does not drive the query by an index on it."""
        return f"+{expression}"

    @staticmethod
    def fts_match(index: str) -> str:
        """The full-text condition on ``index`` (one parameter: the match expression)."""
        return f"{index} MATCH ?"

    @staticmethod
    def fts_rowids(index: str) -> str:
        """The ticket numbers a full-text match on ``index`` finds (one parameter)."""
        return f"SELECT rowid FROM {index} WHERE {index} MATCH ?"

    @staticmethod
    def like_escaped(column: str) -> str:
        """``column`` contains the parameter, with ``\\`` escaping ``%`` and ``_``."""
        return f"{column} LIKE ? ESCAPE '\\'"


SQLITE = SqliteDialect()
