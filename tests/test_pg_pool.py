"""The PostgreSQL sessions of a console's worker threads come from a pool (console.store.pg_pool, psycopg_pool):
threads that come and go share a few sessions, a session given back is as new, one the server ended is never
handed out, a console asking for more than its limit is told why, and closing the workspace leaves nothing open.

Sources: psycopg_pool 3.2 documentation, "Connection pools" (``check=ConnectionPool.check_connection``: "check
the connection before it is returned to the client"; ``PoolTimeout`` after ``timeout``); PostgreSQL 15,
``pg_stat_activity`` (one row per server session, ``pid``), ``pg_terminate_backend`` and ``CREATE DATABASE``
("the source database cannot be copied while other sessions are connected to it")."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from console.shared.errors import WorkspaceError
from console.store import Workspace, pg_pool
from tests.pg_engine import Cluster


def _sessions(cluster: Cluster, database: str) -> list[int]:
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)).fetchall()
    return [int(row[0]) for row in rows]


def _in_thread(work: Callable[[], Any]) -> Any:
    """``work()`` in a thread of its own, which then ends (a console's worker)."""
    out: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            out.append(work())
        except BaseException as exc:  # (re-raised on the test's thread)
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return out[0]


def _pid(ws: Workspace) -> int:
    return int(ws.conn.execute("SELECT pg_backend_pid()").fetchone()[0])


@pytest.fixture
def ws_url(pg_cluster: Cluster) -> str:
    url = pg_cluster.new_database()
    Workspace.open(url).close()  # (migrated once: the tests count only the sessions they cause)
    return url


def test_threads_that_come_and_go_share_one_session(pg_cluster: Cluster, ws_url: str) -> None:
    """Thirty workers one after another: the first thread's session and one borrowed, reused by all thirty
    (before the pool, each worker opened a session of its own)."""
    database = ws_url.rsplit("/", 1)[1]
    ws = Workspace.open(ws_url)
    try:
        mine = _pid(ws)
        pids = {_in_thread(lambda: _pid(ws)) for _ in range(30)}
        assert len(pids) == 1 and mine not in pids
        assert sorted(_sessions(pg_cluster, database)) == sorted({mine, *pids})
        assert _in_thread(lambda: ws.agents.agents()) == ws.agents.agents()  # (a borrowed session reads the same)
    finally:
        ws.close()


def test_a_session_given_back_is_as_new(pg_cluster: Cluster, ws_url: str) -> None:
    """What one worker left behind (a setting changed, a transaction open with a row written and the write lock
    held) is gone when the next worker gets the same session."""
    ws = Workspace.open(ws_url)
    try:

        def untidy() -> int:
            ws.conn.execute("SET statement_timeout = 1234")
            ws.dialect.begin(ws.conn)  # (the write lock)
            ws.conn.execute("INSERT INTO sync_state (name, state) VALUES ('left.behind', 'x')")
            ws.conn.execute("SET default_transaction_read_only = on")
            return _pid(ws)  # (the thread ends with its transaction open)

        def look() -> tuple[int, str, str, str, bool]:
            conn = ws.conn
            timeout = conn.execute("SELECT current_setting('statement_timeout')").fetchone()[0]
            read_only = conn.execute("SELECT current_setting('default_transaction_read_only')").fetchone()[0]
            door = conn.execute("SELECT current_setting('csp.door')").fetchone()[0]
            return _pid(ws), str(timeout), str(read_only), str(door), conn.in_transaction

        left = _in_thread(untidy)
        pid, timeout, read_only, door, in_transaction = _in_thread(look)
        assert pid == left  # (the same session, reused)
        assert (timeout, read_only, door, in_transaction) == ("0", "off", "on", False)
        assert ws.conn.execute("SELECT count(*) FROM sync_state WHERE name = 'left.behind'").fetchone()[0] == 0
        ws.agents.add_agent("after.pool", "A", "a@example.com", ["helpdesk_agent"], by="t")  # (the lock is free)
    finally:
        ws.close()


def _holding(ws: Workspace, count: int) -> tuple[list[int], threading.Event, list[threading.Thread]]:
    """``count`` workers, each holding a session until the event is set: their server processes."""
    release, ready = threading.Event(), threading.Barrier(count + 1)
    pids: list[int] = []

    def hold() -> None:
        pids.append(_pid(ws))
        ready.wait(10)
        release.wait(10)

    workers = [threading.Thread(target=hold) for _ in range(count)]
    for worker in workers:
        worker.start()
    ready.wait(10)
    return pids, release, workers


def test_a_session_the_server_ended_is_never_handed_out(pg_cluster: Cluster, ws_url: str) -> None:
    """A session waiting in the pool is ended by the server (a restart, an administrator): the worker that would
    have had it gets a new one and its query succeeds (psycopg_pool's check; without it the worker is handed the
    dead session and its first query fails)."""
    ws = Workspace.open(ws_url)
    try:
        pids, release, workers = _holding(ws, 2)  # two workers at once, then both end
        release.set()
        for worker in workers:
            worker.join()
        taken, release, workers = _holding(ws, 1)  # one comes back to the pool, one is taken at once
        (idle,) = set(pids) - set(taken)
        pg_cluster.sql(f"SELECT pg_terminate_backend({idle})")
        pid = _in_thread(lambda: _pid(ws))  # (while the other is still out: the pool's only one is the dead one)
        release.set()
        workers[0].join()
        assert pid not in (idle, *taken)
        assert _in_thread(lambda: len(ws.agents.agents())) == len(ws.agents.agents())
    finally:
        ws.close()


def test_a_console_out_of_sessions_is_told_why(
    pg_cluster: Cluster, ws_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every session of the pool held by a running worker: one more worker is refused after the wait, with this
    console's limit named; once a worker ends, its session serves the next."""
    monkeypatch.setattr(pg_pool, "MOST", 2)
    monkeypatch.setattr(pg_pool, "WAIT_S", 0.5)
    ws = Workspace.open(ws_url)
    release, workers = threading.Event(), []
    try:
        _, release, workers = _holding(ws, 2)
        with pytest.raises(WorkspaceError) as refused:
            _in_thread(lambda: _pid(ws))
        assert "no database session free within 0.5 s (this console holds 2 at most, all busy)" in str(refused.value)
        assert "127.0.0.1" in str(refused.value)  # (which workspace: the URL, without any password)
        release.set()
        for worker in workers:
            worker.join()
        assert _in_thread(lambda: _pid(ws)) > 0
    finally:
        release.set()
        ws.close()


def test_a_server_that_refuses_says_its_reason(
    pg_cluster: Cluster, ws_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stops taking sessions after the console opened (here the database closed to new ones): a worker
    is told the server's own reason, not a bare timeout."""
    monkeypatch.setattr(pg_pool, "WAIT_S", 0.5)
    ws = Workspace.open(ws_url)
    database = ws_url.rsplit("/", 1)[1]
    try:
        _pid(ws)
        pg_cluster.sql(f"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS false")
        with pytest.raises(WorkspaceError) as refused:
            _in_thread(lambda: _pid(ws))
        assert "cannot connect" in str(refused.value) and "not currently accepting connections" in str(refused.value)
    finally:
        pg_cluster.sql(f"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS true")
        ws.close()


def test_closing_the_workspace_leaves_no_session(pg_cluster: Cluster, ws_url: str) -> None:
    """After close, nothing of the console is connected: the database can be a template at once (PostgreSQL
    refuses to copy a database while other sessions are connected to it)."""
    database = ws_url.rsplit("/", 1)[1]
    ws = Workspace.open(ws_url)
    for _ in range(3):
        _in_thread(lambda: _pid(ws))
    running = threading.Event()
    done = threading.Event()

    def busy() -> None:
        _pid(ws)
        running.set()
        done.wait(10)

    worker = threading.Thread(target=busy)
    worker.start()
    running.wait(10)
    done.set()
    worker.join()
    ws.close()
    assert _sessions(pg_cluster, database) == []
    pg_cluster.sql(f"CREATE DATABASE {database}_copy TEMPLATE {database}")
