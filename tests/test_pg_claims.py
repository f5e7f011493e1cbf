"""Claims on PostgreSQL lock rows (issue 22): a claim holds the workspace's write lock *shared*, so claims run
side by side while every other writer still has the workspace to itself; the ticket it claims is held by its row
lock, and "take next" passes over tickets other claims hold (``FOR UPDATE SKIP LOCKED``) instead of waiting for
them. Their writes take turns (one advisory lock), so the audit chain stays one chain. Every session here is its
own server session, as another host's console would be.

Sources: PostgreSQL 15 documentation, SELECT, "The Locking Clause" ("With SKIP LOCKED, any selected rows that
cannot be immediately locked are skipped"; under READ COMMITTED a row updated meanwhile is re-checked against the
WHERE clause: 13.2.1), "Advisory Locks" (``pg_advisory_xact_lock_shared``: "works the same as
pg_advisory_xact_lock, except the lock can be shared with other sessions requesting shared locks. Only would-be
exclusive lockers are locked out"), and 13.3.4 "Deadlocks" (PostgreSQL "automatically detects deadlock
situations and resolves them by aborting one of the transactions involved", SQLSTATE 40P01, after
``deadlock_timeout``, 1 s by default)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from console.demo.workspace import generate
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.settings.config import Config
from console.store import Workspace, audit_chain
from console.store.pg_dialect import SERIAL_LOCK, WRITE_LOCK
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW
from tests.pg_engine import Cluster

AGENT, OTHER = "aiko.tanaka", "li.wei"


@pytest.fixture(scope="module")
def claims_template(pg_cluster: Cluster) -> str:
    url = pg_cluster.new_database()
    ws = Workspace.open(url)
    generate(ws, tickets=400, seed=7, now=NOW)
    ws.close()
    return url.rsplit("/", 1)[1]


@pytest.fixture
def url(pg_cluster: Cluster, claims_template: str) -> str:
    return pg_cluster.new_database(claims_template)


@pytest.fixture
def ws(url: str) -> Iterator[Workspace]:
    opened = Workspace.open(url)
    yield opened
    opened.close()


def desk(ws: Workspace, agent: str = AGENT) -> Desk:
    return Desk(ws, Config(), load_plugins(installed=False), agent, lambda: NOW)


def first_unassigned(ws: Workspace, count: int) -> list[str]:
    rows = ws.queue.queue_page(QueueQuery(assignee=""), limit=1000)
    return [r.id for r in rows if r.status not in ("resolved", "closed")][:count]


def test_take_next_passes_over_a_ticket_another_claim_holds(ws: Workspace, url: str) -> None:
    """Another host's claim holds the view's first ticket by its row lock (between its pick and its commit):
    "next" here takes the second at once instead of waiting for the first, and the first is still there for the
    other claim. (Before: the pick named the held ticket, and the claim waited out the busy timeout on it.)"""
    first, second = first_unassigned(ws, 2)
    with psycopg.connect(url) as other:  # (not autocommit: the row lock lasts until the commit)
        other.execute("SELECT pg_advisory_xact_lock_shared(%s)", (WRITE_LOCK,))  # as a console's claim holds it
        other.execute("SELECT id FROM tickets WHERE id = %s FOR UPDATE", (first,))
        started = time.monotonic()
        taken = desk(ws).claim_next(QueueQuery())
        waited = time.monotonic() - started
        assert taken is not None and taken["id"] == second and taken["assignee"] == AGENT
        assert waited < 4, f"the pick waited {waited:.1f} s for a ticket another claim held"  # (the busy wait: 5)
        other.rollback()
    assert ws.tickets.ticket(first)["assignee"] is None
    assert desk(ws, OTHER).claim_next(QueueQuery())["id"] == first  # the held ticket, once let go


def test_an_ordinary_write_waits_for_a_claim_in_progress(ws: Workspace, url: str) -> None:
    """A claim in progress on one host (its transaction open: the write lock shared, its ticket picked and
    locked, nothing written yet) makes an ordinary write on another host (a note, which needs the workspace to
    itself) wait, here past a short patience, while a claim of another ticket goes through beside it."""
    mine, theirs = first_unassigned(ws, 2)
    other = Workspace.open(url)
    try:
        with other.transaction(rows=True):
            assert other.queue.next_unassigned(QueueQuery()) == mine  # picked and locked by the other host
            with ws.dialect.patience(ws.conn, 0.5), pytest.raises(sqlite3.OperationalError) as waited:
                desk(ws).note(theirs, "waits for the claim")
            assert ws.dialect.is_busy(waited.value)
            assert desk(ws).claim(theirs)["assignee"] == AGENT  # another claim does not wait
    finally:
        other.close()
    desk(ws).note(theirs, "after the claim")
    notes = [e["text"] for e in ws.tickets.timeline(ws.tickets.ticket(theirs)["seq"]) if e["kind"] == "note"]
    assert "after the claim" in notes and "waits for the claim" not in notes
    assert ws.tickets.ticket(mine)["assignee"] is None
    assert audit_chain.verify(ws.conn).intact


def test_a_claim_whose_turn_to_write_never_comes_writes_nothing(ws: Workspace, url: str) -> None:
    """A claim's turn to write is taken with its first write, in one round trip (the turn's lock and the UPDATE
    in one pipeline): while another host's claim holds the turn past this claim's patience, the lock's refusal
    stops the UPDATE sent behind it. The claim is said busy with nothing written (the ticket free, no timeline
    row, no audit row), and the same session claims it once the turn is free."""
    ticket = first_unassigned(ws, 1)[0]
    seq = ws.tickets.ticket(ticket)["seq"]
    audit_rows = len(ws.agents.audit_since(entity="ticket", entity_id=ticket))
    events = len(ws.tickets.timeline(seq))
    with psycopg.connect(url) as other:  # another host's claim, in its turn to write
        other.execute(f"SELECT pg_advisory_xact_lock_shared({WRITE_LOCK})")
        other.execute(f"SELECT pg_advisory_xact_lock({SERIAL_LOCK})")
        with ws.dialect.patience(ws.conn, 0.5), pytest.raises(sqlite3.OperationalError) as waited:
            desk(ws).claim(ticket)
        assert ws.dialect.is_busy(waited.value), waited.value
        assert ws.tickets.ticket(ticket)["assignee"] is None
        assert len(ws.tickets.timeline(seq)) == events
        assert len(ws.agents.audit_since(entity="ticket", entity_id=ticket)) == audit_rows
    assert desk(ws).claim(ticket)["assignee"] == AGENT
    assert audit_chain.verify(ws.conn).intact


def test_claims_of_other_tickets_run_while_one_is_in_progress(ws: Workspace, url: str) -> None:
    """While one claim's transaction is open before its writes (it has picked and locked its ticket), claims
    of other tickets from another session complete: nothing waits for the workspace's write lock."""
    ids = first_unassigned(ws, 4)
    other = Workspace.open(url)
    try:
        with other.transaction(rows=True):
            assert other.queue.next_unassigned(QueueQuery()) == ids[0]  # picked, and locked, not yet written
            started = time.monotonic()
            got = [desk(ws).claim_next(QueueQuery()) for _ in range(3)]
            assert [t["id"] for t in got if t] == ids[1:]
            assert time.monotonic() - started < 4  # (each would wait the busy timeout, 5 s, on the write lock)
    finally:
        other.close()
    assert ws.tickets.ticket(ids[0])["assignee"] is None  # the other's pick let go with its transaction


