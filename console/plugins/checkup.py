"""``csp-console plugins check PLUGIN``: load one plugin beside the built-in ones, call each of its hooks and
what they return with sample data (:mod:`console.testing`), and list every problem the console would meet:
refused imports or API versions, misspelled or unmarked hooks, refused items (ids not namespaced, plain values
where an enum is expected, text past its limit), checks that raise, run past their budget or return findings
the console refuses, slow or failing queue columns, account sections, intake checks, escalation handlers.

Ticket actions and event receivers act on the world (a Teams post, a device wipe): they are checked as the
console checks them at load, never run. Neither is a command.
"""

from __future__ import annotations

import argparse
import importlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from console.plugins import loading, validate
from console.plugins.host import DEFAULT_PLUGINS, GROUP, PluginHost, load_plugins
from console.plugins.runner import CheckRunner
from console.plugins.validate import PluginValueError
from console.plugins.views import CheckContext

COLUMN_BUDGET = 0.05  # seconds for one page of values, as the queue allows (console.plugins.reach.QueueColumn)
SECTION_LINES = 20


@dataclass
class Checkup:
    """What ``plugins check`` found of one plugin."""

    plugin: str
    module: str
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    """What was called, one line each (``check intune.compliance on an intune ticket``)."""

    def as_dict(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "module": self.module, "problems": self.problems, "checked": self.checked}


def problems_of(host: PluginHost, names: Mapping[str, Any]) -> list[str]:
    """Why the plugins ``names`` are not fit to be used (empty: they loaded and registered hooks)."""
    if not names:
        return ["csp_plugins names no plugin: override the fixture to return {'name': your_plugin_module}"]
    problems = []
    for name in names:
        info = host.plugins.get(name)
        if info is None:
            problems.append(f"plugin {name} was not loaded")
            continue
        problems.extend(f"plugin {name}: {error}" for error in info.errors)
        if not info.hooks and not info.errors:  # a refused plugin's own error says why
            problems.append(
                f"plugin {name} registered no hook: mark its functions with @hookimpl (from console.plugin_api)"
                " and name them as the hooks are named (csp_checks, csp_services, ...)"
            )
    return problems


def find(target: str, name: str | None = None) -> tuple[str, str, Callable[[], object]]:
    """(plugin name, module, loader) of ``target``: an installed ``csp_console`` entry point's name, or an
    importable module (named ``name``, else its entry point's name, else the module's own name)."""
    for ep in metadata.entry_points(group=GROUP):
        if ep.name == target or ep.value == target:
            return name or ep.name, ep.value, ep.load
    plugin = name or target.rsplit(".", 1)[-1].removeprefix("csp_console_").removeprefix("csp_")
    return plugin, target, lambda: importlib.import_module(target)


def check_plugin(target: str, *, name: str | None = None, settings: Mapping[str, Any] | None = None) -> Checkup:
    """Load ``target`` (see :func:`find`) with the built-in plugins and try everything it contributes."""
    plugin, module_path, loader = find(target, name)
    report = Checkup(plugin=plugin, module=module_path)
    budget = loading.import_budget(os.environ)
    loaded = loading.import_within(loader, budget, plugin)  # whatever it raises, however long it takes
    if loaded.timed_out:
        report.problems.append(f"plugin {plugin}: import of {module_path} took longer than its {budget:g} s budget")
        return report
    if loaded.error is not None:
        report.problems.append(f"plugin {plugin}: failed to load {module_path}: import raised {loaded.error}")
        return report
    obj = loaded.value
    env = {"CSP_CONSOLE_LOAD_PLUGINS": ",".join([*DEFAULT_PLUGINS, plugin])}
    host = load_plugins(installed=False, env=env, extra={plugin: obj}, settings={plugin: dict(settings or {})})
    report.problems.extend(problems_of(host, {plugin: obj}))
    if plugin not in host.plugins or not host.plugins[plugin].hooks:
        return report
    from console.plugins import sample_calls

    for call in sample_calls.CALLS:
        call(host, plugin, report)
    return report


def samples(host: PluginHost, plugin: str) -> list[tuple[str, CheckContext]]:
    """(what, context) to try the plugin's items on: a ticket of each of its services, of a customer with a
    subscription of it and of one without."""
    from console import testing

    own = [sid for sid, owner in host.service_owner.items() if owner == plugin] or ["office365"]
    out = []
    for service in own:
        ctx = testing.context(
            ticket=testing.ticket(service=service),
            subscriptions=[testing.subscription(service=service)],
            services=tuple(host.services.values()),
        )
        out.append((f"a ticket of {service}", ctx))
        bare = testing.context(ticket=testing.ticket(service=service), services=tuple(host.services.values()))
        out.append((f"a ticket of {service} of a customer without a subscription", bare))
    return out


def run_checks(host: PluginHost, plugin: str, report: Checkup) -> None:
    runner = CheckRunner(host)
    try:
        for what, ctx in samples(host, plugin):
            for scope in ("ticket", "account"):
                mine = [rc for rc in runner.checks_for(ctx, scope) if rc.plugin == plugin]
                if not mine:
                    continue
                run = runner.run(ctx, scope, mine)
                report.checked.append(f"{len(mine)} {scope} check(s) on {what}")
                report.problems.extend(f"plugin {f.plugin}: {f.message}" for f in run.failures)
    finally:
        runner.close()


def timed(call: Callable[[], Any]) -> tuple[Any, float, BaseException | None]:
    start = time.perf_counter()
    try:
        value = call()
    except BaseException as exc:  # the plugin's fault, reported
        return None, time.perf_counter() - start, exc
    return value, time.perf_counter() - start, None


def parser_for(command_name: str, arguments: Callable[[argparse.ArgumentParser], None]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"csp-console {command_name}", add_help=False)
    arguments(parser)
    return parser


def refusal(error: BaseException) -> str:
    return str(error) if isinstance(error, PluginValueError) else f"{type(error).__name__}: {error}"


__all__ = ["Checkup", "check_plugin", "problems_of", "validate"]
