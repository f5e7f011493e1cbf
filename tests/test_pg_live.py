"""PostgreSQL's change notices (LISTEN/NOTIFY) and its one writer at a time (an advisory lock), between processes
as between hosts: each process has its own connections and caches, and shares only the database.

Sources: PostgreSQL 15 documentation, NOTIFY ("notifications are delivered ... when the transaction commits";
several identical notifications of one transaction are folded into one), LISTEN, and "Advisory Locks"
(``pg_advisory_xact_lock``: released at the end of the transaction); ``pg_stat_activity`` for what an idle
console costs: its ``query_start`` ("Time when the currently active query was started, or if state is not active,
when the last query was started") and ``state_change`` are the backend's own, current, not the cumulative
statistics (``pg_stat_database`` counts reach the view only when a backend flushes them, up to 10 s later when it
goes idle: "Monitoring Database Activity", 28.2.2)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from console.shared.faults import WorkspaceBusy
from console.store import Workspace
from tests.pg_engine import Cluster

ROOT = Path(__file__).parent.parent

WRITER = """
import sys, time
from console.store import Workspace
ws = Workspace.open(sys.argv[1])
for i in range(int(sys.argv[2])):
    time.sleep(0.3)
    ws.agents.add_agent(f"host.b{i}", "B", "b@example.com", ["helpdesk_agent"], by="host-b")
    print(time.time(), flush=True)
"""


def _sessions(cluster: Cluster, database: str) -> set[tuple[object, ...]]:
    """Each server session of the database: its process, and when it last began a statement and changed state."""
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid, backend_start, query_start, state_change, state FROM pg_stat_activity WHERE datname = %s",
            (database,),
        ).fetchall()
    return {tuple(row) for row in rows}


def test_an_idle_console_sends_nothing_to_the_server(pg_cluster: Cluster) -> None:
    """Asking whether anything changed reads the listening session's socket: no statement, no transaction."""
    url = pg_cluster.new_database()
    database = url.rsplit("/", 1)[1]
    ws = Workspace.open(url)
    try:
        changed, version = ws.changed_since(None)
        before = _sessions(pg_cluster, database)
        assert before, "the workspace's sessions are not in pg_stat_activity"
        for _ in range(200):
            changed, version = ws.changed_since(version)
            assert not changed
            time.sleep(0.005)
        assert _sessions(pg_cluster, database) == before  # (the same sessions, not one statement since)
        ws.agents.add_agent("host.c", "C", "c@example.com", ["helpdesk_agent"], by="host-c")
        assert _sessions(pg_cluster, database) != before  # (a statement shows: the test can see one)
    finally:
        ws.close()


def test_another_hosts_change_is_seen_within_a_second(pg_cluster: Cluster) -> None:
    url = pg_cluster.new_database()
    ws = Workspace.open(url)
    try:
        _, version = ws.changed_since(None)
        proc = subprocess.Popen([sys.executable, "-c", WRITER, url, "5"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert proc.stdout is not None
        lags = []
        for line in proc.stdout:
            committed = float(line)
            while True:
                changed, version = ws.changed_since(version)
                if changed:
                    lags.append(time.time() - committed)
                    break
                assert time.time() - committed < 1.0, "a change not seen within a second"
                time.sleep(0.01)
        assert proc.wait(timeout=30) == 0
        assert len(lags) == 5 and max(lags) < 1.0
        assert {a["login"] for a in ws.agents.agents()} >= {f"host.b{i}" for i in range(5)}
    finally:
        ws.close()


def test_a_transaction_that_writes_nothing_wakes_nobody(pg_cluster: Cluster) -> None:
    url = pg_cluster.new_database()
    ws, other = Workspace.open(url), Workspace.open(url)
    try:
        _, version = ws.changed_since(None)
        with other.transaction():
            other.conn.execute("SELECT count(*) FROM tickets")
        time.sleep(0.2)
        assert ws.changed_since(version)[0] is False
        other.agents.add_agent("x.y", "X", "x@example.com", ["helpdesk_agent"], by="t")
        deadline = time.monotonic() + 10  # (its notice reaches this session after the commit, not at once)
        while not ws.changed_since(version)[0]:
            assert time.monotonic() < deadline, "a change that wrote something woke nobody"
            time.sleep(0.02)
    finally:
        ws.close()
        other.close()


def test_one_writer_at_a_time_across_processes_and_busy_after_the_wait(
    pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer holding the workspace's write lock makes another process's write wait, and past the busy wait
    (and its retries) that write is refused as busy with nothing done; the lock goes with the holder's
    transaction (here: its process killed)."""
    from console.store import base

    monkeypatch.setattr(base, "BUSY_BACKOFF", (0.1,))
    url = pg_cluster.new_database()
    ws = Workspace.open(url)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from console.store import Workspace; ws = Workspace.open(sys.argv[1]); "
            "t = ws.transaction(); t.__enter__(); print('held', flush=True); time.sleep(60)",
            url,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with ws.dialect.patience(ws.conn, 0.3), pytest.raises(sqlite3.OperationalError) as refused:
            ws.agents.add_agent("late.writer", "L", "l@example.com", ["helpdesk_agent"], by="t")
        assert ws.dialect.is_busy(refused.value) and 0.25 < time.monotonic() - started < 3
        with pytest.raises(WorkspaceBusy):  # the usual wait (5 s a try), then said busy
            ws.agents.add_agent("late.writer", "L", "l@example.com", ["helpdesk_agent"], by="t")
        assert "late.writer" not in {a["login"] for a in ws.agents.agents()}
    finally:
        holder.kill()
        holder.wait()
    ws.agents.add_agent("late.writer", "L", "l@example.com", ["helpdesk_agent"], by="t")  # the lock went with it
    assert "late.writer" in {a["login"] for a in ws.agents.agents()}
    ws.close()
