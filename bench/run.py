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
import time
from datetime import datetime
from pathlib import Path

from bench import figures as fx
from bench.common import ROOT, median, p95

RESULTS = ROOT / "bench" / "RESULTS.md"
RESULTS_QUICK = ROOT / "bench" / "RESULTS-quick.md"
#: What the profiles of the last full runs (2026-11-23) showed about the targets missed; open work.
ANALYSIS = [
    "Missed targets are reported as measured, not tuned away; they are open work of the benchmark issue.",
    "Start-up (1.85x this run; 1.39-1.81x in 100,000-ticket runs and 1.36-1.87x in repeated runs of five on "
    "the same 1,000,000-ticket workspace: this 2-core machine is noisy and the floor itself moves between "
    "0.29 and 0.50 s). Was 2.77x. Fixed: sqlite-utils (0.1 s to import) loaded only when there is something "
    "to migrate; the CLI's parser no longer imports the desk through its command modules; plugins, the desk, "
    "the health board, SLA, collections, account, triage, demo and TextArea are set up after the queue is "
    "painted; the first page is read as the queue mounts (a worker thread waited for the interpreter while the "
    "screen was built); bytecode compiled at install. Timeline of one start now (in a terminal, 1,000,000 "
    "tickets): Textual imported at 0.22-0.29 s (as in the floor), our modules +0.06 s, app and screen set up "
    "+0.05 s, first page read in 3 ms, then about 0.14 s for Textual to lay out and draw the first frame, of "
    "which Textual's Footer (a widget per key) is about 0.05 s. Next: a one-widget key bar instead of the "
    "Footer.",
    "Search keystroke (p95 0.74x, was 11x): a search is planned by how many tickets its words match, read "
    "first from the full-text index. A common word ('in' matches 43,000 open tickets) used to drive the query: "
    "every match fetched from the tickets table and sorted, 1.7 s cold; it now only filters while the queue "
    "walks the index of its sort order and stops after a page (20-40 ms cold). The count of an all-open search "
    "is the index's own count (1-3 ms). Measured per query at 1,000,000 tickets, cold: 'in' 30 ms, 'invoice' "
    "24 ms, 確認 31 ms, 'licence' in the billing view 41 ms (was 0.9-1.9 s).",
    "Filter keystroke (1.30x): a page or a count is read on the screen's thread when it takes at most 20 ms "
    "(stopped by SQLite's progress handler, else a worker reads it), so a view change is drawn in one frame "
    "instead of three; the title and views bar repaint only when their text changes.",
    "Live update (p95 0.96 s, median 0.50 s): sessions poll SQLite's data_version every 0.5 s; the slowest of the ten "
    "trials took two poll intervals. Earlier runs: 0.55 s.",
    "Health board: every figure reads a rollup kept by triggers (see docs/health.md); a full refresh reads a "
    "few hundred rows.",
    "Demo and import: the rollup triggers are switched off during bulk loads and the rollups (and the "
    "open-tickets index) refilled once; the floor inserts into the same schema (indexes, full-text index, "
    "triggers). The demo computes each ticket's SLA clocks in its customer's business hours (holidays, time "
    "zone).",
    "bench-quick: 100,000 tickets; the insert rates (floor and import) over the first 20,000 of them, triage "
    "over 10,000 and idle over 5 s, so that it runs in about two minutes (1 min 48 s to 2 min 1 s here); it "
    "writes bench/RESULTS-quick.md and leaves bench/RESULTS.md to the full run. Its triage figure (0.25-0.30x) "
    "is below the full run's (0.46x) because its floor reads a ten times smaller file faster while the checks "
    "cost the same per ticket; the target is the full run's, over 100,000 tickets.",
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

    began = time.perf_counter()

    def report(f: fx.Figure) -> None:
        rows.append(f)
        at = time.perf_counter() - began
        print(
            f"[{at // 60:02.0f}:{at % 60:02.0f}] {f.name:58} {f.value:12.3f} {f.unit:10} floor {f.floor:12.3f}  "
            f"ratio {f.ratio:6.2f}  target {f.target:8} {'met' if f.met else 'MISSED'}",
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
