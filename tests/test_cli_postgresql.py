"""The command line on a PostgreSQL workspace: ``--db postgresql://...`` and ``CSP_CONSOLE_DB``, the demo into an
empty database, errors naming the URL without its password, and the agent told by the database (the session's
role; ``CSP_CONSOLE_AGENT`` for the database's owner only). Real processes against the worker's throw-away
cluster (tests/pg_engine.py); they need no ``--engine``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pg_engine import Cluster

pytestmark = pytest.mark.xdist_group("pg_cli")


def csp(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``csp-console ARGS`` as a real process, with its own config and state folders."""
    base = {k: v for k, v in os.environ.items() if k not in ("CSP_CONSOLE_AGENT", "CSP_CONSOLE_DB")}
    base.update(XDG_CONFIG_HOME=str(home / "cfg"), XDG_STATE_HOME=str(home / "state"), **env)
    base["XDG_DATA_HOME"] = str(home / "data")
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args], env=base, capture_output=True, text=True, timeout=120, cwd=home
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def demo(home: Path, url: str) -> None:
    result = csp(home, "demo", "--db", url, "--tickets", "40")
    assert result.returncode == 0, said(result)
    assert f"Demo workspace written to {url}" in result.stdout


def test_demo_into_a_new_database_then_read_commands(pg_cluster: Cluster, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    demo(tmp_path, url)
    shown = csp(tmp_path, "ticket", "show", "CSP-000001", "--db", url)
    assert shown.returncode == 0, said(shown)
    assert shown.stdout.startswith("CSP-000001  ")
    agents = csp(tmp_path, "agents", "list", CSP_CONSOLE_DB=url)  # the URL from the environment
    assert agents.returncode == 0, said(agents)
    assert "kenji.sato" in agents.stdout and f"{pg_cluster.user} " in agents.stdout  # the demo's admin: the role
    again = csp(tmp_path, "demo", "--db", url, "--tickets", "5")
    assert again.returncode == 1 and "the workspace is not empty" in again.stderr
    assert "Traceback" not in said(again)
    assert not list(tmp_path.glob("postgresql-*"))  # nothing took the database for a file in the working folder


def test_a_read_command_on_an_empty_database_says_so_and_makes_no_table(pg_cluster: Cluster, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    for command in (["ticket", "show", "CSP-000001"], ["audit", "verify"], ["workspace", "grants"]):
        result = csp(tmp_path, *command, "--db", url)
        assert result.returncode == 1, said(result)
        assert f"the database {url} holds no workspace yet: create one with" in result.stderr
        assert "Global admin" not in result.stderr and "Traceback" not in said(result)
    import psycopg

    with psycopg.connect(url) as conn:
        made = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").fetchone()
    assert made == (0,)  # (each command used to make the workspace's tables first)


def test_the_console_refuses_a_database_without_a_workspace(pg_cluster: Cluster, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    result = csp(tmp_path, "--db", url)
    assert result.returncode == 1, said(result)
    assert f"the database {url} holds no workspace yet" in result.stderr
    assert "Traceback" not in said(result)


def password_role(cluster: Cluster, name: str) -> None:
    """A role that logs in with a password over TCP (the cluster trusts everyone else)."""
    cluster.sql(f"CREATE ROLE {name} LOGIN PASSWORD 's3cret'")
    hba = cluster.folder / "data" / "pg_hba.conf"
    hba.write_text(f"host all {name} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    cluster.sql("SELECT pg_reload_conf()")


def test_a_password_in_the_url_is_never_said(pg_cluster: Cluster, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    demo(tmp_path, url)
    name = f"pw_{os.getpid()}"
    password_role(pg_cluster, name)
    where = url.replace(f"{pg_cluster.user}@", f"{name}:s3cret@")
    hidden = url.replace(f"{pg_cluster.user}@", f"{name}:***@")
    wrong = csp(tmp_path, "agents", "list", "--db", where.replace("s3cret", "wrong"))
    assert wrong.returncode == 1
    assert wrong.stderr.startswith(f"csp-console: error: {hidden}: cannot connect")
    assert "password authentication failed" in wrong.stderr and len(wrong.stderr.splitlines()) == 1
    right = csp(tmp_path, "agents", "list", "--db", where)  # connects: the role has no rights on the tables
    assert right.returncode == 1 and hidden in right.stderr and "Traceback" not in said(right)
    for result in (wrong, right, csp(tmp_path, "ticket", "show", "CSP-000001", CSP_CONSOLE_DB=where)):
        assert "s3cret" not in said(result)
    log = (tmp_path / "state").rglob("*.log")
    assert all("s3cret" not in path.read_text() for path in log)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://127.0.0.1:{port}/", "the URL names no database"),
        ("postgresql://127.0.0.1:notaport/db", "not a usable PostgreSQL URL"),
        ("postgresql://csp:pw@127.0.0.1:1/db", "postgresql://csp:***@127.0.0.1:1/db: cannot connect"),
    ],
)
def test_a_bad_url_is_one_line(pg_cluster: Cluster, tmp_path: Path, url: str, words: str) -> None:
    result = csp(tmp_path, "agents", "list", "--db", url.format(port=pg_cluster.port))
    assert result.returncode == 1
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == "" and ":pw@" not in result.stderr


def test_the_agent_is_the_database_role(pg_cluster: Cluster, tmp_path: Path) -> None:
    """The demo written by a role that does not own the database makes that role (not the OS login) its Global
    admin; that role may not name another agent; the database's owner may."""
    url = pg_cluster.new_database()
    role, database = f"agent2_{os.getpid()}", url.rsplit("/", 1)[1]
    pg_cluster.sql(f"CREATE ROLE {role} LOGIN")
    pg_cluster.sql(f"GRANT CREATE ON SCHEMA public TO {role}", database)
    theirs = url.replace(f"{pg_cluster.user}@", f"{role}@")
    demo(tmp_path, theirs)
    listed = csp(tmp_path, "agents", "list", "--db", theirs)
    assert listed.returncode == 0, said(listed)
    assert any(line.split()[:2] == [role, "global_admin"] for line in listed.stdout.splitlines()), listed.stdout
    refused = csp(tmp_path, "agents", "list", "--db", theirs, CSP_CONSOLE_AGENT="kenji.sato")
    assert refused.returncode == 3, said(refused)
    assert refused.stderr.strip() == (
        f"csp-console: refused: CSP_CONSOLE_AGENT is honoured only for the owner of the database {theirs}: "
        f"you act as the role {role}; unset CSP_CONSOLE_AGENT."
    )
    owner = csp(tmp_path, "agents", "list", "--db", url, CSP_CONSOLE_AGENT="kenji.sato")  # (a superuser here)
    assert owner.returncode == 0 and "kenji.sato" in owner.stdout, said(owner)
    unknown = csp(tmp_path, "agents", "list", "--db", url)  # the owner's own role is no agent of this workspace
    assert unknown.returncode == 3
    assert f"'{pg_cluster.user}' is not an agent of the workspace {url}" in unknown.stderr
