"""The audit chain's trigger check on PostgreSQL (console/store/pg_dialect.py, ``triggers_on``): what PostgreSQL
lets someone with write access do to a trigger that SQLite has no word for. The rest of the chain's tests run on
both engines (tests/test_audit_chain.py)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from console.store import Workspace
from console.store.audit_chain import TRIGGERS
from tests.audit_tamper import cli
from tests.raw_db import run

ADMIN = "kenji.sato"


@pytest.fixture
def pg_ws(engine: str, request: pytest.FixtureRequest) -> Workspace:
    """The demo workspace on PostgreSQL, with audit rows 1..5 at least (the tests skip on SQLite: its triggers
    can be neither disabled nor commented)."""
    if engine != "postgresql":
        pytest.skip("ALTER TABLE ... DISABLE TRIGGER and a trigger's comment are PostgreSQL's (--engine postgresql)")
    ws: Workspace = request.getfixturevalue("demo_ws")
    with ws.transaction():
        for i in range(5):
            ws.audit("aiko.tanaka", "ticket.note", "ticket", f"CSP-{i:06d}", {"after": {"note": f"note {i}"}})
    return ws


def test_a_trigger_disabled_or_narrowed_under_its_own_comment_is_reported(
    pg_ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL only (SQLite has no such thing): a trigger kept with the console's comment and function but
    disabled, or made to fire only for one column's updates (PostgreSQL's documentation, CREATE TRIGGER: "UPDATE
    OF column_name ... only if at least one of the listed columns is mentioned as a target of the UPDATE")."""
    restore = TRIGGERS["audit_log_no_update"].replace("'", "''")
    run(
        pg_ws,
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete",
        "DROP TRIGGER audit_log_no_update ON audit_log",
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OF hash ON audit_log FOR EACH ROW "
        "EXECUTE FUNCTION audit_log_no_update_fn()",
        f"COMMENT ON TRIGGER audit_log_no_update ON audit_log IS '{restore}'",
        "UPDATE audit_log SET agent = 'nobody' WHERE id = 3",  # (the narrowed trigger lets it through)
    )
    code, out = cli(capsys, monkeypatch, ADMIN, pg_ws.locator, "verify", "--json")
    what = [b["what"] for b in json.loads(out)["open"]]
    assert code == 1 and what[0].startswith("row 3 was changed")
    assert sorted(what[1:]) == [
        "trigger audit_log_no_delete was changed: CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON "
        "public.audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_no_delete_fn() (disabled: ALTER TABLE ... "
        "DISABLE TRIGGER) -- BEGIN RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = "
        "'integrity_constraint_violation'; RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END; END",
        "trigger audit_log_no_update was changed: CREATE TRIGGER audit_log_no_update BEFORE UPDATE OF hash ON "
        "public.audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_no_update_fn() -- BEGIN RAISE EXCEPTION 'the "
        "audit log is append-only' USING ERRCODE = 'integrity_constraint_violation'; RETURN CASE WHEN TG_OP = "
        "'DELETE' THEN OLD ELSE NEW END; END",
    ]
    # A stranger's trigger that says it is the engine's own counter is still a stranger.
    run(
        pg_ws,
        "CREATE FUNCTION audit_log_quiet_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
        "CREATE TRIGGER audit_log_quiet AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_quiet_fn()",
        "COMMENT ON TRIGGER audit_log_quiet ON audit_log IS 'csp:engine'",
    )
    code, out = cli(capsys, monkeypatch, ADMIN, pg_ws.locator, "verify", "--json")
    stranger = json.loads(out)["open"][-1]["what"]
    assert stranger.startswith("trigger audit_log_quiet on audit_log is not the console's: CREATE TRIGGER")
    # Acknowledged: the console's triggers are back, enabled and whole; a delete is refused again.
    assert cli(capsys, monkeypatch, ADMIN, pg_ws.locator, "acknowledge")[0] == 0
    assert pg_ws.dialect.triggers_on(pg_ws.conn, "audit_log") == TRIGGERS
    for sql in ("UPDATE audit_log SET agent = 'nobody'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            pg_ws.conn.execute(sql)
