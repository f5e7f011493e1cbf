"""PostgreSQL's benchmark beside SQLite's (bench/postgresql.py) in its smallest mode: 2,000 tickets on a
throw-away cluster, one start-up, two claiming processes; it runs end to end and writes every figure for both
engines with its floor. Speed is not asserted (bench/RESULTS-postgresql.md records it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import postgresql
from tests.pg_engine import postgres_bin

FIGURES = {
    "startup", "key.down", "key.pagedown", "key.end", "key.filter", "key.search", "search.invoice", "search.金額",
    "health", "worker", "claims.2", "notice", "live",
}  # fmt: skip


@pytest.mark.postgresql_own
@pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL's server is not installed")
def test_the_bench_runs_on_both_engines_and_writes_every_figure_with_its_floor(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS-postgresql.md"
    postgresql.main(["--smoke", "--out", str(out)])
    raw = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    at = raw["sizes"]["2000"]
    assert raw["postgresql"].split(".")[0].isdigit()
    assert set(at["demo"]) == {"sqlite", "postgresql"} and all(r > 0 for r in at["demo"].values())
    for engine in ("sqlite", "postgresql"):
        figures = at["figures"][engine]
        assert set(figures) == FIGURES, engine
        # (a change notice can be seen before its writer reads the clock after the commit: 0)
        assert all(f["value"] > 0 and f["floor"] > 0 for k, f in figures.items() if k != "notice"), figures
        assert figures["notice"]["value"] >= 0 and figures["notice"]["floor"] >= 0
        assert "(0 double claims)" in figures["claims.2"]["name"]  # each ticket won by exactly one process
    pg_keys = at["figures"]["postgresql"]["key.pagedown"]["name"]
    assert "+ psycopg" in pg_keys  # the PostgreSQL floor carries the captured page statements by bare psycopg
    text = out.read_text(encoding="utf-8")
    assert "| figure | unit | SQLite | floor | ratio | PostgreSQL | floor | ratio | target |" in text
    assert f"PostgreSQL {raw['postgresql']}" in text and "## 2,000 tickets" in text
