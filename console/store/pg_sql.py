"""The repositories' SQL, as PostgreSQL takes it: the few spellings of SQLite's that the store keeps writing
on both engines, turned into PostgreSQL's by one small scanner (cached per statement).

- ``?`` parameter marks become ``%s``, ``:name`` ``%(name)s`` (and every literal ``%``, in strings too, ``%%``),
  as psycopg takes them;
- ``INSERT OR IGNORE INTO t ...`` becomes ``INSERT INTO t ... ON CONFLICT DO NOTHING``;
- ``INSERT OR REPLACE INTO t (a, b) ...`` becomes an upsert on ``t``'s primary key that sets every other column
  given (what SQLite's REPLACE leaves in the row: the new values);
- the scalar ``max(a, b)`` / ``min(a, b)`` (two or more arguments) become ``greatest`` / ``least``;
- ``instr(a, b)`` becomes ``strpos(a, b)``;
- ``sqlite_sequence`` (the AUTOINCREMENT counters) is ``csp_sequence``, kept alike by triggers.

Everything else the repositories write is SQL both engines read alike; what differs beyond this is asked of
the dialect (:class:`console.store.pg_dialect.PostgresDialect`). Text inside quotes is never changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

#: How a NUL in text is stored where text can hold none (PostgreSQL) and hashed and compared on both engines:
#: U+2400, the control picture the console shows for a NUL (console.shared.safe_text).
NUL_HELD = "\u2400"

#: A token of SQL: a quoted string or identifier, a word, a parameter mark, or any other character.
_TOKEN = re.compile(
    r"--[^\n]*|/\*.*?\*/|(\$[A-Za-z_]*\$).*?\1|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[A-Za-z_][A-Za-z0-9_]*|::|"
    r":[A-Za-z_]\w*|\?|%|\s+|.",
    re.S,
)
_INSERT_OR = re.compile(
    r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)", re.I | re.S
)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)


@dataclass(frozen=True)
class Translated:
    """A statement in PostgreSQL's spelling; ``marks``: how many parameters it takes."""

    sql: str
    marks: int
    #: The table a plain single-row ``INSERT`` writes (its generated key is read back as ``lastrowid``).
    inserts_into: str | None
    #: Whether its parameters are named (``:name``, given as a mapping).
    named: bool = False


def translate(sql: str, primary_key: Callable[[str], str | None]) -> Translated:
    """``sql`` in PostgreSQL's spelling; ``primary_key(table)`` names a table's key column (for REPLACE)."""
    return _translate(sql, primary_key)


@lru_cache(maxsize=4096)
def _translate(sql: str, primary_key: Callable[[str], str | None]) -> Translated:
    text, conflict = _insert_or(sql, primary_key)
    out: list[str] = []
    marks, named = 0, False
    tokens = [m.group(0) for m in _TOKEN.finditer(text)]
    for i, token in enumerate(tokens):
        if token == "?":
            out.append("%s")
            marks += 1
        elif token.startswith(":") and token != "::":
            out.append(f"%({token[1:]})s")
            named = True
        elif token == "%":
            out.append("%%")
        elif token.startswith(("'", '"', "--", "/*", "$")) and len(token) > 1:
            # (strings, quoted names, comments and $$ bodies are text: no marks in them; but psycopg reads every %)
            out.append(token.replace("%", "%%"))
        elif token.lower() in ("max", "min") and _scalar_call(tokens, i):
            out.append("greatest" if token.lower() == "max" else "least")
        elif token.lower() == "instr" and _next_word(tokens, i) == "(":
            out.append("strpos")
        elif token.lower() == "sqlite_sequence":
            out.append("csp_sequence")  # (kept as SQLite keeps it: console.store.pg_migrate)
        else:
            out.append(token)
    body = "".join(out)
    if conflict:
        found = _RETURNING.search(body)
        body = f"{body[: found.start()]}{conflict} {body[found.start() :]}" if found else f"{body.rstrip()} {conflict}"
    inserts = re.match(r"\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", body, re.I)
    single = inserts is not None and not _RETURNING.search(body) and not re.search(r"\bSELECT\b", body, re.I)
    return Translated(body, marks, inserts.group(1) if single and inserts else None, named)


def spelled(sql: str) -> str:
    """The function names of ``sql`` in PostgreSQL's spelling (``max(a, b)`` -> ``greatest``, ``instr`` ->
    ``strpos``, ``sqlite_sequence``), nothing else: for a trigger's body, which runs inside a ``$$`` string."""
    tokens = [m.group(0) for m in _TOKEN.finditer(sql)]
    out = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if low in ("max", "min") and _scalar_call(tokens, i):
            out.append("greatest" if low == "max" else "least")
        elif low == "instr" and _next_word(tokens, i) == "(":
            out.append("strpos")
        elif low == "sqlite_sequence":
            out.append("csp_sequence")
        else:
            out.append(token)
    return "".join(out)


def _insert_or(sql: str, primary_key: Callable[[str], str | None]) -> tuple[str, str]:
    """``INSERT OR IGNORE|REPLACE INTO t (cols)``: the plain ``INSERT`` and the ``ON CONFLICT`` clause it needs."""
    found = _INSERT_OR.match(sql)
    if found is None:
        return sql, ""
    verb, table, columns = found.group(1).upper(), found.group(2), found.group(3)
    plain = f"INSERT INTO {table} ({columns})" + sql[found.end() :]
    if verb == "IGNORE":
        return plain, "ON CONFLICT DO NOTHING"
    key = primary_key(table)
    if key is None:
        raise ValueError(f"INSERT OR REPLACE INTO {table}: the table has no primary key to replace on")
    keys = [k.strip() for k in key.split(",")]
    names = [c.strip() for c in columns.split(",") if c.strip()]
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in names if c.lower() not in {k.lower() for k in keys})
    return plain, f"ON CONFLICT ({key}) DO " + (f"UPDATE SET {sets}" if sets else "NOTHING")


def _next_word(tokens: list[str], i: int) -> str:
    for token in tokens[i + 1 :]:
        if not token.isspace():
            return token
    return ""


def _scalar_call(tokens: list[str], i: int) -> bool:
    """Whether ``tokens[i]`` (``max``/``min``) opens a call with two or more arguments at its own depth."""
    j = i + 1
    while j < len(tokens) and tokens[j].isspace():
        j += 1
    if j >= len(tokens) or tokens[j] != "(":
        return False
    depth = 0
    for token in tokens[j:]:
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            if depth == 0:
                return False
        elif token == "," and depth == 1:
            return True
    return False
