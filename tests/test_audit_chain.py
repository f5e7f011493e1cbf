"""The tamper-evident audit trail (issue 18): the audit log is a hash chain (console/store/audit_chain.py), checked
by ``csp-console audit verify`` and by every console start, a break shown on the health board and to the Global
admins until acknowledged (``audit acknowledge``, itself audited).

Every tampering here is what an agent with write access to the database would do: a connection of their own
(Python's sqlite3 module on the file, as the ``sqlite3`` shell would; psycopg on PostgreSQL, as psql would:
tests/raw_db.py), the triggers dropped, rows changed or deleted."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli.main import main
from console.desk import audit_chain
from console.desk.door import Desk
from console.notices.kinds import Kind
from console.plugins.host import load_plugins
from console.screens.health import HealthScreen
from console.settings.config import Config
from console.store import Workspace
from console.store.audit_chain import TRIGGERS, row_hash
from console.store.migrations import MIGRATIONS, migrate
from tests.audit_tamper import STRANGE_TAIL, STRANGE_TRIGGERS, cli, counters, restore_triggers, tamper
from tests.conftest import NOW
from tests.ui import make_app, settle

ADMIN, HELPDESK, OTHER_ADMIN = "kenji.sato", "aiko.tanaka", "maria.garcia"
ROWS = 10


@pytest.fixture
def ws(demo_ws: Workspace) -> Workspace:
    """The demo workspace with ROWS audit rows written by the console (ids 1..ROWS) and a second Global admin."""
    with demo_ws.transaction():
        for i in range(ROWS):
            demo_ws.audit(HELPDESK, "ticket.note", "ticket", f"CSP-{i:06d}", {"after": {"note": f"note {i}"}})
    if demo_ws.agents.agent(OTHER_ADMIN) is None:
        demo_ws.agents.add_agent(OTHER_ADMIN, OTHER_ADMIN, "", ["global_admin"], ADMIN)
    else:
        demo_ws.agents.set_roles(OTHER_ADMIN, ["global_admin"], ADMIN, "agent.grant")
    return demo_ws


def desk(ws: Workspace, agent: str) -> Desk:
    return Desk(ws, Config(), load_plugins(), agent, lambda: NOW)


def test_every_row_the_console_writes_is_chained_and_verifies(
    ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = ws.conn.execute("SELECT id, at, agent, action, entity, entityId, detail, hash FROM audit_log ORDER BY id")
    previous = ""
    rows = list(rows)
    for row in rows:
        assert row[7] == row_hash(tuple(row[:7]), previous)  # the documented algorithm, recomputed here
        previous = row[7]
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify")
    assert (code, out) == (0, f"audit chain intact: {len(rows)} rows\n")
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify", "--json")
    assert code == 0 and json.loads(out)["intact"] is True and json.loads(out)["rows"] == len(rows)
    # The database still refuses updates and deletes.
    for sql in ("UPDATE audit_log SET agent = 'nobody'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            ws.conn.execute(sql)
    # `audit` itself works as before.
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "--ticket", "CSP-000003")
    assert code == 0 and "note 3" in out


def test_a_changed_row_is_named_even_with_the_triggers_put_back(
    ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = ws.conn.execute("SELECT at FROM audit_log WHERE id = 4").fetchone()[0]
    tamper(ws, """UPDATE audit_log SET detail = '{"after": {"note": "nothing to see"}}' WHERE id = 4""")
    restore_triggers(ws)
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify")
    assert code == 1
    assert out.splitlines()[0] == (
        f"audit chain broken at row 4 ({at}): row 4 was changed after it was written "
        "(its hash does not match its content)"
    )
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify", "--json")
    found = json.loads(out)
    assert code == 1 and [(b["kind"], b["first"]) for b in found["open"]] == [("changed", 4)]


def test_a_row_deleted_in_the_middle_is_named(
    ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tamper(ws, "DELETE FROM audit_log WHERE id IN (5, 6)")
    restore_triggers(ws)
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify")
    at = ws.conn.execute("SELECT at FROM audit_log WHERE id = 4").fetchone()[0]
    assert code == 1
    assert out.splitlines()[0] == f"audit chain broken at rows 5 to 6 were removed (after row 4, {at})"


def test_rows_deleted_at_the_end_are_detected_and_stay_one_break_after_the_next_append(
    ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    last = ws.conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    tamper(ws, f"DELETE FROM audit_log WHERE id > {last - 2}")
    restore_triggers(ws)
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify")
    assert code == 1
    assert f"rows {last - 1} to {last} were removed at the end of the log" in out.splitlines()[0]
    # The console's next row does not reuse their ids: the gap stays, the same break (acknowledged once).
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "acknowledge")
    assert code == 0 and f"acknowledged: rows {last - 1} to {last} were removed" in out
    ids = [r[0] for r in ws.conn.execute("SELECT id FROM audit_log ORDER BY id DESC LIMIT 1")]
    assert ids == [last + 1]  # the acknowledgement, after the gap
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify")
    assert code == 0 and "every break acknowledged (1)" in out
    # Wiping the id counter as well (so the end looks clean) is itself reported.
    tamper(ws, "DELETE FROM audit_log WHERE id > 8", f"DELETE FROM {counters(ws)} WHERE name = 'audit_log'")
    restore_triggers(ws)
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify")
    assert code == 1 and f"{counters(ws)} lost its audit_log row" in out


def test_triggers_missing_changed_or_added_are_reported(
    ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tamper(ws, *STRANGE_TRIGGERS[ws.engine])
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify", "--json")
    what = [b["what"] for b in json.loads(out)["open"]]
    assert code == 1
    assert what[0] == "trigger audit_log_no_update is missing"
    assert what[1].startswith("trigger audit_log_no_delete was changed: CREATE TRIGGER audit_log_no_delete")
    assert what[2].startswith("trigger audit_log_quiet on audit_log is not the console's")
    assert what[2].endswith(STRANGE_TAIL[ws.engine])  # the database's text, never run
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify")
    assert code == 1 and "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    # Acknowledging puts the console's triggers back (and drops the stranger): updates are refused again.
    assert cli(capsys, monkeypatch, ADMIN, ws.locator, "acknowledge")[0] == 0
    assert ws.dialect.triggers_on(ws.conn, "audit_log") == TRIGGERS  # (SQLite: sqlite_master's text)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        ws.conn.execute("DELETE FROM audit_log WHERE agent = 'aiko.tanaka'")
    rows = ws.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert cli(capsys, monkeypatch, ADMIN, ws.locator, "verify") == (0, f"audit chain intact: {rows} rows\n")


def test_acknowledgement_is_a_global_admins_audited_and_a_new_break_shows_again(
    ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tamper(ws, "UPDATE audit_log SET agent = 'li.wei' WHERE id = 2")
    restore_triggers(ws)
    code, out = cli(capsys, monkeypatch, HELPDESK, ws.locator, "acknowledge")
    assert code == 3 and "may not audit.acknowledge: it needs global_admin" in out
    assert ws.conn.execute("SELECT count(*) FROM audit_log WHERE action = 'audit.acknowledge'").fetchone()[0] == 0
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "acknowledge", "--json")
    assert code == 0 and [b["first"] for b in json.loads(out)["acknowledged"]] == [2]
    row = ws.conn.execute(
        "SELECT agent, entity, entityId, detail FROM audit_log WHERE action = 'audit.acknowledge'"
    ).fetchone()
    assert (row[0], row[1]) == (ADMIN, "audit") and row[2].startswith("changed:2:")
    assert json.loads(row[3])["break"].startswith("row 2 (")  # names the break it acknowledges
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify")
    assert code == 0 and "every break acknowledged (1)" in out and f"acknowledged by {ADMIN}" in out
    assert cli(capsys, monkeypatch, ADMIN, ws.locator, "acknowledge") == (
        0,
        "nothing to acknowledge: no open break in the audit chain\n",
    )
    # The same row changed again, and another one: both are new breaks.
    tamper(
        ws,
        "UPDATE audit_log SET agent = 'nobody' WHERE id = 2",
        "UPDATE audit_log SET action = 'x' WHERE id = 7",
    )
    restore_triggers(ws)
    code, out = cli(capsys, monkeypatch, ADMIN, ws.locator, "verify", "--json")
    assert code == 1 and [b["first"] for b in json.loads(out)["open"]] == [2, 7]


def test_a_workspace_upgraded_to_the_chain_has_its_old_rows_chained(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    before = MIGRATIONS.index(audit_chain_migration())
    migrate(conn, target=before)
    conn.executemany(
        "INSERT INTO audit_log (at, agent, action, entity, entityId, detail) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (f"2026-11-2{i % 9}T00:00:00Z", "aiko.tanaka", "ticket.note", "ticket", 17 + i, '{"a": "é"}')
            for i in range(50)
        ],
    )
    migrate(conn)
    conn.close()
    ws = Workspace.open(path)
    try:
        verdict = audit_chain.check(ws)
        assert verdict.report.intact and verdict.report.rows == 50
        with ws.transaction():
            ws.audit("aiko.tanaka", "ticket.note", "ticket", "CSP-000001", {})
        assert ws.conn.execute("SELECT max(id) FROM audit_log").fetchone()[0] == 51
        assert audit_chain.check(ws).report.intact
        for sql in ("UPDATE audit_log SET agent = 'nobody'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                ws.conn.execute(sql)
    finally:
        ws.close()


def audit_chain_migration() -> object:
    from console.store.migrations.audit import m028_audit_chain

    return m028_audit_chain


def test_the_child_process_walk_finds_what_the_thread_finds(ws: Workspace) -> None:
    tamper(ws, "DELETE FROM audit_log WHERE id = 3")
    here, child = audit_chain.check(ws), audit_chain.check(ws, child_above=0)  # a real `python -m` child
    assert child.report == here.report and next(b.what for b in child.open) == "row 3 was removed"


async def test_a_large_log_is_walked_in_a_child_process_at_start(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_chain, "CHILD_ABOVE", 0)  # every log is "large": the real `python -m` child
    tamper(ws, "DELETE FROM audit_log WHERE id = 3")
    restore_triggers(ws)
    app = make_app(ws, tmp_path, agent=HELPDESK, start_screen="health")
    async with app.run_test(size=(140, 45)) as pilot:
        app.settle()
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)
        assert app.screen.audit_text().splitlines()[1].startswith("row 3 was removed (after row 2, ")
        assert app.job_failures() == []


async def test_the_next_start_shows_the_break_to_global_admins_and_on_the_board(ws: Workspace, tmp_path: Path) -> None:
    at = ws.conn.execute("SELECT at FROM audit_log WHERE id = 4").fetchone()[0]
    tamper(ws, """UPDATE audit_log SET detail = '{}' WHERE id = 4""")
    named = f"row 4 ({at}): row 4 was changed after it was written"
    # A helpdesk agent's console: the board shows it, no toast.
    app = make_app(ws, tmp_path, agent=HELPDESK, start_screen="health")
    async with app.run_test(size=(140, 45)) as pilot:
        app.settle()
        await settle(pilot)
        board = app.screen
        assert isinstance(board, HealthScreen)
        lines = board.audit_text().splitlines()
        assert lines[0].startswith("Audit trail broken") and lines[1].startswith(named)
        assert lines[2:] == ["trigger audit_log_no_update is missing", "trigger audit_log_no_delete is missing"]
        assert not [n for n in app._notifications if n.title == "Audit trail broken"]
    # Every Global admin was told by a notice, once however many consoles start.
    for login in (ADMIN, OTHER_ADMIN):
        notices = [n for n in ws.notices.recent(login) if n["kind"] == Kind.AUDIT.value]
        assert len(notices) == 3 and notices[-1]["text"].startswith(named)  # newest first: the row, then triggers
    # A Global admin's console toasts it at each start until it is acknowledged.
    app = make_app(ws, tmp_path, agent=ADMIN)
    async with app.run_test(size=(140, 45)) as pilot:
        app.settle()
        await settle(pilot)
        toasts = [n.message for n in app._notifications if n.title == "Audit trail broken"]
        assert len(toasts) == 1 and toasts[0].startswith(named) and "(+2 more)" in toasts[0]
        assert len([n for n in ws.notices.recent(ADMIN) if n["kind"] == Kind.AUDIT.value]) == 3  # no more
        # Acknowledged (from the command line, as another process would): the open board drops it.
        app.open_health()
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen) and app.screen.audit_text().startswith("Audit trail broken")
        assert [b.key for b in audit_chain.acknowledge(desk(ws, OTHER_ADMIN))] == [b.key for b in app.audit_breaks]
        for _ in range(50):
            await pilot.pause(0.05)
            await settle(pilot)
            if not app.screen.audit_text():
                break
        assert app.screen.audit_text() == ""
    app = make_app(ws, tmp_path, agent=ADMIN, start_screen="health")
    async with app.run_test(size=(140, 45)) as pilot:
        app.settle()
        await settle(pilot)
        assert not [n for n in app._notifications if n.title == "Audit trail broken"]
        assert isinstance(app.screen, HealthScreen) and app.screen.audit_text() == ""


def test_the_syslog_mirror_copies_each_committed_row_outside_the_workspace(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real datagram socket stands in for /dev/log (what syslogd and journald read: RFC 3164 messages)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    address = str(tmp_path / "log.sock")
    server.bind(address)
    server.settimeout(5)
    config = tmp_path / "config.toml"
    config.write_text(f'[audit]\nsyslog = "{address}"\n', encoding="utf-8")
    monkeypatch.setenv("CSP_CONSOLE_AGENT", HELPDESK)
    ticket = ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 1 ORDER BY seq LIMIT 1").fetchone()[0]
    args = ["ticket", "note", ticket, "checked", "--db", str(ws.locator), "--config", str(config)]
    assert main(args) == 0
    message = server.recv(65536).decode("ascii")  # ASCII: no control character reaches the log
    server.close()
    assert message.startswith("<") and "csp-console: audit {" in message
    row = json.loads(message.split("audit ", 1)[1].rstrip("\x00"))
    stored = ws.conn.execute("SELECT id, hash, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert (row["id"], row["hash"], row["action"], row["agent"]) == (stored[0], stored[1], "ticket.note", HELPDESK)
    assert row["detail"] == json.loads(stored[2])
    assert not [c for c in message.rstrip("\x00") if ord(c) < 32 or ord(c) == 127]
    capsys.readouterr()
    # A socket that is not there refuses the command in one sentence; a relative path is refused with its line.
    config.write_text(f'[audit]\nsyslog = "{tmp_path / "nothing.sock"}"\n', encoding="utf-8")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith(f"csp-console: error: {config}: audit.syslog: cannot reach the syslog socket ")
        and err.count("\n") == 1
    )
    config.write_text('[audit]\nsyslog = "dev/log"\n', encoding="utf-8")
    assert main(args) == 1
    assert capsys.readouterr().err == (
        f"csp-console: error: {config}:2: audit.syslog must be the path of a syslog socket, such as /dev/log\n"
    )


APPENDER = """
import sys
from console.store import Workspace
ws = Workspace.open(sys.argv[1], create=False)
for i in range(int(sys.argv[3])):
    with ws.transaction():
        ws.audit(sys.argv[2], "ticket.note", "ticket", "CSP-000001", {"i": i})
