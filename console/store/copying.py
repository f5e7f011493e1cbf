"""A whole workspace copied into a new one, on either engine (``csp-console workspace copy FROM TO``, issue 22):
a SQLite file into a PostgreSQL database and back, or file to file, database to database (part of the store: all
SQL lives in this package).

Everything is copied as it is: every table of the schema with every row (:mod:`console.store.copy_shapes`), the
audit log with its ids and hashes, the AUTOINCREMENT counters (``sqlite_sequence`` / ``csp_sequence``: the chain's
end check holds on the copy), the search tables (an FTS5 table filled by inserting ``rowid`` and its columns; on
PostgreSQL ``doc`` is generated from them), the rollups and the directory as the source has them, and the record
of the schema's migrations. On PostgreSQL the identity columns then restart past the copied ids.

The target is a new workspace (a file that is not there yet, or an empty database), opened and migrated to this
console's schema by :meth:`Workspace.open`; a source at another schema version is refused. The copy is one
transaction on the target, taken with the write lock, its triggers dropped for it (the rollups', the search
tables', the plugin events' and the first contact's would count every row again) and made again before it
commits; the source is read in one snapshot. Before the commit every table's row count and digest are read back
from the target and compared with the source's, an audit row says where the copy came from (never a password:
:attr:`Base.location`), and the chain is verified: any difference rolls everything back (a new target file is
removed; a database is left as empty as it was).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.shared.errors import WorkspaceError
from console.store import audit_chain
from console.store import copy_shapes as cs
from console.store.base import Base
from console.store.migrations import MIGRATIONS
from console.store.pg_url import is_database_url


class CopyRefused(WorkspaceError):
    """The copy was not started: the target holds a workspace, or the source is at another schema version."""


class CopyFailed(WorkspaceError):
    """The copy did not come out the same as its source (a count or a digest, the chain): nothing was kept."""


@dataclass(frozen=True)
class TableCopied:
    """One table: the rows copied, the source's digest, and whether the target's read back the same."""

    name: str
    rows: int
    digest: str
    same: bool

    def to_json(self) -> dict[str, Any]:
        return {"table": self.name, "rows": self.rows, "sha256": self.digest, "same": self.same}


@dataclass
class CopyReport:
    """What a copy did and found: the tables (the counters last, as ``sqlite_sequence``), the chain on the target
    (its own new row included), the time taken."""

    source: str
    target: str
    source_engine: str
    target_engine: str
    schema_version: int
    tables: list[TableCopied] = field(default_factory=list)
    chain: audit_chain.ChainReport = field(default_factory=audit_chain.ChainReport)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def digests_ok(self) -> bool:
        return all(t.same for t in self.tables)

    @property
    def chain_ok(self) -> bool:
        return self.chain.intact

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "fromEngine": self.source_engine,
            "toEngine": self.target_engine,
            "schemaVersion": self.schema_version,
            "tables": len(self.tables),
            "rows": self.rows,
            "digestsOk": self.digests_ok,
            "chainOk": self.chain_ok,
            "chain": self.chain.to_json(),
            "seconds": round(self.seconds, 3),
            "perTable": [t.to_json() for t in self.tables],
        }


# -- before the copy -------------------------------------------------------------------------------
def schema_version_at(at: Path | str) -> int:
    """The schema version of the workspace at ``at``, read without opening it as a workspace (which would
    migrate it): 0 for a file or database that holds none. A missing file is a :class:`WorkspaceError`."""
    if not is_database_url(at) and not Path(at).exists():
        raise WorkspaceError(f"{at}: no workspace here")
    base = Base(at)
    try:
        return _version(base.conn)
    finally:
        base.close()


def _version(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except sqlite3.OperationalError:  # (no such table: not a workspace)
        return 0
    return int(row[0] or 0) if row else 0


def check_version(location: str, version: int) -> None:
    """Refuse a source at another schema version than this console's."""
    latest = len(MIGRATIONS)
    if version == latest:
        return
    if version == 0:
        raise CopyRefused(f"{location}: holds no workspace (no schema) to copy")
    hint = (
        "open it once with this console to upgrade it" if version < latest else "copy it with the console that made it"
    )
    raise CopyRefused(f"{location}: schema version {version}, this console's is {latest}; {hint}, then copy it")


