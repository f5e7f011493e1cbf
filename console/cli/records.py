"""Records from the command line: ``demo`` (a new demo workspace), ``import`` and ``export`` (JSON Lines or CSV).
Import and export act as the current agent through the desk (``records.import``, ``records.overwrite`` with
``--force``, ``records.export``), audited."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path

from console.cli import CommandError
from console.cli.desk import desk_for, outcome, write_demo
from console.cli.options import count, moment
from console.cli.output import out
from console.records.kinds import KINDS
from console.settings.config import DEMO_POLICY, Config, load_config, write_demo_config
from console.settings.paths import WorkspaceAt, workspace_shown
from console.shared.clock import utcnow
from console.shared.progress import Progress

log = logging.getLogger("csp_console")


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = sub.add_parser("demo", parents=[common], help="write a demo workspace")
    demo.add_argument("--tickets", type=count, default=2000, help="how many tickets (default 2000)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument(
        "--now", type=moment, default=None, help="the demo's clock: a date or an ISO 8601 time (default: now)"
    )

    imp = sub.add_parser("import", parents=[common], help="import JSON Lines or CSV files")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument(
        "--kind",
        choices=list(KINDS),
        metavar="KIND",
        help=f"what the files hold: {', '.join(KINDS)} (default: from their names)",
    )
    imp.add_argument(
        "--force",
        action="store_true",
        help="write tickets changed since the file was exported, or claimed by another agent (records.overwrite)",
    )

    exp = sub.add_parser("export", parents=[common], help="export records as JSON Lines or CSV")
    exp.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    exp.add_argument(
        "--kind", choices=list(KINDS), metavar="KIND", action="append", help=f"only {', '.join(KINDS)} (repeatable)"
    )
    exp.add_argument("--output", "-o", default=".", help="directory to write into, or - for standard output")


def cmd_demo(args: argparse.Namespace, path: WorkspaceAt, config_path: Path) -> int:
    if isinstance(path, Path) and path.exists() and path.stat().st_size > 0:
        raise CommandError(f"{path} already exists; the demo writes a new workspace (choose another --db)")
    wrote = write_demo_config(config_path)
    config = load_config(config_path)
    now = args.now.utc(DEMO_POLICY["time_zone"]) if args.now else utcnow()  # without an offset: the demo desk's
    _demo(path, args.tickets, args.seed, now, config)
    if wrote:
        out(f"Wrote the demo partner profile to {config_path}")
    out(f"Demo workspace written to {workspace_shown(path)}")
    return 0


def _demo(path: WorkspaceAt, tickets: int, seed: int, now: datetime, config: Config) -> None:
    with Progress("Writing demo tickets", tickets) as progress:
        counts = write_demo(path, tickets, seed, now, config, progress.advance)
    log.info("demo written to %s: %s", workspace_shown(path), counts)
    out(", ".join(f"{v:,} {k}" for k, v in counts.items()))


def cmd_import(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _import(args, db, config))


def _import(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.records.importer import ImportFailure, ImportInterrupted

    # As the current agent, through the desk: records.import (records.overwrite with --force), audited.
    with desk_for(db, config, create=True, owner_if_empty=True) as desk:
        try:
            total = 2 * sum(_count_lines(p) for p in args.files if p.exists())  # each record read, then written
            with Progress("Importing", total) as progress:
                result = desk.records.import_records(
                    list(args.files), kind=args.kind, force=args.force, progress=progress.advance
                )
        except ImportFailure as exc:
            log.warning("import failed: %s", exc)
            raise CommandError(f"{exc}\nNothing was imported: every record is checked before any is written.") from None
        except ImportInterrupted as exc:
            log.warning("import interrupted: %s", exc)
            raise CommandError(str(exc)) from None
    out(result.summary())
    return 0


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def cmd_export(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _export(args, db, config))


def _export(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    if args.output == "-" and (not args.kind or len(args.kind) != 1):
        raise CommandError("--output - writes one kind to standard output: add exactly one --kind")
    if args.output == "-" and args.format == "csv" and sys.stdout.isatty():
        # CSV has no escapes: its cells are the records' exact text, control characters included.
        raise CommandError("CSV is not shown on a terminal: pipe it (| less), or write files with --output DIR")
    # As the current agent, through the desk: records.export, audited.
    with desk_for(db, config, owner_if_empty=True) as desk:
        if args.output == "-":
            desk.records.export_kind(args.kind[0], args.format, sys.stdout)
            return 0
        kinds = args.kind or list(KINDS)
        with Progress("Exporting", desk.records.record_count(kinds)) as progress:
            written = desk.records.export_records(
                Path(args.output), args.format, kinds, progress=lambda _kind, n: progress.advance(n)
            )
    for path_written in written.values():
        out(path_written)
    return 0
