"""PostgreSQL's figures beside SQLite's, in one run (issue 22): ``python -m bench.run postgresql [--quick]
[--sizes N ...] [--keep DIR]``.

At each size the demo is generated on both engines (a throw-away cluster, :mod:`bench.pg_cluster`; with
``--keep DIR`` kept there and reused by later runs) and every figure is measured on each, against its floor in
the same run: the same statements by the bare driver (psycopg, sqlite3), a bare Textual app, a plain table.
The full run (10,000, 100,000 and 1,000,000 tickets) writes ``bench/RESULTS-postgresql.md`` (+ ``.json``),
``--quick`` (10,000 and 100,000) ``bench/RESULTS-postgresql-quick.md``; ``--out`` writes elsewhere."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import figures as fx
from bench import pg_claims, pg_cluster, pg_keys
from bench import pg_figures as pf
from bench.common import ROOT, machine, median, p95
from bench.pg_results import LINK

ENGINES = ("sqlite", "postgresql")
WORDS = ("invoice", "金額")
__all__ = ["LINK", "main"]
KEY_TARGET = "<= 2x"  # as bench.run's keystrokes; the search and the change notice take it too (no SQLite figure)


@dataclass
class Plan:
    sizes: tuple[int, ...]
    startups: int  # start-ups of the console and of the bare app, alternating
    runs: int  # repetitions of a search and of a health refresh (the median)
    claims: int  # tickets claimed by every process
    notices: int  # commits timed from one process to another
    processes: tuple[int, ...] = (4, 8)


FULL = Plan(sizes=(10_000, 100_000, 1_000_000), startups=5, runs=21, claims=400, notices=30)
QUICK = Plan(sizes=(10_000, 100_000), startups=3, runs=15, claims=200, notices=20)
SMOKE = Plan(sizes=(2_000,), startups=1, runs=2, claims=12, notices=3, processes=(2,))

Report = Callable[[str, str, fx.Figure], None]


def measure(engine: str, where: str, cluster: Any, plan: Plan, tmp: Path, report: Report) -> None:
    """Every figure on one engine's demo (``where``: its file or URL)."""
    console, bare = pf.startup(where, tmp, plan.startups)
    report(engine, "startup", fx.Figure("start-up to the first painted queue", console, bare, "s", "<= 1.5x"))
    keys = pg_keys.keystrokes(where, tmp)
    for key in ("down", "pagedown", "end", "filter", "search"):
        c, b = keys["console"][key], keys["bare"][key]
        raw_ms = c.get("raw_p95_ms", 0.0)  # the page statements by bare psycopg (PostgreSQL only)
        name = f"keystroke {key}, p95 (median {c['median_ms']:.1f} ms)"
        if engine == "postgresql":
            name += f"; floor: bare app {b['p95_ms']:.1f} + psycopg {raw_ms:.1f} ms"
        report(engine, f"key.{key}", fx.Figure(name, c["p95_ms"], b["p95_ms"] + raw_ms, "ms", KEY_TARGET))
    for word in WORDS:
        store, floor, rows = pf.search(where, word, plan.runs)
        name = f"search '{word}': the queue's first page ({rows} rows)"
        report(engine, f"search.{word}", fx.Figure(name, store, floor, "ms", KEY_TARGET))
    pooled, opened = pf.worker_query(where, plan.runs)
    name = "a worker thread's first query (floor: the bare driver opening a session for it)"
    report(engine, "worker", fx.Figure(name, pooled, opened, "ms", "<= 1x"))
    board, scan = pf.health(where, plan.runs)
    name = "health board: one full refresh of every figure (floor: count(*) GROUP BY status, table scan)"
    report(engine, "health", fx.Figure(name, board, scan, "ms", "<= 0.1x"))
    # Claims and the change notices write to the workspace: chosen and measured last, on their own tickets.
    ids = pg_claims.unassigned(where, plan.claims + 2 * plan.notices)
    for n in plan.processes:
        got = pg_claims.claims(cluster if engine == "postgresql" else None, where, ids[: plan.claims], n, tmp)
        (rate, doubles), (plain, _) = got["console"], got["plain"]
        name = f"claims from {n} processes ({doubles} double claims), against a plain table's"
        report(engine, f"claims.{n}", fx.Figure(name, rate, plain, "claims/s", ">= 0.5x"))
    spare = ids[plan.claims :]
    scratch = where if engine == "postgresql" else str(tmp / "notice.db")
    delays = pf.notice(where, spare[: plan.notices], "console", tmp)
    bare_delays = pf.notice(scratch, spare[: plan.notices], "raw", tmp)
    how = "LISTEN/NOTIFY" if engine == "postgresql" else "data_version"
    name = f"change notice to another process, p95 (median {median(delays) * 1000:.2f} ms; floor: bare {how})"
    report(engine, "notice", fx.Figure(name, p95(delays) * 1000, p95(bare_delays) * 1000, "ms", KEY_TARGET))
    painted = fx._in_process(tmp, "live", where)  # bench.keys.live: a commit until the console repaints
    name = f"live update in the console, p95 (median {median(painted):.3f} s; floor: the 1 s bench.run allows)"
    report(engine, "live", fx.Figure(name, p95(painted), 1.0, "s", "<= 1x"))


