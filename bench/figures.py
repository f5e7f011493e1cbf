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


def raw_insert_floor(source: Path, target: Path, limit: int) -> float:
    """Raw sqlite3 executemany of the same ticket rows (the first ``limit``) into the same schema, indexes and
    full-text index."""
    from console.store import Workspace

    Workspace.open(target).close()
    src = sqlite3.connect(source)
    columns = [r[1] for r in src.execute("PRAGMA table_info(tickets)")]
    rows = src.execute(f"SELECT {', '.join(columns)} FROM tickets ORDER BY seq LIMIT ?", (limit,)).fetchall()
    customers = src.execute("SELECT * FROM customers").fetchall()
    src.close()
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


def triage_rate(db: Path, limit: int) -> tuple[float, float]:
    """Tickets per second through every built-in check, and loading the same contexts without checks."""
    from console.plugins.host import load_plugins
    from console.settings.config import load_config
    from console.store import Workspace
    from console.tickets.triage import Triage

    ws = Workspace.open(db)
    rows = list(itertools.islice((r for batch in ws.tickets.iter_tickets(open_only=False) for r in batch), limit))
    partner = load_config(ROOT / "missing.toml").partner
    triage = Triage(ws, load_plugins(installed=False), partner, lambda: NOW)
    for r in rows[:500]:  # warm up both paths (first calls import and compile what the checks use)
        triage.run_ticket(r)
    triage._accounts.clear()
    load_only = timed(lambda: [triage.context(r["customerId"], r) for r in rows])
    triage._accounts.clear()
    with_checks = timed(lambda: [triage.run_ticket(r) for r in rows])
    triage.close()
    ws.close()
    return len(rows) / with_checks, len(rows) / load_only


CLAIM_SCRIPT = r"""
import sys, time, sqlite3
sys.path.insert(0, sys.argv[4])
from console.shared.clock import utcnow
from console.settings.config import Config
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.store import Workspace
from console.tickets.ops import ClaimedByOther
db, agent, mode = sys.argv[1], sys.argv[2], sys.argv[3]
ids = sys.stdin.read().split(",")
won = 0
start = time.perf_counter()
if mode == "console":
    ws = Workspace.open(db)
    d = Desk(ws, Config(), load_plugins(installed=False), agent, utcnow)
    for t in ids:
        try:
            d.claim(t); won += 1
        except ClaimedByOther:
            pass
else:
    c = sqlite3.connect(db, isolation_level=None, timeout=30)
    for t in ids:
        c.execute("BEGIN IMMEDIATE")
        won += c.execute("UPDATE tickets SET assignee = ? WHERE id = ? AND assignee IS NULL", (agent, t)).rowcount
        c.execute("COMMIT")
print(won, time.perf_counter() - start)
"""


def claims(db: Path, tmp: Path, count: int) -> tuple[float, float, int]:
    """Claims per second from 4 processes on the same tickets (and double claims), against a bare loop."""
    from console.store import Workspace

    results = {}
    for mode in ("console", "bare"):
        copy = tmp / f"claims-{mode}.db"
        copy.write_bytes(db.read_bytes())
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        ws = Workspace.open(copy)
        ids = [r["id"] for b in ws.tickets.iter_tickets() for r in b if r["assignee"] is None][:count]
        ws.close()
        agents = ["aiko.tanaka", "li.wei", "maria.garcia", "kenji.sato"]
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", CLAIM_SCRIPT, str(copy), a, mode, str(ROOT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env(tmp),
            )
            for a in agents
        ]
        outs = [p.communicate(",".join(ids))[0] for p in procs]
        elapsed = time.perf_counter() - start
        won = sum(int(o.split()[0]) for o in outs)
        results[mode] = (len(ids) * len(agents) / elapsed, won - len(ids))
    return results["console"][0], results["bare"][0], results["console"][1]


def live_update(db: Path, tmp: Path) -> list[float]:
    """Seconds from a commit in one process until a running console shows it (10 trials)."""
    return _in_process(tmp, "live", db)


def idle_cpu(db: Path, tmp: Path, seconds: float) -> float:
    """Share of one core a console uses over ``seconds`` with nothing changing."""
    return _in_process(tmp, "idle", db, seconds)
