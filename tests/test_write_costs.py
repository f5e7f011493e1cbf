"""What a write costs does not grow with the workspace (issue 23): each test fails on the code before it.

- a change names only the columns it changes (SQLite rewrites every index, and fires every ``UPDATE OF``
  trigger, whose columns the SET clause names, changed or not);
- a claim of a ticket someone else holds is refused from a read, without waiting for the write lock;
- a bulk load into an empty workspace builds the tickets' indexes once at its end, and leaves every index in
  place when it fails;
- an import writes a batch in one statement and gives its new tickets their search entries.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.records.importer import import_files
from console.settings.config import Config
from console.shared.model import BUILTIN_SERVICES
from console.store import Workspace
from console.tickets import ops as ticket_ops
from console.tickets.queue_query import QueueQuery
from tests.raw_db import indexes

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
EXAMPLES = Path(__file__).parent.parent / "examples" / "import"


def _unassigned_new(ws: Workspace) -> dict[str, object]:
    row = ws.conn.execute("SELECT id FROM tickets WHERE assignee IS NULL AND status = 'new' LIMIT 1").fetchone()
    ticket = ws.tickets.ticket(row[0])
    assert ticket is not None
    return ticket


def test_a_claim_names_only_the_columns_it_changes(demo_ws: Workspace) -> None:
    """A claim changes who holds the ticket and its status: the severity rank, the open flag and the SLA due
    date stay as they were, and their indexes are not rewritten (an ``UPDATE OF`` trigger on them stays quiet).
    """
    demo_ws.conn.execute("CREATE TABLE probe (col TEXT)")
    for col in ("severityRank", "isOpen", "slaDueDate", "severity", "customerId"):
        insert = f"INSERT INTO probe VALUES ('{col}')"
        trigger = f"CREATE TRIGGER probe_{col} AFTER UPDATE OF {col} ON tickets BEGIN {insert}; END"
        demo_ws.dialect.schema(demo_ws.conn, trigger)  # (PostgreSQL too fires it for the columns SET names)
    ticket = _unassigned_new(demo_ws)
    after = ticket_ops.claim(demo_ws, ticket, "aiko.tanaka", NOW, timedelta(minutes=30))
    assert after["assignee"] == "aiko.tanaka" and after["status"] == "triaged"
    assert after["version"] == ticket["version"] + 1
    named = [r[0] for r in demo_ws.conn.execute("SELECT col FROM probe")]
    # Before: every derived column was in the SET clause ('severityRank', 'isOpen', 'slaDueDate').
    assert named == []


def test_a_change_that_moves_a_derived_column_still_writes_it(demo_ws: Workspace) -> None:
    ticket = _unassigned_new(demo_ws)
    after = ticket_ops.set_status(demo_ws, ticket, "resolved", "aiko.tanaka", NOW, "fixed_by_partner")
    assert after["isOpen"] == 0 and after["slaDueDate"] == "9999-12-31T23:59:59Z"
    open_rows = demo_ws.conn.execute("SELECT count(*) FROM open_search WHERE rowid = ?", (after["seq"],))
    assert open_rows.fetchone()[0] == 0  # the open tickets' index heard of it (its trigger names isOpen)


def test_a_claim_of_a_held_ticket_is_refused_without_the_write_lock(demo_ws: Workspace) -> None:
    """Four agents claiming one ticket: the three who lose are told so at once, even while another process
    holds the write lock (before: each queued for the lock, here for the whole busy timeout)."""
    ticket = _unassigned_new(demo_ws)
    ticket_ops.claim(demo_ws, ticket, "kenji.sato", NOW, timedelta(minutes=30))
    desk = Desk(demo_ws, Config(), load_plugins(installed=False), "aiko.tanaka", lambda: NOW)
    other = demo_ws.dialect.connect(demo_ws.locator)  # another console's connection, holding the write lock
    demo_ws.dialect.begin(other)
    try:
        start = time.perf_counter()
        with pytest.raises(ticket_ops.ClaimedByOther) as refused:
            desk.claim(str(ticket["id"]))
        assert time.perf_counter() - start < 1.0
    finally:
        demo_ws.dialect.rollback(other)
        other.close()
    assert refused.value.holder == "kenji.sato"


def test_a_takeover_still_takes_the_ticket(demo_ws: Workspace) -> None:
    ticket = _unassigned_new(demo_ws)
    ticket_ops.claim(demo_ws, ticket, "kenji.sato", NOW, timedelta(minutes=30))
    held = demo_ws.tickets.ticket(str(ticket["id"]))
    assert held is not None
    taken = ticket_ops.claim(demo_ws, held, "aiko.tanaka", NOW, timedelta(minutes=30), takeover=True)
    assert taken["assignee"] == "aiko.tanaka"


def _tickets_file(tmp_path: Path, count: int, first: int = 200001) -> Path:
    path = tmp_path / "tickets.jsonl"
    base = json.loads((EXAMPLES / "tickets.jsonl").read_text(encoding="utf-8").splitlines()[0])
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            record = {
                **base,
                "id": f"CSP-{first + n:06d}",
                "title": f"請求書の金額 mismatch {n}",
                "status": "new" if n % 2 else "resolved",
            }
            if record["status"] == "resolved":
                record["resolvedDate"] = record["createdDate"]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def test_an_import_into_an_empty_workspace_builds_every_index_again(empty_ws: Workspace, tmp_path: Path) -> None:
    expected = indexes(empty_ws)
    tickets = _tickets_file(tmp_path, 40)
    result = import_files(empty_ws, [EXAMPLES / "customers.jsonl", tickets], BUILTIN_SERVICES)
    assert result.inserted["tickets"] == 40
    assert indexes(empty_ws) == expected
    assert _bulk_memory(empty_ws) == {"sqlite": "-2000", "postgresql": "64MB"}[empty_ws.engine]  # the defaults
    if empty_ws.engine == "sqlite":
        assert empty_ws.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    else:  # (amcheck: PostgreSQL's contrib module that checks a B-tree index against its table)
        empty_ws.conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        checked = empty_ws.conn.execute(
            "SELECT count(bt_index_check(c.oid, true)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' "
            "AND c.relnamespace = current_schema()::regnamespace"
        ).fetchone()[0]
        assert checked >= len(expected)


def _bulk_memory(ws: Workspace) -> str:
    """The memory a bulk load raises on the workspace's connection (SQLite's page cache, PostgreSQL's
    maintenance_work_mem), as it stands now."""
    sql = {"sqlite": "PRAGMA cache_size", "postgresql": "SHOW maintenance_work_mem"}[ws.engine]
    return str(ws.conn.execute(sql).fetchone()[0])


def test_a_failed_bulk_load_leaves_every_index_in_place(empty_ws: Workspace) -> None:
    expected = indexes(empty_ws)
    with pytest.raises(RuntimeError), empty_ws.bulk_load():
        assert indexes(empty_ws) == expected  # another connection still sees them (not committed)
        raise RuntimeError("the disk is gone")
    assert indexes(empty_ws) == expected


def test_imported_tickets_are_found_with_their_customer(empty_ws: Workspace, tmp_path: Path) -> None:
    """New tickets get their search entries from their records, in both indexes, and their customer's name
    (Japanese two-character words included); into a workspace with tickets (batches) as into an empty one."""
    tickets = _tickets_file(tmp_path, 10)
    import_files(empty_ws, [EXAMPLES / "customers.jsonl", tickets], BUILTIN_SERVICES)
    more = tmp_path / "more"
    more.mkdir()
    import_files(empty_ws, [_tickets_file(more, 10, first=300001)], BUILTIN_SERVICES)
    assert empty_ws.queue.queue_count(QueueQuery(statuses=(), search="金額")) == 20
    assert empty_ws.queue.queue_count(QueueQuery(search="金額")) == 10  # the open ones, from the open index
    names = {r[0]: r[1] for r in empty_ws.conn.execute("SELECT id, companyName FROM customers")}
    for ticket_id in ("CSP-200001", "CSP-300001"):
        row = empty_ws.conn.execute("SELECT customerName, customerId FROM tickets WHERE id = ?", (ticket_id,))
        name, customer = row.fetchone()
        assert name == names[customer]


@pytest.mark.sqlite_only("the write-ahead log's checkpoint is SQLite's: PostgreSQL's checkpointer runs on its own")
def test_the_console_checkpoints_so_that_no_commit_has_to(demo_ws: Workspace, tmp_path: Path) -> None:
    """Agents' commits leave the write-ahead log to the console's checkpoint job (SQLite's default made every
    ~50th claim copy ~1,000 scattered pages back and wait for the disk); the job copies it all back."""
    from console.background.jobs import Jobs, console_jobs
    from console.store.dialect import AUTOCHECKPOINT_PAGES
    from tests.ui import make_app

    assert int(demo_ws.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == AUTOCHECKPOINT_PAGES
    for row in demo_ws.conn.execute("SELECT id FROM tickets WHERE assignee IS NULL LIMIT 60").fetchall():
        ticket = demo_ws.tickets.ticket(row[0])
        assert ticket is not None
        ticket_ops.claim(demo_ws, ticket, "aiko.tanaka", NOW, timedelta(minutes=30))
    app = make_app(demo_ws, tmp_path)
    job = next(j for j in console_jobs(app.desk, app.clock) if j.name == "checkpoint")
    outcome = Jobs().run(job)
    assert outcome.error is None and outcome.ran
    frames, copied = demo_ws.checkpoint()
    assert frames == copied  # nothing left to copy: the job did it
    assert str(outcome.value).endswith("log pages written back") and not str(outcome.value).startswith("0 of 0")
    app.desk.close()


def _resolved_by_agent(ws: Workspace, since: str) -> dict[str, int]:
    rows = ws.conn.execute(
        "SELECT assignee, count(*) FROM tickets WHERE resolvedDate >= ? AND assignee IS NOT NULL GROUP BY 1", (since,)
    )
    return {r[0]: r[1] for r in rows}


@pytest.mark.parametrize("since", ["2026-11-22T15:00:00Z", "2026-11-22T18:30:00Z"])  # Tokyo's day, India's
def test_resolved_today_per_agent_comes_from_its_rollup(demo_ws: Workspace, since: str) -> None:
    """The board's "resolved today" per agent reads the hourly rollup (and the tickets' index for the part of an
    hour before the first whole one): the same counts as counting the tickets, through resolutions, reopenings
    and reassignments, and after a bulk load refilled the rollups."""
    rows = demo_ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 1 ORDER BY seq LIMIT 6").fetchall()
    moments = [datetime(2026, 11, 22, 18, 10, tzinfo=UTC), datetime(2026, 11, 22, 18, 40, tzinfo=UTC), NOW]
    for n, row in enumerate(rows):
        ticket = demo_ws.tickets.ticket(row[0])
        assert ticket is not None
        ticket = ticket_ops.assign(demo_ws, ticket, ["aiko.tanaka", "li.wei"][n % 2], "aiko.tanaka")
        ticket = ticket_ops.set_status(demo_ws, ticket, "resolved", "aiko.tanaka", moments[n % 3], "fixed_by_partner")
        if n == 4:
            ticket = ticket_ops.set_status(demo_ws, ticket, "in_progress", "aiko.tanaka", NOW)
        if n == 5:
            ticket_ops.assign(demo_ws, ticket, "kenji.sato", "aiko.tanaka")

    def board() -> dict[str, int]:
        agents = demo_ws.health.health_agents("2026-11-23T03:00:00Z", since)
        return {a["agent"]: a["resolvedToday"] for a in agents if a["resolvedToday"]}

    assert board() == _resolved_by_agent(demo_ws, since) != {}
    with demo_ws.bulk_load():
        pass
    assert board() == _resolved_by_agent(demo_ws, since)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-11-23T01:15:00Z", "2026-11-23T01:15:00Z"),  # as stored: kept as it is
        ("2026-W47-1T01:15:00Z", "2026-11-16T01:15:00Z"),  # an ISO week date of the same length: converted
        ("2026-11-23T10:15:00+09:00", "2026-11-23T01:15:00Z"),
    ],
)
def test_an_imported_timestamp_is_stored_in_one_form(given: str, stored: str) -> None:
    from console.records.values import Context, Timestamp

    assert Timestamp.parse(given, Context(services=())) == stored


def test_triage_batches_stay_bounded_for_a_customer_with_many_open_tickets(demo_ws: Workspace) -> None:
    batches = list(demo_ws.tickets.iter_open_by_customer(batch=3))
    assert all(len(b) <= 3 for b in batches)
    seen = [r["id"] for b in batches for r in b]
    assert sorted(seen) == sorted(r["id"] for b in demo_ws.tickets.iter_tickets() for r in b)
