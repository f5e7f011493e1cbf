"""``csp-console workspace copy FROM TO`` (issue 22): a desk moved from a SQLite file into a PostgreSQL database and
back, everything the same (every table's rows and digest, the audit chain, the search, the rollups), the copy
going on working (new tickets and audit rows after the copied ids); a target that is not new refused, a copy that
fails midway leaving the target as empty as it was, a password never said. Real files, the worker's throw-away
PostgreSQL cluster (tests/pg_engine.py) and the real command line as a process."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.store import copy_shapes as cs
from console.store import health_rollups as rollups
from console.store.audit_chain import verify
from console.store.connection import connect
from console.store.migrations import MIGRATIONS, migrate
from console.tickets.ops import NewTicket
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW, set_policy
from tests.pg_engine import Cluster

pytestmark = pytest.mark.xdist_group("pg_copy")

ADMIN = "kenji.sato"  # the demo's Global admin (records.import)
SECRET = "hunter2-not-shown"


def csp(home: Path, *args: str, agent: str = ADMIN) -> subprocess.CompletedProcess[str]:
    """``csp-console ARGS`` as a real process (its own config and state folders), as ``agent``."""
    env = {k: v for k, v in os.environ.items() if k not in ("CSP_CONSOLE_AGENT", "CSP_CONSOLE_DB")}
    env.update(XDG_CONFIG_HOME=str(home / "cfg"), XDG_STATE_HOME=str(home / "state"), XDG_DATA_HOME=str(home / "d"))
    env["CSP_CONSOLE_AGENT"] = agent
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args], env=env, capture_output=True, text=True, timeout=300, cwd=home
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def with_password(url: str) -> str:
    """The cluster's URL with a password in it (its trust authentication ignores it; the console must not say it)."""
    user, rest = url.split("://", 1)[1].split("@", 1)
    return f"postgresql://{user}:{SECRET}@{rest}"


def desk_of(ws: Workspace, tmp_path: Path, agent: str = ADMIN) -> Desk:
    config_path = tmp_path / "config.toml"
    write_demo_config(config_path, NOW.date())
    return Desk(ws, load_config(config_path), load_plugins(), agent, lambda: NOW)


@pytest.fixture
def source(tmp_path: Path, demo_file: Path) -> Path:
    """The 400-ticket demo with a desk's day in it: desk rules, a new ticket, claims and notes (audit rows, timeline
    rows, rollups moved by the triggers)."""
    path = tmp_path / "source.db"
    path.write_bytes(demo_file.read_bytes())
    with Workspace.open(path) as ws:
        set_policy(ws, {"claim_minutes": 45})
        desk = desk_of(ws, tmp_path)
        cid = ws.conn.execute("SELECT id FROM customers ORDER BY id LIMIT 1").fetchone()[0]
        new = desk.log_ticket(NewTicket(cid, "phone", "請求書の金額が違う invoice total wrong", contact_name="山田"))
        for ticket in (new, "CSP-000001", "CSP-000002"):
            desk.claim(ticket)
            desk.note(ticket, f"checked {ticket} invoice")
        desk.close()
        assert verify(ws.conn).rows >= 7
    return path


def audit_rows(ws: Workspace) -> list[dict[str, Any]]:
    return [dict(r) for r in ws.conn.execute("SELECT id, agent, action, entityId, detail FROM audit_log ORDER BY id")]


def found(ws: Workspace, text: str) -> list[str]:
    rows = ws.queue.queue_page(QueueQuery(statuses=(), search=text), limit=10_000)
    return sorted(r.id for r in rows)


