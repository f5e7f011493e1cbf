"""A third-party plugin installed as pip installs one: its module and a ``*.dist-info`` directory with the
``csp_console`` entry point (the layout importlib.metadata reads, PEP 376/566), in a directory a subprocess of
the console finds on ``PYTHONPATH``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parent.parent


def install(site: Path, name: str, source: str, *, module: str | None = None, version: str = "1.0.0") -> Path:
    """Write plugin ``name`` (module ``module``, default ``csp_NAME``) with ``source`` into ``site``."""
    module = module or f"csp_{name}"
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    dist = site / f"csp_console_{name}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: csp-console-{name}\nVersion: {version}\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(f"[csp_console]\n{name} = {module}\n", encoding="utf-8")
    return site


def console(
    site: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``csp-console ARGS`` in a subprocess that sees the plugins installed in ``site``."""
    full = {**os.environ, "PYTHONPATH": str(site), **(env or {})}
    full.pop("CSP_CONSOLE_LOAD_PLUGINS", None)
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args],
        capture_output=True,
        text=True,
        env=full,
        check=False,
        cwd=ROOT,
        timeout=timeout,
    )
