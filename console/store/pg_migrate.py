"""The migrations on PostgreSQL: each numbered migration of :mod:`console.store.migrations` is given this
object where on SQLite it gets a :class:`sqlite_utils.Database`: the same few calls (``execute``,
``table(name).create/add_column/create_index``, ``conn``), each statement turned into PostgreSQL's spelling by
:mod:`console.store.pg_ddl`, and every column made recorded with its spelling in ``csp_columns``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import Any

from console.store import pg_ddl
from console.store.pg_conn import Connection, Cursor
from console.store.pg_sql import translate

_TYPES = {int: "BIGINT", str: "TEXT", float: "DOUBLE PRECISION", bytes: "BYTEA", bool: "BIGINT", dict: "TEXT"}
_SKIPPED = re.compile(r"^\s*(PRAGMA\b|ANALYZE\s+\w|VACUUM\b)", re.I)

DOOR_CHECK = (
    "CREATE OR REPLACE FUNCTION csp_door() RETURNS integer LANGUAGE plpgsql AS $door$ BEGIN "
    "IF current_setting('csp.door', true) IS DISTINCT FROM 'on' THEN "
    "RAISE EXCEPTION 'no such function: csp_door' USING ERRCODE = 'insufficient_privilege', "
    "HINT = 'the workspace takes writes only through the console (its sessions set csp.door)'; "
    "END IF; RETURN 1; END $door$"
)
#: The comment of a trigger that is the engine's own (the AUTOINCREMENT counter), not one the SQLite schema has.
ENGINE_TRIGGER = "csp:engine"
CATALOG_TABLE = "CREATE TABLE IF NOT EXISTS csp_columns (name TEXT PRIMARY KEY)"


class PgDatabase:
    """What a migration is given on PostgreSQL (in the migration's transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.conn = self  # (migrations that hold the connection itself get the translating one too)

    @cached_property
    def schema(self) -> str:
        """The schema the migrations make the workspace in (the session's first on its search path)."""
        row = self._conn.execute("SELECT current_schema()").fetchone()
        if row is None or row[0] is None:
            raise RuntimeError("the session has no schema to make the workspace in (its search_path is empty)")
        return str(row[0])

    def prepare(self) -> None:
        """What PostgreSQL needs before the first migration: the door check the guarded tables' triggers call
        (migration 31): only sessions the console opened set ``csp.door`` (console.store.pg_dialect)."""
        self._conn.execute(DOOR_CHECK)

    # -- statements -------------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor | None:
        last = None
        for statement in self._statements(sql):
            last = self._conn.execute(statement, params)
        self._record(sql)
        return last

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        return self._conn.executemany(pg_ddl.expressions(sql, self.primary_key), rows)

    def _statements(self, sql: str) -> list[str]:
        if _SKIPPED.match(sql):
            return []
        for convert in (pg_ddl.fts_table,):
            made = convert(sql)
            if made is not None:
                return made
        made = pg_ddl.trigger(sql, self.primary_key)
        if made is not None:
            return [*made, *_remembered(sql)]
        dropped = pg_ddl.drop_trigger(sql, self.trigger_table)
        if dropped is not None:
            return dropped
        if re.match(r"^\s*(CREATE\s+TABLE|ALTER\s+TABLE)", sql, re.I):
            return [pg_ddl.types(sql), *_counter(sql, self.schema)]
        return [pg_ddl.expressions(sql, self.primary_key)]

    def _record(self, sql: str) -> None:
        names = pg_ddl.columns_of(sql)
        found = re.match(
            r"^\s*CREATE\s+VIRTUAL\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\w+\s+USING\s+fts5\s*\((.*)\)", sql, re.I | re.S
        )
        if found:
            names = [c.strip() for c in pg_ddl.split_top(found.group(1)) if "=" not in c]
        self.record(names)

    def record(self, names: Iterable[str]) -> None:
        spelled = [n for n in names if n != n.lower()]
        if spelled:
            self._conn.execute(CATALOG_TABLE)
            self._conn.executemany(
                "INSERT INTO csp_columns (name) VALUES (?) ON CONFLICT DO NOTHING", [(n,) for n in spelled]
            )

    # -- the schema as it stands --------------------------------------------------------------------
    def primary_key(self, table: str) -> str | None:
        row = self._conn.execute(
            "SELECT string_agg(a.attname, ', ' ORDER BY array_position(i.indkey, a.attnum)) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "AND n.nspname = current_schema() JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indisprimary AND c.relname = ?",
            (table.lower(),),
        ).fetchone()
        return row[0] if row and row[0] else None

    def trigger_table(self, name: str) -> str | None:
        row = self._conn.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = ? "
            "AND NOT t.tgisinternal",
            (name.lower(),),
        ).fetchone()
        return row[0] if row else None

    def table(self, name: str) -> PgTable:
        return PgTable(self, name)


