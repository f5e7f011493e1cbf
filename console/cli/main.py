"""The command line: ``csp-console [COMMAND]``. With no command it opens the console."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from console import __version__
from console.records.kinds import KINDS
from console.settings.config import Config, ConfigError, load_config, write_demo_config
from console.settings.paths import default_config_path, default_db_path, log_path
from console.shared.clock import parse_iso, utcnow
from console.shared.progress import Progress
from console.store import WorkspaceError

log = logging.getLogger("csp_console")


class CommandError(Exception):
    """A failure to report as ``csp-console: error: ...`` with exit status 1."""


def _common() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(prog="csp-console", add_help=False)
    parent.add_argument(
        "--db",
        type=Path,
        default=argparse.SUPPRESS,
        help="workspace file (default: $CSP_CONSOLE_DB or the user data dir)",
    )
    parent.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="config file (default: $CSP_CONSOLE_CONFIG or the user config dir)",
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="csp-console",
        parents=[common],
        description="Keyboard-first triage console for Microsoft CSP partners' support desks.",
    )
    parser.add_argument("--version", action="version", version=f"csp-console {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", parents=[common], help="open the console (the default)")

    demo = sub.add_parser("demo", parents=[common], help="write a demo workspace")
    demo.add_argument("--tickets", type=int, default=2000, help="how many tickets (default 2000)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument("--now", default=None, help="the demo's clock, ISO 8601 (default: now)")

    imp = sub.add_parser("import", parents=[common], help="import JSON Lines or CSV files")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--kind", choices=list(KINDS), help="what the files hold (default: from their names)")
    imp.add_argument(
        "--force",
        action="store_true",
        help="write tickets changed since the file was exported, or claimed by another agent (records.overwrite)",
    )

    exp = sub.add_parser("export", parents=[common], help="export records as JSON Lines or CSV")
    exp.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    exp.add_argument("--kind", choices=list(KINDS), action="append", help="only these kinds (repeatable)")
    exp.add_argument("--output", "-o", default=".", help="directory to write into, or - for standard output")

    plug = sub.add_parser("plugins", parents=[common], help="list plugins, their hooks, services and errors")
    plug.add_argument("--json", action="store_true", help="print JSON")

    tri = sub.add_parser("triage", parents=[common], help="run the plugins' checks and store the findings")
    which = tri.add_mutually_exclusive_group(required=True)
    which.add_argument("--ticket", metavar="ID", help="one ticket, e.g. CSP-000123")
    which.add_argument("--all", action="store_true", help="every open ticket")
    tri.add_argument("--json", action="store_true", help="print JSON Lines, one finding a line")

    opp = sub.add_parser("opportunities", parents=[common], help="opportunities for sales, per customer")
    opp.add_argument("--customer", metavar="ID", help="one customer id")
    opp.add_argument("--json", action="store_true", help="print JSON Lines")

    from console.cli import billing as cli_billing
    from console.cli import desk as cli_desk
    from console.cli import login as cli_login
    from console.cli import microsoft as cli_microsoft

    cli_desk.add_parsers(sub, common)
    cli_microsoft.add_parsers(sub, common)
    cli_login.add_parsers(sub, common)
    cli_billing.add_parsers(sub, common)
    health = sub.add_parser("health", parents=[common], help="queue health: the board's figures (or --tui)")
    health.add_argument("--json", action="store_true", help="the documented JSON shape (docs/health.md)")
    health.add_argument("--watch", type=float, metavar="SECONDS", help="print again every SECONDS (JSON Lines)")
    health.add_argument("--tui", action="store_true", help="open the console on the live health board")

    cfg = sub.add_parser("config", parents=[common], help="show the configuration")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    cfg_sub.add_parser("show", parents=[common], help="print the effective configuration")
    cfg_sub.add_parser("path", parents=[common], help="print where the config file is read from")
    return parser


def _db(args: argparse.Namespace) -> Path:
    return getattr(args, "db", None) or default_db_path()


def _config_path(args: argparse.Namespace) -> Path:
    return getattr(args, "config", None) or default_config_path()


def setup_logging() -> Path:
    """Diagnostics go to the log file, never to the terminal."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("CSP_CONSOLE_LOG_LEVEL", "INFO").upper())
    return path


