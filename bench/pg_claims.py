"""Claims from several processes at once on either engine (:mod:`bench.postgresql`): the console's claim through
the desk (as tests/test_many_agents.py's CLAIMER), and the floor, a bare conditional ``UPDATE ... WHERE assignee
IS NULL`` on a plain table of the same tickets (every column, only the key the claim looks up), each on a copy
of the demo: a database made from it as a template on PostgreSQL, a copy of the file on SQLite."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench import figures as fx
from bench.common import ROOT, env
from bench.pg_figures import is_pg
from tests.pg_engine import Cluster

#: One agent a process (two consoles of one agent would share its claims): the demo's, then more.
AGENTS = ("aiko.tanaka", "li.wei", "maria.garcia", "kenji.sato", "tom.becker", "desk.six", "desk.seven", "desk.eight")

#: bench.figures' claimer (the desk's claim; the bare BEGIN IMMEDIATE loop on SQLite) with a bare psycopg one.
_ANCHOR = "else:\n    c = sqlite3.connect("
PG_PLAIN = """elif db.startswith("postgresql://"):
    import psycopg
    c = psycopg.connect(db, autocommit=True)
    def claim(t):
        with c.transaction():
            return c.execute("UPDATE plain_tickets SET assignee = %s WHERE id = %s AND assignee IS NULL",
                             (agent, t)).rowcount
"""
assert _ANCHOR in fx.CLAIM_SCRIPT
SCRIPT = fx.CLAIM_SCRIPT.replace(_ANCHOR, PG_PLAIN + _ANCHOR)


def _race(where: str, mode: str, processes: int, ids_file: Path, count: int, tmp: Path) -> tuple[float, int]:
    """Claims/s of ``processes`` processes each claiming the ``count`` tickets of ``ids_file``, timed from the
    moment all are ready; and the claims won beyond one a ticket."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, where, agent, mode, str(ROOT), str(ids_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env(tmp),
        )
        for agent in AGENTS[:processes]
    ]
    checkpointer = None
    if mode == "console" and not is_pg(where):  # a console's checkpoint job beside them, as bench.figures has it
        checkpointer = subprocess.Popen(
            [sys.executable, "-c", fx.CHECKPOINTER, where, str(ROOT)], stdout=subprocess.PIPE, text=True
        )
    for p in [*procs, *([checkpointer] if checkpointer else [])]:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    outs = _go(procs)
    elapsed = time.perf_counter() - start
    if checkpointer:
        checkpointer.kill()
        checkpointer.wait()
    won = sum(int(o.split()[0]) for o in outs)
    return count * processes / elapsed, won - count


def _go(procs: list[subprocess.Popen[str]]) -> list[str]:
    """Start every ready process's claims at once; what each printed."""
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    return [p.communicate()[0] for p in procs]


def _add_agents(where: str, processes: int) -> None:
    from console.store import Workspace

    with Workspace.open(where) as ws:
        known = {a["login"] for a in ws.agents.agents()}
        for login in [a for a in AGENTS[:processes] if a not in known]:
            ws.agents.add_agent(login, login, f"{login}@example.com", ["helpdesk_agent"], by="bench")


def unassigned(where: str, count: int) -> list[str]:
    from console.store import Workspace

    with Workspace.open(where) as ws:
        ids = []
        for batch in ws.tickets.iter_tickets():
            ids += [r["id"] for r in batch if r["assignee"] is None]
            if len(ids) >= count:
                break
    return ids[:count]


def claims(
    cluster: Cluster | None, where: str, ids: list[str], processes: int, tmp: Path
) -> dict[str, tuple[float, int]]:
    """``console`` and ``plain`` (the floor): (claims/s, double claims) of ``processes`` processes claiming the
    same tickets ``ids``, each on a fresh copy of the demo at ``where``."""
    ids_file = tmp / "claim-ids"
    ids_file.write_text(",".join(ids), encoding="utf-8")
    results = {}
    for mode in ("plain", "console"):
        if cluster is not None:
            name = f"claims_{processes}_{mode}"
            cluster.sql(f"DROP DATABASE IF EXISTS {name}")
            cluster.sql(f"CREATE DATABASE {name} TEMPLATE {where.rsplit('/', 1)[1]}")
            copy = cluster.url(name)
            if mode == "plain":
                cluster.sql("CREATE TABLE plain_tickets AS SELECT * FROM tickets", name)
                cluster.sql("CREATE UNIQUE INDEX plain_tickets_id ON plain_tickets (id)", name)
                cluster.sql("ANALYZE plain_tickets", name)
        else:
            path = tmp / f"claims-{mode}.db"
            (fx._plain_copy if mode == "plain" else fx._copy_db)(Path(where), path)
            copy = str(path)
        if mode == "console":
            _add_agents(copy, processes)
        results[mode] = _race(copy, mode, processes, ids_file, len(ids), tmp)
        if cluster is not None:
            cluster.sql(f"DROP DATABASE {name}")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return results