def recount_differs(ws: Workspace) -> list[str]:
    """The rollup tables whose rows differ from a recount from the tickets (refilled in a transaction rolled back;
    hours compared to a millionth: SQLite's julianday() and PostgreSQL's epoch give the same span in hours apart
    by some 1e-8)."""
    shapes = cs.shapes(ws)
    names = [s.split()[2] for s in rollups.TABLES if s.startswith("CREATE TABLE")]
    kept = {n: _counted(ws, shapes[n.lower()]) for n in names}
    differ = []
    with pytest.raises(RuntimeError), ws.transaction() as conn:
        for name in rollups.TRIGGERS:  # (off while refilling, as the bulk load has them)
            ws.dialect.schema(conn, f"DROP TRIGGER IF EXISTS {name}")
        for statement in rollups.CLEARS + rollups.FILLS:
            ws.dialect.schema(conn, statement)  # (SQLite's spelling, as the bulk load refills them)
        for n in names:
            again = _counted(ws, shapes[n.lower()])
            if not _close(kept[n], again):
                differ.append(n)
        raise RuntimeError("roll back the recount")
    return differ


def _counted(ws: Workspace, shape: cs.Shape) -> list[tuple[Any, ...]]:
    """A rollup's rows less those counting nothing (the triggers leave a row at 0 where a recount has none)."""
    rows = [r for b in cs.batches(ws, shape) for r in b]
    return [r for r in rows if any(v for v in r if isinstance(v, int | float))]


def _close(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    def same(x: Any, y: Any) -> bool:
        if isinstance(x, float) or isinstance(y, float):
            return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-6)
        return bool(x == y)

    return len(a) == len(b) and all(len(r) == len(s) and all(map(same, r, s)) for r, s in zip(a, b, strict=True))


def test_sqlite_to_postgresql_and_back_is_the_same_desk(source: Path, pg_cluster: Cluster, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    back = tmp_path / "back.db"
    to_pg = csp(tmp_path, "workspace", "copy", str(source), with_password(url))
    assert to_pg.returncode == 0, said(to_pg)
    assert SECRET not in said(to_pg) and "digests: all equal" in to_pg.stdout and "audit chain: intact" in to_pg.stdout
    to_file = csp(tmp_path, "workspace", "copy", url, str(back), "--json")
    assert to_file.returncode == 0, said(to_file)
    report = json.loads(to_file.stdout)
    assert report["digestsOk"] and report["chainOk"] and report["toEngine"] == "sqlite"
    assert report["tables"] == len(cs.shapes(Workspace(source))) + 1  # (and the counters)
    assert {t["table"] for t in report["perTable"] if t["rows"]} >= {"tickets", "timeline", "ticket_search"}

    with Workspace.open(source) as a, Workspace.open(url) as b, Workspace.open(back) as c:
        last = verify(a.conn).last_id
        original = cs.digests(a, audit_upto=last)
        for copy in (b, c):
            digests = cs.digests(copy, audit_upto=last)
            assert {k: v for k, v in digests.items() if k != "sqlite_sequence"} == {
                k: v for k, v in original.items() if k != "sqlite_sequence"
            }
            assert original["tickets"][0] == 401 and original["audit_log"][0] == last
        # the copies' own rows: who copied from where (no password), chained after the source's
        added = [r for r in audit_rows(c) if r["id"] > last]
        assert [(r["id"], r["action"], r["agent"]) for r in added] == [
            (last + 1, "workspace.copy", ADMIN),
            (last + 2, "workspace.copy", ADMIN),
        ]
        assert json.loads(added[0]["detail"])["from"] == str(source)
        assert json.loads(added[1]["detail"])["from"] == url and SECRET not in added[0]["entityId"]
        for ws in (a, b, c):
            assert verify(ws.conn).intact
            assert ws.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()[0] == (
                verify(ws.conn).last_id
            )
        for text in ("invoice", "金額"):
            hits = found(a, text)
            assert hits and found(b, text) == hits and found(c, text) == hits
        assert found(a, "金額") != found(a, "invoice")
        for ws in (b, c):
            assert recount_differs(ws) == []
    for at in (url, str(back)):
        checked = csp(tmp_path, "audit", "verify", "--db", at)
        assert checked.returncode == 0, said(checked)
        assert "audit chain intact" in checked.stdout


def test_the_postgresql_copy_goes_on_working(source: Path, pg_cluster: Cluster, tmp_path: Path) -> None:
    """New rows after the copied ones: every identity column's next id is the one after the highest copied (its
    sequence was set past them), and the desk's new audit rows go on the copied chain."""
    url = pg_cluster.new_database()
    assert csp(tmp_path, "workspace", "copy", str(source), url).returncode == 0
    with Workspace.open(url) as ws:
        last = verify(ws.conn).last_id
        identities = ws.conn.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE a.attidentity <> '' AND c.relnamespace = current_schema()::regnamespace"
        ).fetchall()
        assert {"tickets", "timeline", "audit_log", "directory"} <= {t for t, _ in identities}
        for table, column in identities:
            top = ws.conn.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]
            given = ws.conn.execute("SELECT nextval(pg_get_serial_sequence(?, ?))", (table, column)).fetchone()[0]
            assert given == top + 1, table
        assert top_of(ws, "tickets", "seq") == 401 and top_of(ws, "timeline", "id") > 450
        desk = desk_of(ws, tmp_path)
        desk.agents.add("new.agent", ["helpdesk_agent"], "New Agent", "new.agent@example.com")
        desk.close()
        report = verify(ws.conn)
        assert report.intact and report.last_id == last + 1
        assert audit_rows(ws)[-1]["action"].startswith("agent.") and audit_rows(ws)[-1]["id"] == last + 1
    assert csp(tmp_path, "audit", "verify", "--db", url).returncode == 0
    assert csp(tmp_path, "agents", "list", "--db", url, agent="new.agent").returncode == 0


