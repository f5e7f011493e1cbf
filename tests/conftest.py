"""Shared fixtures: every test runs with its own user dirs, and never reads the developer's files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.demo import generate
from console.store import Workspace

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in ("CSP_CONSOLE_DB", "CSP_CONSOLE_CONFIG", "CSP_CONSOLE_AGENT", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def empty_ws(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.open(tmp_path / "empty.db")
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


@pytest.fixture
def demo_ws(demo_file: Path, tmp_path: Path) -> Iterator[Workspace]:
    target = tmp_path / "demo.db"
    target.write_bytes(demo_file.read_bytes())
    ws = Workspace.open(target)
    yield ws
    ws.close()
