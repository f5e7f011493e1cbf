"""What a workspace copy (:mod:`console.store.copying`) reads of either engine: the schema's tables as the copy sees
them (:class:`Shape`: columns, key, the full-text tables) and each table's content digest (part of the store: all
SQL lives in this package).

The tables are the schema's own, by the same names on both engines: on SQLite every table of ``sqlite_master``
but SQLite's own (``sqlite_*``) and the FTS5 tables' shadow tables (``ticket_search_data``...); an FTS5 table is
read as ``rowid`` and its columns. On PostgreSQL every base table of the schema but the engine's own
(``csp_columns``, ``csp_sequence``), less the generated columns (the search tables' ``doc``). The AUTOINCREMENT
counters (``sqlite_sequence``; ``csp_sequence`` on PostgreSQL, read under SQLite's name by
:mod:`console.store.pg_sql`) are one more table, :data:`SEQUENCE`.

A digest is SHA-256 over a table's rows in key order (text keys in byte order on both engines: ``COLLATE
BINARY`` on SQLite, ``COLLATE "C"`` on PostgreSQL), each row the JSON array of its values as text, the columns in
the order of their lower-cased names (:func:`as_text`): the same rows give the same digest on either engine.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from console.store.base import Base
from console.store.pg_sql import NUL_HELD

#: The tables FTS5 keeps an FTS5 table in (``NAME_data``...), left to FTS5: the copy inserts the rows themselves.
SHADOW = ("_config", "_content", "_data", "_docsize", "_idx")
#: PostgreSQL's engine tables: the spellings of the columns and the AUTOINCREMENT counters (as :data:`SEQUENCE`).
ENGINE_TABLES = frozenset({"csp_columns", "csp_sequence", "csp_audited_tx"})
#: The schema's record of its migrations (the target has it from its own migrations; the copy replaces it).
MIGRATIONS_TABLE = "schema_migrations"
BATCH = 2_000


@dataclass(frozen=True)
class Shape:
    """One table as the copy reads and writes it: ``columns`` in the order of their lower-cased names, ``key``
    (the primary key's columns, in the key's order; every column when it has none), ``text`` (the lower-cased
    names of the text columns, known on PostgreSQL: its byte order needs saying per column)."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    text: frozenset[str] = field(default_factory=frozenset)
    search: bool = False
    #: The tables its foreign keys reference (lower-cased): copied before it.
    parents: frozenset[str] = field(default_factory=frozenset)

    def same_as(self, other: Shape) -> bool:
        return _lower(self.columns) == _lower(other.columns) and _lower(self.key) == _lower(other.key)


#: The AUTOINCREMENT counters, read and written by SQLite's name on both engines.
SEQUENCE = Shape("sqlite_sequence", ("name", "seq"), ("name",), frozenset({"name"}))


def _lower(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n.lower() for n in names)


def _shape(
    name: str, columns: list[str], key: list[str], text: set[str], search: bool = False, parents: set[str] | None = None
) -> Shape:
    ordered = tuple(sorted(columns, key=str.lower))
    return Shape(name, ordered, tuple(key) or ordered, frozenset(text), search, frozenset(parents or ()))


def shapes(db: Base) -> dict[str, Shape]:
    """Every table of the schema, by its lower-cased name (:data:`SEQUENCE` not among them), each after the tables
    its foreign keys reference (so rows can be inserted in this order), else by name."""
    found = _pg_shapes(db.conn) if db.engine == "postgresql" else _sqlite_shapes(db.conn)
    waiting = {s.name.lower(): s for s in sorted(found, key=lambda s: s.name.lower())}
    out: dict[str, Shape] = {}
    while waiting:
        ready = [n for n, s in waiting.items() if s.parents <= out.keys() | {n}] or list(waiting)[:1]
        for name in ready:  # (a cycle, which the schema has none of, is taken in name order)
            out[name] = waiting.pop(name)
    return out


def _sqlite_shapes(conn: sqlite3.Connection) -> list[Shape]:
    tables = [
        (str(r[0]), str(r[1] or "")) for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
    ]
    virtual = {name for name, sql in tables if sql.upper().startswith("CREATE VIRTUAL TABLE")}
    shadow = {f"{name}{suffix}" for name in virtual for suffix in SHADOW}
    found = []
    for name, _ in tables:
        if name.startswith("sqlite_") or name in shadow:
            continue
        info = conn.execute(f"SELECT name, pk, hidden FROM pragma_table_xinfo('{name}')").fetchall()
        columns = [str(r[0]) for r in info if not r[2]]  # (not a generated column, nor FTS5's hidden ones)
        if name in virtual:
            found.append(_shape(name, ["rowid", *columns], ["rowid"], set(), search=True))
            continue
        key = [str(r[0]) for r in sorted((r for r in info if r[1]), key=lambda r: int(r[1]))]
        parents = {str(r[0]).lower() for r in conn.execute(f"SELECT \"table\" FROM pragma_foreign_key_list('{name}')")}
        found.append(_shape(name, columns, key, set(), parents=parents))
    return found


