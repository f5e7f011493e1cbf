"""Loading plugins: entry points one by one, each failure recorded with the plugin's name.

Built-in plugins are registered through the same ``csp_console`` entry-point group as third-party ones.
``CSP_CONSOLE_LOAD_PLUGINS`` (comma-separated allow-list; empty for none) and
``CSP_CONSOLE_DISABLE_PLUGINS`` (deny-list) choose which load; ``CSP_CONSOLE_TRACE_PLUGINS=1`` traces hook
calls to stderr. Under pytest only this project's own plugins load unless a test asks for installed ones.

A plugin's import and its hooks run through :mod:`console.plugins.loading`: whatever they raise
(``SystemExit`` included) is the plugin's error, each import is timed and given up on past
``CSP_CONSOLE_PLUGIN_IMPORT_BUDGET`` seconds.
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
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pluggy

from console.plugins import hookspecs, loading, reach
from console.plugins.collect import Registered, collect
from console.plugins.markers import PROJECT
from console.plugins.vehicles import EscalationHandler
from console.plugins.versions import refusal
from console.plugins.views import Check, Service
from console.shared.model import Vehicle
from console.shared.safe_text import clean_line

log = logging.getLogger(__name__)
T = TypeVar("T")

GROUP = "csp_console"
HOOKS = (
    "csp_services",
    "csp_checks",
    "csp_escalation_handlers",
    "csp_commands",
    "csp_queue_columns",
    "csp_account_sections",
    "csp_ticket_actions",
    "csp_intake_fields",
    "csp_event_receivers",
    "csp_settings",
    "csp_configure",
)
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
    api: str | None = None
    """The plugin API version the plugin declares it needs (``csp_console_api``)."""
    builtin: bool = False
    import_seconds: float | None = None
    """How long importing the plugin took (or was waited for, when it ran past the import budget)."""
    warnings: list[str] = field(default_factory=list)
    """What is not an error but the desk should know (an import slower than a second)."""

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
    service_owner: dict[str, str] = field(default_factory=dict)
    commands: list[Registered[reach.Command]] = field(default_factory=list)
    columns: list[Registered[reach.QueueColumn]] = field(default_factory=list)
    sections: list[Registered[reach.AccountSection]] = field(default_factory=list)
    actions: list[Registered[reach.TicketAction]] = field(default_factory=list)
    intake_fields: list[Registered[reach.IntakeField]] = field(default_factory=list)
    receivers: list[Registered[reach.EventReceiver]] = field(default_factory=list)
    settings_schema: dict[str, list[reach.Setting]] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each plugin's validated ``[plugins.NAME]`` values (see :func:`console.plugins.collect.settings_for`)."""

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
        """The handlers of ``service``: at most one per vehicle, all of the plugin that provides it."""
        return [h for h in self.handlers if h.handler.service == service]

    def handler(self, service: str | None, vehicle: Vehicle) -> RegisteredHandler | None:
        """The one handler for ``service`` through ``vehicle`` (the menu and the submit both ask here)."""
        return next((h for h in self.handlers_for(service) if h.handler.vehicle == vehicle), None)


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
    # Each distribution's name and version read once: its METADATA is parsed anew on every look (four looks an
    # entry point before 2026-12-07: 34 ms of the console's start-up with the four built-ins, now 12).
    described: dict[str, tuple[str | None, str | None]] = {}
    points = [(ep, *_described(ep, described)) for ep in metadata.entry_points(group=GROUP)]
    # The built-ins first, then third-party plugins by name: registration order decides nothing of who owns
    # what (console.plugins.collect), only the order pluggy calls hooks in among equals.
    points.sort(key=lambda p: (p[1] != OWN_DISTRIBUTION, p[0].name))
    for ep, dist_name, version in points:
        if not installed and dist_name != OWN_DISTRIBUTION:
            continue
        if ep.name in seen:
            continue
        seen.add(ep.name)
        found.append((ep.name, ep.value, ep.load, version))
    missing = [
        (name, module, functools.partial(importlib.import_module, module), None)
        for name, module in DEFAULT_PLUGINS.items()
        if name not in seen
    ]
    return missing + found