def cmd_run(args: argparse.Namespace) -> int:
    from console.demo.first_run import open_or_create

    config = load_config(_config_path(args))
    opened = open_or_create(_db(args), _config_path(args))
    if opened.notice:
        config = load_config(_config_path(args))
    from console.app import CspConsoleApp  # Textual is imported only for the console itself
    from console.desk.identity import UnknownAgent

    try:
        app = CspConsoleApp(
            opened.workspace, config, notice=opened.notice, start_screen=getattr(args, "start_screen", "queue")
        )
    except UnknownAgent as exc:
        opened.workspace.close()
        raise CommandError(str(exc)) from None
    try:
        app.run()
    finally:
        opened.workspace.close()
    return app.return_code or 0


def cmd_demo(args: argparse.Namespace) -> int:
    if args.tickets < 0:
        raise CommandError("--tickets must be 0 or more")
    try:
        now = parse_iso(args.now) if args.now else utcnow()
    except ValueError as exc:
        raise CommandError(f"--now: {exc}") from None
    path = _db(args)
    if path.exists() and path.stat().st_size > 0:
        raise CommandError(f"{path} already exists; the demo writes a new workspace (choose another --db)")
    wrote = write_demo_config(_config_path(args))
    _demo(path, args.tickets, args.seed, now, load_config(_config_path(args)))
    if wrote:
        print(f"Wrote the demo partner profile to {_config_path(args)}")
    print(f"Demo workspace written to {path}")
    return 0


def _demo(path: Path, tickets: int, seed: int, now: datetime, config: Config) -> None:
    from console.demo.workspace import generate
    from console.store import Workspace

    ws = Workspace.open(path)
    try:
        with Progress("Writing demo tickets", tickets) as progress:
            counts = generate(
                ws,
                tickets=tickets,
                seed=seed,
                now=now,
                progress=progress.advance,
                extra_admins=(_agent(),),
                config=config,
            )
    except BaseException:
        ws.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    ws.close()
    log.info("demo written to %s: %s", path, counts)
    print(", ".join(f"{v:,} {k}" for k, v in counts.items()))


def cmd_import(args: argparse.Namespace) -> int:
    from console.cli.desk import outcome

    return outcome(lambda: _import(args))


def _import(args: argparse.Namespace) -> int:
    from console.cli.desk import desk_for
    from console.records.importer import ImportFailure

    # As the current agent, through the desk: records.import (records.overwrite with --force), audited.
    with desk_for(_db(args), _config_path(args), create=True, owner_if_empty=True) as desk:
        try:
            total = sum(_count_lines(p) for p in args.files if p.exists())
            with Progress("Importing", total) as progress:
                result = desk.import_records(
                    list(args.files), kind=args.kind, force=args.force, progress=progress.advance
                )
        except ImportFailure as exc:
            log.warning("import failed: %s", exc)
            raise CommandError(f"{exc}\nNothing was imported (the whole import was rolled back).") from None
    print(result.summary())
    return 0


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def _agent() -> str:
    import getpass

    return os.environ.get("CSP_CONSOLE_AGENT") or getpass.getuser()


def cmd_export(args: argparse.Namespace) -> int:
    from console.cli.desk import outcome

    return outcome(lambda: _export(args))