_PG_COLUMNS = (
    "SELECT table_name, column_name, data_type, is_generated FROM information_schema.columns "
    "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
)
_PG_KEYS = (
    "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) "
    "WHERE i.indisprimary AND c.relnamespace = current_schema()::regnamespace "
    "ORDER BY c.relname, array_position(i.indkey, a.attnum)"
)
_PG_PARENTS = (
    "SELECT c.relname, p.relname FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid "
    "JOIN pg_class p ON p.oid = f.confrelid WHERE f.contype = 'f' AND c.relnamespace = current_schema()::regnamespace"
)
_PG_TEXT = frozenset({"text", "character varying", "character"})


def _pg_shapes(conn: sqlite3.Connection) -> list[Shape]:
    tables = {
        str(r[0])
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE'"
        )
    } - ENGINE_TABLES
    columns: dict[str, list[str]] = {t: [] for t in tables}
    text: dict[str, set[str]] = {t: set() for t in tables}
    search: set[str] = set()
    for table, column, kind, generated in conn.execute(_PG_COLUMNS).fetchall():
        if table not in tables:
            continue
        if generated == "ALWAYS":
            search.add(table)  # (the search tables' tsvector: PostgreSQL makes it from the row)
            continue
        columns[table].append(str(column))
        if kind in _PG_TEXT:
            text[table].add(str(column).lower())
    keys: dict[str, list[str]] = {t: [] for t in tables}
    for table, column in conn.execute(_PG_KEYS).fetchall():
        if table in keys:
            keys[table].append(str(column))
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for table, parent in conn.execute(_PG_PARENTS).fetchall():
        if table in parents:
            parents[table].add(str(parent))
    return [_shape(t, columns[t], keys[t], text[t], t in search, parents[t]) for t in tables]


# -- reading ---------------------------------------------------------------------------------------
def select(db: Base, shape: Shape, *, upto: int | None = None) -> tuple[str, tuple[Any, ...]]:
    """The statement reading ``shape``'s rows in key order (text in byte order on both engines); ``upto``: only
    the rows whose (single, integer) key is at most that."""
    if db.engine == "postgresql":
        order = [f'{k} COLLATE "C"' if k.lower() in shape.text else k for k in shape.key]
    else:
        order = [f"{k} COLLATE BINARY" for k in shape.key]
    where, params = (f" WHERE {shape.key[0]} <= ?", (upto,)) if upto is not None else ("", ())
    return f"SELECT {', '.join(shape.columns)} FROM {shape.name}{where} ORDER BY {', '.join(order)}", params


def batches(db: Base, shape: Shape, *, upto: int | None = None) -> Iterator[list[tuple[Any, ...]]]:
    """``shape``'s rows in key order, :data:`BATCH` at a time."""
    sql, params = select(db, shape, upto=upto)
    yield from db.dialect.batches(db.conn, sql, params, BATCH)


def has_rows(db: Base, shape: Shape) -> bool:
    return db.conn.execute(f"SELECT 1 FROM {shape.name} LIMIT 1").fetchone() is not None


# -- digests ---------------------------------------------------------------------------------------
def as_text(value: Any) -> str | None:
    """A stored value as text, the same on both engines: NULL stays ``None``; a number in its shortest form (a
    whole float as an integer: ``2.0`` -> ``2``); bytes as ``\\x`` and hex; a NUL in text as PostgreSQL holds it
    (:data:`~console.store.pg_sql.NUL_HELD`), so a copy between the engines compares equal."""
    if value is None:
        return value
    if isinstance(value, str):
        return value.replace("\x00", NUL_HELD)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    return str(value)


class Digest:
    """A table's running digest: its rows counted and hashed in the order they are added."""

    def __init__(self) -> None:
        self.rows = 0
        self._sha = hashlib.sha256()

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            line = json.dumps([as_text(v) for v in row], ensure_ascii=False, separators=(",", ":"))
            self._sha.update(line.encode("utf-8", "surrogatepass") + b"\n")
        self.rows += len(rows)

    @property
    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def table_digest(db: Base, shape: Shape, *, upto: int | None = None) -> Digest:
    digest = Digest()
    for batch in batches(db, shape, upto=upto):
        digest.add(batch)
    return digest


def digests(db: Base, *, audit_upto: int | None = None) -> dict[str, tuple[int, str]]:
    """Every table's (rows, digest), by lower-cased name, and the counters' as ``sqlite_sequence``;
    ``audit_upto``: the audit log's rows up to that id only (a copy's own rows after them left out)."""
    out = {}
    for name, shape in [*shapes(db).items(), (SEQUENCE.name, SEQUENCE)]:
        found = table_digest(db, shape, upto=audit_upto if name == "audit_log" else None)
        out[name] = (found.rows, found.hexdigest)
    return out
