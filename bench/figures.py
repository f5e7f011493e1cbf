"""Each figure: the measured value, the floor measured in the same run, and their ratio."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import pty
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT, env, median, timed

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@dataclass
class Figure:
    name: str
    value: float
    floor: float
    unit: str
    target: str  # e.g. "<= 1.5x"

    @property
    def ratio(self) -> float:
        return self.value / self.floor if self.floor else float("inf")

    @property
    def met(self) -> bool:
        if not self.target:  # shown for comparison, no target
            return True
        op, limit = self.target.split()
        limit_value = float(limit.rstrip("x"))
        return self.ratio <= limit_value if op == "<=" else self.ratio >= limit_value


def make_demo(path: Path, tickets: int) -> float:
    """Write the demo; return rows per second."""
    from console.demo.workspace import generate
    from console.store import Workspace

    ws = Workspace.open(path)
    seconds = timed(lambda: generate(ws, tickets=tickets, seed=1, now=NOW, extra_admins=("aiko.tanaka",)))
    ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.close()
    return tickets / seconds


def _ticket_rows(source: Path, limit: int) -> tuple[list[str], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    src = sqlite3.connect(source)
    columns = [r[1] for r in src.execute("PRAGMA table_info(tickets)")]
    rows = src.execute(f"SELECT {', '.join(columns)} FROM tickets ORDER BY seq LIMIT ?", (limit,)).fetchall()
    customers = src.execute("SELECT * FROM customers").fetchall()
    src.close()
    return columns, rows, customers


def _raw(path: Path) -> sqlite3.Connection:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def plain_insert_floor(source: Path, target: Path, limit: int) -> float:
    """The floor without our design: raw sqlite3 ``executemany`` of the same ticket rows (the first ``limit``)
    into a plain table (no index, no trigger), then one FTS5 build over their title and body, in one
    transaction: rows/s."""
    columns, rows, _ = _ticket_rows(source, limit)
    dst = _raw(target)
    dst.execute(f"CREATE TABLE tickets ({', '.join(columns)})")
    dst.execute("CREATE VIRTUAL TABLE ticket_text USING fts5(title, body)")
    start = time.perf_counter()
    dst.execute("BEGIN")
    dst.executemany(f"INSERT INTO tickets VALUES ({','.join('?' * len(columns))})", rows)
    dst.execute("INSERT INTO ticket_text (rowid, title, body) SELECT rowid, title, body FROM tickets")
    dst.execute("COMMIT")
    seconds = time.perf_counter() - start
    dst.close()
    return len(rows) / seconds


def schema_insert_floor(source: Path, target: Path, limit: int) -> float:
    """The earlier floor, which carries our design: raw sqlite3 ``executemany`` of the same ticket rows into
    the workspace's own schema (its indexes, full-text index and triggers)."""
    from console.store import Workspace

    _raw(target).close()  # a new file
    Workspace.open(target).close()
    columns, rows, customers = _ticket_rows(source, limit)
    dst = sqlite3.connect(target, isolation_level=None)
    dst.execute("PRAGMA journal_mode = WAL")
    dst.execute("PRAGMA synchronous = NORMAL")
    dst.execute("PRAGMA foreign_keys = ON")
    ccols = len(customers[0])
    title, body = columns.index("title"), columns.index("body")
    start = time.perf_counter()
    dst.execute("BEGIN")
    dst.executemany(f"INSERT INTO customers VALUES ({','.join('?' * ccols)})", customers)
    dst.executemany(f"INSERT INTO tickets ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})", rows)
    dst.executemany(
        "INSERT INTO ticket_search (rowid, title, body, notes) VALUES (?, ?, ?, '')",
        ((r[0], r[title], r[body]) for r in rows),
    )
    dst.execute("COMMIT")
    seconds = time.perf_counter() - start
    dst.close()
    return len(rows) / seconds


def import_rate(source: Path, workdir: Path, limit: int) -> float:
    """Export the demo's customers and its first ``limit`` tickets as JSON Lines (the console's own export
    format), import them into a new workspace: rows/s of the import."""
    from console.records.exporter import export_dir, to_json_value
    from console.records.importer import import_files
    from console.records.kinds import KINDS
    from console.shared.model import BUILTIN_SERVICES
    from console.store import Workspace

    ws = Workspace.open(source)
    files = export_dir(ws, workdir / "export", "jsonl", ["customers"])
    sample = workdir / "export" / "tickets.jsonl"
    tickets = 0
    with sample.open("w", encoding="utf-8") as out:
        for record in itertools.islice(ws.records.iter_records(KINDS["tickets"]), limit):
            out.write(json.dumps(to_json_value(KINDS["tickets"], record), ensure_ascii=False) + "\n")
            tickets += 1
    ws.close()
    _raw(workdir / "imported.db").close()  # a new workspace: the import writes in bulk
    target = Workspace.open(workdir / "imported.db")
    seconds = timed(lambda: import_files(target, [files["customers"], sample], BUILTIN_SERVICES))
    target.close()
    return tickets / seconds