def _refuse_filled(target: Base, shapes: dict[str, cs.Shape]) -> None:
    filled = [name for name, shape in shapes.items() if name != cs.MIGRATIONS_TABLE and cs.has_rows(target, shape)] + (
        ["sqlite_sequence"] if cs.has_rows(target, cs.SEQUENCE) else []
    )
    if filled:
        named = ", ".join(filled[:3]) + (f" and {len(filled) - 3} more" if len(filled) > 3 else "")
        raise CopyRefused(
            f"{target.location}: not empty ({named} hold rows); a copy goes into a new workspace "
            "(a file not there yet, or an empty database)"
        )


def _refuse_other_schema(source: dict[str, cs.Shape], target: dict[str, cs.Shape], where: str) -> None:
    differ = sorted(set(source) ^ set(target)) or [n for n in source if not source[n].same_as(target[n])]
    if differ:
        raise CopyRefused(f"{where}: the schema differs from the source's ({', '.join(differ[:5])})")


def _refuse_used(target_at: Path | str) -> None:
    """Refuse, before it is opened as a workspace (which would migrate whatever is there), a target that holds
    anything but this console's own empty schema: another desk at an older schema version, another application's
    tables, a file that is not a workspace. (An empty workspace at this version is checked for rows later.)"""
    if not is_database_url(target_at):
        path = Path(target_at)
        if not path.exists() or (path.is_file() and path.stat().st_size == 0):
            return
        if not path.is_file():
            raise CopyRefused(f"{path}: not a file; a copy goes into a new file or an empty database")
    probe = Base(target_at)
    try:
        version = _version(probe.conn)
        tables = _tables(probe)
    finally:
        probe.close()
    if tables and version != len(MIGRATIONS):
        what = f"a workspace at schema version {version}" if version else f"{tables} tables of something else"
        raise CopyRefused(f"{probe.location}: holds {what}; a copy goes into a new file or an empty database")


def _tables(probe: Base) -> int:
    if probe.engine == "postgresql":
        sql = "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
    return int(probe.conn.execute(sql).fetchone()[0])


# -- the copy --------------------------------------------------------------------------------------
def copy_to(source: Base, target_at: Path | str, *, agent: str) -> CopyReport:
    """Copy the workspace ``source`` into a new one at ``target_at`` (created and migrated here), as ``agent``;
    on any failure a target file this made is removed (a database keeps only its empty tables)."""
    from console.store.workspace import Workspace

    made = None if is_database_url(target_at) else Path(target_at)
    if made is not None and made.exists():
        made = None  # (not ours to remove: refused below, or not a workspace at all)
    started = time.perf_counter()
    _refuse_used(target_at)  # (before opening it as a workspace, which would migrate whatever is there)
    try:
        target = Workspace.open(target_at)
        try:
            report = copy_into(source, target, agent=agent)
        finally:
            target.close()
    except BaseException:
        if made is not None:
            for suffix in ("", "-wal", "-shm"):
                with suppress(OSError):
                    Path(f"{made}{suffix}").unlink(missing_ok=True)
        raise
    report.seconds = time.perf_counter() - started  # (the target's creation and migrations included)
    return report


