"""The PostgreSQL cluster and the demo workspaces of :mod:`bench.postgresql`.

A run starts a throw-away cluster (:func:`tests.pg_engine.start_cluster`) and removes it at the end; with
``--keep DIR`` the cluster's data and the SQLite files stay in ``DIR`` and a later run starts that cluster again
and reuses the demos it finds there (a million tickets take minutes to generate on either engine)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.figures import NOW
from tests.pg_engine import Cluster, _as_owner, _free_port, postgres_bin, start_cluster, stop_cluster

AGENT = "aiko.tanaka"


def _restart(folder: Path) -> Cluster:
    """Start the kept cluster in ``folder`` again, on a free port (the options of a new one)."""
    bin_dir = postgres_bin()
    assert bin_dir is not None
    prefix = _as_owner(folder)
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        [*prefix, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-o",
         options, "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    return Cluster(folder, port, bin_dir)


@contextmanager
def cluster(keep: Path | None) -> Iterator[tuple[Cluster, Path]]:
    """A running cluster and the folder of the run's SQLite files; both removed at the end unless kept."""
    folder = keep if keep is not None else Path(tempfile.mkdtemp(prefix="csp-pgbench-"))
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    pg = folder / "pg"
    running = _restart(pg) if (pg / "data" / "PG_VERSION").exists() else start_cluster(pg)
    try:
        yield running, folder
    finally:
        stop_cluster(running)
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def databases(c: Cluster) -> set[str]:
    import psycopg

    with psycopg.connect(c.url("postgres"), autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


def server_version(c: Cluster) -> str:
    import psycopg

    with psycopg.connect(c.url("postgres"), autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def demo(c: Cluster, folder: Path, size: int) -> tuple[str, Path, dict[str, float], list[str]]:
    """The PostgreSQL URL and the SQLite file of the demo of ``size`` tickets (generated, or reused when kept),
    the generation rates (rows/s, of a reused one as its run measured it), and the engines whose was reused."""
    from console.store import Workspace

    name = f"demo_{size}"
    url, db = c.url(name), folder / f"demo-{size}.db"
    rates_file = folder / f"demo-{size}.json"
    kept = json.loads(rates_file.read_text()) if rates_file.exists() else {}
    reused = [e for e in ("postgresql", "sqlite") if kept.get(e)]
    if name not in databases(c) or not kept.get("postgresql"):
        c.sql(f"DROP DATABASE IF EXISTS {name}")
        c.sql(f"CREATE DATABASE {name}")
        reused = [r for r in reused if r != "postgresql"]
        kept["postgresql"] = _generate(url, size)
        rates_file.write_text(json.dumps(kept))
    if not db.exists() or not kept.get("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        reused = [r for r in reused if r != "sqlite"]
        kept["sqlite"] = _generate(str(db), size)
        with Workspace.open(db) as ws:
            ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rates_file.write_text(json.dumps(kept))
    return url, db, kept, reused


def _generate(where: str, size: int) -> float:
    from console.demo.workspace import generate
    from console.store import Workspace

    ws = Workspace.open(where)
    start = time.perf_counter()
    generate(ws, tickets=size, seed=1, now=NOW, extra_admins=(AGENT,))
    seconds = time.perf_counter() - start
    ws.close()
    return size / seconds