class PgTable:
    """``db.table(name)`` as the migrations use it (sqlite-utils' create, add_column, create_index)."""

    def __init__(self, db: PgDatabase, name: str) -> None:
        self.db = db
        self.name = name

    def create(
        self,
        columns: dict[str, type],
        *,
        pk: str | tuple[str, ...] | None = None,
        not_null: Iterable[str] = (),
        foreign_keys: Iterable[tuple[str, str, str]] = (),
        defaults: dict[str, Any] | None = None,
    ) -> None:
        required, defaults = set(not_null), defaults or {}
        single = pk if isinstance(pk, str) else None
        parts = []
        for column, kind in columns.items():
            if column == single and kind is int:
                parts.append(f"{column} BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
                continue
            part = f"{column} {_TYPES[kind]}"
            part += " PRIMARY KEY" if column == single else ""
            part += " NOT NULL" if column in required else ""
            if column in defaults:
                part += f" DEFAULT {_literal(defaults[column])}"
            parts.append(part)
        if isinstance(pk, tuple):
            parts.append(f"PRIMARY KEY ({', '.join(pk)})")
        for column, other, other_column in foreign_keys:
            parts.append(f"FOREIGN KEY ({column}) REFERENCES {other}({other_column})")
        self.db.execute(f"CREATE TABLE {self.name} ({', '.join(parts)})")

    def add_column(self, name: str, kind: type) -> None:
        self.db.execute(f"ALTER TABLE {self.name} ADD COLUMN {name} {_TYPES[kind]}")

    def create_index(self, columns: Sequence[str], *, unique: bool = False, index_name: str | None = None) -> None:
        name = index_name or f"idx_{self.name}_{'_'.join(columns)}"
        verb = "CREATE UNIQUE INDEX" if unique else "CREATE INDEX"
        self.db.execute(f"{verb} {name} ON {self.name} ({', '.join(columns)})")


_AUTOINCREMENT = re.compile(r"^\s*CREATE\s+TABLE\s+(\w+)\s*\(\s*(\w+)\s+INTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT", re.I)


def _counter(sql: str, schema: str) -> list[str]:
    """For a table ``... INTEGER PRIMARY KEY AUTOINCREMENT``: SQLite's ``sqlite_sequence`` row (the highest id ever
    given out, kept when the last rows go), as ``csp_sequence`` (pg_sql reads one as the other), kept by a
    trigger. Its function runs as the owner, so its ``search_path`` is the schema, then ``pg_temp`` (named last:
    else PostgreSQL searches it first, and an agent's temporary ``csp_sequence`` would stand in for the real one,
    its triggers run as the owner; PostgreSQL's CREATE FUNCTION page, "Writing SECURITY DEFINER Functions
    Safely")."""
    found = _AUTOINCREMENT.match(sql)
    if not found:
        return []
    table, key = found.group(1), found.group(2)
    return [
        "CREATE TABLE IF NOT EXISTS csp_sequence (name TEXT PRIMARY KEY, seq BIGINT)",
        # (as the owner: agents' own roles may not write csp_sequence, console.store.pg_grants)
        f"CREATE OR REPLACE FUNCTION {table}_counter_fn() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        f"SET search_path = {_identifier(schema)}, pg_temp AS $c$ BEGIN "
        f"INSERT INTO csp_sequence (name, seq) VALUES (TG_TABLE_NAME, NEW.{key}) ON CONFLICT (name) DO UPDATE "
        "SET seq = greatest(csp_sequence.seq, EXCLUDED.seq); RETURN NULL; END $c$",
        f"CREATE TRIGGER {table}_counter AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_counter_fn()",
        f"COMMENT ON TRIGGER {table}_counter ON {table} IS '{ENGINE_TRIGGER}'",
    ]


_TRIGGER_NAME = re.compile(r"^\s*CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\b.*?\bON\s+(\w+)\b", re.I | re.S)


def _remembered(sql: str) -> list[str]:
    """The trigger's SQLite text kept as its comment: what :meth:`PostgresDialect.triggers_on` says it is (after
    checking the trigger is still what that text makes, :func:`made_from`), as SQLite keeps it in
    ``sqlite_master``."""
    found = _TRIGGER_NAME.match(sql)
    if not found:
        return []
    return [f"COMMENT ON TRIGGER {found.group(1)} ON {found.group(2)} IS {_literal(sql)}"]


def made_from(sql: str, source: str, definition: str, primary_key: Callable[[str], str | None]) -> bool:
    """Whether a trigger (its function's ``source``, ``pg_get_triggerdef``'s ``definition``) is what the SQLite
    trigger ``sql`` makes (``primary_key``: a table's key, as the migration found it): the same function body as
    the server was given it (:mod:`console.store.pg_sql`'s spelling), and the same timing, events, columns and
    table, with a ``WHEN`` exactly when ``sql`` makes one (PostgreSQL says a condition its own way: its text is
    not compared)."""
    made = pg_ddl.trigger(sql, primary_key) or ["", "", ""]
    sent = translate(made[1], primary_key).sql.replace("%%", "%")  # (psycopg read the doubled % as one)
    found = re.search(r"\$body\$(.*)\$body\$", sent, re.S)
    body = found.group(1) if found else ""
    return _normal(body) == _normal(source) and _shape(made[2]) == _shape(definition)


def _shape(definition: str) -> str:
    text = re.sub(r"\s+WHEN\s+\(.*\)\s+EXECUTE\s+FUNCTION\s", " WHEN EXECUTE FUNCTION ", definition, flags=re.I | re.S)
    text = re.sub(r"\bON\s+(?:\w+\.)?(\w+)\s+FOR\b", r"ON \1 FOR", text, flags=re.I)
    return _normal(text)


_COUNTER_BODY = re.compile(
    r"begin insert into csp_sequence \(name, seq\) values \(tg_table_name, new\.\w+\) on conflict \(name\) do "
    r"update set seq = greatest\(csp_sequence\.seq, excluded\.seq\); return null; end"
)


def is_counter(said: str | None, source: str) -> bool:
    """Whether a trigger is the engine's own AUTOINCREMENT counter (:func:`_counter`): its comment says so and its
    function does only that (a stranger's trigger commented so is still a stranger)."""
    return said == ENGINE_TRIGGER and _COUNTER_BODY.fullmatch(_normal(source)) is not None


def _normal(source: str) -> str:
    return " ".join(source.split()).lower()


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
