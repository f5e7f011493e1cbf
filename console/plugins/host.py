"""Loading plugins: entry points one by one, each failure recorded with the plugin's name.

Built-in plugins are registered through the same ``csp_console`` entry-point group as third-party ones.
``CSP_CONSOLE_LOAD_PLUGINS`` (comma-separated allow-list; empty for none) and
``CSP_CONSOLE_DISABLE_PLUGINS`` (deny-list) choose which load; ``CSP_CONSOLE_TRACE_PLUGINS=1`` traces hook
calls to stderr. Under pytest only this project's own plugins load unless a test asks for installed ones.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from console.plugins import hookspecs
from console.plugins.markers import PROJECT
from console.plugins.vehicles import EscalationHandler
from console.plugins.views import Check, Service
from console.shared.safe_text import clean_line

log = logging.getLogger(__name__)

GROUP = "csp_console"
HOOKS = ("csp_services", "csp_checks", "csp_escalation_handlers")
OWN_DISTRIBUTION = "csp-triage-console"
#: The built-in plugins, as declared in pyproject.toml (used when the package metadata is missing).
DEFAULT_PLUGINS = {
    "common": "plugins.common",
    "azure": "plugins.azure",
    "office365": "plugins.office365",
    "dynamics365": "plugins.dynamics365",
}


@dataclass
class PluginInfo:
    """A plugin as ``csp-console plugins`` lists it."""

    name: str
    module: str
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    vehicles: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RegisteredCheck:
    plugin: str
    check: Check


@dataclass(frozen=True)
class RegisteredHandler:
    plugin: str
    handler: EscalationHandler


@dataclass
class PluginHost:
    """The loaded plugins and what they contribute."""

    pm: pluggy.PluginManager
    plugins: dict[str, PluginInfo]
    services: dict[str, Service]
    checks: list[RegisteredCheck]
    handlers: list[RegisteredHandler]
    tracing: bool = False

    def trace(self, text: str) -> None:
        """With ``CSP_CONSOLE_TRACE_PLUGINS=1``: one line per hook or check call, on stderr."""
        if self.tracing:
            sys.stderr.write(f"csp_console trace: {clean_line(text, 2000)}\n")  # a plugin's words: shown, never run

    @property
    def load_errors(self) -> dict[str, list[str]]:
        return {name: info.errors for name, info in self.plugins.items() if info.errors}

    def record_error(self, plugin: str, message: str) -> None:
        log.warning("plugin %s: %s", plugin, message)
        if plugin in self.plugins:
            self.plugins[plugin].errors.append(message)

    def handlers_for(self, service: str | None) -> list[RegisteredHandler]:
        return [h for h in self.handlers if h.handler.service == service]


def _called_from_test() -> bool:
    return "pytest" in sys.modules and os.environ.get("CSP_CONSOLE_TEST_INSTALLED_PLUGINS") != "1"


def _selected(name: str, env: Mapping[str, str]) -> bool:
    allow = env.get("CSP_CONSOLE_LOAD_PLUGINS")
    if allow is not None:
        wanted = {n.strip() for n in allow.split(",") if n.strip()}
        if name not in wanted:
            return False
    deny = {n.strip() for n in env.get("CSP_CONSOLE_DISABLE_PLUGINS", "").split(",") if n.strip()}
    return name not in deny


def _candidates(installed: bool) -> list[tuple[str, str, Callable[[], ModuleType], str | None]]:
    """(name, module path, loader, version) for each plugin the entry points (or defaults) name."""
    found: list[tuple[str, str, Callable[[], ModuleType], str | None]] = []
    seen: set[str] = set()
    for ep in metadata.entry_points(group=GROUP):
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else None
        own = dist_name is not None and dist_name.lower() == OWN_DISTRIBUTION
        if not installed and not own:
            continue
        if ep.name in seen:
            continue
        seen.add(ep.name)
        found.append((ep.name, ep.value, ep.load, dist.version if dist is not None else None))
    for name, module in DEFAULT_PLUGINS.items():
        if name not in seen:
            found.append((name, module, functools.partial(importlib.import_module, module), None))
    return found


def _given(obj: object) -> object:
    """The loader of a plugin object passed in (``extra``): the object itself."""
    return obj


def load_plugins(
    *,
    installed: bool | None = None,
    env: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> PluginHost:
    """Load every selected plugin, one at a time; never raises for a plugin's fault.

    ``installed`` includes third-party plugins from entry points (default: yes, except under pytest);
    ``extra`` registers plugin objects directly (``{name: module_or_object}``), as tests do.
    """
    env = os.environ if env is None else env
    installed = (not _called_from_test()) if installed is None else installed
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    tracing = env.get("CSP_CONSOLE_TRACE_PLUGINS") == "1"
    plugins: dict[str, PluginInfo] = {}

    def register(name: str, module_path: str, obtain: Callable[[], object], version: str | None) -> None:
        info = PluginInfo(name=name, module=module_path, version=version)
        plugins[name] = info
        try:
            obj = obtain()
        except Exception as exc:  # a plugin that fails to import
            info.errors.append(f"failed to load {module_path}: {type(exc).__name__}: {exc}")
            log.warning("plugin %s failed to load", name, exc_info=True)
            return
        if info.version is None:
            info.version = getattr(obj, "__version__", None)
        try:
            pm.register(obj, name=name)
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            if pm.is_registered(obj):
                pm.unregister(obj)
            info.errors.append(f"invalid plugin: {exc}")
            log.warning("plugin %s is invalid: %s", name, exc)
            return
        except ValueError as exc:  # registered twice
            info.errors.append(str(exc))
            return
        info.hooks = [
            hook for hook in HOOKS if any(impl.plugin is obj for impl in getattr(pm.hook, hook).get_hookimpls())
        ]

    for name, module_path, loader, version in _candidates(installed):
        if _selected(name, env) and name not in (extra or {}):
            register(name, module_path, loader, version)
    for name, obj in (extra or {}).items():
        if _selected(name, env):
            register(name, getattr(obj, "__name__", repr(obj)), functools.partial(_given, obj), None)

    host = PluginHost(pm=pm, plugins=plugins, services={}, checks=[], handlers=[], tracing=tracing)
    _collect(host)
    return host


def _call_each(host: PluginHost, hook: str, expected: type) -> list[tuple[str, Any]]:
    """Call ``hook`` plugin by plugin; keep well-typed items, record everything else as that plugin's error."""
    results: list[tuple[str, Any]] = []
    for impl in getattr(host.pm.hook, hook).get_hookimpls():
        host.trace(f"{hook}() of plugin {impl.plugin_name}")
        try:
            value = impl.function()
        except Exception as exc:
            host.record_error(impl.plugin_name, f"{hook} raised {type(exc).__name__}: {exc}")
            continue
        if not isinstance(value, (list, tuple)):
            host.record_error(impl.plugin_name, f"{hook} returned {type(value).__name__}, expected a list")
            continue
        for item in value:
            if isinstance(item, expected):
                results.append((impl.plugin_name, item))
            else:
                host.record_error(
                    impl.plugin_name, f"{hook} returned {type(item).__name__}, expected {expected.__name__}"
                )
    return results


def _collect(host: PluginHost) -> None:
    for plugin, service in _call_each(host, "csp_services", Service):
        if service.id in host.services:
            host.record_error(plugin, f"service {service.id!r} is already provided by another plugin")
            continue
        host.services[service.id] = service
        host.plugins[plugin].services.append(service.id)
    seen: set[str] = set()
    for plugin, check in _call_each(host, "csp_checks", Check):
        if check.id in seen:
            host.record_error(plugin, f"check id {check.id!r} is used twice")
            continue
        if check.scope not in ("ticket", "account") or not callable(check.run):
            host.record_error(plugin, f"check {check.id!r} has scope {check.scope!r} or no callable run")
            continue
        seen.add(check.id)
        host.checks.append(RegisteredCheck(plugin, check))
        host.plugins[plugin].checks.append(check.id)
    for plugin, handler in _call_each(host, "csp_escalation_handlers", EscalationHandler):
        host.handlers.append(RegisteredHandler(plugin, handler))
        host.plugins[plugin].vehicles.append(f"{handler.service}:{handler.vehicle.value}")
