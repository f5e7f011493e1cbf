"""The workspace: pragmas, migrations, transactions, concurrency (on the engine in use: tests/engine_ws.py)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from console.settings.paths import child_env
from console.store import Workspace, WorkspaceError, connect, transaction
from console.store import migrations as mig
from tests.engine_ws import TABLES, NewWs
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.engine_ws import new_ws_fixture as new_ws_fixture

CUSTOMER = ("c1", "t1", "c1.example", "Contoso", "reseller")


@pytest.mark.sqlite_only("SQLite's pragmas")
def test_connection_pragmas(tmp_path: Path) -> None:
    conn = connect(tmp_path / "w.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_migrate_from_empty_applies_all_in_order(new_ws: NewWs) -> None:
    ws = Workspace.open(new_ws("w"))
    rows = ws.conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [tuple(r) for r in rows] == [(i + 1, m.__name__) for i, m in enumerate(mig.MIGRATIONS)]
    tables = {r[0] for r in ws.conn.execute(TABLES[ws.engine])}
    for table in (
        "customers",
        "subscriptions",
        "receivables",
        "support_offers",
        "tickets",
        "timeline",
        "findings",
        "escalations",
        "agents",
        "agent_roles",
        "audit_log",
        "ticket_search",
    ):
        assert table in tables
    assert ws.schema_version() == Workspace.latest_schema_version()
    # Opening again applies nothing.
    assert mig.migrate(ws.conn) == []


@pytest.mark.parametrize("start", range(1, len(mig.MIGRATIONS)))
def test_migrate_from_every_earlier_version_keeps_data(new_ws: NewWs, start: int) -> None:
    path = new_ws("w")
    conn = connect(path)
    assert len(mig.migrate(conn, target=start)) == start
    conn.execute(
        "INSERT INTO customers (id, tenantId, domain, companyName, relationshipToPartner) VALUES (?, ?, ?, ?, ?)",
        CUSTOMER,
    )
    conn.close()
    ws = Workspace.open(path)
    assert ws.schema_version() == len(mig.MIGRATIONS)
    assert ws.conn.execute("SELECT companyName FROM customers").fetchone()[0] == "Contoso"
    ws.close()


def test_failing_migration_leaves_previous_version(new_ws: NewWs, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(db: object) -> None:
        db.execute("CREATE TABLE half_done (x INTEGER)")  # type: ignore[attr-defined]
        raise sqlite3.OperationalError("boom")

    monkeypatch.setattr(mig, "MIGRATIONS", [*mig.MIGRATIONS, broken])
    conn = connect(new_ws("w"))
    with pytest.raises(sqlite3.OperationalError):
        mig.migrate(conn)
    assert mig.current_version(conn) == len(mig.MIGRATIONS) - 1
    names = {r[0] for r in conn.execute(TABLES[engine])}
    assert "customers" in names
    assert "half_done" not in names


def test_newer_workspace_is_refused(new_ws: NewWs) -> None:
    path = new_ws("w")
    Workspace.open(path).close()
    conn = connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01T00:00:00Z')")
    conn.close()
    with pytest.raises(WorkspaceError, match="newer than this console"):
        Workspace.open(path)


OPEN_AT_THE_SIGNAL = """
import sys, time
from pathlib import Path
from console.settings.paths import child_workspace
from console.store import Workspace
path, ready, go = child_workspace(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.001)
try:
    Workspace.open(path).close()
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
    sys.exit(1)