def test_a_claim_refused_to_break_a_deadlock_is_run_again(ws: Workspace, url: str) -> None:
    """Should PostgreSQL ever refuse a claim's transaction to break a deadlock (40P01), it is run again, once
    the other has gone on, and the caller sees only its result. Made here with two tickets locked in opposite
    orders by this console's row-writing transaction and a bare session."""
    first, second = first_unassigned(ws, 2)
    tries: list[int] = []
    locked_first = threading.Event()

    def work() -> str:
        tries.append(int(ws.conn.execute("SELECT pg_backend_pid()").fetchone()[0]))
        ws.conn.execute("SELECT id FROM tickets WHERE id = ? FOR UPDATE", (first,))
        locked_first.set()
        ws.conn.execute("SELECT id FROM tickets WHERE id = ? FOR UPDATE", (second,))
        return "done"

    out: list[Any] = []
    with psycopg.connect(url) as bare:
        bare.execute("SET deadlock_timeout = '30s'")  # the console's session is the one its own check picks
        bare.execute("SELECT id FROM tickets WHERE id = %s FOR UPDATE", (second,))
        worker = threading.Thread(target=lambda: out.append(ws.row_writes(work)))
        worker.start()
        assert locked_first.wait(10)
        # The console waits on the second first: its deadlock check (deadlock_timeout after it began to wait)
        # comes first, and picks it.
        with psycopg.connect(url, autocommit=True) as looking:
            deadline = time.monotonic() + 10
            while not looking.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", (tries[0],)).fetchone():
                assert time.monotonic() < deadline, "the console never waited for the second ticket"
                time.sleep(0.02)
        bare.execute("SELECT id FROM tickets WHERE id = %s FOR UPDATE", (first,))  # waits until it gave way
        bare.commit()
        worker.join(20)
    assert out == ["done"] and len(tries) == 2


def test_claims_from_many_sessions_keep_one_audit_chain(ws: Workspace, url: str) -> None:
    """Eight sessions taking "next" from threads at once: every ticket once, every claim audited once, and the
    audit chain whole (the claims' writes take turns)."""
    logins = ["aiko.tanaka", "li.wei", "maria.garcia", "kenji.sato", "tom.becker", "desk.six", "desk.seven"]
    known = {a["login"] for a in ws.agents.agents()}
    for login in [*logins, "desk.eight"]:
        if login not in known:
            ws.agents.add_agent(login, login, f"{login}@example.com", ["helpdesk_agent"], by="test")
    logins.append("desk.eight")
    taken: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    go = threading.Barrier(len(logins))

    def take(login: str) -> None:
        own = Workspace.open(url)
        try:
            d = desk(own, login)
            go.wait(10)
            taken[login] = [t["id"] for t in (d.claim_next(QueueQuery()) for _ in range(5)) if t]
        except BaseException as exc:  # (re-raised on the test's thread)
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=take, args=(login,)) for login in logins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    ids = [i for got in taken.values() for i in got]
    assert len(ids) == len(set(ids)) == 40
    claims = [e for e in ws.agents.audit_since(entity="ticket") if e["action"] == "ticket.claim"]
    assert sorted(e["entityId"] for e in claims if e["entityId"] in ids) == sorted(ids)
    chain = audit_chain.verify(ws.conn)
    assert chain.intact, chain.breaks
