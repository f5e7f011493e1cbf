"""Run the benchmarks and rewrite bench/RESULTS.md: ``python -m bench.run [--quick]``.

Every figure is a ratio against a floor measured in the same run, because these machines are shared and
noisy. The full run uses 1,000,000 tickets and writes ``bench/RESULTS.md``; ``--quick`` uses 100,000 (the
insert rates over 20,000 of them, shorter idle and triage samples) and writes ``bench/RESULTS-quick.md``.
"""

from __future__ import annotations

import argparse
import compileall
import platform
import tempfile
from datetime import datetime
from pathlib import Path

from bench import figures as fx
from bench.common import ROOT, median, p95

RESULTS = ROOT / "bench" / "RESULTS.md"
RESULTS_QUICK = ROOT / "bench" / "RESULTS-quick.md"
#: What the profiles of the last full runs (2026-11-23) showed about the targets missed; open work.
ANALYSIS = [
    "Missed targets are reported as measured, not tuned away; they are open work of the benchmark issue.",
    "Start-up (2.77x, 0.76 s against 0.28 s): imports dominate. Measured in-process on 100,000 tickets: "
    "imports 0.55-0.6 s (Textual's own about 0.13-0.25 s of it; ours: the desk with its store, ticket "
    "actions, account and collections policy about 0.17 s, the queue screen, config and plugin API the "
    "rest), app set-up 0.12 s, first page 0.24 s. This stop deferred every screen but the queue, the "
    "escalation module and tomli-w to first use; the remainder is the code the first painted queue needs."
    " Next: split the desk so the queue's path does not import the account, billing and SLA modules.",
    "Search keystroke (p95 1.46 s, median 200 ms; the run before 4.6 s / 425 ms): the open views now "
    "search a second full-text index holding only open tickets (kept by triggers, reindexing and bulk "
    "loads), so a common word's doclist is an eighth of the size: measured per query at 1M, warm, "
    "'inv'..'invoice' 40-75 ms for the first page and as much for the count (was 250-360 ms), 確認 92 ms "
    "(was 514 ms). The p95 still comes from the first keystrokes of a search ('i', 'in' over 43,000 open "
    "tickets) and cold index pages right after start; next: cancel the superseded count as well as the "
    "page, and start searching at the third Latin letter in very large workspaces.",
    "Filter keystroke: met this run (1.98x); the runs before measured 2.7x and 1.2x on the same code "
    "path, so it sits at the target on this shared 2-core machine.",
    "Health board: every figure reads a rollup kept by triggers (see docs/health.md); a full refresh reads a "
    "few hundred rows. The first run after the rollups (43 ms) was held back by the per-agent live-claims "
    "count reading 14,520 claimed tickets and by the planner starting the oldest-escalation join from the "
    "tickets table; a covering claims index and a fixed join order brought it to about 7-8 ms.",
    "Demo and import: the rollup triggers are switched off during bulk loads and the rollups refilled once; "
    "the floor inserts into the same schema (indexes, full-text index, triggers).",
    "Demo and import: the rollup triggers are switched off during bulk loads and the rollups (and the "
    "open-tickets index) refilled once; the floor inserts into the same schema (indexes, full-text index,"
    " triggers). The demo now computes each ticket's SLA clocks in its customer's business hours "
    "(holidays, time zone), which took it from 0.78x to 0.35x of the floor, still above its 0.25x target.",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    # The console's bytecode, as an installed package has it (pip compiles it; the floor's Textual has it too).
    for package in ("console", "plugins"):
        compileall.compile_dir(ROOT / package, quiet=1)
    tickets = 100_000 if args.quick else 1_000_000
    # Quick: the insert rates (raw floor and import) over the first 20,000 of the 100,000 tickets, fewer
    # triaged tickets and a shorter idle sample, so the whole run takes under two minutes.
    inserted = 20_000 if args.quick else tickets
    triage_n = 10_000 if args.quick else 100_000
    idle_s = 5.0 if args.quick else 30.0
    rows: list[fx.Figure] = []
    notes: list[str] = []

    def report(f: fx.Figure) -> None:
        rows.append(f)
        print(
            f"{f.name:58} {f.value:12.3f} {f.unit:10} floor {f.floor:12.3f}  ratio {f.ratio:6.2f}  "
            f"target {f.target:8} {'met' if f.met else 'MISSED'}",
            flush=True,
        )

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "demo.db"
        demo_rate = fx.make_demo(db, tickets)
        floor = fx.raw_insert_floor(db, tmp / "floor.db", inserted)
        report(
            fx.Figure(
                f"demo workspace of {tickets:,} tickets (generation included)", demo_rate, floor, "rows/s", ">= 0.25x"
            )
        )
        report(
            fx.Figure(
                f"import of {inserted:,} tickets from JSON Lines",
                fx.import_rate(db, tmp, inserted),
                floor,
                "rows/s",
                ">= 0.5x",
            )
        )
        console, bare = fx.startup(db, tmp)
        report(fx.Figure(f"start-up to the first painted queue ({tickets:,} tickets)", console, bare, "s", "<= 1.5x"))
        keys = fx.keystrokes(db, tmp)
        for key in ("down", "pagedown", "end", "filter", "search"):
            c, b = keys["console"][key], keys["bare"][key]
            report(
                fx.Figure(
                    f"keystroke {key}, p95 (median {c['median_ms']:.1f} ms)", c["p95_ms"], b["p95_ms"], "ms", "<= 2x"
                )
            )
        report(
            fx.Figure(
                "memory: RSS with the queue scrolled to the end",
                keys["console"]["rss_mib"],
                keys["bare"]["rss_mib"],
                "MiB",
                "<= 2x",
            )
        )
        board_ms, scan_ms = fx.health_refresh(db)
        report(
            fx.Figure(
                f"health board: one full refresh of every figure ({tickets:,} tickets)",
                board_ms,
                scan_ms,
                "ms",
                "<= 0.1x",
            )
        )
        with_checks, load_only = fx.triage_rate(db, triage_n)
        report(
            fx.Figure(
                f"triage: all built-in checks over {triage_n:,} tickets", with_checks, load_only, "tickets/s", ">= 0.3x"
            )
        )
        console_rate, bare_rate, doubles = fx.claims(db, tmp, 200)
        report(
            fx.Figure(
                f"claims from 4 processes ({doubles} double claims)", console_rate, bare_rate, "claims/s", ">= 0.5x"
            )
        )
        delays = fx.live_update(db, tmp)
        report(fx.Figure(f"live update p95 (median {median(delays):.3f} s)", p95(delays), 1.0, "s", "<= 1x"))
        report(
            fx.Figure(
                f"idle CPU over {idle_s:g} s (share of a core)", fx.idle_cpu(db, tmp, idle_s), 0.01, "core", "<= 1x"
            )
        )
    notes += ANALYSIS
    write_results(RESULTS_QUICK if args.quick else RESULTS, rows, notes, tickets)


def write_results(target: Path, rows: list[fx.Figure], notes: list[str], tickets: int) -> None:
    import textual

    lines = [
        "# Benchmark results",
        "",
        f"- date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {platform.machine()}, {platform.processor() or 'cpu'}, {_cores()} cores, "
        f"Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}, "
        f"Textual {textual.__version__}",
        f"- workspace: {tickets:,} tickets (`make bench` 1,000,000; `make bench-quick` 100,000)",
        "",
        "| figure | value | floor | ratio | target | |",
        "|---|---|---|---|---|---|",
    ]
    for f in rows:
        lines.append(
            f"| {f.name} | {f.value:.3f} {f.unit} | {f.floor:.3f} {f.unit} | {f.ratio:.2f} | {f.target} | "
            f"{'met' if f.met else '**missed**'} |"
        )
    lines += ["", *[f"- {n}" for n in notes], ""]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {target}")


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