def copy_into(source: Base, target: Base, *, agent: str) -> CopyReport:
    """Copy every row of ``source`` into the empty workspace ``target`` in one transaction on the target, then
    check it (counts, digests, the chain) before committing; :class:`CopyFailed` rolls it all back."""
    started = time.perf_counter()
    check_version(source.location, _version(source.conn))
    check_version(target.location, _version(target.conn))
    shapes, theirs = cs.shapes(source), cs.shapes(target)
    _refuse_other_schema(shapes, theirs, target.location)
    report = CopyReport(source.location, target.location, source.engine, target.engine, len(MIGRATIONS))
    # (the bulk memory outside the transaction: set back after a rollback too)
    with _snapshot(source), target.dialect.bulk_memory(target.conn), target.transaction() as conn:
        _refuse_filled(target, theirs)  # (under the write lock: no other writer fills it meanwhile)
        triggers = _drop_triggers(target, theirs)
        indexes = [sql for name in theirs for sql in target.dialect.drop_indexes(conn, name)]
        conn.execute(f"DELETE FROM {cs.MIGRATIONS_TABLE}")
        copied = {name: _copy_table(source, target, shape) for name, shape in shapes.items()}
        conn.execute("DELETE FROM sqlite_sequence")
        copied[cs.SEQUENCE.name] = _copy_table(source, target, cs.SEQUENCE)
        for statement in indexes:
            conn.execute(statement)
        for statement in triggers:
            target.dialect.schema(conn, statement)
        report.tables = _read_back(target, {**theirs, cs.SEQUENCE.name: cs.SEQUENCE}, copied)
        if not report.digests_ok:
            differ = [t.name for t in report.tables if not t.same]
            raise CopyFailed(f"{target.location}: the copy differs from the source in {', '.join(differ)}")
        detail = {"from": source.location, "fromEngine": source.engine, "tables": len(shapes), "rows": report.rows}
        target.audit(agent, "workspace.copy", "workspace", target.location, detail)
        if target.engine == "postgresql":  # (after the copy's own audit row too)
            _restart_identities(conn)
        report.chain = audit_chain.verify(conn)
        if not report.chain_ok:
            raise CopyFailed(
                f"{target.location}: the copied audit chain does not verify ({report.chain.breaks[0].what})"
            )
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _snapshot(source: Base) -> Iterator[None]:
    """The source read in one snapshot (writers on it go on; the copy sees none of their changes)."""
    conn = source.conn
    conn.execute(source.dialect.read_snapshot)
    try:
        yield
    finally:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _drop_triggers(target: Base, shapes: dict[str, cs.Shape]) -> list[str]:
    """Drop every trigger of the schema (inside the copy's transaction); the statements that make them again.
    (PostgreSQL's own AUTOINCREMENT counters' triggers stay: they only ever raise a counter, and the counters are
    then copied.)"""
    conn, dropped = target.conn, []
    for table in shapes:
        for name, sql in target.dialect.triggers_on(conn, table).items():
            target.dialect.drop_trigger(conn, name, table)
            dropped.append(sql)
    return dropped


def _copy_table(source: Base, target: Base, shape: cs.Shape) -> cs.Digest:
    """Every row of ``shape`` from the source into the target, in key order; the source's digest of them. A row
    the target refuses (a text PostgreSQL cannot hold, a broken foreign key) is :class:`CopyFailed`, naming it."""
    digest = cs.Digest()
    insert = target.dialect.insert(shape.name, shape.columns)
    for batch in cs.batches(source, shape):
        try:
            target.conn.executemany(insert, batch)
        except sqlite3.Error as exc:
            said = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            first = digest.rows + 1
            raise CopyFailed(
                f"{target.location}: the copy stopped at {shape.name} (rows {first} to {first + len(batch) - 1} "
                f"of the source's: {said}); nothing was kept"
            ) from exc
        digest.add(batch)
    return digest


def _restart_identities(conn: sqlite3.Connection) -> None:
    """PostgreSQL: every identity column's sequence set past the highest id copied (the next row gets the one
    after it, as SQLite's ``INTEGER PRIMARY KEY`` would give)."""
    rows = conn.execute(
        "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attidentity <> '' "
        "AND NOT a.attisdropped"
    ).fetchall()
    for table, column in rows:
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?), coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)",
            (str(table), str(column)),
        )


def _read_back(target: Base, shapes: dict[str, cs.Shape], copied: dict[str, cs.Digest]) -> list[TableCopied]:
    """Each table's rows read back from the target (inside the copy's transaction) against the source's."""
    out = []
    for name, source in copied.items():
        found = cs.table_digest(target, shapes[name])
        same = found.rows == source.rows and found.hexdigest == source.hexdigest
        out.append(TableCopied(shapes[name].name, source.rows, source.hexdigest, same))
    return out
