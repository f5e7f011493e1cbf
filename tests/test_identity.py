"""Who the agent is, from what the user cannot change (README, "Many agents on one host"): never LOGNAME/USER;
``CSP_CONSOLE_AGENT`` only for the workspace's owner running as themself; sudo's SUDO_UID/SUDO_USER only when
sudo switched to the workspace's owner ("man sudo", ENVIRONMENT)."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from console.desk.identity import IdentityRefused, current_agent
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture

ME = pwd.getpwuid(os.getuid()).pw_name
#: On PostgreSQL the agent is the session's role instead (tests/test_cli_postgresql.py).
by_file_owner = pytest.mark.sqlite_only("the agent follows who owns the SQLite file (or the sudo that reached it)")
root_only = pytest.mark.skipif(os.getuid() != 0, reason="giving a file another owner needs root")


@pytest.fixture
def own(tmp_path: Path) -> Path:
    path = tmp_path / "workspace.db"
    path.write_bytes(b"")
    return path


@pytest.fixture
def others(tmp_path: Path) -> Path:
    """A workspace owned by another account (nobody, as a service account stands for)."""
    path = tmp_path / "theirs.db"
    path.write_bytes(b"")
    os.chown(path, pwd.getpwnam("nobody").pw_uid, -1)
    return path


@by_file_owner
def test_logname_and_user_name_nobody(own: Path) -> None:
    assert current_agent(own, {"LOGNAME": "kenji.sato", "USER": "kenji.sato"}) == ME


@by_file_owner
def test_the_owner_may_name_the_agent(own: Path, tmp_path: Path) -> None:
    assert current_agent(own, {"CSP_CONSOLE_AGENT": "aiko.tanaka"}) == "aiko.tanaka"
    # a workspace not created yet will be this process's own
    assert current_agent(tmp_path / "new.db", {"CSP_CONSOLE_AGENT": "aiko.tanaka"}) == "aiko.tanaka"


@by_file_owner
@root_only
def test_csp_console_agent_is_refused_on_anothers_workspace(others: Path) -> None:
    with pytest.raises(
        IdentityRefused, match=f"CSP_CONSOLE_AGENT is honoured only for the owner of the workspace {others}"
    ):
        current_agent(others, {"CSP_CONSOLE_AGENT": "kenji.sato"})
    assert current_agent(others, {}) == ME


@by_file_owner
@root_only
def test_faked_sudo_variables_count_for_nothing_on_anothers_workspace(others: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    assert current_agent(others, {"SUDO_UID": str(nobody.pw_uid), "SUDO_USER": "nobody"}) == ME


@by_file_owner
def test_sudo_to_the_owner_names_who_ran_sudo(own: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    sudo = {"SUDO_UID": str(nobody.pw_uid), "SUDO_USER": "nobody", "LOGNAME": ME, "USER": ME}
    assert current_agent(own, sudo) == "nobody"
    with pytest.raises(IdentityRefused, match="CSP_CONSOLE_AGENT is not honoured for a console run through sudo"):
        current_agent(own, {**sudo, "CSP_CONSOLE_AGENT": "kenji.sato"})
    with pytest.raises(IdentityRefused, match=r"SUDO_USER \('kenji.sato'\) is not the login of SUDO_UID"):
        current_agent(own, {**sudo, "SUDO_USER": "kenji.sato"})
    with pytest.raises(IdentityRefused, match="SUDO_UID is not a uid"):
        current_agent(own, {**sudo, "SUDO_UID": "x"})
    # sudo to oneself switches nobody: the owner's own rules
    assert (
        current_agent(own, {"SUDO_UID": str(os.getuid()), "SUDO_USER": ME, "CSP_CONSOLE_AGENT": "li.wei"}) == "li.wei"
    )


def test_logname_does_not_impersonate_on_the_command_line(
    demo_copy: Callable[..., Where], engine: str, request: pytest.FixtureRequest
) -> None:
    """The issue's report: ``LOGNAME=kenji.sato csp-console agents grant maria.garcia global_admin`` worked."""
    db = demo_copy("ws")
    me = request.getfixturevalue("pg_cluster").user if engine == "postgresql" else ME  # the session's role there
    env = {k: v for k, v in os.environ.items() if k != "CSP_CONSOLE_AGENT"}
    env.update(LOGNAME="kenji.sato", USER="kenji.sato")
    done = subprocess.run(
        [sys.executable, "-m", "console.cli", "--db", str(db), "agents", "grant", "maria.garcia", "global_admin"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert f"'{me}' is not an agent of the workspace" in done.stderr


@by_file_owner
def test_a_refused_identity_is_one_sentence(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    env = {**os.environ, "SUDO_UID": str(nobody.pw_uid), "SUDO_USER": "kenji.sato"}
    db = tmp_path / "new.db"
    done = subprocess.run(
        [sys.executable, "-m", "console.cli", "demo", "--tickets", "5", "--db", str(db)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 3  # refused, as an unknown agent is (README, "The command line")
    assert done.stderr.startswith("csp-console: refused: SUDO_USER ('kenji.sato') is not the login of SUDO_UID")
    assert "Traceback" not in done.stderr
    assert not db.exists()