"""


def test_concurrent_opens_of_an_outdated_workspace_all_succeed(new_ws: NewWs, tmp_path: Path) -> None:
    """Eight processes open a workspace left at an old schema at the same moment (the morning after an
    upgrade): each migration is applied once, by whichever process takes the write lock first; the others
    wait for it and then find it recorded. Before the version was read inside the lock, most opens failed
    with "table ... already exists"."""
    import subprocess
    import sys

    path = new_ws("w")
    conn = connect(path)
    mig.migrate(conn, target=11)
    conn.close()
    go = tmp_path / "go"
    readies = [tmp_path / f"ready-{n}" for n in range(8)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AT_THE_SIGNAL, "-", str(ready), str(go)],
            env=child_env(path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        for ready in readies
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in readies) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert all(r.exists() for r in readies), "the openers never got ready"
        go.touch()  # the barrier: all eight are past their imports and open at once
        results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    failures = [f"{out.strip()} {err.strip()[-500:]}" for code, out, err in results if code != 0]
    assert failures == []
    ws = Workspace.open(path)
    assert ws.schema_version() == len(mig.MIGRATIONS)
    rows = ws.conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [tuple(r) for r in rows] == [(i + 1, m.__name__) for i, m in enumerate(mig.MIGRATIONS)]
    ws.close()


@pytest.mark.sqlite_only("a file that is no SQLite database")
def test_not_a_database_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not sqlite" * 100)
    with pytest.raises(WorkspaceError, match=r"notes\.txt"):
        Workspace.open(path)


@pytest.mark.sqlite_only("a missing file (an empty database: tests/test_cli_postgresql.py)")
def test_open_without_create_names_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"no workspace at .*missing\.db: create one with `csp-console import"):
        Workspace.open(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.sqlite_only("a file (an empty database: tests/test_cli_postgresql.py)")
def test_an_empty_file_opened_without_create_stays_empty(tmp_path: Path) -> None:
    """A zero-byte file given to a command that reads (``ticket show``, ``audit``) became an 840 kB workspace
    with no agent in it, and the command then said to ask a Global admin, whom it could not have."""
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(WorkspaceError, match=r"the workspace .*empty\.db is empty \(0 bytes\): create one"):
        Workspace.open(path, create=False)
    assert path.stat().st_size == 0 and sorted(tmp_path.iterdir()) == [path]
    Workspace.open(path).close()  # where a workspace is to be made (import, the demo), an empty file takes one


@pytest.mark.sqlite_only("a SQLite file of another program's")
@pytest.mark.parametrize("create", [False, True])
def test_another_programs_sqlite_database_is_refused_and_left_as_it_was(tmp_path: Path, create: bool) -> None:
    """Opened as a workspace (``--db`` pointing at the wrong ``.db``), another program's database got all our
    tables, and its journal mode was turned to WAL."""
    import sqlite3

    path = tmp_path / "inventory.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE parts (sku TEXT)")
    other.commit()
    other.close()
    before = path.read_bytes()
    with pytest.raises(WorkspaceError, match=r"inventory\.db is a SQLite database of something else, not a work"):
        Workspace.open(path, create=create)
    assert path.read_bytes() == before and sorted(tmp_path.iterdir()) == [path]


def test_transaction_rolls_back_on_error(empty_ws: Workspace) -> None:
    with pytest.raises(RuntimeError), transaction(empty_ws.conn):
        empty_ws.conn.execute(
            "INSERT INTO customers (id, domain, companyName, relationshipToPartner) VALUES ('x', 'd', 'n', 'reseller')"
        )
        raise RuntimeError("stop")
    assert empty_ws.records.counts()["customers"] == 0


def test_foreign_keys_are_enforced(empty_ws: Workspace) -> None:
    with pytest.raises(sqlite3.IntegrityError), empty_ws.transaction():
        empty_ws.conn.execute(
            "INSERT INTO receivables (id, customerId, invoiceDate, dueDate, totalCharges, currencyCode, status) "
            "VALUES ('i', 'nobody', '2026-01-01', '2026-02-01', '1', 'USD', 'open')"
        )


def test_concurrent_writers_from_two_handles_all_succeed(new_ws: NewWs) -> None:
    path = new_ws("w")
    Workspace.open(path).close()
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        ws = Workspace.open(path)
        try:
            for i in range(50):
                with ws.transaction():
                    ws.conn.execute(
                        "INSERT INTO customers (id, domain, companyName, relationshipToPartner) "
                        "VALUES (?, 'd', 'n', 'reseller')",
                        (f"{prefix}{i}",),
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            ws.close()

    threads = [threading.Thread(target=writer, args=(p,)) for p in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ws = Workspace.open(path)
    assert ws.records.counts()["customers"] == 150
    ws.close()


def test_connections_of_finished_threads_are_closed(empty_ws: Workspace) -> None:
    def read() -> None:
        empty_ws.records.counts()

    for _ in range(20):
        t = threading.Thread(target=read)
        t.start()
        t.join()
    empty_ws.records.counts()  # the main thread's connection, opening prunes the dead ones
    read_in_thread = threading.Thread(target=read)
    read_in_thread.start()
    read_in_thread.join()
    assert empty_ws.open_connections <= 2


CLOSE_WHILE_A_THREAD_READS = """
import sys, threading, time
from console.settings.paths import child_workspace
from console.store import Workspace, is_interrupted
ws = Workspace.open(child_workspace(sys.argv[1]))
started, said = threading.Event(), []