def first_paint(args: list[str], marker: bytes, tmp: Path) -> float:
    leader, follower = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, stdin=follower, stdout=follower, stderr=follower, env=env(tmp), start_new_session=True, cwd=ROOT
    )
    os.close(follower)
    out = b""
    with contextlib.suppress(OSError):
        while marker not in out and time.perf_counter() - start < 60:
            out += os.read(leader, 65536)
    seconds = time.perf_counter() - start
    proc.kill()
    proc.wait()
    os.close(leader)
    return seconds


BARE_LABEL = (
    "from textual.app import App\nfrom textual.widgets import Label\nclass A(App):\n"
    "    def compose(self):\n        yield Label('CSP-READY')\nA().run()\n"
)


def startup(db: Path, tmp: Path, runs: int = 7) -> tuple[float, float]:
    """Median seconds to the first painted queue, and to the bare app's first paint. The two alternate, so a
    slow spell of this shared machine weighs on both alike."""
    console: list[float] = []
    bare: list[float] = []
    for _ in range(runs):
        console.append(first_paint([sys.executable, "-m", "console.cli", "--db", str(db)], b"CSP-", tmp))
        bare.append(first_paint([sys.executable, "-c", BARE_LABEL], b"CSP-READY", tmp))
    return median(console), median(bare)


_IN_PROCESS = (
    "import asyncio, json, sys; sys.path.insert(0, sys.argv[1]); import bench.keys as k; "
    "print(json.dumps(asyncio.run(getattr(k, sys.argv[2])(*sys.argv[3:]))))"
)


def _in_process(tmp: Path, measure: str, *args: object) -> Any:
    """Run ``bench.keys.<measure>(*args)`` in a fresh process (its own memory and CPU) and return its JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", _IN_PROCESS, str(ROOT), measure, *map(str, args)],
        capture_output=True,
        text=True,
        env=env(tmp),
        cwd=ROOT,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def keystrokes(db: Path, tmp: Path) -> dict[str, dict[str, float]]:
    """Keystroke latencies of the console and of a bare 60-row DataTable app, each in its own process."""
    return {which: _in_process(tmp, "run", which, db) for which in ("console", "bare")}


def health_refresh(db: Path, runs: int = 9) -> tuple[float, float]:
    """Median ms of one full refresh of every health-board figure (a new board each time, nothing cached),
    and median ms of one full scan of the tickets table with raw sqlite3 (both warm)."""
    from console.health.board import HealthBoard
    from console.store import Workspace

    ws = Workspace.open(db)
    raw = sqlite3.connect(db)
    scan = "SELECT max(lastModifiedDate), count(title) FROM tickets NOT INDEXED"
    raw.execute(scan).fetchall()
    HealthBoard(ws).compute(NOW)
    board = [timed(lambda: HealthBoard(ws, "Asia/Tokyo").compute(NOW)) * 1000 for _ in range(runs)]
    floor = [timed(lambda: raw.execute(scan).fetchall()) * 1000 for _ in range(runs)]
    raw.close()
    ws.close()
    return median(board), median(floor)


def triage_rate(db: Path, limit: int, *, whole_customers: bool = False) -> tuple[float, float, int]:
    """Tickets per second through every built-in check, and loading the same contexts without checks, over the
    first ``limit`` tickets. With ``whole_customers``, the tickets of the first customers (by id) instead, as
    many customers as hold that share of the workspace's tickets: a customer's account is then read once per
    ~200 of its tickets at every size (the first 100,000 tickets of a million are 20 a customer, of 100,000 all
    200: ten times the account reads per ticket), so the cost per ticket can be compared across sizes."""
    from console.plugins.host import load_plugins
    from console.records.kinds import KINDS
    from console.settings.config import load_config
    from console.store import Workspace
    from console.tickets.triage import Triage

    ws = Workspace.open(db)
    every = (r for batch in ws.tickets.iter_tickets(open_only=False) for r in batch)
    if whole_customers:
        total = ws.records.counts_of(KINDS["tickets"])
        customers = [r[0] for r in ws.conn.execute("SELECT id FROM customers ORDER BY id")]
        chosen = set(customers[: max(1, round(len(customers) * min(1.0, limit / total)))])
        every = (r for r in every if r["customerId"] in chosen)
    rows = list(itertools.islice(every, limit))
    partner = load_config(ROOT / "missing.toml").partner
    triage = Triage(ws, load_plugins(installed=False), partner, lambda: NOW)
    triage.run_tickets(rows[:500])  # warm up both paths (first calls import and compile what the checks use)
    triage._accounts.clear()
    load_only = timed(lambda: [triage.context(r["customerId"], r) for r in rows])
    triage._accounts.clear()
    # As `csp-console triage --all` goes (console.desk.findings): a batch of 1,000 tickets a request to the
    # check process.
    with_checks = timed(lambda: [triage.run_tickets(rows[i : i + 1000]) for i in range(0, len(rows), 1000)])
    triage.close()
    ws.close()
    return len(rows) / with_checks, len(rows) / load_only, len(rows)


CLAIM_SCRIPT = r"""
import sys, time, sqlite3
sys.path.insert(0, sys.argv[4])
db, agent, mode = sys.argv[1], sys.argv[2], sys.argv[3]
ids = open(sys.argv[5]).read().split(",")
if mode == "console":
    from console.shared.clock import utcnow
    from console.settings.config import Config
    from console.desk.door import Desk
    from console.plugins.host import load_plugins
    from console.store import Workspace
    from console.tickets.ops import ClaimedByOther
    ws = Workspace.open(db)
    d = Desk(ws, Config(), load_plugins(installed=False), agent, utcnow)
    def claim(t):
        try:
            d.claim(t)
            return 1
        except ClaimedByOther:
            return 0