def top_of(ws: Workspace, table: str, column: str) -> int:
    return int(ws.conn.execute(f"SELECT max({column}) FROM {table}").fetchone()[0])


def test_a_new_ticket_on_the_postgresql_copy(source: Path, pg_cluster: Cluster, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    assert csp(tmp_path, "workspace", "copy", str(source), url).returncode == 0
    with Workspace.open(url) as ws:
        desk = desk_of(ws, tmp_path)
        cid = ws.conn.execute("SELECT id FROM customers ORDER BY id LIMIT 1").fetchone()[0]
        try:
            new = desk.log_ticket(NewTicket(cid, "email", "After the move", contact_name="Pat"))
        finally:
            desk.close()
        assert new == "CSP-000402" and found(ws, "After the move") == [new]


def test_a_target_that_is_not_new_is_refused(source: Path, pg_cluster: Cluster, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    assert csp(tmp_path, "workspace", "copy", str(source), url).returncode == 0
    with Workspace.open(url) as ws:
        kept = cs.digests(ws)
    again = csp(tmp_path, "workspace", "copy", str(source), with_password(url))
    assert again.returncode == 1, said(again)
    shown = url.replace("csp@", "csp:***@")
    assert again.stderr.startswith(f"csp-console: error: {shown}: not empty (") and again.stderr.count("\n") == 1
    assert SECRET not in said(again) and "Traceback" not in said(again)
    with Workspace.open(url) as ws:
        assert cs.digests(ws) == kept  # untouched
    # a workspace file: refused, and kept (it is not the copy's to remove)
    other = tmp_path / "other.db"
    other.write_bytes(source.read_bytes())
    refused = csp(tmp_path, "workspace", "copy", url, str(other), "--json")
    assert refused.returncode == 1 and json.loads(refused.stderr)["message"].startswith(f"{other}: not empty (")
    assert other.read_bytes() == source.read_bytes()


def test_a_copy_that_fails_midway_leaves_the_database_empty(source: Path, pg_cluster: Cluster, tmp_path: Path) -> None:
    """A value PostgreSQL cannot hold (text in an integer column, which SQLite's type affinity keeps) in the last
    ticket: the copy fails after most tables were written, and the rollback leaves every table of the database
    empty."""
    with Workspace.open(source) as ws, ws.transaction() as conn:
        conn.execute("UPDATE tickets SET replyCount = 'many' WHERE seq = 400")
    url = pg_cluster.new_database()
    failed = csp(tmp_path, "workspace", "copy", str(source), with_password(url))
    assert failed.returncode == 1, said(failed)
    assert failed.stderr.count("\n") == 1 and "Traceback" not in said(failed) and SECRET not in said(failed)
    assert (
        ": the copy stopped at tickets (rows 1 to " in failed.stderr
        and "invalid input syntax for type bigint" in failed.stderr
    )
    with Workspace.open(url) as ws:
        shapes = cs.shapes(ws)
        assert len(shapes) > 50
        assert [n for n, s in shapes.items() if n != "schema_migrations" and cs.has_rows(ws, s)] == []
        assert not cs.has_rows(ws, cs.SEQUENCE)
        assert ws.schema_version() == len(MIGRATIONS)
    # the same database takes the copy once the source is mended
    with Workspace.open(source) as ws, ws.transaction() as conn:
        conn.execute("UPDATE tickets SET replyCount = 0 WHERE seq = 400")
    assert csp(tmp_path, "workspace", "copy", str(source), url).returncode == 0


def test_a_nul_in_text_copies_as_the_symbol_shown_for_it(source: Path, pg_cluster: Cluster, tmp_path: Path) -> None:
    """PostgreSQL's text holds no NUL ("PostgreSQL text fields cannot contain NUL (0x00) bytes", psycopg's
    DataError); SQLite keeps one (a hostile mail, a pasted note). The copy stores it as U+2400, the control picture
    the console shows for a NUL on either engine, and both sides' digests agree; and back again."""
    with Workspace.open(source) as ws, ws.transaction() as conn:
        conn.execute("UPDATE tickets SET body = ? WHERE seq = 400", ("before\x00after",))
    url = pg_cluster.new_database()
    copied = csp(tmp_path, "workspace", "copy", str(source), url)
    assert copied.returncode == 0, said(copied)
    with Workspace.open(url) as ws:
        assert ws.conn.execute("SELECT body FROM tickets WHERE seq = 400").fetchone()[0] == "before\u2400after"
    back = tmp_path / "back.db"
    assert csp(tmp_path, "workspace", "copy", url, str(back)).returncode == 0
    with Workspace.open(back) as ws:
        assert ws.conn.execute("SELECT body FROM tickets WHERE seq = 400").fetchone()[0] == "before\u2400after"


def test_a_copy_that_fails_into_a_file_removes_it(source: Path, tmp_path: Path) -> None:
    """A source whose rows break a foreign key (written past the console, foreign keys off): the copy into a new file
    fails at that row, and the half-written file is removed."""
    raw = sqlite3.connect(source)
    raw.create_function("csp_door", 0, lambda: 1)
    raw.execute("INSERT INTO agent_roles (login, role) VALUES ('nobody.here', 'global_admin')")
    raw.commit()
    raw.close()
    target = tmp_path / "new.db"
    failed = csp(tmp_path, "workspace", "copy", str(source), str(target))
    assert failed.returncode == 1, said(failed)
    assert failed.stderr.startswith(f"csp-console: error: {target}: the copy stopped at agent_roles (rows 1 to ")
    assert "FOREIGN KEY" in failed.stderr and failed.stderr.count("\n") == 1
    assert not list(tmp_path.glob("new.db*"))


def test_bad_places_are_said_in_one_line(source: Path, pg_cluster: Cluster, tmp_path: Path) -> None:
    missing = csp(tmp_path, "workspace", "copy", str(tmp_path / "nothere.db"), str(tmp_path / "x.db"))
    assert (
        missing.returncode == 1
        and missing.stderr == f"csp-console: error: {tmp_path / 'nothere.db'}: no workspace here\n"
    )
    assert not (tmp_path / "nothere.db").exists() and not (tmp_path / "x.db").exists()
    no_db = csp(tmp_path, "workspace", "copy", str(source), f"postgresql://csp:{SECRET}@127.0.0.1:{pg_cluster.port}/")
    assert no_db.returncode == 1 and "the URL names no database" in no_db.stderr and SECRET not in said(no_db)
    closed = csp(tmp_path, "workspace", "copy", str(source), f"postgresql://csp:{SECRET}@127.0.0.1:1/db")
    assert closed.returncode == 1 and "postgresql://csp:***@127.0.0.1:1/db: cannot connect" in closed.stderr
    assert SECRET not in said(closed) and closed.stderr.count("\n") == 1
    same = csp(tmp_path, "workspace", "copy", str(source), str(source))
    assert same.returncode == 1 and "the copy's target is its source" in same.stderr
    empty_db = pg_cluster.new_database()
    nothing = csp(tmp_path, "workspace", "copy", empty_db, str(tmp_path / "y.db"))
    assert nothing.returncode == 1 and f"{empty_db}: holds no workspace" in nothing.stderr
    assert not (tmp_path / "y.db").exists()


def test_a_source_at_another_schema_version_is_refused_untouched(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    conn = connect(old)
    migrate(conn, len(MIGRATIONS) - 1)
    conn.close()
    refused = csp(tmp_path, "workspace", "copy", str(old), str(tmp_path / "new.db"))
    assert refused.returncode == 1, said(refused)
    assert f"{old}: schema version {len(MIGRATIONS) - 1}, this console's is {len(MIGRATIONS)}" in refused.stderr
    conn = connect(old)
    assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS) - 1
    conn.close()
    assert not (tmp_path / "new.db").exists()


def test_only_an_agent_who_may_import_copies(source: Path, tmp_path: Path) -> None:
    refused = csp(tmp_path, "workspace", "copy", str(source), str(tmp_path / "new.db"), agent="maria.garcia")
    assert refused.returncode == 3, said(refused)
    assert "records.import" in refused.stderr or "Global admin" in refused.stderr
    assert not (tmp_path / "new.db").exists()


def test_a_copy_reads_each_table_through_a_server_side_cursor(
    demo_ws: Workspace, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy's source is read BATCH rows at a time: on PostgreSQL from a server-side cursor inside the copy's
    snapshot (``pg_cursors`` lists it while the rows come), so a table of millions is never held whole in the
    client's memory; SQLite steps through its rows as they are fetched."""
    monkeypatch.setattr(cs, "BATCH", 100)  # (the demo's 450 timeline rows: several batches)
    shape = cs.shapes(demo_ws)["timeline"]
    total = demo_ws.conn.execute("SELECT count(*) FROM timeline").fetchone()[0]
    assert total > cs.BATCH  # more than one batch
    with demo_ws.transaction():
        stream = cs.batches(demo_ws, shape)
        first = next(stream)
        assert len(first) == cs.BATCH
        if engine == "postgresql":
            open_cursors = demo_ws.conn.execute("SELECT name FROM pg_cursors").fetchall()
            assert [r[0] for r in open_cursors if str(r[0]).startswith("csp_stream_")]
        rest = sum(len(b) for b in stream)
    assert len(first) + rest == total
    assert cs.table_digest(demo_ws, shape).rows == total  # outside a transaction too (the result comes whole)


def test_a_stream_let_go_after_its_transaction_leaves_the_next_one_alone(
    demo_ws: Workspace, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream of rows kept alive past its transaction (a traceback holding the copy's generator) and let go while
    the session is in another transaction: nothing it does then may abort that transaction (a CLOSE of a cursor
    the first transaction took with it fails with SQLSTATE 34000 and would)."""
    monkeypatch.setattr(cs, "BATCH", 100)
    shape = cs.shapes(demo_ws)["timeline"]
    demo_ws.conn.execute("BEGIN")
    stream = cs.batches(demo_ws, shape)
    assert len(next(stream)) == 100
    demo_ws.conn.execute("ROLLBACK")
    with demo_ws.transaction():
        stream.close()  # let go inside the next transaction
        demo_ws.audit("kenji.sato", "ticket.note", "ticket", "CSP-000001", {"after": {"note": "still fine"}})
    assert demo_ws.conn.execute("SELECT count(*) FROM audit_log WHERE detail LIKE '%still fine%'").fetchone()[0] == 1
    if engine == "postgresql":
        with demo_ws.transaction():  # and one let go in its own transaction is closed there
            stream = cs.batches(demo_ws, shape)
            next(stream)
            stream.close()
            assert not demo_ws.conn.execute("SELECT name FROM pg_cursors WHERE name LIKE 'csp_stream_%'").fetchall()
