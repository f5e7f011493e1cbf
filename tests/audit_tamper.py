"""Tampering with the audit log as someone with write access to the database would (tests/test_audit_chain.py,
tests/test_audit_chain_postgresql.py): a connection of their own (tests/raw_db.py), the engine's own SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli.main import main
from console.store import Workspace
from console.store.audit_chain import TRIGGERS
from tests.raw_db import run


def tamper(ws: Workspace, *sql: str) -> None:
    """What an agent with write access to the database does: the triggers dropped first, then ``sql`` (the
    engine's own SQL), on a connection of their own (tests/raw_db.py)."""
    on = " ON audit_log" if ws.engine == "postgresql" else ""
    run(ws, *(f"DROP TRIGGER IF EXISTS {name}{on}" for name in TRIGGERS), *sql)


def restore_triggers(ws: Workspace) -> None:
    """A careful attacker puts the triggers back as they were (on PostgreSQL: on the functions the drop left, each
    with its SQLite text as its comment, as the console made it)."""
    if ws.engine == "sqlite":
        run(ws, *TRIGGERS.values())
        return
    statements = []
    for name, sql in TRIGGERS.items():
        event = "UPDATE" if name.endswith("_update") else "DELETE"
        statements += [
            f"CREATE TRIGGER {name} BEFORE {event} ON audit_log FOR EACH ROW EXECUTE FUNCTION {name}_fn()",
            f"COMMENT ON TRIGGER {name} ON audit_log IS '{sql.replace(chr(39), chr(39) * 2)}'",
        ]
    run(ws, *statements)


#: A changed trigger and a stranger's, each in the engine's own SQL (PostgreSQL's: as psql would make them).
STRANGE_TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN OLD.agent <> 'kenji.sato' "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER audit_log_quiet AFTER INSERT ON audit_log BEGIN SELECT '\x1b]0;pwned\x07\u202e'; END",
    ),
    "postgresql": (
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW WHEN (OLD.agent <> 'kenji.sato') "
        "EXECUTE FUNCTION audit_log_no_delete_fn()",
        "CREATE FUNCTION audit_log_quiet_fn() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM '\x1b]0;pwned\x07\u202e'; RETURN NULL; END $$",
        "CREATE TRIGGER audit_log_quiet AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_quiet_fn()",
    ),
}
#: How the stranger's trigger ends as a break says it: its control characters escaped.
STRANGE_TAIL = {
    "sqlite": "SELECT '\\u001b]0;pwned\\u0007\\u202e'; END",
    "postgresql": "PERFORM '\\u001b]0;pwned\\u0007\\u202e'; RETURN NULL; END",
}


def counters(ws: Workspace) -> str:
    """The table of the engine's AUTOINCREMENT counters (csp_sequence keeps SQLite's on PostgreSQL)."""
    return {"sqlite": "sqlite_sequence", "postgresql": "csp_sequence"}[ws.engine]


def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, agent: str, db: Path | str, *args: str
) -> tuple[int, str]:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", agent)
    code = main(["audit", *args, "--db", str(db)])
    out = capsys.readouterr()
    return code, out.out + out.err
