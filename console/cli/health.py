"""``csp-console health``: the health board's figures for scripts and monitoring, once or ``--watch``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from console.billing.collections import load_policy, policy_path
from console.health.board import HealthBoard, text_report
from console.plugins.host import load_plugins
from console.settings.config import load_config
from console.shared.clock import utcnow
from console.shared.model import VEHICLE_NAMES
from console.store import Workspace


def cmd_health(args: argparse.Namespace, db: Path, config_path: Path) -> int:
    if args.watch is not None and not 0.5 <= args.watch <= 86400:
        print("csp-console: error: --watch must be 0.5 to 86400 seconds", file=sys.stderr)
        return 1
    config = load_config(config_path)
    services = {sid: s.name for sid, s in load_plugins().services.items()}
    vehicles = {v.value: name for v, name in VEHICLE_NAMES.items()}
    with Workspace.open(db, create=False) as ws:
        policy = load_policy(policy_path(config.path, config.collections_policy))
        board = HealthBoard(ws, config.time_zone, policy.thresholds)
        try:
            while True:
                now = utcnow()
                health = board.compute(now)
                board.sample(now, health)
                if args.json:
                    print(json.dumps(health.to_json(), ensure_ascii=False), flush=True)
                else:
                    print(text_report(health, vehicles, services), flush=True)
                if args.watch is None:
                    return 0
                if not args.json:
                    print(flush=True)
                time.sleep(args.watch)
        except KeyboardInterrupt:
            return 0
