"""The figures of :mod:`bench.postgresql`, each measured on one engine (a workspace file or a PostgreSQL URL)
with its floor: the same statements run by the bare driver (raw sqlite3 or psycopg), or a bare Textual app.

The statements of a floor are captured from the store as it runs them (:func:`recorded`): on PostgreSQL the
translated text and parameters that go to psycopg, on SQLite the expanded text sqlite3's trace gives."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import figures as fx
from bench.common import ROOT, env, median, timed

Statement = tuple[str, Any]  # (text, parameters: a list on PostgreSQL, None on SQLite: the text has them)


def is_pg(where: str) -> bool:
    return where.startswith("postgresql://")


@contextmanager
def recorded(ws: Any) -> Iterator[list[Statement]]:
    """The statements ``ws``'s connection runs inside the block, as its driver receives them."""
    seen: list[Statement] = []
    conn = ws.conn
    if isinstance(conn, sqlite3.Connection):
        conn.set_trace_callback(lambda text: seen.append((text, None)))
        try:
            yield seen
        finally:
            conn.set_trace_callback(None)
        return
    from console.store.pg_conn import _params

    run = conn.execute

    def execute(sql: str, params: Any = ()) -> Any:
        tr = conn._translated(sql)
        seen.append((tr.sql, _params(params, tr)))
        return run(sql, params)

    conn.execute = execute
    try:
        yield seen
    finally:
        del conn.execute


def raw(where: str) -> Any:
    """A bare driver connection: psycopg in autocommit, or sqlite3."""
    if is_pg(where):
        import psycopg

        return psycopg.connect(where, autocommit=True)
    return sqlite3.connect(where, isolation_level=None)


def replay(conn: Any, statements: list[Statement]) -> None:
    for text, params in statements:
        conn.execute(text, params).fetchall() if params is not None else conn.execute(text).fetchall()


def selects(statements: list[Statement]) -> list[Statement]:
    return [s for s in statements if s[0].lstrip().upper().startswith(("SELECT", "WITH"))]


def first_page(where: str) -> list[Statement]:
    """The statements of the queue's first page (the default view, the page the queue paints first)."""
    from console.store import Workspace
    from console.tickets.queue_query import QueueQuery
    from console.widgets.queue_table import PAGE

    with Workspace.open(where) as ws, recorded(ws) as seen:
        ws.queue.queue_page(QueueQuery(), limit=PAGE)
    return selects(seen)


BARE_QUERY = (
    "import json, sys\nfrom textual.app import App\nfrom textual.widgets import Label\n"
    "where, statements = sys.argv[1], json.loads(sys.argv[2])\n"
    "class A(App):\n"
    "    def compose(self):\n"
    "        if where.startswith('postgresql://'):\n"
    "            import psycopg\n            c = psycopg.connect(where, autocommit=True)\n"
    "        else:\n"
    "            import sqlite3\n            c = sqlite3.connect(where)\n"
    "        rows = [c.execute(t, p).fetchall() if p is not None else c.execute(t).fetchall() for t, p in statements]\n"
    "        yield Label(f'CSP-READY {len(rows)}')\n"
    "A().run()\n"
)


def startup(where: str, tmp: Path, runs: int) -> tuple[float, float]:
    """Median seconds to the console's first painted queue on ``where``, and to a bare Textual app's first paint
    after running the same first-page statements with the bare driver; the two alternate."""
    import json

    page = json.dumps(first_page(where))
    console: list[float] = []
    bare: list[float] = []
    for _ in range(runs):
        console.append(fx.first_paint([sys.executable, "-m", "console.cli", "--db", where], b"CSP-", tmp))
        bare.append(fx.first_paint([sys.executable, "-c", BARE_QUERY, where, page], b"CSP-READY", tmp))
    return median(console), median(bare)


def search(where: str, word: str, runs: int) -> tuple[float, float, int]:
    """Median ms of the queue's first page of a search for ``word`` (QueueQuery(search=word)) through the
    store, and of the same statements run by the bare driver; and how many rows the page held."""
    from console.store import Workspace
    from console.tickets.queue_query import QueueQuery
    from console.widgets.queue_table import PAGE

    query = QueueQuery(search=word)
    with Workspace.open(where) as ws:
        with recorded(ws) as seen:
            rows = ws.queue.queue_page(query, limit=PAGE)
        statements = selects(seen)
        conn = raw(where)
        replay(conn, statements)
        store, floor = alternating(
            lambda: ws.queue.queue_page(query, limit=PAGE), lambda: replay(conn, statements), runs
        )
        conn.close()
    return store, floor, len(rows)


