"""The workspace engine the tests run on: SQLite by default, PostgreSQL with ``--engine postgresql`` (or
``CSP_TEST_ENGINE=postgresql``, as ``make test-postgresql`` sets it).

On PostgreSQL every pytest worker starts a throw-away cluster of its own under its temporary directory (the
Debian ``postgresql`` package's ``initdb`` and ``pg_ctl``; as root they run as the ``postgres`` account, which
``initdb`` requires), listening on 127.0.0.1 on a free port with ``trust`` authentication, and stops it at the
end. Each test's workspace is a new database made from a template (the demo's built once per worker), so a test
costs a ``CREATE DATABASE`` rather than a demo."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ENGINES = ("sqlite", "postgresql")
_names = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        choices=ENGINES,
        default=os.environ.get("CSP_TEST_ENGINE", "sqlite"),
        help="the workspace engine of the tests' workspaces (default: sqlite, or $CSP_TEST_ENGINE)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(why): the test is about the SQLite file itself")
    config.addinivalue_line("markers", "postgresql_own: a test of PostgreSQL's own, whatever --engine says")


#: Why the SQLite job skips a test of PostgreSQL's own (its own cluster, no ``--engine`` in it): the same test
#: would run twice in CI, once in each job, for nothing (about 110 s of CPU of `make test` on 2 cores).
OWN = "PostgreSQL's own test (no --engine in it): `make test-postgresql` runs it, CI's second job"


def _postgresql_own(item: pytest.Item) -> bool:
    """A test marked so, or one that asks for a cluster itself and not for the engine of the tests' workspaces."""
    names = getattr(item, "fixturenames", ())
    return item.get_closest_marker("postgresql_own") is not None or ("pg_cluster" in names and "engine" not in names)


#: Tests known to fail on PostgreSQL still, each with why (one ``node id  # why`` a line): expected to fail there,
#: strictly (one that passes is reported, to be taken off the list). The list is the work left of issue 22.
GAPS = Path(__file__).parent / "postgresql_gaps.txt"


def _gaps() -> dict[str, str]:
    if not GAPS.exists():
        return {}
    found = {}
    for line in GAPS.read_text(encoding="utf-8").splitlines():
        node, _, why = line.partition("#")
        if node.strip():
            found[node.strip()] = why.strip() or "a known PostgreSQL gap"
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--engine") != "postgresql":
        for item in items:
            if _postgresql_own(item):
                item.add_marker(pytest.mark.skip(reason=OWN))
        return
    gaps = _gaps()
    for item in items:
        if item.nodeid in gaps:
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"PostgreSQL gap: {gaps[item.nodeid]}"))
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            why = marker.args[0] if marker.args else "about the SQLite file itself"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))


def postgres_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL server's programs (Debian's layout), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Cluster:
    """A running throw-away PostgreSQL cluster: ``url(db)`` of a database in it."""

    folder: Path
    port: int
    bin: Path
    user: str = "csp"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def new_database(self, template: str | None = None) -> str:
        name = f"ws_{os.getpid()}_{next(_names)}"
        copy = f" TEMPLATE {template}" if template else ""
        self.sql(f"CREATE DATABASE {name}{copy}")
        return self.url(name)


def _as_owner(folder: Path) -> list[str]:
    """The command prefix that runs the server's programs as a non-root account (``initdb`` refuses root)."""
    if os.geteuid() != 0:
        return []
    subprocess.run(["chown", "-R", "postgres:postgres", str(folder)], check=True)
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_cluster(folder: Path) -> Cluster:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL's server is not installed (.ci/run installs Debian's postgresql)")
    folder.mkdir(parents=True, exist_ok=True)
    prefix = _as_owner(folder)
    data = folder / "data"
    subprocess.run(
        [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "csp", "-A", "trust", "-E", "UTF8",
         "--locale=C", "--lc-ctype=C.UTF-8", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w",
         "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    return Cluster(folder, port, bin_dir)


def stop_cluster(cluster: Cluster) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*prefix, str(cluster.bin / "pg_ctl"), "-D", str(cluster.folder / "data"), "-m", "immediate", "stop"],
        capture_output=True,
    )


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--engine"))


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster, in a folder of its own under the system's temporary folder (pytest's are
    the test account's alone; the server's account must reach it); stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="csp-pg-"))
    folder.chmod(0o755)
    cluster = start_cluster(folder)
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster for this worker (started on first use)."""
    with throwaway_cluster() as cluster:
        yield cluster
