"""Every hook is documented with its exact signature, and plugins use only the public plugin API."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from console.plugins import hookspecs
from console.plugins.host import HOOKS

ROOT = Path(__file__).parent.parent


def test_every_hook_is_documented_with_its_signature() -> None:
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    hooks = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("csp_")]
    assert hooks == sorted(HOOKS)
    for name in hooks:
        fn = getattr(hookspecs, name)
        params = ", ".join(inspect.signature(fn).parameters)
        signature = f"def {name}({params}) -> {fn.__annotations__['return']}"
        assert f"### {name}" in doc, name
        assert signature in doc, signature


def test_plugins_import_only_the_public_plugin_api() -> None:
    allowed = {"console.plugin_api"}
    examples = [*(ROOT / "examples").rglob("csp_windows365/*.py"), *(ROOT / "examples").rglob("csp_intune/*.py")]
    for path in list((ROOT / "plugins").rglob("*.py")) + examples:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.startswith(("console", "textual")):
                    assert name in allowed, f"{path.relative_to(ROOT)} imports {name}"
