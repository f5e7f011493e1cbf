"""The queue's keystrokes as :mod:`bench.keys` measures them, on a PostgreSQL workspace too, with the
statements each key press made the queue run (console/store/queue.py's pages and counts, on any of the
console's connections and threads) captured and run again by bare psycopg afterwards: the part of the floor a
PostgreSQL round trip adds to the bare app's.

``python -c`` runs :func:`main` in a fresh process (as bench.figures runs bench.keys), which prints JSON."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, env, median, p95

GROUPS = {"down": "down", "pagedown": "pagedown", "end": "end", "home": "end", "5": "filter", "6": "filter"}


async def recorded_run(where: str) -> dict[str, Any]:
    """bench.keys.run('console', where), and per key the bare driver's p95 of each press's queue statements."""
    import psycopg
    from textual.pilot import Pilot

    from bench import keys
    from console.store import pg_conn

    presses: list[tuple[str, list[tuple[str, Any]]]] = []
    press, execute = Pilot.press, pg_conn.Connection.execute

    async def pressing(self: Any, *names: str) -> None:
        # The timed presses are of one key (bench.keys presses its set-up keys two at a time).
        presses.append((GROUPS.get(names[0], "search") if len(names) == 1 else "set-up", []))
        await press(self, *names)

    def executing(self: Any, sql: str, params: Any = ()) -> Any:
        if presses and sys._getframe(1).f_code.co_filename.endswith("store/queue.py"):
            tr = self._translated(sql)
            presses[-1][1].append((tr.sql, pg_conn._params(params, tr)))
        return execute(self, sql, params)

    Pilot.press, pg_conn.Connection.execute = pressing, executing  # type: ignore[method-assign]
    try:
        result = await keys.run("console", where)
    finally:
        Pilot.press, pg_conn.Connection.execute = press, execute  # type: ignore[method-assign]
    conn = psycopg.connect(where, autocommit=True)
    by_group: dict[str, list[float]] = {}
    for group, statements in presses:
        start = time.perf_counter()
        for text, params in statements:
            conn.execute(text, params).fetchall()
        by_group.setdefault(group, []).append((time.perf_counter() - start) * 1000)
    conn.close()
    for group, times in by_group.items():
        if group in result:
            result[group]["raw_p95_ms"] = p95(times)
            result[group]["raw_median_ms"] = median(times)
            result[group]["statements"] = sum(len(s) for g, s in presses if g == group)
    return result


RUN = (
    "import asyncio, json, sys; sys.path.insert(0, sys.argv[1]); import bench.pg_keys as k; "
    "print(json.dumps(k.main(sys.argv[2], sys.argv[3])))"
)


def main(which: str, where: str) -> Any:
    from bench import keys

    if which == "console" and where.startswith("postgresql://"):
        return asyncio.run(recorded_run(where))
    return asyncio.run(keys.run(which, where))


def keystrokes(where: str, tmp: Path) -> dict[str, dict[str, Any]]:
    """The console's keystrokes on ``where`` and the bare app's, each in its own process."""
    out = {}
    for which in ("console", "bare"):
        proc = subprocess.run(
            [sys.executable, "-c", RUN, str(ROOT), which, where],
            capture_output=True, text=True, env=env(tmp), cwd=ROOT, check=True,
        )  # fmt: skip
        out[which] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out