def _export(args: argparse.Namespace) -> int:
    from console.cli.desk import desk_for

    if args.output == "-" and (not args.kind or len(args.kind) != 1):
        raise CommandError("--output - writes one kind to standard output: add exactly one --kind")
    # As the current agent, through the desk: records.export, audited.
    with desk_for(_db(args), _config_path(args), owner_if_empty=True) as desk:
        if args.output == "-":
            desk.export_kind(args.kind[0], args.format, sys.stdout)
            return 0
        kinds = args.kind or list(KINDS)
        with Progress("Exporting", desk.record_count(kinds)) as progress:
            written = desk.export_records(
                Path(args.output), args.format, kinds, progress=lambda _kind, n: progress.advance(n)
            )
    for path_written in written.values():
        print(path_written)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    path = _config_path(args)
    if args.config_command == "path":
        print(path)
        return 0
    config = load_config(path)
    source = f"# from {path}" if config.loaded_from_file else f"# {path} does not exist: defaults"
    print(source)
    print(config.to_toml(), end="")
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    from console.cli import plugins as cli_plugins

    return cli_plugins.cmd_plugins(args)


def cmd_triage(args: argparse.Namespace) -> int:
    from console.cli import plugins as cli_plugins

    return cli_plugins.cmd_triage(args, _db(args), _config_path(args))


def cmd_opportunities(args: argparse.Namespace) -> int:
    from console.cli import plugins as cli_plugins

    return cli_plugins.cmd_opportunities(args, _db(args), _config_path(args))


def cmd_ticket(args: argparse.Namespace) -> int:
    from console.cli import desk as cli_desk

    return cli_desk.cmd_ticket(args, _db(args), _config_path(args))


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
    from console.cli import microsoft as cli_microsoft

    return cli_microsoft.cmd_escalate(args, _db(args), _config_path(args))


def cmd_escalations(args: argparse.Namespace) -> int:
    from console.cli import microsoft as cli_microsoft

    return cli_microsoft.cmd_escalations(args, _db(args), _config_path(args))


def cmd_sandbox(args: argparse.Namespace) -> int:
    from console.cli import microsoft as cli_microsoft

    return cli_microsoft.cmd_sandbox(args, _db(args))


def cmd_microsoft(args: argparse.Namespace) -> int:
    from console.cli import login as cli_login

    return cli_login.cmd_microsoft(args, _db(args), _config_path(args))


def cmd_gdap(args: argparse.Namespace) -> int:
    from console.cli import login as cli_login

    return cli_login.cmd_gdap(args, _db(args), _config_path(args))


def _billing_command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from console.cli import billing as cli_billing

        if getattr(args, "tui", False):
            args.start_screen = name
            return cmd_run(args)
        return int(getattr(cli_billing, f"cmd_{name}")(args, _db(args), _config_path(args)))

    return run


BILLING_COMMANDS = ("collections", "billing", "payment", "invoices", "offer", "holidays", "time", "sla")

COMMANDS = {
    "run": cmd_run,
    "demo": cmd_demo,
    "import": cmd_import,
    "export": cmd_export,
    "config": cmd_config,
    "plugins": cmd_plugins,
    "triage": cmd_triage,
    "opportunities": cmd_opportunities,
    "ticket": cmd_ticket,
    "agents": cmd_agents,
    "audit": cmd_audit,
    "sync": cmd_sync,
    "health": cmd_health,
    "escalate": cmd_escalate,
    "escalations": cmd_escalations,
    "sandbox": cmd_sandbox,
    "microsoft": cmd_microsoft,
    "gdap": cmd_gdap,
    **{name: _billing_command(name) for name in BILLING_COMMANDS},
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, read. Opening the console (no command, only ``--db``/``--config``) reads just those
    two options: the whole parser, with every command's options and their modules, costs ~30 ms of start-up."""
    argv = list(sys.argv[1:] if argv is None else argv)
    opened, rest = _common().parse_known_args(argv)
    if not rest:
        opened.command = None
        return opened
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging()
    command = args.command or "run"
    try:
        return COMMANDS[command](args)
    except (CommandError, ConfigError, WorkspaceError) as exc:
        print(f"csp-console: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("csp-console: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