def long_read():
    conn = ws.conn
    started.set()
    try:
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000000) SELECT count(*) FROM n"
        ).fetchone()
        said.append("finished")
    except Exception as exc:
        said.append(f"{type(exc).__name__}: {exc} ({is_interrupted(exc)})")

worker = threading.Thread(target=long_read)
worker.start()
started.wait()
time.sleep(0.3)
ws.close()  # as the console quits while a worker still counts
worker.join(30)
print(said, ws.open_connections)
"""


def test_closing_while_another_thread_reads_interrupts_it_instead_of_crashing(new_ws: NewWs, engine: str) -> None:
    import subprocess
    import sys

    path = new_ws("w")
    Workspace.open(path).close()
    run = subprocess.run(
        [sys.executable, "-c", CLOSE_WHILE_A_THREAD_READS, "-"],
        env=child_env(path),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    # (PostgreSQL's words for a query cancelled, SQLSTATE 57014 query_canceled: its manual's "Canceling Requests")
    stopped = {"sqlite": "interrupted", "postgresql": "canceling statement due to user request"}[engine]
    assert run.stdout.strip() == f"['OperationalError: {stopped} (True)'] 0"  # and said to be an interrupt


def test_changed_since_sees_other_connections_commits_and_treats_a_busy_file_as_no_news(
    empty_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed, version = empty_ws.changed_since(None)
    assert not changed and isinstance(version, int)  # the first read is the baseline
    assert empty_ws.changed_since(version) == (False, version)
    other = Workspace.open(empty_ws.locator)
    other.agents.add_agent("someone", "Some One", "someone@example.com", ["helpdesk_agent"], by="test")
    changed, now = empty_ws.changed_since(version)
    # (SQLite's data_version moves at the commit; PostgreSQL's notice reaches the listening session just after
    # it: "delivered ... between transactions", PostgreSQL's documentation of NOTIFY. At most 5 s here.)
    deadline = time.monotonic() + 5
    while not changed and time.monotonic() < deadline:
        time.sleep(0.01)
        changed, now = empty_ws.changed_since(version)
    assert changed and now != version
    assert empty_ws.changed_since(now) == (False, now)

    def busy() -> int:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(empty_ws, "data_version", busy)
    assert empty_ws.changed_since(now) == (False, now)
    other.close()


def test_a_store_with_a_fixed_clock_stamps_everything_it_writes_with_that_time(new_ws: NewWs, demo_copy: NewWs) -> None:
    """The store reads no wall clock: its audit rows, ticket changes, timeline events and migration records all
    carry the time of the clock it was given."""
    from datetime import UTC, datetime

    from console.records.kinds import TICKETS

    fixed = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
    stamp = "2031-02-03T04:05:06Z"
    fresh = Workspace.open(new_ws("fresh"), clock=lambda: fixed)
    applied = {r[0] for r in fresh.conn.execute("SELECT appliedAt FROM schema_migrations")}
    fresh.close()
    assert applied == {stamp}

    ws = Workspace.open(demo_copy("demo"), clock=lambda: fixed)
    first_new = (ws.conn.execute("SELECT max(id) FROM audit_log").fetchone()[0] or 0) + 1
    ticket = ws.tickets.update_ticket(
        "CSP-000001",
        expected_version=None,
        changes={"title": "Printer on fire", "assignee": "aiko.tanaka", "claimedUntil": "2000-01-01T00:00:00Z"},
        events=[{"kind": "note", "text": "looked at it"}],
        agent="aiko.tanaka",
        action="ticket.note",
    )
    record = {f: ticket[f] for f in TICKETS.field_names}
    created = ws.tickets.create_ticket(record, "aiko.tanaka")
    ws.agents.add_agent("new.agent", "New Agent", "new.agent@example.com", ["helpdesk_agent"], by="aiko.tanaka")
    ws.queue.save_view("aiko.tanaka", "mine", {"assignee": "aiko.tanaka"})
    assert ws.tickets.release_expired_claims("2001-01-01T00:00:00Z") == ["CSP-000001"]

    audited = ws.conn.execute("SELECT DISTINCT at FROM audit_log WHERE id >= ?", (first_new,)).fetchall()
    assert [r[0] for r in audited] == [stamp]
    actions = [r[0] for r in ws.conn.execute("SELECT action FROM audit_log WHERE id >= ?", (first_new,))]
    assert actions == ["ticket.note", "ticket.create", "agent.add", "ticket.claim_expired"]
    assert ticket["lastModifiedDate"] == stamp
    released = ws.tickets.ticket("CSP-000001")
    assert released is not None and released["assignee"] is None and released["lastModifiedDate"] == stamp
    assert ws.tickets.timeline(ticket["seq"])[-1]["createdDate"] == stamp
    new_ticket = ws.tickets.ticket(created)
    assert new_ticket is not None and new_ticket["lastModifiedDate"] == stamp
    assert ws.conn.execute("SELECT createdDate FROM saved_views WHERE name = 'mine'").fetchone()[0] == stamp
    ws.close()


@pytest.mark.sqlite_only("SQLite's trigger text (sqlite_master), as an earlier release wrote it")
def test_migration_20_replaces_the_collections_rollup_triggers(tmp_path: Path) -> None:
    """A workspace made before migration 20 has ``INSERT OR REPLACE`` triggers, which abort inside an upsert of
    receivables; migrating rewrites all three as upserts."""
    conn = connect(tmp_path / "w.db")
    mig.migrate(conn, target=19)

    def triggers() -> dict[str, str]:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE name LIKE 'health_customer_due_%'")
        return {name: sql for name, sql in rows if sql and "TRIGGER" in sql}

    # As a workspace made before migration 20 has them (the trigger text of the earlier release):
    unpaid = "status IN ('open', 'partial', 'disputed')"
    old = (
        "INSERT OR REPLACE INTO health_customer_due (customerId, oldestDue) SELECT {c}, "
        f"(SELECT min(dueDate) FROM receivables WHERE customerId = {{c}} AND {unpaid});"
    )
    for name, when, rows in (("insert", "INSERT", "NEW"), ("delete", "DELETE", "OLD")):
        conn.execute(f"DROP TRIGGER health_customer_due_{name}")
        conn.execute(
            f"CREATE TRIGGER health_customer_due_{name} AFTER {when} ON receivables "
            f"BEGIN {old.format(c=rows + '.customerId')} END"
        )
    conn.execute("DROP TRIGGER health_customer_due_update")
    conn.execute(
        "CREATE TRIGGER health_customer_due_update AFTER UPDATE OF status, dueDate, customerId ON receivables "
        f"BEGIN {old.format(c='OLD.customerId')} {old.format(c='NEW.customerId')} END"
    )
    assert len(triggers()) == 3 and all("INSERT OR REPLACE" in sql for sql in triggers().values())
    mig.migrate(conn)
    assert len(triggers()) == 3 and not any("INSERT OR REPLACE" in sql for sql in triggers().values())
    conn.execute("INSERT INTO customers (id, companyName) VALUES ('c1', 'Alpine')") if False else None
    conn.close()


def test_a_workspace_migrated_by_another_build_is_refused_by_name(new_ws: NewWs) -> None:
    """Migration numbers are positions in MIGRATIONS: a workspace whose recorded migration at a position has
    another name (made by a build with other migrations there) is refused with both names, never half-applied
    (found in review: a branch build's m025 at position 23 made main skip its own 23, the notices tables)."""
    path = new_ws("w")
    Workspace.open(path).close()
    conn = connect(path)
    last = len(mig.MIGRATIONS)
    conn.execute("DELETE FROM schema_migrations WHERE version = ?", (last,))
    conn.execute("UPDATE schema_migrations SET name = 'm099_from_a_branch' WHERE version = ?", (last - 1,))
    conn.close()
    before = path.read_bytes() if isinstance(path, Path) else mig.current_version(connect(path))
    with pytest.raises(WorkspaceError, match=f"migration {last - 1} is 'm099_from_a_branch'") as raised:
        Workspace.open(path)
    assert mig.MIGRATIONS[last - 2].__name__ in str(raised.value)
    # nothing applied on top of the foreign schema (on SQLite: not a byte of the file changed)
    assert (path.read_bytes() if isinstance(path, Path) else mig.current_version(connect(path))) == before