def run(plan: Plan, keep: Path | None, out: Path) -> dict[str, Any]:
    for package in ("console", "plugins"):  # bytecode, as an installed package has it (as bench.run does)
        import compileall

        compileall.compile_dir(ROOT / package, quiet=1)
    began = time.perf_counter()
    results: dict[str, Any] = {"sizes": {}, "load": [os.getloadavg()]}
    with pg_cluster.cluster(keep) as (cluster, folder), tempfile.TemporaryDirectory() as tmp_name:
        results["postgresql"] = pg_cluster.server_version(cluster)
        for size in plan.sizes:
            url, db, rates, reused = pg_cluster.demo(cluster, folder, size)
            at_size: dict[str, Any] = {"demo": rates, "reused": reused, "figures": {e: {} for e in ENGINES}}
            results["sizes"][str(size)] = at_size

            def report(engine: str, key: str, f: fx.Figure, size: int = size, at: dict[str, Any] = at_size) -> None:
                at["figures"][engine][key] = asdict(f)
                s = time.perf_counter() - began
                print(
                    f"[{s // 60:02.0f}:{s % 60:02.0f}] {size:>9,} {engine:10} {key:16} {f.value:10.3f} {f.unit:8} "
                    f"floor {f.floor:10.3f} ratio {f.ratio:6.2f} {f.target:8} {'met' if f.met else 'MISSED'}",
                    flush=True,
                )

            for engine, where in (("sqlite", str(db)), ("postgresql", url)):
                measure(engine, where, cluster, plan, Path(tmp_name), report)
            results["load"].append(os.getloadavg())
            if keep is None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
    minutes = (time.perf_counter() - began) / 60
    results["date"] = f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z} ({minutes:.0f} minutes)"
    results["machine"] = machine()
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    from bench.pg_results import write

    write(out, results)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run postgresql")
    parser.add_argument("--quick", action="store_true", help="10,000 and 100,000 tickets")
    parser.add_argument("--smoke", action="store_true", help="2,000 tickets, one of each measurement (a test)")
    parser.add_argument("--sizes", type=int, nargs="+", help="the workspace sizes instead of the plan's")
    parser.add_argument("--keep", type=Path, help="keep the cluster and the demos here, reuse those found")
    parser.add_argument("--out", type=Path, help="the results file (default bench/RESULTS-postgresql[-quick].md)")
    parser.add_argument("--render", action="store_true", help="rewrite the results file from its .json")
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.sizes:
        plan = Plan(tuple(args.sizes), plan.startups, plan.runs, plan.claims, plan.notices, plan.processes)
    name = "RESULTS-postgresql-quick.md" if args.quick or args.smoke else "RESULTS-postgresql.md"
    out = args.out or ROOT / "bench" / name
    if args.render:
        from bench.pg_results import write

        write(out, json.loads(out.with_suffix(".json").read_text(encoding="utf-8")))
        return
    run(plan, args.keep, out)
