"""The README's third command, ``make run-postgresql`` (tests/pg_local.sh): from a checkout with no cluster it
makes one under ``.pg/``, starts it, fills the demo into ``csp_demo`` and opens the console there; run again it
reuses both; ``make stop-postgresql`` stops it. A checkout the postgres account cannot reach (under /root, as
root) gets its cluster elsewhere, saying so; a port another server holds is said with the server's own words.
Real processes, a real cluster on 127.0.0.1 (Debian's postgresql package: the script installs it as root when
it is missing, as CI's .ci/run does first); the console is given a command, so it prints and ends."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "tests" / "pg_local.sh"
pytestmark = [
    pytest.mark.skipif(not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")), reason="no PostgreSQL server"),
    pytest.mark.postgresql_own,
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _checkout(folder: Path) -> Path:
    """A folder as a checkout looks to the script: its virtual environment (this one's) in ``.venv``."""
    folder.mkdir(parents=True)
    (folder / ".venv").symlink_to(ROOT / ".venv")
    return folder


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder every account can reach (pytest's own are root's alone when run as root, as /root is)."""
    folder = Path(tempfile.mkdtemp(prefix="csp-run-pg-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run(checkout: Path, home: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CSP_CONSOLE_AGENT", "CSP_CONSOLE_DB", "PGPORT")}
    env.update(PGPORT=str(port), XDG_CONFIG_HOME=str(home / "cfg"), XDG_STATE_HOME=str(home / "state"))
    env["XDG_DATA_HOME"] = str(home / "data")
    return subprocess.run(
        ["sh", str(SCRIPT), *args], cwd=checkout, env=env, capture_output=True, text=True, timeout=300
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


@pytest.fixture
def stopped() -> Iterator[list[tuple[Path, Path, int]]]:
    """The checkouts whose cluster the test started: stopped at the end, whatever happened."""
    started: list[tuple[Path, Path, int]] = []
    yield started
    for checkout, home, port in started:
        run(checkout, home, port, "stop")


def test_the_makefile_runs_this_script() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run-postgresql: \$\(STAMP\)\n\t@sh tests/pg_local\.sh run \$\(ARGS\)$", makefile, re.M)
    assert re.search(r"^stop-postgresql:\n\tsh tests/pg_local\.sh stop$", makefile, re.M)


def test_a_new_checkout_gets_a_cluster_and_the_demo_then_reuses_them(
    open_tmp: Path, stopped: list[tuple[Path, Path, int]]
) -> None:
    checkout, home, port = _checkout(open_tmp / "checkout"), open_tmp / "home", _free_port()
    stopped.append((checkout, home, port))
    first = run(checkout, home, port, "run", "ticket", "show", "CSP-000001")
    assert first.returncode == 0, said(first)
    assert "Demo workspace written to postgresql://" in first.stdout and "/csp_demo" in first.stdout
    assert "ERROR" not in first.stderr, first.stderr  # (once: psql's "relation tickets does not exist")
    assert re.search(r"^CSP-000001  ", first.stdout, re.M), said(first)
    assert (checkout / ".pg" / "data" / "PG_VERSION").is_file()
    again = run(checkout, home, port, "run", "agents", "list")
    assert again.returncode == 0, said(again)
    assert "Demo workspace written" not in again.stdout  # the demo is there already: not written twice
    assert "kenji.sato" in again.stdout
    down = run(checkout, home, port, "stop")
    assert down.returncode == 0, said(down)
    assert not (checkout / ".pg" / "data" / "postmaster.pid").exists()
    assert "no cluster running" in run(checkout, home, port, "stop").stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="the cluster belongs to the postgres account only when run as root")
def test_a_checkout_the_postgres_account_cannot_reach_gets_its_cluster_elsewhere(
    tmp_path: Path, stopped: list[tuple[Path, Path, int]]
) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)  # as /root is (and pytest's own folders are, as root)
    checkout, home, port = _checkout(private / "checkout"), tmp_path / "home", _free_port()
    stopped.append((checkout, home, port))
    result = run(checkout, home, port, "run", "ticket", "show", "CSP-000002")
    try:
        assert result.returncode == 0, said(result)
        found = re.search(r"the cluster is in (/var/tmp/csp-console-pg-\d+)\.", result.stderr)
        assert found and f"cannot reach {checkout}/.pg" in result.stderr, said(result)
        assert Path(found.group(1), "data", "PG_VERSION").is_file()
        assert re.search(r"^CSP-000002  ", result.stdout, re.M)
        assert run(checkout, home, port, "stop").returncode == 0
    finally:
        run(checkout, home, port, "stop")
        if found := re.search(r"the cluster is in (/var/tmp/csp-console-pg-\d+)\.", result.stderr):
            shutil.rmtree(found.group(1), ignore_errors=True)


def test_a_port_another_server_holds_is_said(open_tmp: Path, stopped: list[tuple[Path, Path, int]]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        checkout, home = _checkout(open_tmp / "checkout"), open_tmp / "home"
        stopped.append((checkout, home, port))
        result = run(checkout, home, port, "run", "agents", "list")
    assert result.returncode == 1
    assert f"did not start; the end of {checkout}/.pg/server.log" in result.stderr, said(result)
    assert "could not bind IPv4 address" in result.stderr, said(result)  # the server's own words, from its log
    assert "could not change directory" not in result.stderr
    assert f"Port {port} taken by another server?" in result.stderr
