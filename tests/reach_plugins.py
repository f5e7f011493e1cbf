"""Plugins for the tests of what a plugin adds to the screens: the Intune example (examples/csp-console-intune, the
code docs/plugins.md quotes) and plugins made of a few hooks."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

from console.plugin_api import hookimpl
from console.tickets.ops import NewTicket

ROOT = Path(__file__).resolve().parent.parent
INTUNE = ROOT / "examples" / "csp-console-intune" / "csp_intune" / "__init__.py"


def load_intune() -> types.ModuleType:
    """The example plugin as a module (imported from its file once, as its entry point would)."""
    if "csp_intune" in sys.modules:
        return sys.modules["csp_intune"]
    spec = importlib.util.spec_from_file_location("csp_intune", INTUNE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["csp_intune"] = module
    spec.loader.exec_module(module)
    return module


def plugin(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))  # type: ignore[call-overload]
    return module


def intune_ticket(desk: Any, domain: str, device: str, title: str, *, severity: str = "critical") -> str:
    """A new Intune ticket of the customer of ``domain`` about ``device``, logged through the desk."""
    customer = desk.ws.accounts.find_customer(domain)
    new = NewTicket(
        customer_id=customer,
        channel="phone",
        title=title,
        contact_name="山田 太郎",
        service="intune",
        category="technical",
        severity=severity,
        fields=(("intune.device", device), ("intune.platform", "Windows")),
    )
    return str(desk.log_ticket(new))