def _described(
    ep: metadata.EntryPoint, known: dict[str, tuple[str | None, str | None]]
) -> tuple[str | None, str | None]:
    """(the name in lower case, the version) of the distribution that declares ``ep``; ``known``: those read
    before, by where the distribution's files are."""
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    where = str(getattr(dist, "_path", id(dist)))
    if where not in known:
        meta = dist.metadata  # (one parse for both)
        name = meta["Name"]
        known[where] = (str(name).lower() if name is not None else None), meta["Version"]
    return known[where]


def _api_honoured(info: PluginInfo, obj: object) -> bool:
    """Whether the console offers the plugin API version ``obj`` declares (``csp_console_api``); if not, the
    refusal is the plugin's error."""
    declared = getattr(obj, "csp_console_api", None)
    info.api = declared if isinstance(declared, str) else None
    refused = refusal(declared)
    if refused is not None:
        info.errors.append(refused)
        log.warning("plugin %s refused: %s", info.name, refused)
    return refused is None


def _unmarked(obj: object, marked: list[str]) -> list[str]:
    """A function named as a hook but not marked ``@hookimpl``: pluggy never calls it, and nothing else would say."""
    return [
        f"{hook} is not marked @hookimpl: the console never calls it"
        for hook in HOOKS
        if hook not in marked and callable(getattr(obj, hook, None))
    ]


def _given(obj: object) -> object:
    """The loader of a plugin object passed in (``extra``): the object itself."""
    return obj


def load_plugins(
    *,
    installed: bool | None = None,
    env: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
    replace: Mapping[str, str] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    settings_file: Path | None = None,
) -> PluginHost:
    """Load every selected plugin, one at a time; never raises for a plugin's fault. ``installed``: include
    third-party plugins (default: yes, except under pytest); ``extra``: plugin objects ``{name: module}``, as
    tests give; ``replace``: the desk policy's ``plugins.replace`` (service id -> plugin instead of its owner);
    ``settings``: the ``[plugins.NAME]`` sections of ``settings_file`` (named with the line in their errors)."""
    env, installed = os.environ if env is None else env, (not _called_from_test()) if installed is None else installed
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    tracing = env.get("CSP_CONSOLE_TRACE_PLUGINS") == "1"
    plugins: dict[str, PluginInfo] = {}

    budget = loading.import_budget(env)
    with loading.watching_ctrl_c():  # a real Ctrl-C still ends the command; a plugin's own is its error
        for name, module_path, loader, version in _candidates(installed):
            if _selected(name, env) and name not in (extra or {}):
                plugins[name] = _register(pm, PluginInfo(name, module_path, version), loader, budget)
        for name, obj in (extra or {}).items():
            if _selected(name, env):
                info = PluginInfo(name, getattr(obj, "__name__", repr(obj)))
                plugins[name] = _register(pm, info, functools.partial(_given, obj), budget)
        host = PluginHost(pm=pm, plugins=plugins, services={}, checks=[], handlers=[], tracing=tracing)
        collect(host, replace or {})
        configure(host, settings or {}, settings_file)
    return host


def _register(pm: pluggy.PluginManager, info: PluginInfo, obtain: Callable[[], object], budget: float) -> PluginInfo:
    """Import one plugin within ``budget`` seconds (:func:`console.plugins.loading.import_within`) and register
    it; whatever it raises, ``SystemExit`` included, or however long it takes, is its error."""
    loaded = loading.import_within(obtain, budget, info.name)
    info.import_seconds = round(loaded.seconds, 3)
    if loaded.timed_out:
        info.errors.append(
            f"import of {info.module} took longer than its {budget:g} s budget ({loading.IMPORT_BUDGET_ENV}) "
            "and was given up on: the plugin is not loaded"
        )
        log.warning("plugin %s refused: its import took longer than %g s", info.name, budget)
        return info
    if loaded.error is not None:
        info.errors.append(f"failed to load {info.module}: import raised {loaded.error}")
        log.warning("plugin %s failed to load: %s", info.name, loaded.error)
        return info
    if loaded.seconds > loading.SLOW_IMPORT:
        info.warnings.append(
            f"import took {loaded.seconds:.1f} s (over {loading.SLOW_IMPORT:g} s): every command waits as long"
        )
    obj = loaded.value
    called = loading.guarded(_adopt, pm, info, obj)
    if called.error is not None:  # the plugin's code ran while it was registered (a module __getattr__, say)
        if pm.is_registered(obj):
            pm.unregister(obj)
        info.hooks = []
        info.errors.append(f"registering the plugin raised {called.error}")
    return info