else:
    c = sqlite3.connect(db, isolation_level=None, timeout=30)
    c.execute("PRAGMA synchronous = NORMAL")
    def claim(t):
        c.execute("BEGIN IMMEDIATE")
        n = c.execute("UPDATE tickets SET assignee = ? WHERE id = ? AND assignee IS NULL", (agent, t)).rowcount
        c.execute("COMMIT")
        return n
print("ready", flush=True)
sys.stdin.readline()
won = sum(claim(t) for t in ids)
print(won, flush=True)
"""
#: What a running console does for the claims of every agent: its background job copies the write-ahead log
#: back into the file every couple of seconds (console.background.jobs, "checkpoint").
CHECKPOINTER = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
from console.background.jobs import CHECKPOINT_SECONDS
from console.store import Workspace
ws = Workspace.open(sys.argv[1])
print("ready", flush=True)
while True:
    ws.checkpoint()
    time.sleep(CHECKPOINT_SECONDS)
"""
CLAIM_AGENTS = ("aiko.tanaka", "li.wei", "maria.garcia", "kenji.sato")


def _copy_db(db: Path, copy: Path) -> None:
    import shutil

    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(db, copy)


def _plain_copy(db: Path, copy: Path) -> None:
    """The same tickets in a plain table: every column, no trigger, and only the key the claim looks up."""
    conn = _raw(copy)
    conn.execute("ATTACH DATABASE ? AS src", (str(db),))
    conn.execute("CREATE TABLE tickets AS SELECT * FROM src.tickets")
    conn.execute("CREATE UNIQUE INDEX tickets_id ON tickets (id)")
    conn.execute("DETACH DATABASE src")
    conn.close()


def claims(db: Path, tmp: Path, count: int) -> dict[str, tuple[float, int]]:
    """Claims per second from 4 processes claiming the same ``count`` tickets (and the claims won beyond one
    per ticket), timed from the moment all four are ready (started, workspace open) until the last is done:
    the console's claim through the desk; the same conditional update in a bare ``BEGIN IMMEDIATE`` loop on
    the workspace's schema (``schema``) and on a plain table of the same tickets (``plain``, the floor)."""
    from console.store import Workspace

    ws = Workspace.open(db)
    ids = [r["id"] for b in ws.tickets.iter_tickets() for r in b if r["assignee"] is None][:count]
    ws.close()
    (tmp / "claim-ids").write_text(",".join(ids), encoding="utf-8")
    results: dict[str, tuple[float, int]] = {}
    for mode in ("console", "schema", "plain"):
        copy = tmp / f"claims-{mode}.db"
        (_plain_copy if mode == "plain" else _copy_db)(db, copy)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", CLAIM_SCRIPT, str(copy), a, mode, str(ROOT), str(tmp / "claim-ids")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env(tmp),
            )
            for a in CLAIM_AGENTS
        ]
        if mode == "console":  # and a console's checkpoint job beside them
            checkpointer = subprocess.Popen(
                [sys.executable, "-c", CHECKPOINTER, str(copy), str(ROOT)], stdout=subprocess.PIPE, text=True
            )
            procs_ready = [*procs, checkpointer]
        else:
            procs_ready = procs
        for p in procs_ready:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        start = time.perf_counter()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = [p.communicate()[0] for p in procs]
        elapsed = time.perf_counter() - start
        if mode == "console":
            checkpointer.kill()
            checkpointer.wait()
        won = sum(int(o.split()[0]) for o in outs)
        results[mode] = (len(ids) * len(CLAIM_AGENTS) / elapsed, won - len(ids))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return results


def live_update(db: Path, tmp: Path) -> list[float]:
    """Seconds from a commit in one process until a running console shows it (10 trials)."""
    return _in_process(tmp, "live", db)


def idle_cpu(db: Path, tmp: Path, seconds: float) -> float:
    """Share of one core a console uses over ``seconds`` with nothing changing."""
    return _in_process(tmp, "idle", db, seconds)
