"""The house's size limits (issue 17): small modules and functions, so one rule lives in one readable place.

Complexity is ruff's C901 at 15 (pyproject.toml, run by ``make test``); this checks what ruff does not: no module
over 400 lines and no function over 60 lines, in the console and the built-in plugins."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
SOURCES = sorted([*(ROOT / "console").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")])


def _long_functions(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {node.name} is {length} lines")
    return found


def test_the_sources_are_found() -> None:
    assert len(SOURCES) > 100
    assert ROOT / "console" / "desk" / "door.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_400_lines(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} is {lines} lines: split it by what changes together"


def test_no_function_over_60_lines() -> None:
    found = [line for path in SOURCES for line in _long_functions(path)]
    assert not found, "\n".join(found)


def test_the_length_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    sample = tmp_path / "sample.py"
    sample.write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n")
    assert _long_functions(sample, tmp_path) == ["sample.py:1: long is 61 lines"]
