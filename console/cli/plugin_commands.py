"""Plugins' ``csp-console`` subcommands (the ``csp_commands`` hook).

The plugins are loaded for the parser only when the command line names a command the console does not have,
or asks for the top-level help, so the console's own commands start as fast without them. A plugin command
runs as the current agent through the desk (the workspace's owner acts as a Global admin while it has no
agent, as for ``triage``); what it prints goes through :func:`echo` (untrusted text shown literally); its
return value is the exit status, and anything it raises is said as a failure naming the plugin (exit 1),
``SystemExit(n)`` giving ``n``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli import say
from console.cli.output import out
from console.plugins.collect import Registered
from console.plugins.reach import Command, CommandContext
from console.settings.paths import WorkspaceAt

if TYPE_CHECKING:
    from console.plugins.host import PluginHost

log = logging.getLogger(__name__)
FAILED = 1


def wanted(rest: Sequence[str], known: Sequence[str]) -> bool:
    """Whether the command line needs the plugins' commands: a command word the console does not know, or the
    top-level help."""
    words = [w for w in rest if not w.startswith("-")]
    if not words:
        return any(w in ("-h", "--help") for w in rest)
    return words[0] not in known


def host_for(config_path: Path) -> PluginHost:
    """The plugins, with their settings from the config file (its errors are the plugins' to report)."""
    from console.plugins.host import load_plugins
    from console.settings.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError:
        return load_plugins()  # the command itself will say what is wrong with the file
    return load_plugins(settings=config.plugins, settings_file=config.path if config.loaded_from_file else None)


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser, host: PluginHost) -> None:
    """Each plugin command as a subparser (one whose name the console or another plugin took is that plugin's
    error); its arguments added by the plugin, guarded."""
    taken = set(sub.choices)
    for registered in host.commands:
        command, plugin = registered.item, registered.plugin
        if command.name in taken:
            host.record_error(plugin, f"command {command.name!r} is taken by the console or another plugin")
            continue
        parser = sub.add_parser(command.name, parents=[common], help=f"{command.help} (plugin {plugin})")
        broken = _arguments_of(command, parser)
        if broken is not None:  # the command stays, to say why it cannot run
            host.record_error(plugin, broken)
            sub.choices.pop(command.name, None)
            sub._choices_actions = [a for a in sub._choices_actions if a.dest != command.name]
            parser = sub.add_parser(command.name, parents=[common], help=f"{command.help} (plugin {plugin}: broken)")
        parser.set_defaults(plugin_command=registered, plugin_broken=broken)
        taken.add(command.name)


def _arguments_of(command: Command, parser: argparse.ArgumentParser) -> str | None:
    """Let the plugin add its arguments; what went wrong, if anything."""
    if command.arguments is None:
        return None
    try:
        command.arguments(parser)
    except BaseException as exc:  # a plugin's fault, whatever it is
        return f"command {command.name}: arguments() raised {type(exc).__name__}: {exc}"
    return None


def echo(text: str) -> None:
    """A plugin command's line of output, shown literally (control characters and escapes made visible)."""
    out(str(text))  # out() makes it safe for a terminal


def run(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    """Run the plugin command ``args`` names, as the current agent."""
    from console.cli.desk import outcome

    registered: Registered[Command] = args.plugin_command
    if args.plugin_broken:
        return say("failed", f"plugin {registered.plugin}: {args.plugin_broken}", FAILED)
    return outcome(lambda: _run(registered, args, db, config))


def _run(registered: Registered[Command], args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.cli.desk import desk_for
    from console.desk import plugin_reads
    from console.desk.roles import RoleDenied

    command, plugin = registered.item, registered.plugin
    with desk_for(db, config, owner_if_empty=True) as desk:
        if plugin not in desk.host.settings:  # its [plugins.NAME] section was refused: said, never half-run
            why = (
                "; ".join(e for e in desk.host.plugins[plugin].errors if "[plugins." in e)
                or "its settings were refused"
            )
            return say("failed", f"plugin {plugin}: command {command.name} not run: {why}", FAILED)
        ctx = CommandContext(
            args=args,
            settings=dict(desk.host.settings.get(plugin, {})),
            echo=echo,
            account=lambda customer_id: plugin_reads.account(desk, customer_id),
            customer_ids=lambda: plugin_reads.customer_ids(desk),
        )
        try:
            status = command.run(ctx)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else FAILED
        except (KeyboardInterrupt, RoleDenied):  # the agent's Ctrl-C; a refusal said as the desk says it (exit 3)
            raise
        except Exception as exc:
            log.warning("plugin %s: command %s raised", plugin, command.name, exc_info=True)
            return say("failed", f"plugin {plugin}: command {command.name} raised {type(exc).__name__}: {exc}", FAILED)
    if not isinstance(status, int) or isinstance(status, bool):
        return say("failed", f"plugin {plugin}: command {command.name} returned {status!r}, not an exit status", FAILED)
    return status
