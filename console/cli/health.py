"""``csp-console health``: the health board's figures for scripts and monitoring, once or ``--watch``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from console.cli import say
from console.cli.desk import desk_for, outcome
from console.cli.output import out, out_json
from console.health.board import text_report
from console.settings.paths import WorkspaceAt
from console.shared.clock import utcnow
from console.shared.model import VEHICLE_NAMES


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    health = sub.add_parser("health", parents=[common], help="queue health: the board's figures (or --tui)")
    health.add_argument("--json", action="store_true", help="the documented JSON shape (docs/health.md)")
    health.add_argument("--watch", type=float, metavar="SECONDS", help="print again every SECONDS (JSON Lines)")
    health.add_argument("--tui", action="store_true", help="open the console on the live health board")


def cmd_health(args: argparse.Namespace, db: WorkspaceAt, config_path: Path) -> int:
    if args.watch is not None and not 0.5 <= args.watch <= 86400:
        return say("failed", "--watch must be 0.5 to 86400 seconds", 1)
    return outcome(lambda: _health(args, db, config_path))


def _health(args: argparse.Namespace, db: WorkspaceAt, config_path: Path) -> int:
    # As the current agent, through the desk (ticket.view); an empty workspace's owner may look too.
    with desk_for(db, config_path, owner_if_empty=True) as desk:
        board = desk.health_board()
        services = {sid: s.name for sid, s in desk.host.services.items()}
        vehicles = {v.value: name for v, name in VEHICLE_NAMES.items()}
        try:
            while True:
                now = utcnow()
                health = board.compute(now)
                board.sample(now, health)
                if args.json:
                    out_json(health.to_json(), flush=True)
                else:
                    out(text_report(health, vehicles, services, zone=desk.config.time_zone), flush=True)
                if args.watch is None:
                    return 0
                if not args.json:
                    out(flush=True)
                time.sleep(args.watch)
        except KeyboardInterrupt:
            return 0