def alternating(measured: Callable[[], object], bare: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median ms of each, run in turn (a slow spell of this shared machine weighs on both alike)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        times[0].append(timed(measured) * 1000)
        times[1].append(timed(bare) * 1000)
    return median(times[0]), median(times[1])


#: A worker's first query (a ticket by its key), as the store and as each bare driver writes it.
WORKER_QUERY = "SELECT title FROM tickets WHERE seq = ?"


def _in_a_thread(work: Callable[[], object]) -> None:
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def worker_query(where: str, runs: int) -> tuple[float, float]:
    """Median ms of a worker thread's life, from its start to its first query's row: through the store (on
    PostgreSQL a session borrowed from the workspace's pool, console/store/pg_pool.py; on SQLite a connection
    of its own), against the bare driver opening a session for it (psycopg.connect, sqlite3.connect), querying
    and closing it."""
    from console.store import Workspace

    bare_sql = WORKER_QUERY.replace("?", "%s") if is_pg(where) else WORKER_QUERY

    def bare() -> None:
        conn = raw(where)
        try:
            conn.execute(bare_sql, (1,)).fetchone()
        finally:
            conn.close()

    ws = Workspace.open(where)
    try:
        ws.conn.execute(WORKER_QUERY, (1,)).fetchone()  # (this thread's own session: the workers' come after)
        _in_a_thread(lambda: ws.conn.execute(WORKER_QUERY, (1,)).fetchone())  # the first one made
        return alternating(
            lambda: _in_a_thread(lambda: ws.conn.execute(WORKER_QUERY, (1,)).fetchone()),
            lambda: _in_a_thread(bare),
            runs,
        )
    finally:
        ws.close()


HEALTH_FLOOR = "SELECT status, count(*) FROM tickets{hint} GROUP BY status"


def health(where: str, runs: int = 9) -> tuple[float, float]:
    """Median ms of one full refresh of every health-board figure (a new board each time, as bench.figures
    measures it), and of a bare count(*) GROUP BY over the whole tickets table (a table scan: no index)."""
    from console.health.board import HealthBoard
    from console.store import Workspace

    conn = raw(where)
    if is_pg(where):
        for kind in ("indexscan", "indexonlyscan", "bitmapscan"):
            conn.execute(f"SET enable_{kind} = off")
    scan = HEALTH_FLOOR.format(hint="" if is_pg(where) else " NOT INDEXED")
    with Workspace.open(where) as ws:
        conn.execute(scan).fetchall()
        HealthBoard(ws).compute(fx.NOW)
        board, floor = alternating(
            lambda: HealthBoard(ws, "Asia/Tokyo").compute(fx.NOW), lambda: conn.execute(scan).fetchall(), runs
        )
    conn.close()
    return board, floor


NOTICE_WRITER = r"""
import sys, time
sys.path.insert(0, sys.argv[3])
where, mode = sys.argv[1], sys.argv[2]
ids = sys.argv[4].split(",")
if mode == "console":
    from datetime import timedelta
    from console.shared.clock import utcnow
    from console.store import Workspace
    from console.tickets import ops
    ws = Workspace.open(where)
    commits = []
    commit = ws.dialect.commit
    def committed(conn):  # the moment the claim's transaction is committed, not after the claim's Python
        commit(conn)
        commits.append(time.perf_counter())
    ws.dialect.commit = committed
    def write(i):
        commits.clear()
        ops.claim(ws, ws.tickets.ticket(ids[i]), "kenji.sato", utcnow(), timedelta(minutes=30))
        return commits[0]
elif where.startswith("postgresql://"):
    import psycopg
    c = psycopg.connect(where, autocommit=True)
    def write(i):
        c.execute("NOTIFY bench_raw")
        return time.perf_counter()
else:
    import sqlite3
    c = sqlite3.connect(where, isolation_level=None)
    c.execute("PRAGMA journal_mode = WAL")  # as a workspace file is
    c.execute("PRAGMA synchronous = NORMAL")
    c.execute("CREATE TABLE IF NOT EXISTS bench_raw (n INTEGER)")
    def write(i):
        c.execute("INSERT INTO bench_raw VALUES (?)", (i,))
        return time.perf_counter()
print("ready", flush=True)
for i, _ in enumerate(sys.stdin):
    print(write(i), flush=True)
"""


def _watch(where: str, mode: str) -> Callable[[], bool]:
    """A function that says whether a change arrived since it last looked: the store's ``changed_since``, or
    the bare driver's (a LISTEN connection's notifies; SQLite's data_version)."""
    if mode == "console":
        from console.store import Workspace

        ws = Workspace.open(where)
        state = {"v": ws.changed_since(None)[1]}

        def changed() -> bool:
            seen, state["v"] = ws.changed_since(state["v"])
            return seen

        return changed
    conn = raw(where)
    if is_pg(where):
        conn.execute("LISTEN bench_raw")
        return lambda: any(True for _ in conn.notifies(timeout=0))
    last = {"v": conn.execute("PRAGMA data_version").fetchone()[0]}

    def polled() -> bool:
        now = conn.execute("PRAGMA data_version").fetchone()[0]
        seen, last["v"] = now != last["v"], now
        return bool(seen)

    return polled


def notice(where: str, ids: list[str], mode: str, tmp: Path) -> list[float]:
    """Seconds from a commit in another process until this one sees it, one trial per ticket of ``ids``:
    ``console`` a claim through the store seen by ``ws.changed_since``; ``raw`` a bare NOTIFY (PostgreSQL) or
    a bare INSERT (SQLite) seen by a bare LISTEN or a data_version poll. Both polled every 0.2 ms."""
    changed = _watch(where, mode)
    proc = subprocess.Popen(
        [sys.executable, "-c", NOTICE_WRITER, where, mode, str(ROOT), ",".join(ids)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env(tmp),
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    changed()
    delays = []
    for _ in ids:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        deadline = time.perf_counter() + 10
        while not changed() and time.perf_counter() < deadline:
            time.sleep(0.0002)
        seen = time.perf_counter()
        delays.append(max(0.0, seen - float(proc.stdout.readline())))
    proc.stdin.close()
    proc.wait()
    return delays
