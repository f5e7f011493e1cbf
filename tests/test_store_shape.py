"""The store's shape holds: one base that owns the clock and the connection, plain repositories (no mixins, no
``type: ignore``), and SQLite's own syntax only in the dialect and the schema. Sizes: tests/test_house.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

STORE = Path(__file__).parent.parent / "console" / "store"
#: Where SQLite's syntax may be spelled out: the dialect, and the schema (migrations, rollups' triggers, FTS).
SCHEMA = (
    "dialect.py",
    "migrations/",
    "health_rollups.py",
    "open_search.py",
    # PostgreSQL's dialect: it reads SQLite's spelling to say it as PostgreSQL does (the one place that does).
    "pg_conn.py",
    "pg_ddl.py",
    "pg_dialect.py",
    "pg_audited.py",  # (the grants' triggers: PostgreSQL's own SQL)
    "pg_grants.py",  # (PostgreSQL's roles and grants: PostgreSQL's own SQL, ON CONFLICT its spelling)
    "pg_migrate.py",
    "pg_sql.py",
    "pg_url.py",
)


def _modules() -> list[tuple[str, str]]:
    return [(p.relative_to(STORE).as_posix(), p.read_text(encoding="utf-8")) for p in sorted(STORE.rglob("*.py"))]


def test_no_store_code_reads_the_wall_clock() -> None:
    """Every stamp comes from the base's clock (``Base.now``): ``utcnow`` is only its default."""
    calls = []
    for name, text in _modules():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if called in {"utcnow", "datetime.now", "datetime.utcnow", "time.time", "date.today"}:
                    calls.append((name, node.lineno, called))
    assert calls == []


def test_repositories_are_plain_classes_over_the_base() -> None:
    bases = {}
    for name, text in _modules():
        assert "type: ignore" not in text, name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Repo"):
                bases[node.name] = [ast.unparse(b) for b in node.bases]
    assert len(bases) >= 10 and all(b == [] for b in bases.values()), bases


def test_sqlite_syntax_lives_in_the_dialect() -> None:
    sqlite_only = re.compile(r"INSERT OR |ON CONFLICT|INDEXED BY|julianday\(|PRAGMA |\bMATCH \?|BEGIN IMMEDIATE")
    found = [
        (name, line.strip())
        for name, text in _modules()
        if not name.startswith(SCHEMA)
        for line in text.splitlines()
        if sqlite_only.search(line) and not line.strip().startswith("#")
    ]
    assert found == []
