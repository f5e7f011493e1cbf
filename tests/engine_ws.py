"""More workspaces than the conftest's one, on the engine the tests run on (tests/pg_engine.py: ``--engine``).

``new_ws(name)`` is where a new, empty workspace goes: on SQLite the file ``name.db`` in the test's folder (not
made yet: ``Workspace.open`` makes it), on PostgreSQL a new empty database's URL. ``demo_copy(name)`` is a copy
of the 400-ticket demo (the conftest's ``demo_file`` copied to ``name.db``, or a new database from the worker's
demo template). Each call is another workspace, so a test may have several. Either gives a location for
``Workspace.open`` and for ``--db``; a child process is given a workspace's ``ws.locator`` in its environment
(console.settings.paths.child_env), never a password on its command line.

A test module takes them by importing the fixtures under their own names (ruff reads ``import x as x`` as
meant)::

    from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
    from tests.engine_ws import new_ws_fixture as new_ws_fixture
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

#: Where a workspace is: a SQLite file, or a PostgreSQL database's URL.
Where = Path | str
#: What ``new_ws`` and ``demo_copy`` are: ``(name) -> Where``.
NewWs = Callable[..., Where]
#: The workspace's tables, as each engine's catalogue lists them.
TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
}


def is_file(where: Where) -> bool:
    """Whether the workspace at ``where`` is a SQLite file (else a PostgreSQL database)."""
    return isinstance(where, Path)


@pytest.fixture(name="new_ws")
def new_ws_fixture(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> NewWs:
    """``new_ws(name="ws")``: the location of a new, empty workspace on the engine in use."""

    def new(name: str = "ws") -> Where:
        if engine == "postgresql":
            return str(request.getfixturevalue("pg_cluster").new_database())
        return tmp_path / f"{name}.db"

    return new


@pytest.fixture(name="demo_copy")
def demo_copy_fixture(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> NewWs:
    """``demo_copy(name="demo")``: the location of a new copy of the 400-ticket demo on the engine in use."""

    def copy(name: str = "demo") -> Where:
        if engine == "postgresql":
            template = request.getfixturevalue("demo_template")
            return str(request.getfixturevalue("pg_cluster").new_database(template))
        target = tmp_path / f"{name}.db"
        target.write_bytes(request.getfixturevalue("demo_file").read_bytes())
        return target

    return copy
