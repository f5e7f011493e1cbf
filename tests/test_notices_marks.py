"""Notices' marks without surprises (issue 19, "Notifications", review): reading a ticket never writes (so it
never waits for another writer's lock, and never wakes every console); the seen marker is a best-effort write
of its own; a breach notice's due time is data, said in the reader's zone; "mark all seen" marks all; the feed
counts everything new, not a page of it; and the command line prints Microsoft's and agents' names literally."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from console.desk.door import Desk
from console.notices.kinds import Kind, Notice
from console.plugins.host import load_plugins
from console.settings.config import Config, load_config, write_demo_config
from console.store import Workspace
from console.store.connection import connect, transaction
from tests.conftest import NOW

AGENT = "aiko.tanaka"
OTHER = "li.wei"


@contextmanager
def write_lock(locator: Path | str) -> Iterator[sqlite3.Connection]:
    """Another process's long write (a bulk import) holding the workspace's write lock, committed at the end
    having changed nothing (no console is woken by it: SQLite's data version and PostgreSQL's notices stay)."""
    other = connect(locator)  # a console's connection: the door guard (migration 31) lets only those write
    try:
        with transaction(other):  # the write lock at once (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock)
            yield other
    finally:
        other.close()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    return path


@pytest.fixture
def desk(demo_ws: Workspace, config_path: Path) -> Iterator[Desk]:
    made = Desk(demo_ws, load_config(config_path), load_plugins(), AGENT, lambda: NOW)
    yield made
    made.close()


def seen_rows(ws: Workspace, agent: str = AGENT) -> list[tuple[str, int]]:
    return [tuple(r) for r in ws.conn.execute("SELECT ticketId, seenEvent FROM ticket_seen WHERE agent = ?", (agent,))]


def a_ticket(ws: Workspace) -> str:
    return str(ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 1 ORDER BY seq LIMIT 1").fetchone()[0])


# -- reading a ticket writes nothing; the seen marker is its own best-effort write ---------------------------
def test_details_read_while_another_writer_holds_the_lock(desk: Desk, demo_ws: Workspace) -> None:
    ticket_id = a_ticket(demo_ws)
    version = demo_ws.data_version()
    with write_lock(demo_ws.locator):
        started = time.perf_counter()
        details = desk.details(ticket_id)
        took = time.perf_counter() - started
    assert details.ticket["id"] == ticket_id
    assert took < 2.0  # not the 5 s busy timeout, and no "database is locked"
    assert seen_rows(demo_ws) == []  # reading recorded nothing
    assert demo_ws.data_version() == version
    desk.details(ticket_id)
    assert demo_ws.data_version() == version  # reading alone never wakes the other consoles


def test_the_seen_marker_gives_way_to_a_writer_and_is_written_once_it_is_gone(desk: Desk, demo_ws: Workspace) -> None:
    ticket_id = a_ticket(demo_ws)
    with write_lock(demo_ws.locator):
        started = time.perf_counter()
        assert desk.notices.see_ticket(ticket_id) is None  # locked: gave way, no error
        assert time.perf_counter() - started < 1.5
    assert seen_rows(demo_ws) == []
    assert desk.notices.see_ticket(ticket_id) is True  # the next load records it
    version = demo_ws.data_version()
    assert desk.notices.see_ticket(ticket_id) is False  # nothing new since: no write
    assert demo_ws.data_version() == version
    other = Desk(demo_ws, Config(), load_plugins(), OTHER, lambda: NOW)
    other.note(ticket_id, "Customer sent the logs.")
    assert desk.notices.changed([ticket_id]) == {ticket_id}
    assert desk.notices.see_ticket(ticket_id) is True  # a new event: written again
    assert desk.notices.changed([ticket_id]) == set()
    other.close()


def test_a_claim_renewal_alone_writes_no_seen_marker(desk: Desk, demo_ws: Workspace) -> None:
    """The ticket screen renews its claim every minute (the version moves, no event): no write for that."""
    ticket_id = a_ticket(demo_ws)
    desk.claim(ticket_id, takeover=True)
    assert desk.notices.see_ticket(ticket_id)
    demo_ws.conn.execute("UPDATE tickets SET version = version + 1 WHERE id = ?", (ticket_id,))
    assert desk.notices.see_ticket(ticket_id) is False


def test_ticket_show_on_the_command_line_reads_while_locked_and_records_nothing(
    demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from console.cli.main import main

    ticket_id = a_ticket(demo_ws)
    monkeypatch.setenv("CSP_CONSOLE_AGENT", AGENT)
    with write_lock(demo_ws.locator):
        assert main(["ticket", "show", ticket_id, "--db", str(demo_ws.locator)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(ticket_id) and "Traceback" not in out
    assert seen_rows(demo_ws) == []


def test_ticket_show_prints_authors_and_the_assignee_literally(
    demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from console.cli.main import main

    ticket_id = a_ticket(demo_ws)
    row = demo_ws.tickets.ticket(ticket_id)
    assert row is not None
    with demo_ws.transaction():
        demo_ws.tickets.add_event(row["seq"], "microsoft", "\x1b]0;PWNED\x07Engineer", "Hello", demo_ws.now())
        demo_ws.conn.execute("UPDATE tickets SET assignee = ? WHERE id = ?", ("\x1b[2Jmallory", ticket_id))
    monkeypatch.setenv("CSP_CONSOLE_AGENT", AGENT)
    assert main(["ticket", "show", ticket_id, "--db", str(demo_ws.locator)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "Engineer microsoft: Hello" in out and "mallory" in out


# -- a breach notice's due time: data, said in the reader's zone ----------------------------------------------
def breach_for(ws: Workspace, agent: str) -> tuple[str, str]:
    """A ticket due within the hour, assigned to ``agent``: (its id, its due time as stored)."""
    row = ws.conn.execute(
        "SELECT id, slaDueDate FROM tickets WHERE isOpen = 1 AND slaPausedSince IS NULL AND slaDueDate > ? "
        "AND slaDueDate <= ? ORDER BY slaDueDate LIMIT 1",
        ("2026-11-23T03:00:00Z", "2026-11-23T04:00:00Z"),
    ).fetchone()
    ws.conn.execute("UPDATE tickets SET assignee = NULL")
    ws.conn.execute("UPDATE tickets SET assignee = ? WHERE id = ?", (agent, row[0]))
    return str(row[0]), str(row[1])


def test_the_breach_notice_keeps_its_due_time_and_says_it_in_the_readers_zone(demo_ws: Workspace) -> None:
    from console.settings.local_time import short

    ticket_id, due = breach_for(demo_ws, AGENT)
    sweeper = Desk(demo_ws, Config(time_zone="UTC"), load_plugins(), OTHER, lambda: NOW)
    assert sweeper.notices.warn_breaching() == 1
    (notice,) = [Notice(**r) for r in demo_ws.notices.recent(AGENT)]
    assert (notice.kind, notice.ticketId, notice.dueAt) == (Kind.BREACH.value, ticket_id, due)
    tokyo = notice.says("Asia/Tokyo")
    assert f"due {short(due, 'Asia/Tokyo', label=True)}: " in tokyo and " JST: " in tokyo
    assert f"due {short(due, 'UTC', label=True)}: " in notice.says("UTC")
    sweeper.close()


def test_a_notice_without_a_due_time_says_its_text() -> None:
    notice = Notice(
        1, AGENT, "takeover", "CSP-000001", None, "CSP-000001 taken over by li.wei: x", NOW.isoformat(), None
    )
    assert notice.says("Asia/Tokyo") == notice.text


# -- mark all seen, and the feed's count --------------------------------------------------------------------
def many_notices(ws: Workspace, count: int, agent: str = AGENT) -> list[int]:
    with ws.transaction():
        for n in range(count):
            ws.notices.add(agent, Kind.TAKEOVER.value, f"CSP-{n + 1:06d} taken over by li.wei: t{n}")
    return [int(r[0]) for r in ws.conn.execute("SELECT id FROM notices WHERE agent = ? ORDER BY id", (agent,))]


def test_mark_all_seen_marks_every_notice_up_to_the_newest_shown(desk: Desk, demo_ws: Workspace) -> None:
    ids = many_notices(demo_ws, 250)
    many_notices(demo_ws, 3, agent=OTHER)
    assert desk.notices.mark_all_seen(ids[-2]) == 249
    assert desk.notices.unseen_count() == 1  # the one that came after the list was drawn stays news
    assert desk.ws.notices.unseen_count(OTHER) == 3  # only one's own


def test_the_feed_news_counts_everything_past_the_last_shown(desk: Desk, demo_ws: Workspace) -> None:
    before = many_notices(demo_ws, 3)
    ids = many_notices(demo_ws, 120)[3:]
    news = desk.notices.news(before[-1], newest=5)
    assert (news.last, news.count) == (ids[-1], 120)
    assert [n.id for n in news.newest] == ids[-5:]  # the newest few, oldest first
    assert desk.notices.news(ids[-1], newest=5).count == 0
