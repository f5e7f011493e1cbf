"""The layers hold: the core never imports Textual, and only the store runs SQL."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
UI = ("console/app.py", "console/screens/", "console/widgets/")


def _core_modules() -> list[str]:
    mods = []
    for path in sorted((ROOT / "console").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(UI):
            continue
        mods.append(rel[:-3].replace("/", ".").removesuffix(".__init__"))
    return mods


def test_core_and_plugins_never_import_textual() -> None:
    mods = [*_core_modules(), "plugins", "plugins.azure", "plugins.office365", "plugins.dynamics365"]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in mods)
        + ("bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\nassert not bad, bad\n")
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(mods) > 10


def test_only_the_store_runs_sql() -> None:
    pattern = re.compile(r"\.execute(many)?\(|import sqlite3|\bSELECT\b .* \bFROM\b")
    offenders = []
    for path in sorted((ROOT / "console").rglob("*.py")) + sorted((ROOT / "plugins").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("console/store/"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == []
