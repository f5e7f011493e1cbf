"""Shared helpers for the benchmarks: timing, workspaces, subprocess measurements."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "XDG_STATE_HOME": str(tmp / "state"),
        "XDG_CONFIG_HOME": str(tmp / "cfg"),
        "CSP_CONSOLE_AGENT": "aiko.tanaka",
        "TERM": "xterm-256color",
        "PYTHONPATH": str(ROOT),
    }


def machine() -> str:
    """The machine and the versions a result was measured with, as the results files name them."""
    import textual

    return (
        f"{platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count() or 1} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, Textual {textual.__version__}"
    )
