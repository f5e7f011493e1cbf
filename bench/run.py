"""Run the benchmarks and rewrite bench/RESULTS.md: ``python -m bench.run [--quick]``; ``python -m bench.run
mail [--quick]`` only the mail intake's (:mod:`bench.mail`), ``postgresql`` PostgreSQL's (:mod:`bench.postgresql`).

Every figure is a ratio against a floor measured in the same run, because these machines are shared and
noisy. The full run uses 1,000,000 tickets and writes ``bench/RESULTS.md``; ``--quick`` uses 100,000 (the
insert rates over 20,000 of them, shorter idle and triage samples) and writes ``bench/RESULTS-quick.md``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from bench import figures as fx
from bench import mail, postgresql
from bench.common import ROOT, machine, median, p95

RESULTS = ROOT / "bench" / "RESULTS.md"
RESULTS_QUICK = ROOT / "bench" / "RESULTS-quick.md"
#: What the profiles showed (issue 23, 2026-12-02), and what was changed in the console for it; then the notes
#: of the earlier runs (2026-11-23), still true.
ANALYSIS = [
    "Every figure is measured, not tuned: where a target was missed the console was changed (below), never the "
    "floor or the target; a miss that remains is explained with its profile.",
    "Floors (issue 23): the earlier insert floor carried our own schema (22 indexes, two full-text tables, ~20 "
    "triggers) and ran at ~2,300 rows/s at a million tickets; the new one is a raw executemany of the same rows "
    "into a plain table and one FTS5 build over title and body (~40,000 rows/s here). The claims floor is the "
    "same conditional update in a bare BEGIN IMMEDIATE loop on a plain table of the same tickets; the earlier "
    "one, on our schema, is kept beside it ('our schema's'), and so are the targets of the earlier table. "
    "Claims are timed from the moment the four processes are ready (started, workspace open), no longer "
    "including Python's start and imports.",
    "What grew, and what was changed: (1) Bulk loads into an empty workspace (the demo, an import of a desk "
    "moving in) kept the tickets' 20 indexes up row by row, random inserts into B-trees far larger than the "
    "2 MiB page cache: the indexes are now dropped and built once at the end from sorted rows (1.3 s per "
    "100,000 tickets for all 20), with a 256 MiB cache for the load. (2) An import wrote a statement per ticket "
    "and read each new ticket back to make its search entry: now one executemany per batch and the entries "
    "made from the records; canonical timestamps are checked and kept as they are. (3) Every change of a "
    "ticket named all its derived columns in the UPDATE (severity rank, open flag, SLA due), so SQLite "
    "rewrote the entries of most of the 22 indexes and fired every UPDATE OF trigger even when nothing in "
    "them changed: a change now names only the columns whose values change. (4) SQLite's automatic "
    "checkpoint (every 1,000 log pages) made every ~50th claim copy ~1,000 scattered pages back into the file "
    "and wait for the disk: 2.5 ms a claim at a million tickets against 1.5 ms without; the commits now leave "
    "it to a console job (every 2 s, PASSIVE, on a worker thread) with a backstop at 10,000 pages, and the "
    "benchmark runs that job beside the four claimers. (5) A claim of a ticket someone holds is refused from "
    "a read, without queueing for the write lock. (6) The board's per-agent 'resolved today' read every "
    "ticket resolved today and its top customers sorted every customer: a rollup per hour and agent "
    "(migration m030) and a read of only the customers at or above the tenth count; the demo had given 40 % "
    "of the assigned tickets in work a live claim (14,526 at a million, 2,900 per agent), now at most 12 per "
    "agent. (7) Triage of every open ticket went in number order with a cache of 256 accounts: at 5,000 "
    "customers an account was read again for nearly every ticket; it now goes customer by customer.",
    "Triage in the scaling table is measured over the tickets of whole customers (about 200 each, at every "
    "size): the first 100,000 tickets of a million are 20 a customer against 200 at 100,000, which measured "
    "the account cache rather than the checks. The table's triage figure keeps the earlier sample (the first "
    "100,000 tickets) and floor (the same contexts loaded without checks), and its ratio moves with the "
    "machine: 0.34x in this run, 0.23x in the day's first full run, and in alternating runs of this code and "
    "of the previous commit on one 100,000-ticket workspace 0.24-0.25x against 0.26-0.28x with the same "
    "3,453,159 calls in the profile. It measures the checks themselves (nine a ticket in the isolation thread, "
    "~0.5 ms a ticket).",
    "Claims against the plain table (target 0.5x, missed): the floor is a three-statement transaction (~25 "
    "microseconds; ~90 for the four attempts at one ticket). A claim by the console, profiled alone at a "
    "million tickets, takes ~1.5 ms: 16 statements (~0.8 ms: the ticket and the indexes whose columns change, "
    "two timeline events, the SLA clocks' columns, the audit entry chained to the previous one, the health "
    "rollups by their triggers), the SLA clocks recomputed in the customer's business hours from the status "
    "history (~0.4 ms) and the Python around them (the role check, the audit entry's JSON and hash; ~0.3 ms); a "
    "losing attempt is now one read. Meeting 0.5x would "
    "mean a claim at two bare updates: without its history, audit and clocks. Against the same update on our "
    "schema (the earlier floor) it is met. The claim's cost no longer grows in this run (1.00x); the day's "
    "first full run gave 1.74x, and the spread is the cold page cache: each process finds its cache emptied "
    "by the others' commits and reads every page of the B-trees it touches again, which are a level deeper at "
    "a million. A memory-mapped file (tried: +10 % at both sizes, growth unchanged) was not kept: its pages "
    "count in the console's resident memory and a read error becomes a signal. The bare update on our schema "
    "grows 3.8x: it runs with SQLite's default checkpoint, which at a million tickets cost a console claim "
    "1 ms of its 2.5 when measured alone.",
    "Import against the plain table (target 0.25x, missed): profiled at 100,000 tickets, a record costs "
    "~235 microseconds: reading its JSON line (~9), checking its 20 fields against their kinds (~35, through "
    "msgspec and our types), the references and the staging file that finds a duplicate however far apart "
    "and lets a stopped import resume (~33), the derived columns and the search form (Japanese bigrams) "
    "(~25), the insert with both full-text indexes (with 2- and 3-character prefixes, which the search "
    "keystroke needs: 40 microseconds against the plain FTS5 build's 13) (~65), and at the end the 20 index "
    "builds, the rollups, the customer directory and the commit (~42). The floor does only the insert and "
    "one plain FTS5 build. Tried and not kept: a reader thread overlapping the checks with SQLite's writes "
    "(slower: 28.8 s against 23.6 s per 100,000, the writer waiting for the GIL at every row), and FTS5 "
    "automerge off during the load then 'optimize' (3.3 + 1.3 s against 4.1 s). The import no longer grows: "
    "per row it is as fast at a million as at 100,000.",
    "bench-quick: 10,000 and 100,000 tickets, triage over 5,000 (4,000 of whole customers), claims of 400 "
    "tickets, three start-ups each and idle over 5 s, in under three minutes (the ratios of triage and of "
    "claims against our schema sit lower there: smaller samples, and floors that are faster on a smaller file; "
    "the targets are the full run's, at a million); it writes bench/RESULTS-quick.md "
    "and leaves bench/RESULTS.md to the full run (every figure at 10,000, 100,000 and 1,000,000; ~30 minutes). "
    "`python -m bench.run --render` writes the results again from the figures kept in RESULTS.json.",
    "Earlier runs (2026-11-23):",
    "Start-up (1.35x in the full run of 2026-11-23 17:18; was 2.77x, then 1.85x): sqlite-utils is imported "
    "only when there is something to migrate; "
    "opening the console parses only --db and --config (the whole CLI parser and its command modules were "
    "30 ms); plugins, the desk, the health board, SLA, collections, account, triage and demo are set up after "
    "the queue is painted; the first page is read as the queue mounts. Then the timeline of a start showed "
    "Textual laying out and drawing for ~0.15 s: the queue was pushed over an empty default screen (two "
    "screens built, styled and drawn) and is now the app's default screen (init to first paint ~100 -> ~65 ms); "
    "Textual's Footer (a widget per key, all remounted whenever the focus moves) is replaced by a one-line key "
    "bar (which also keeps ? Help in sight at 80 columns); the search box is mounted on the first /; the CJK "
    "search patterns are compiled on first use (10 ms). The console and the bare app now alternate over seven "
    "runs each, so a slow spell of this shared machine weighs on both.",
    "Search keystroke (was 11x): a search is planned by how many tickets its words match, read first from the "
    "full-text index. A common word ('in' matches 43,000 open tickets) only filters while the queue walks the "
    "index of its sort order and stops after a page (20-40 ms cold, was 1.7 s); a rare one drives the query.",
    "Filter keystroke: a page or a count is read on the screen's thread when it takes at most 20 ms (stopped "
    "by SQLite's progress handler, else a worker reads it), so a view change is drawn in one frame; the title "
    "and views bar repaint only when their text changes. End: the first press reads the last page cold "
    "(~105 ms, ~65 ms after), which is the p95 of six presses.",
    "Live update: every 0.5 s the console reads SQLite's data_version on its own thread (an in-memory read; "
    "it was a worker thread started twice a second). The benchmark writes right after the previous change was "
    "painted, so each trial waits about one poll interval (the worst phase, not the average of 0.25 s); it "
    "used to collect its tickets after the console had started, stalling the console's event loop for "
    "seconds, which made an early trial miss a poll (the 0.96 s p95 of the earlier run).",
    "Triage: the checks run in a forked worker process (killed when a check runs past its budget), each with "
    "its own time budget; the tickets go to it a batch of 1,000 a request, as `csp-console triage --all` sends "
    "them, the views a customer's tickets share pickled once and the findings in one pickle stream a request "
    "(a context pickled whole was ~160 microseconds, a finding pickled on its own ~20). Before the process, a "
    "hand-over between threads per check (~80 microseconds, nine checks a ticket) was most of the cost.",
    "Health board: every figure reads a rollup kept by triggers (see docs/health.md); a full refresh reads a "
    "few hundred rows. The demo's day of trend history is rebuilt in one pass over the tickets (it was one full "
    "scan per hour, 24 scans).",
    "Demo and import: the rollup triggers are switched off during bulk loads and the rollups refilled once; the "
    "floor inserts into the same schema (indexes, full-text index, triggers). The demo computes each ticket's "
    "SLA clocks in its customer's business hours (holidays, time zone): about half of its time.",
]


@dataclass
class Plan:
    """What one run measures: the workspace sizes (every figure at each), and the sample sizes."""

    sizes: tuple[int, ...]
    triage: int  # tickets triaged (at most the workspace's)
    triage_dense: int  # tickets of whole customers triaged, for the scaling table
    claims: int  # tickets claimed by the four processes
    startups: int  # start-ups of the console and of the bare app, alternating
    idle_s: float  # the idle sample, at the largest size only


FULL = Plan(
    sizes=(10_000, 100_000, 1_000_000), triage=100_000, triage_dense=20_000, claims=1000, startups=7, idle_s=30.0
)
QUICK = Plan(sizes=(10_000, 100_000), triage=5_000, triage_dense=4_000, claims=400, startups=3, idle_s=5.0)
#: The scaling table: figure key -> (what it is, unit, the largest growth allowed from the second largest size
#: to the largest, '' for none). Growth is of the cost of one operation: for a rate, the rate at the smaller size
#: over the rate at the larger.
SCALING = {
    "demo": ("demo generation", "rows/s", 2.0),
    "import": ("import from JSON Lines", "rows/s", 2.0),
    "floor.plain_insert": ("floor: plain-table insert + one FTS5 build", "rows/s", None),
    "floor.schema_insert": ("floor: insert into our schema (indexes, FTS, triggers)", "rows/s", None),
    "claims": ("claims from 4 processes", "claims/s", 1.5),
    "floor.plain_claims": ("floor: conditional update on a plain table", "claims/s", None),
    "floor.schema_claims": ("floor: conditional update on our schema", "claims/s", None),
    "key.down": ("keystroke down, p95", "ms", 1.5),
    "key.pagedown": ("keystroke pagedown, p95", "ms", 1.5),
    "key.end": ("keystroke end, p95", "ms", 1.5),
    "key.filter": ("keystroke filter, p95", "ms", 1.5),
    "key.search": ("keystroke search, p95", "ms", 1.5),
    "triage.dense": ("triage, all built-in checks (tickets of whole customers)", "tickets/s", 1.5),
    "health": ("health board, one full refresh", "ms", 1.5),
    "startup": ("start-up to the first painted queue", "s", None),
    "live": ("live update, p95", "s", None),
}
RATES = {"rows/s", "claims/s", "tickets/s"}


def measure(size: int, plan: Plan, tmp: Path, report: Callable[[str, fx.Figure], None], largest: bool) -> None:
    """Every figure at one workspace size, each reported under its key as it is measured."""
    db = tmp / f"demo-{size}.db"
    demo_rate = fx.make_demo(db, size)
    plain = fx.plain_insert_floor(db, tmp / "plain.db", size)
    schema = fx.schema_insert_floor(db, tmp / "floor.db", size)
    report("floor.plain_insert", fx.Figure("floor: plain-table insert + one FTS5 build", plain, plain, "rows/s", ""))
    report("floor.schema_insert", fx.Figure("floor: insert into our schema", schema, schema, "rows/s", ""))
    report(
        "demo",
        fx.Figure(
            f"demo workspace of {size:,} tickets, against our schema's floor", demo_rate, schema, "rows/s", ">= 0.25x"
        ),
    )
    imported = fx.import_rate(db, tmp, size)
    report(
        "import",
        fx.Figure(
            f"import of {size:,} tickets from JSON Lines, against the plain-table floor",
            imported,
            plain,
            "rows/s",
            ">= 0.25x",
        ),
    )
    report(
        "import.schema",
        fx.Figure(f"import of {size:,} tickets, against our schema's floor", imported, schema, "rows/s", ">= 0.5x"),
    )
    console, bare = fx.startup(db, tmp, plan.startups)
    report(
        "startup", fx.Figure(f"start-up to the first painted queue ({size:,} tickets)", console, bare, "s", "<= 1.5x")
    )
    keys = fx.keystrokes(db, tmp)
    for key in ("down", "pagedown", "end", "filter", "search"):
        c, b = keys["console"][key], keys["bare"][key]
        report(
            f"key.{key}",
            fx.Figure(
                f"keystroke {key}, p95 (median {c['median_ms']:.1f} ms)", c["p95_ms"], b["p95_ms"], "ms", "<= 2x"
            ),
        )
    report(
        "memory",
        fx.Figure(
            "memory: RSS with the queue scrolled to the end",
            keys["console"]["rss_mib"],
            keys["bare"]["rss_mib"],
            "MiB",
            "<= 2x",
        ),
    )
    board_ms, scan_ms = fx.health_refresh(db)
    report(
        "health",
        fx.Figure(
            f"health board: one full refresh of every figure ({size:,} tickets)", board_ms, scan_ms, "ms", "<= 0.1x"
        ),
    )
    with_checks, load_only, triaged = fx.triage_rate(db, plan.triage)
    report(
        "triage",
        fx.Figure(
            f"triage: all built-in checks over {triaged:,} tickets", with_checks, load_only, "tickets/s", ">= 0.3x"
        ),
    )
    with_checks, load_only, triaged = fx.triage_rate(db, plan.triage_dense, whole_customers=True)
    name = f"triage: {triaged:,} tickets of whole customers (about 200 each)"
    report("triage.dense", fx.Figure(name, with_checks, load_only, "tickets/s", ""))
    claimed = fx.claims(db, tmp, plan.claims)
    (rate, doubles), (plain_rate, _), (schema_rate, _) = claimed["console"], claimed["plain"], claimed["schema"]
    report(
        "floor.plain_claims",
        fx.Figure("floor: conditional update on a plain table", plain_rate, plain_rate, "claims/s", ""),
    )
    report(
        "floor.schema_claims",
        fx.Figure("floor: conditional update on our schema", schema_rate, schema_rate, "claims/s", ""),
    )
    report(
        "claims",
        fx.Figure(
            f"claims from 4 processes ({doubles} double claims), against a plain table's",
            rate,
            plain_rate,
            "claims/s",
            ">= 0.5x",
        ),
    )
    report(
        "claims.schema",
        fx.Figure(
            "claims from 4 processes, against our schema's bare update", rate, schema_rate, "claims/s", ">= 0.5x"
        ),
    )
    delays = fx.live_update(db, tmp)
    report("live", fx.Figure(f"live update p95 (median {median(delays):.3f} s)", p95(delays), 1.0, "s", "<= 1x"))
    if largest:
        report(
            "idle",
            fx.Figure(
                f"idle CPU over {plan.idle_s:g} s (share of a core)",
                fx.idle_cpu(db, tmp, plan.idle_s),
                0.01,
                "core",
                "<= 1x",
            ),
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def main() -> None:
    if sys.argv[1:2] == ["postgresql"]:  # its own options
        return postgresql.main(sys.argv[2:])
    parser = argparse.ArgumentParser()
    parser.add_argument("bench", nargs="?", choices=["mail"], help="only this bench, its section of the results")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--render", action="store_true", help="rewrite the results file from the last run's figures")
    args = parser.parse_args()
    if args.bench == "mail":
        mail.main(args.quick)
        return
    if args.render:
        render(args.quick)
        return
    # The console's bytecode, as an installed package has it (pip compiles it; the floor's Textual has it too).
    for package in ("console", "plugins"):
        compileall.compile_dir(ROOT / package, quiet=1)
    plan = QUICK if args.quick else FULL
    results: dict[int, dict[str, fx.Figure]] = {size: {} for size in plan.sizes}
    began = time.perf_counter()

    def reporter(size: int) -> Callable[[str, fx.Figure], None]:
        def report(key: str, f: fx.Figure) -> None:
            results[size][key] = f
            at = time.perf_counter() - began
            print(
                f"[{at // 60:02.0f}:{at % 60:02.0f}] {size:>9,} {f.name[:56]:56} {f.value:12.3f} {f.unit:9} "
                f"floor {f.floor:12.3f}  ratio {f.ratio:6.2f}  {f.target:8} {'met' if f.met else 'MISSED'}",
                flush=True,
            )

        return report

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp_name:
        for size in plan.sizes:
            measure(size, plan, Path(tmp_name), reporter(size), size == plan.sizes[-1])
    minutes = (time.perf_counter() - began) / 60
    target = RESULTS_QUICK if args.quick else RESULTS
    stamp = f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z} ({minutes:.0f} minutes)"
    raw = {"date": stamp, "results": {size: {k: asdict(f) for k, f in r.items()} for size, r in results.items()}}
    target.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    write_results(target, plan, results, ANALYSIS, stamp)


def render(quick: bool) -> None:
    """Write the results file again from the figures the last run kept beside it (after the notes changed)."""
    target = RESULTS_QUICK if quick else RESULTS
    raw = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
    results = {int(size): {k: fx.Figure(**f) for k, f in r.items()} for size, r in raw["results"].items()}
    write_results(target, QUICK if quick else FULL, results, ANALYSIS, raw["date"])


def growth(key: str, small: fx.Figure, large: fx.Figure) -> float:
    """How much more one operation costs at the larger size."""
    unit = SCALING[key][1]
    return small.value / large.value if unit in RATES else large.value / small.value


def scaling_lines(plan: Plan, results: dict[int, dict[str, fx.Figure]]) -> list[str]:
    small, large = plan.sizes[-2], plan.sizes[-1]
    head = " | ".join(f"{size:,} tickets" for size in plan.sizes)
    lines = [
        f"| figure | unit | {head} | growth {small:,} -> {large:,} | target | |",
        "|---|---|" + "---|" * len(plan.sizes) + "---|---|---|",
    ]
    for key, (name, unit, limit) in SCALING.items():
        cells = " | ".join(f"{results[size][key].value:,.1f}" for size in plan.sizes)
        g = growth(key, results[small][key], results[large][key])
        verdict = "" if limit is None else ("met" if g <= limit else "**missed**")
        target = "" if limit is None else f"<= {limit:g}x"
        lines.append(f"| {name} | {unit} | {cells} | {g:.2f}x | {target} | {verdict} |")
    return lines


def write_results(
    target: Path, plan: Plan, results: dict[int, dict[str, fx.Figure]], notes: list[str], stamp: str
) -> None:
    largest = plan.sizes[-1]
    lines = [
        "# Benchmark results",
        "",
        f"- date: {stamp}",
        f"- machine: {machine()}",
        f"- workspaces: {', '.join(f'{s:,}' for s in plan.sizes)} tickets "
        "(`make bench` 10,000, 100,000 and 1,000,000; `make bench-quick` 10,000 and 100,000)",
        "",
        f"## Every figure at {largest:,} tickets, against its floor",
        "",
        "| figure | value | floor | ratio | target | |",
        "|---|---|---|---|---|---|",
    ]
    for f in results[largest].values():
        if not f.target:
            continue
        lines.append(
            f"| {f.name} | {f.value:.3f} {f.unit} | {f.floor:.3f} {f.unit} | {f.ratio:.2f} | {f.target} | "
            f"{'met' if f.met else '**missed**'} |"
        )
    lines += ["", "## Scaling: the cost of one operation as the workspace grows", ""]
    lines += scaling_lines(plan, results)
    # The mail intake's, from its own run (bench.mail), and where PostgreSQL's are (bench.postgresql).
    lines += ["", *mail.section(target == RESULTS_QUICK), *postgresql.LINK, ""]
    lines += ["## What was measured and changed", "", *[f"- {n}" for n in notes], ""]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
