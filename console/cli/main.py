"""The command line: ``csp-console [COMMAND]``. With no command it opens the console."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from console import __version__
from console.cli import ANSWER_IN_JSON, run_app, say
from console.cli.failures import said_error, said_fault
from console.cli.output import out
from console.settings import paths
from console.settings.config import load_config, named_config

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

    from console.plugins.host import PluginHost

log = logging.getLogger("csp_console")

USAGE = 2  # the command line itself is wrong: an unknown command or option, a value of the wrong form


class UsageError(Exception):
    """argparse's refusal of the command line, said by :func:`main` (as JSON under ``--json``)."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


HELP_WIDTH = 80  # the widest line of any --help: an 80-column SSH terminal reads it unwrapped


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, never wider than :data:`HELP_WIDTH` (or the terminal, when that is narrower)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        columns = shutil.get_terminal_size((HELP_WIDTH, 24)).columns
        width = min(width or HELP_WIDTH, columns, HELP_WIDTH) - 2
        super().__init__(prog, indent_increment, max_help_position, width)


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose refusals :func:`main` says (argparse would print them and exit); its help (and
    every subcommand's, which argparse builds with this class) fits 80 columns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        """Help and usage, through the command line's one writer (choices may come from plugins)."""
        if message:
            out(message, end="", err=file is sys.stderr)


def _common() -> Parser:
    parent = Parser(prog="csp-console", add_help=False)
    parent.add_argument(
        "--db",
        type=paths.db_argument,
        default=argparse.SUPPRESS,
        help="workspace file or postgresql://URL (default: $CSP_CONSOLE_DB or the user data dir)",
    )
    parent.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="config file (default: $CSP_CONSOLE_CONFIG or the user config dir)",
    )
    return parent


def build_parser(host: PluginHost | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``host``, the plugins' commands too (:mod:`console.cli.plugin_commands`)."""
    common = _common()
    parser = Parser(
        prog="csp-console",
        parents=[common],
        description="Keyboard-first triage console for Microsoft CSP partners' support desks.",
    )
    parser.add_argument("--version", action="version", version=f"csp-console {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", parents=[common], help="open the console (the default)")

    from console.cli import (
        billing,
        board,
        deploy,
        desk,
        escalate,
        health,
        login,
        mail,
        microsoft,
        offers,
        plugins,
        policy,
        records,
        sandbox,
        workspace,
    )

    modules = (records, plugins, desk, microsoft, escalate, sandbox, login, billing, offers, health, deploy, policy)
    for module in (*modules, mail, board, workspace):
        module.add_parsers(sub, common)
    cfg = sub.add_parser("config", parents=[common], help="show the configuration")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    cfg_sub.add_parser("show", parents=[common], help="print the effective configuration")
    cfg_sub.add_parser("path", parents=[common], help="print where the config file is read from")
    if host is not None:
        from console.cli import plugin_commands

        plugin_commands.add_parsers(sub, common, host)
    return parser


def _db(args: argparse.Namespace) -> paths.WorkspaceAt:
    return getattr(args, "db", None) or paths.default_db_path()


def _personal_db(args: argparse.Namespace) -> bool:
    """Whether the workspace is the user's own default one (no ``--db``, no ``CSP_CONSOLE_DB``): only there
    does a first run create the demo."""
    return getattr(args, "db", None) is None and not os.environ.get("CSP_CONSOLE_DB")


def _config_path(args: argparse.Namespace) -> Path:
    """The config file. One named (``--config``, ``$CSP_CONSOLE_CONFIG``) must be there, unless the command says
    where it is (``config path``, ``deploy check``) or writes it (``demo``, a first run's demo)."""
    path = _config_at(args)
    first_run = (
        args.command in (None, "run") and _personal_db(args) and not paths.workspace_exists(paths.default_db_path())
    )
    says = args.command == "deploy" or getattr(args, "config_command", None) == "path"  # (a host's check says it)
    wanted = not first_run and args.command != "demo" and not says
    return named_config(path, "--config" if getattr(args, "config", None) else None) if wanted else path


def _config_at(args: argparse.Namespace) -> Path:
    return getattr(args, "config", None) or paths.default_config_path()


def setup_logging() -> Path:
    """Diagnostics go to the log file (0600, rotated, tokens redacted), never to the terminal."""
    from console.shared.log_file import open_log

    path = paths.log_path()
    open_log(path, os.environ.get("CSP_CONSOLE_LOG_LEVEL", "INFO"))
    return path


def cmd_run(args: argparse.Namespace) -> int:
    from console.demo.first_run import open_or_create

    config = load_config(_config_path(args))
    opened = open_or_create(_db(args), _config_path(args), personal=_personal_db(args))
    if opened.notice:
        config = load_config(_config_path(args))
    from console.app import CspConsoleApp  # Textual is imported only for the console itself

    start = getattr(args, "start_screen", "queue")
    return run_app(opened, lambda: CspConsoleApp(opened.workspace, config, notice=opened.notice, start_screen=start))


def _records_command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from console.cli import records as cli_records

        return int(getattr(cli_records, f"cmd_{name}")(args, _db(args), _config_path(args)))

    return run


def cmd_config(args: argparse.Namespace) -> int:
    from console.cli.config_show import cmd_config as show

    return show(args, _config_path(args))


def cmd_policy(args: argparse.Namespace) -> int:
    from console.cli import policy as cli_policy

    return cli_policy.cmd_policy(args, _db(args), _config_path(args))


def cmd_plugins(args: argparse.Namespace) -> int:
    from console.cli import plugins as cli_plugins

    return cli_plugins.cmd_plugins(args, _db(args), _config_path(args))


def cmd_triage(args: argparse.Namespace) -> int:
    from console.cli import plugins as cli_plugins

    return cli_plugins.cmd_triage(args, _db(args), _config_path(args))


def cmd_opportunities(args: argparse.Namespace) -> int:
    from console.cli import plugins as cli_plugins

    return cli_plugins.cmd_opportunities(args, _db(args), _config_path(args))


def cmd_ticket(args: argparse.Namespace) -> int:
    from console.cli import desk as cli_desk

    return cli_desk.cmd_ticket(args, _db(args), _config_path(args))


def cmd_next(args: argparse.Namespace) -> int:
    from console.cli import desk as cli_desk

    return cli_desk.cmd_next(args, _db(args), _config_path(args))


def cmd_agents(args: argparse.Namespace) -> int:
    from console.cli import desk as cli_desk

    return cli_desk.cmd_agents(args, _db(args), _config_path(args))


def cmd_audit(args: argparse.Namespace) -> int:
    from console.cli import desk as cli_desk

    return cli_desk.cmd_audit(args, _db(args), _config_path(args))


def cmd_health(args: argparse.Namespace) -> int:
    if args.tui:
        args.start_screen = "health"
        return cmd_run(args)
    from console.cli import health as cli_health

    return cli_health.cmd_health(args, _db(args), _config_path(args))


def cmd_sync(args: argparse.Namespace) -> int:
    from console.cli import microsoft as cli_microsoft

    return cli_microsoft.cmd_sync(args, _db(args), _config_path(args))


def cmd_escalate(args: argparse.Namespace) -> int:
    from console.cli import escalate as cli_escalate

    return cli_escalate.cmd_escalate(args, _db(args), _config_path(args))


def cmd_escalations(args: argparse.Namespace) -> int:
    from console.cli import microsoft as cli_microsoft

    return cli_microsoft.cmd_escalations(args, _db(args), _config_path(args))


def _module_command(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        cli = importlib.import_module(f"console.cli.{module}")  # (imported only when its command runs)
        return int(getattr(cli, f"cmd_{name}")(args, _db(args), _config_path(args)))

    return run


def cmd_sandbox(args: argparse.Namespace) -> int:
    from console.cli import sandbox as cli_sandbox

    return cli_sandbox.cmd_sandbox(args, _db(args))


def cmd_microsoft(args: argparse.Namespace) -> int:
    from console.cli import login as cli_login

    return cli_login.cmd_microsoft(args, _db(args), _config_path(args))


def cmd_gdap(args: argparse.Namespace) -> int:
    from console.cli import login as cli_login

    return cli_login.cmd_gdap(args, _db(args), _config_path(args))


def _billing_command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from console.cli import billing as cli_billing
        from console.cli import offers as cli_offers

        if getattr(args, "tui", False):
            args.start_screen = name
            return cmd_run(args)
        module = cli_offers if name in OFFER_COMMANDS else cli_billing
        return int(getattr(module, f"cmd_{name}")(args, _db(args), _config_path(args)))

    return run


OFFER_COMMANDS = ("offer", "holidays", "time", "sla")
BILLING_COMMANDS = ("collections", "billing", "payment", "invoices", *OFFER_COMMANDS)
MODULE_COMMANDS = {"mail": "mail", "deploy": "deploy", "ssh-command": "deploy", "workspace": "workspace"}

COMMANDS = {
    "run": cmd_run,
    **{name: _records_command(name) for name in ("demo", "import", "export")},
    "config": cmd_config,
    "policy": cmd_policy,
    "plugins": cmd_plugins,
    "triage": cmd_triage,
    "opportunities": cmd_opportunities,
    "ticket": cmd_ticket,
    "next": cmd_next,
    "agents": cmd_agents,
    "audit": cmd_audit,
    "sync": cmd_sync,
    "health": cmd_health,
    "board": _module_command("board", "board"),
    "escalate": cmd_escalate,
    "escalations": cmd_escalations,
    "sandbox": cmd_sandbox,
    "microsoft": cmd_microsoft,
    "gdap": cmd_gdap,
    **{name: _billing_command(name) for name in BILLING_COMMANDS},
    **{name: _module_command(module, name.replace("-", "_")) for name, module in MODULE_COMMANDS.items()},
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, read. Opening the console (no command, only ``--db``/``--config``) reads just those
    two options: the whole parser, with every command's options and their modules, costs ~30 ms of start-up."""
    argv = list(sys.argv[1:] if argv is None else argv)
    opened, rest = _common().parse_known_args(argv)
    if not rest:
        opened.command = None
        return opened
    from console.cli import plugin_commands

    if not plugin_commands.wanted(rest, list(COMMANDS)):
        return build_parser().parse_args(argv)
    parser = build_parser(plugin_commands.host_for(_config_at(opened)))
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "plugin_broken", None):  # a broken command says why, whatever it was given
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status: 0 done, 1 failed, 2 usage, 3 refused, 4 queued or stopped midway
    (resumable), 75 the workspace busy (run it again), 130 interrupted (README, "The command line")."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ANSWER_IN_JSON.set("--json" in argv)
    try:
        args = parse_args(argv)
    except UsageError as exc:
        if not ANSWER_IN_JSON.get():
            exc.parser.print_usage(sys.stderr)
        return say("usage", str(exc), USAGE, prefix=f"{exc.parser.prog}: error: ")
    ANSWER_IN_JSON.set(bool(getattr(args, "json", False)))
    setup_logging()
    command = args.command or "run"
    try:
        if command not in COMMANDS:
            from console.cli import plugin_commands

            return plugin_commands.run(args, _db(args), _config_path(args))
        return COMMANDS[command](args)
    except KeyboardInterrupt:
        out("csp-console: interrupted", err=True)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if (code := said_fault(exc, _db(args))) is None and (code := said_error(exc)) is None:
            raise
        return code