ws.close()
"""


def test_agents_appending_at_once_keep_one_unbroken_chain(ws: Workspace) -> None:
    """Four processes append at once: BEGIN IMMEDIATE makes appends serial, so ids follow each other and every
    row chains to the one before it."""
    before = ws.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    procs = [
        subprocess.Popen([sys.executable, "-c", APPENDER, str(ws.locator), f"agent{n}", "60"], stderr=subprocess.PIPE)
        for n in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    verdict = audit_chain.check(ws)
    assert verdict.report.intact and verdict.report.rows == before + 240 == verdict.report.last_id


def test_a_rolled_back_row_is_not_mirrored(ws: Workspace, tmp_path: Path) -> None:
    from console.desk.audit_mirror import syslog_mirror

    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(tmp_path / "log.sock"))
    server.settimeout(0.3)
    ws.mirror = syslog_mirror(str(tmp_path / "log.sock"))
    with pytest.raises(RuntimeError), ws.transaction():
        ws.audit(HELPDESK, "ticket.note", "ticket", "CSP-000001", {"n": "rolled back"})
        raise RuntimeError("the action failed after its audit row")
    with pytest.raises(TimeoutError):
        server.recv(65536)
    with ws.transaction():
        ws.audit(HELPDESK, "ticket.note", "ticket", "CSP-000001", {"n": "kept"})
    assert '"detail":{"n":"kept"}' in server.recv(65536).decode("ascii")
    server.close()
    assert audit_chain.check(ws).report.intact


def test_an_append_committed_during_the_walk_is_no_break(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk and the counter's check read one snapshot: an agent's append committed between them (claims
    append side by side with a verify on PostgreSQL) is neither seen as a row nor as one removed at the end. (On
    PostgreSQL the walk once ran at read committed, each statement its own snapshot: the counter, read after
    the append, was past the walk's last row, said as rows removed at the end.)"""
    from console.store import audit_chain as store_chain

    other = Workspace.open(ws.locator)
    check_end = store_chain._check_end

    def append_then_check(conn: sqlite3.Connection, *args: object) -> None:
        other.audit(HELPDESK, "ticket.note", "ticket", "CSP-000001", {"n": "during the walk"})
        check_end(conn, *args)  # type: ignore[arg-type]

    before = ws.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    monkeypatch.setattr(store_chain, "_check_end", append_then_check)
    try:
        report = store_chain.verify(ws.conn)
        assert report.intact, report.breaks
        assert report.rows == before  # (not the row appended meanwhile)
        monkeypatch.setattr(store_chain, "_check_end", check_end)
        after = store_chain.verify(ws.conn)
        assert after.intact and after.rows == report.rows + 1
    finally:
        other.close()