def _adopt(pm: pluggy.PluginManager, info: PluginInfo, obj: object) -> None:
    """Register the imported ``obj`` as ``info``'s plugin: its version, API, hooks; refusals are its errors."""
    if info.version is None:
        version = getattr(obj, "__version__", None)
        info.version = version if isinstance(version, str) else None
    info.builtin = info.module.startswith("plugins.") and info.name in DEFAULT_PLUGINS
    if not _api_honoured(info, obj):
        return
    try:
        pm.register(obj, name=info.name)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        if pm.is_registered(obj):
            pm.unregister(obj)
        info.errors.append(f"invalid plugin: {exc}")
        log.warning("plugin %s is invalid: %s", info.name, exc)
        return
    except ValueError as exc:  # registered twice
        info.errors.append(str(exc))
        return
    info.hooks = [hook for hook in HOOKS if any(i.plugin is obj for i in getattr(pm.hook, hook).get_hookimpls())]
    info.errors.extend(_unmarked(obj, info.hooks))


def _place(path: Path | None, plugin: str, key: str | None) -> str:
    """``FILE:LINE: `` of a plugin's section (or of its key) in the config file, as config errors say it."""
    if path is None:
        return ""
    from console.settings.toml_lines import line_of

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return f"{path}: "
    line = (line_of(text, f"plugins.{plugin}.{key}") if key else None) or line_of(text, f"plugins.{plugin}")
    return f"{path}:{line}: " if line else f"{path}: "


def configure(host: PluginHost, sections: Mapping[str, Mapping[str, Any]], origin: Path | None = None) -> None:
    """Check each plugin's ``[plugins.NAME]`` section against its settings and hand it the values
    (``csp_configure``); a section that does not fit is that plugin's error, the others go on. A section of a
    plugin that is not loaded is kept as it is (the plugin may be disabled on this host)."""
    from console.plugins.collect import SettingError, settings_for

    for name, info in host.plugins.items():
        if not info.hooks:  # not loaded: its section is not its problem now
            continue
        try:
            host.settings[name] = settings_for(host, name, sections.get(name, {}))
        except SettingError as exc:
            host.record_error(name, f"{_place(origin, name, exc.key)}{exc}")
            continue
    for impl in reversed(host.pm.hook.csp_configure.get_hookimpls()):
        if impl.plugin_name not in host.settings:
            continue
        called = loading.guarded(impl.function, settings=dict(host.settings[impl.plugin_name]))
        if called.error is not None:
            host.record_error(impl.plugin_name, f"csp_configure raised {called.error}")


def call_each(host: PluginHost, hook: str, expected: type[T]) -> list[tuple[str, T]]:
    """Call ``hook`` plugin by plugin, in the order pluggy calls them (``tryfirst`` first, ``trylast`` last);
    keep well-typed items, record everything else as that plugin's error."""
    results: list[tuple[str, T]] = []
    for impl in reversed(getattr(host.pm.hook, hook).get_hookimpls()):
        host.trace(f"{hook}() of plugin {impl.plugin_name}")
        called = loading.guarded(impl.function)  # SystemExit and the plugin's own KeyboardInterrupt included
        value = called.value
        if called.error is None and not isinstance(value, (list, tuple)):
            host.record_error(impl.plugin_name, f"{hook} returned {type(value).__name__}, expected a list")
            continue
        if called.error is None:
            called = loading.guarded(list, value)  # a list of the plugin's own kind iterates its own way
        if called.error is not None:
            host.record_error(impl.plugin_name, f"{hook} raised {called.error}")
            continue
        for item in called.value:
            if isinstance(item, expected):
                results.append((impl.plugin_name, item))
            else:
                host.record_error(
                    impl.plugin_name, f"{hook} returned {type(item).__name__}, expected {expected.__name__}"
                )
    return results
