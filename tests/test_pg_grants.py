"""``csp-console workspace grants`` (issue 22, "Security by the database"): agents connect with their own PostgreSQL
role; the audit log is INSERT-only for them, the billing rows visible only to the roles the desk's role map allows
``billing.view``, and the console's own checks refuse as before. Real processes and real roles in the worker's
throw-away cluster (tests/pg_engine.py, trust authentication on 127.0.0.1: connecting as a role is naming it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from console.demo.workspace import generate
from console.store import Workspace
from tests.conftest import NOW, set_policy
from tests.pg_engine import Cluster
from tests.test_cli_postgresql import csp, said

pytestmark = pytest.mark.xdist_group("pg_grants")

#: Agents of the demo desk whose database roles exist before the grants run: a Global admin, a Billing admin, a
#: Helpdesk agent and a Sales agent (the desk's policy narrows billing.view to the first two).
ROLES = ("kenji.sato", "tom.becker", "maria.garcia", "priya.nair")
WEIRD = "o'x\"; DROP TABLE receivables; --"


@dataclass
class Desk:
    cluster: Cluster
    database: str
    home: Path

    @property
    def url(self) -> str:
        return self.cluster.url(self.database)

    def url_as(self, login: str) -> str:
        return f"postgresql://{login}@127.0.0.1:{self.cluster.port}/{self.database}"

    def connect(self, login: str) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=self.cluster.port, user=login, dbname=self.database, autocommit=True
        )

    def grants(self, *args: str, agent: str = "kenji.sato", url: str | None = None) -> tuple[int, str]:
        env = {"CSP_CONSOLE_AGENT": agent} if agent else {}
        done = csp(self.home, "workspace", "grants", "--db", url or self.url, *args, **env)
        return done.returncode, said(done)


def _role(cluster: Cluster, login: str) -> None:
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))


@pytest.fixture(scope="module")
def desk(pg_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """A demo desk (owner ``csp``) whose policy allows billing.view to Global and Billing admins only, with an agent
    whose login is hostile SQL, set up by ``workspace grants`` (run twice: the second creates the missing logins)."""
    url = pg_cluster.new_database()
    with Workspace.open(url) as ws:
        generate(ws, tickets=40, seed=7, now=NOW)
        set_policy(ws, {"roles.billing.view": ["billing_admin", "global_admin"]})
        ws.agents.add_agent(WEIRD, "Weird", "weird@example.com", ["helpdesk_agent"], "test")
    for login in ROLES:
        _role(pg_cluster, login)
    made = Desk(pg_cluster, url.rsplit("/", 1)[1], tmp_path_factory.mktemp("grants"))
    code, text = made.grants()
    assert code == 0, text
    assert "members: kenji.sato, maria.garcia, priya.nair, tom.becker" in text
    assert "no such database role (create it, or run with --create-logins)" in text
    code, text = made.grants("--create-logins", "--json")
    assert code == 0, text
    yield made


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else -1


def test_audit_rows_are_insert_only_for_agents(desk: Desk) -> None:
    for login in ("tom.becker", "maria.garcia"):
        with desk.connect(login) as conn:
            assert _count(conn, "audit_log") > 0
            with conn.transaction(force_rollback=True):  # (a raw row would break the chain: rolled back)
                conn.execute(
                    "INSERT INTO audit_log (id, at, agent, action, entity, entityId, detail, hash) SELECT max(id) + 1, "
                    "'2026-11-23T03:00:00Z', current_user, 'test', 'x', 'x', '{}', 'x' FROM audit_log"
                )
            for statement in (
                "UPDATE audit_log SET agent = 'someone else'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
                    conn.execute(statement)
                assert refused.value.sqlstate == "42501"
    with psycopg.connect(desk.url) as owner:
        assert owner.execute("SELECT count(*) FROM audit_log WHERE action = 'test'").fetchone() == (0,)


def test_the_engines_own_tables_and_the_schema_are_the_owners(desk: Desk) -> None:
    """An agent's own session may not change what every console reads before anything else (the migrations'
    record, the columns' spellings, the audit counter) nor make objects in the desk's schema; its audit row still
    moves the counter (the counter's trigger runs as the owner)."""
    with desk.connect("maria.garcia") as conn:
        for statement in (
            "INSERT INTO schema_migrations (version, name, appliedAt) VALUES (999, 'x', 'x')",
            "DELETE FROM csp_columns",
            "UPDATE csp_sequence SET seq = seq + 5",
            "CREATE TABLE mine (x int)",
            "CREATE FUNCTION csp_door() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
        before = conn.execute("SELECT seq FROM csp_sequence WHERE name = 'audit_log'").fetchone()
        conn.execute(
            "INSERT INTO audit_log (id, at, agent, action, entity, entityId, detail, hash) SELECT max(id) + 1, "
            "'2026-11-23T03:00:00Z', current_user, 'test', 'x', 'x', '{}', 'x' FROM audit_log"
        )
        after = conn.execute("SELECT seq FROM csp_sequence WHERE name = 'audit_log'").fetchone()
        conn.rollback()
        assert before is not None and after is not None and after[0] == before[0] + 1


def test_billing_rows_only_for_the_roles_the_role_map_allows(desk: Desk) -> None:
    with psycopg.connect(desk.url) as owner:
        total = _count(owner, "receivables")
    assert total > 0
    with desk.connect("tom.becker") as billing_admin:
        assert _count(billing_admin, "receivables") == total
        assert _count(billing_admin, "receivable_lines") > 0
    for login in ("maria.garcia", "priya.nair"):
        with desk.connect(login) as narrowed:
            for table in ("receivables", "receivable_lines", "partner_invoices", "payments"):
                assert _count(narrowed, table) == 0, (login, table)
            assert _count(narrowed, "tickets") > 0  # (the rest of the desk stays readable)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # new row violates row-level security
                narrowed.execute(
                    "INSERT INTO payments (customerId, receivableId, amount, currencyCode, paidDate, recordedBy) "
                    "VALUES ('c', 'r', 1, 'USD', '2026-11-23', current_user)"
                )


def test_an_agent_cannot_grant_itself_a_role_behind_the_console(desk: Desk) -> None:
    with desk.connect("maria.garcia") as conn:
        conn.execute("SET csp.door = 'on'")  # (the door guard's setting is the session's own: no defence here)
        for statement in (
            "INSERT INTO agent_roles (login, role) VALUES (current_user, 'billing_admin')",
            "INSERT INTO csp_role_grants (action, role) VALUES ('billing.view', 'helpdesk_agent')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute("UPDATE agent_roles SET role = 'global_admin' WHERE login = current_user").rowcount == 0
        assert _count(conn, "receivables") == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE receivables DISABLE ROW LEVEL SECURITY")  # (the owner's alone)


def test_the_consoles_own_checks_stay(desk: Desk) -> None:
    refused = csp(desk.home, "collections", "--db", desk.url_as("priya.nair"))
    assert refused.returncode == 3, said(refused)
    assert "priya.nair (sales_agent) may not billing.view" in refused.stderr
    allowed = csp(desk.home, "collections", "--db", desk.url_as("tom.becker"), "--json")
    assert allowed.returncode == 0, said(allowed)
    agent = csp(desk.home, "collections", "--db", desk.url_as("priya.nair"), CSP_CONSOLE_AGENT="tom.becker")
    assert agent.returncode == 3 and "honoured only for the owner of the database" in agent.stderr, said(agent)


def test_a_policy_change_moves_the_databases_rows_too(desk: Desk) -> None:
    """``policy set roles.billing.view`` by a Global admin (its own role) refreshes ``csp_role_grants`` in the same
    transaction: the Helpdesk agent's raw SELECT follows the role map both ways."""
    widen = "global_admin,billing_admin,helpdesk_agent"
    try:
        done = csp(desk.home, "policy", "set", "roles.billing.view", widen, "--db", desk.url_as("kenji.sato"))
        assert done.returncode == 0, said(done)
        with desk.connect("maria.garcia") as conn:
            assert _count(conn, "receivables") > 0
    finally:
        back = "global_admin,billing_admin"
        done = csp(desk.home, "policy", "set", "roles.billing.view", back, "--db", desk.url_as("kenji.sato"))
        assert done.returncode == 0, said(done)
    with desk.connect("maria.garcia") as conn:
        assert _count(conn, "receivables") == 0


def test_a_hostile_login_is_a_quoted_name_and_nothing_else(desk: Desk) -> None:
    with psycopg.connect(desk.url) as owner:
        assert _count(owner, "receivables") > 0  # still there
        member = owner.execute(
            "SELECT pg_has_role(%s, %s, 'MEMBER'), r.rolcanlogin, r.rolpassword IS NULL FROM pg_authid r "
            "WHERE r.rolname = %s",
            (WEIRD, f"csp_agents_{desk.database}", WEIRD),
        ).fetchone()
    assert member == (True, True, True)  # made LOGIN, no password (peer or certificate authentication)
    with desk.connect(WEIRD) as weird:
        assert weird.execute("SELECT current_user").fetchone() == (WEIRD,)
        assert _count(weird, "tickets") > 0 and _count(weird, "receivables") == 0


def test_only_the_owner_sets_the_database_up(desk: Desk) -> None:
    code, text = desk.grants(agent="", url=desk.url_as("tom.becker"))
    assert code == 3 and "tom.becker (billing_admin) may not agents.manage" in text, text  # the console's check
    code, text = desk.grants(agent="", url=desk.url_as("kenji.sato"))
    assert code == 3 and "only the owner of the database" in text, text  # a Global admin, not the owner
    code, text = desk.grants("--dry-run", "--show-sql")
    assert code == 0 and 'REVOKE UPDATE, DELETE, TRUNCATE ON TABLE "audit_log"' in text, text
    quoted = '"' + WEIRD.replace('"', '""') + '"'  # one identifier: its double quote doubled (psycopg's Identifier)
    assert f'GRANT "csp_agents_{desk.database}" TO {quoted};' in text, text


def test_a_role_outside_the_group_is_told_who_gives_it_rights(desk: Desk) -> None:
    """A new hire's role, added as an agent but not yet given the desk's rights, met "permission denied for table
    csp_columns" and nothing more (a new user's walk-through): the sentence now says who gives them."""
    _role(desk.cluster, "new.hire")
    done = csp(desk.home, "ticket", "show", "CSP-000001", "--db", desk.url_as("new.hire"))
    assert done.returncode == 1, said(done)
    assert "permission denied for table" in done.stderr and "'csp-console workspace grants'" in done.stderr, said(done)


def test_a_sqlite_workspace_is_said_in_one_line(tmp_path: Path) -> None:
    done = csp(tmp_path, "workspace", "grants", "--db", str(tmp_path / "desk.db"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "PostgreSQL workspaces only" in done.stderr, said(done)
