"""Shared fixtures: every test runs with its own user dirs, and never reads the developer's files."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from console.demo.workspace import generate
from console.microsoft import http
from console.sandbox import Sandbox, tokens
from console.sandbox.seed import state_from_workspace
from console.store import Workspace

pytest_plugins = ["tests.mail_imapd", "tests.mail_smtpd", "tests.pg_engine"]

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    """A suite started in the background by a shell without job control (``make test &`` in a script) inherits
    SIGINT ignored, and so would every process the tests start (an ignored signal stays ignored across exec,
    signal(7)): the tests of ctrl+c then see none. Python's own handler here makes the tests' processes start
    with the default again (exec resets a caught signal to it); found when such a run failed four such tests."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


#: A token command for every API: ``{resource}`` and ``{tenant}`` filled in, a token the sandbox accepts.
TOKEN_COMMAND = f"{sys.executable} -m console.sandbox.tokens {{resource}} {{tenant}}"
SANDBOX_ENV = {
    "CSP_CONSOLE_PARTNER_TENANT_ID": tokens.PARTNER_TENANT,
    "CSP_CONSOLE_PARTNER_CENTER_TOKEN_COMMAND": TOKEN_COMMAND,
    "CSP_CONSOLE_AZURE_TOKEN_COMMAND": TOKEN_COMMAND,
    "CSP_CONSOLE_GRAPH_TOKEN_COMMAND": TOKEN_COMMAND,
}


def set_policy(ws: Workspace | Path, rules: Mapping[str, Any]) -> None:
    """Desk rules written into a test's workspace (checked as ``policy set`` checks them; ``DEMO_POLICY``: the demo
    desk's), where tests once wrote ``[roles]``, ``[sla]`` or ``[console] claim_minutes`` in a config file."""
    from console.desk.policy import seed_policy

    if isinstance(ws, Workspace):
        seed_policy(ws, rules, "test")
        return
    with Workspace.open(ws, create=False) as opened:
        seed_policy(opened, rules, "test")


def demo_desk_rules(ws: Workspace) -> None:
    """The demo desk's rules (Tokyo, Japanese business hours) in a demo workspace that has none yet, as
    ``csp-console demo`` writes them beside the demo's config file."""
    from console.settings.config import DEMO_POLICY

    if not ws.policy.rules():
        set_policy(ws, DEMO_POLICY)


def empty_config(folder: Path) -> Path:
    """A config file with no settings in it, for a command given ``--config`` (which must name a file that is
    there)."""
    path = folder / "none.toml"
    path.touch()
    return path


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in (
        "CSP_CONSOLE_DB",
        "CSP_CONSOLE_CONFIG",
        "CSP_CONSOLE_AGENT",
        "NO_COLOR",
        "SUDO_UID",
        "SUDO_USER",
        "SUDO_GID",
    ):
        monkeypatch.delenv(var, raising=False)
    # Never Microsoft: no tokens, and both APIs on a loopback port where nothing listens.
    for var in SANDBOX_ENV:
        monkeypatch.delenv(var, raising=False)
    for var in ("CSP_CONSOLE_PARTNER_CENTER_TOKEN", "CSP_CONSOLE_AZURE_TOKEN", "CSP_CONSOLE_GRAPH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    for var in ("CSP_CONSOLE_PARTNER_CENTER_URL", "CSP_CONSOLE_AZURE_MANAGEMENT_URL"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setattr(http, "DEFAULT_POLICY", http.RetryPolicy(attempts=4, base=0.01, cap=0.05, timeout=3))
    return home


@pytest.fixture
def sandbox(demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The local Partner Center and Azure Support API over the demo workspace's accounts; the console's
    clients point at it and get their tokens per API and tenant from a token command."""
    with Sandbox(state_from_workspace(demo_ws)) as box:
        for var in ("CSP_CONSOLE_PARTNER_CENTER_URL", "CSP_CONSOLE_AZURE_MANAGEMENT_URL"):
            monkeypatch.setenv(var, box.url)
        for var, value in SANDBOX_ENV.items():
            monkeypatch.setenv(var, value)
        yield box


@pytest.fixture
def empty_ws(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """A new workspace with nothing in it: a SQLite file, or a new PostgreSQL database (``--engine``)."""
    if engine == "postgresql":
        location: Path | str = request.getfixturevalue("pg_cluster").new_database()
    else:
        location = tmp_path / "empty.db"
    ws = Workspace.open(location)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400-ticket demo workspace, built once; tests copy it before writing."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    ws = Workspace.open(path)
    generate(ws, tickets=400, seed=7, now=NOW)
    ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.close()
    return path


@pytest.fixture(scope="session")
def demo_template(engine: str, request: pytest.FixtureRequest) -> str | None:
    """On PostgreSQL: the 400-ticket demo's database, built once per worker, that each test's is copied from."""
    if engine != "postgresql":
        return None
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.new_database()
    ws = Workspace.open(url)
    generate(ws, tickets=400, seed=7, now=NOW)
    ws.close()
    return str(url.rsplit("/", 1)[1])


@pytest.fixture
def demo_ws(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """A copy of the 400-ticket demo workspace (a SQLite file, or a PostgreSQL database: ``--engine``)."""
    if engine == "postgresql":
        template = request.getfixturevalue("demo_template")
        location: Path | str = request.getfixturevalue("pg_cluster").new_database(template)
    else:
        target = tmp_path / "demo.db"
        target.write_bytes(request.getfixturevalue("demo_file").read_bytes())
        location = target
    ws = Workspace.open(location)
    yield ws
    ws.close()
