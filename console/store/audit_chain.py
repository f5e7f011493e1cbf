"""The audit log's hash chain (part of the store: all SQL lives in this package).

Each row of ``audit_log`` carries ``hash``: SHA-256 (hex) over its canonical content, which includes the
previous row's hash (:func:`row_hash`). Ids are given out one after the other (``AUTOINCREMENT``: an id is never
used twice, and SQLite keeps the last one given out in ``sqlite_sequence``), so a row removed from the middle
leaves a gap and rows removed at the end leave ``sqlite_sequence`` ahead of the last id. :func:`verify` walks the
chain a batch of rows at a time (never the whole log in memory) and checks the two triggers that make the
database refuse updates and deletes.

What it cannot see: whoever can write the file and knows this algorithm can rewrite rows and recompute every
hash after them (and ``sqlite_sequence``); the chain then verifies. Only a copy kept elsewhere (the syslog
mirror, a backup) shows that. The chain makes a change with ``sqlite3`` visible; it does not make it impossible.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from console.store.base import dialect_of
from console.store.pg_sql import NUL_HELD

#: The triggers that make the audit log append-only, exactly as the console creates them (migrations 8 and 28).
TRIGGERS = {
    "audit_log_no_update": (
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    ),
    "audit_log_no_delete": (
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    ),
}
#: The columns a row's hash covers, in order (then the previous row's hash).
CHAINED = ("id", "at", "agent", "action", "entity", "entityId", "detail")
#: How many breaks one walk keeps (a log rewritten from its first row would otherwise give one per row).
MAX_BREAKS = 100
_BATCH = 5_000
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode


def row_hash(values: tuple[Any, ...], previous: str) -> str:
    """SHA-256 (hex) of a row's :data:`CHAINED` values and the previous row's hash ("" for the first row): the
    UTF-8 of the JSON array ``[id, at, agent, action, entity, entityId, detail, previous]`` (ASCII only, no
    spaces). Raises ``TypeError``/``ValueError`` for a value SQLite holds but the console never writes (a
    blob)."""
    return hashlib.sha256(_encode([*values, previous]).encode("ascii")).hexdigest()


def as_stored(value: Any) -> Any:
    """A value as a TEXT column gives it back (the hash covers what is stored, not what was bound); a NUL as both
    engines store it in the audit (:data:`~console.store.pg_sql.NUL_HELD`: PostgreSQL's text holds none)."""
    if value is None:
        return value
    return (value if isinstance(value, str) else str(value)).replace("\x00", NUL_HELD)


#: The chain's head (the last row's id and hash) and the last id given out, in one read.
HEAD = (
    "SELECT (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1), (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1),"
    " (SELECT seq FROM sqlite_sequence WHERE name = 'audit_log')"
)


def append(
    conn: sqlite3.Connection, at: str, agent: str, action: str, entity: str, entity_id: str, detail: str
) -> tuple[int, str]:
    """Append one chained row inside the caller's write transaction (which holds the write lock from its start:
    appends are serial); its id and hash. The previous row is read by the primary key (one step of the index),
    and the id is the one after the last given out, so a gap left by removed rows stays a gap."""
    last_id, last_hash, given = conn.execute(HEAD).fetchone()  # one read (on PostgreSQL one round trip)
    row_id = max(int(last_id or 0), int(given or 0)) + 1
    values = (row_id, at, *(as_stored(v) for v in (agent, action, entity, entity_id)), detail)
    digest = row_hash(values, str(last_hash or ""))
    conn.execute(
        "INSERT INTO audit_log (id, at, agent, action, entity, entityId, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (*values, digest),
    )
    return row_id, digest


def chain_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Rows of :data:`CHAINED` values in id order, each with its hash appended (the migration's fill)."""
    previous = ""
    for row in rows:
        values = (row[0], row[1], *(as_stored(v) for v in row[2:6]), as_stored(row[6]))
        previous = row_hash(values, previous)
        yield (*values, previous)


@dataclass(frozen=True)
class Break:
    """One place where the audit log is not as the console wrote it.

    ``kind``: ``changed`` (row ``first`` is not what was written), ``missing`` (rows ``first``..``last`` are gone;
    ``at_end`` when no row follows them), ``counter`` (``sqlite_sequence`` lost or moved back), ``trigger`` (a
    trigger missing, changed, or one the console did not create). ``at``: the time of the row concerned (for
    missing rows, of the row before them)."""

    kind: str
    first: int
    last: int
    at: str | None
    what: str
    key: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChainReport:
    """What a walk found: how many rows, the last id, and the breaks in id order (triggers last; at most
    :data:`MAX_BREAKS`; ``more`` when there were more)."""

    rows: int = 0
    last_id: int = 0
    breaks: list[Break] = field(default_factory=list)
    more: bool = False

    @property
    def intact(self) -> bool:
        return not self.breaks

    def add(self, found: Break) -> None:
        if len(self.breaks) < MAX_BREAKS:
            self.breaks.append(found)
        else:
            self.more = True

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "lastId": self.last_id,
            "more": self.more,
            "breaks": [b.to_json() for b in self.breaks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChainReport:
        return cls(int(data["rows"]), int(data["lastId"]), [Break(**b) for b in data["breaks"]], bool(data["more"]))


def verify(conn: sqlite3.Connection) -> ChainReport:
    """Walk the whole chain in id order (a batch at a time, read in one transaction so concurrent appends do
    not move the end under the walk), then check ``sqlite_sequence`` and the triggers."""
    report = ChainReport()
    own = not conn.in_transaction
    if own:
        conn.execute(dialect_of(conn).read_snapshot)  # one snapshot for the walk and the counter; writers go on
    try:
        previous_id, previous_at = _walk(conn, report)
        _check_end(conn, report, previous_id, previous_at)
        _check_triggers(conn, report)
    finally:
        if own:
            conn.execute("ROLLBACK")
    return report


def _walk(conn: sqlite3.Connection, report: ChainReport) -> tuple[int, str | None]:
    cursor = conn.execute(f"SELECT {', '.join(CHAINED)}, hash FROM audit_log ORDER BY id")
    previous_id, previous_hash, previous_at = 0, "", None
    while batch := cursor.fetchmany(_BATCH):
        for row in batch:
            row_id, at = int(row[0]), row[1]
            if row_id != previous_id + 1:
                report.add(_missing(previous_id + 1, row_id - 1, previous_at, at_end=False))
            else:
                try:
                    actual = row_hash(tuple(row[:-1]), previous_hash)
                except (TypeError, ValueError):
                    actual = "a value the console never writes"
                if actual != row[-1]:
                    report.add(_changed(row_id, at, actual))
            previous_id, previous_hash, previous_at = row_id, str(row[-1] or ""), at
            report.rows += 1
    report.last_id = previous_id
    return previous_id, previous_at


def _check_end(conn: sqlite3.Connection, report: ChainReport, last_id: int, last_at: str | None) -> None:
    given = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    seq = int(given[0]) if given and given[0] is not None else None
    last_at = None if last_at is None else _shown(last_at)
    counters = dialect_of(conn).counters
    if seq is None:
        if last_id:
            what = f"{counters} lost its audit_log row: rows removed at the end can no longer be ruled out"
            report.add(Break("counter", last_id, last_id, last_at, what, "counter:lost"))
    elif seq > last_id:
        report.add(_missing(last_id + 1, seq, last_at, at_end=True))
    elif seq < last_id:
        what = f"{counters} was moved back to {seq}, below the last row's id {last_id}"
        report.add(Break("counter", seq, last_id, last_at, what, f"counter:{seq}:{last_id}"))


def _check_triggers(conn: sqlite3.Connection, report: ChainReport) -> None:
    found: dict[str, str | None] = dict(dialect_of(conn).triggers_on(conn, "audit_log"))
    for name, sql in TRIGGERS.items():
        have = found.pop(name, None)
        if have is None:
            report.add(Break("trigger", 0, 0, None, f"trigger {name} is missing", f"trigger:{name}:missing"))
        elif have != sql:
            what = f"trigger {name} was changed: {_shown(have)}"
            report.add(Break("trigger", 0, 0, None, what, f"trigger:{name}:{_short(str(have))}"))
    for name, other in sorted(found.items()):
        sql = other or ""
        what = f"trigger {_shown(name)} on audit_log is not the console's: {_shown(sql)}"
        report.add(Break("trigger", 0, 0, None, what, f"trigger:{_short(str(name))}:{_short(str(sql))}"))


def restore_triggers(conn: sqlite3.Connection) -> list[str]:
    """Inside the caller's write transaction: drop every trigger on ``audit_log`` that is not one of
    :data:`TRIGGERS` word for word, and create those missing; the names of the triggers created."""
    found: dict[str, str | None] = dict(dialect_of(conn).triggers_on(conn, "audit_log"))
    created = []
    for name, sql in found.items():
        if TRIGGERS.get(name) != sql:
            dialect_of(conn).drop_trigger(conn, name, "audit_log")
    for name, sql in TRIGGERS.items():
        if found.get(name) != sql:
            dialect_of(conn).schema(conn, sql)
            created.append(name)
    return created


def _shown(value: object) -> str:
    """Text from the file (a trigger's SQL, a row's time), as a break says it: whitespace runs as one space, every
    other control or non-ASCII character escaped (``\\u001b``), so no log, toast or terminal runs it."""
    return json.dumps(" ".join(str(value).split()), ensure_ascii=True)[1:-1]


def _short(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def _missing(first: int, last: int, at: object, *, at_end: bool) -> Break:
    rows = f"row {first}" if first == last else f"rows {first} to {last}"
    where = " at the end of the log" if at_end else ""
    what = f"{rows} {'was' if first == last else 'were'} removed{where}"
    return Break("missing", first, last, None if at is None else _shown(at), what, f"missing:{first}-{last}")


def _changed(row_id: int, at: object, actual: str) -> Break:
    """Keyed by what the row holds now: changed again later, it is a new break."""
    what = f"row {row_id} was changed after it was written (its hash does not match its content)"
    shown = None if at is None else _shown(at)
    return Break("changed", row_id, row_id, shown, what, f"changed:{row_id}:{_short(actual)}")


# -- acknowledgements ----------------------------------------------------------------------------
ACKNOWLEDGE = "audit.acknowledge"


def acknowledged(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """Break key -> (who, when) of the acknowledgements in the log (index ``entity, entityId``)."""
    rows = conn.execute(
        "SELECT entityId, agent, at FROM audit_log WHERE entity = 'audit' AND action = ? ORDER BY id", (ACKNOWLEDGE,)
    )
    return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}


def size(conn: sqlite3.Connection) -> int:
    """About how many rows the log holds (its last id: one step of the primary key)."""
    row = conn.execute("SELECT max(id) FROM audit_log").fetchone()
    return int(row[0] or 0)
