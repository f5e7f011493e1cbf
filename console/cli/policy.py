"""``csp-console policy show|set|unset``: the desk's rules in the workspace (:mod:`console.desk.policy`). Any agent
reads them; only a Global admin (``policy.set``) changes one, audited with its value before and after. Exit
status: 0 applied, 3 refused (role, lock-out), 1 failed (unknown rule, bad value)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from console.cli import say
from console.cli.desk import APPLIED, REFUSED, desk_for, outcome
from console.cli.output import out, out_json
from console.settings.paths import WorkspaceAt
from console.shared.safe_text import clean_line


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    policy = sub.add_parser(
        "policy",
        parents=[common],
        help="the desk's rules: roles, claim time, time zone, SLA defaults",
        description=(
            "The desk's rules live in the workspace, the same for every agent (a config file cannot set them). "
            "show: every rule, its value and default; set KEY VALUE: a Global admin changes one (roles.ACTION "
            "takes roles separated by commas, sla.warn_at fractions, booleans true or false); unset KEY: back "
            "to the default."
        ),
    )
    policy.add_argument("action", choices=("show", "set", "unset"))
    policy.add_argument("key", nargs="?", metavar="KEY", help="e.g. roles.ticket.assign, claim_minutes")
    policy.add_argument("value", nargs="?", metavar="VALUE", help="e.g. global_admin,helpdesk_agent or 45")
    policy.add_argument("--json", action="store_true")


def cmd_policy(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _policy(args, db, config))


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return clean_line(str(value), 200) if value != "" else '""'


def _show(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        out_json(rows)
        return
    width = max(len(r["key"]) for r in rows)
    for r in rows:
        default = "" if not r["set"] else f"  (set; default {_text(r['default'])})"
        out(f"{r['key']:{width}}  {_text(r['value'])}{default}")


def _policy(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.desk.policy_changes import LockOut

    if args.action != "show" and not args.key:
        return say("failed", f"'policy {args.action}' needs a KEY (csp-console policy show lists them)", 1)
    if args.action == "set" and args.value is None:
        return say("failed", f"'policy set {args.key}' needs a VALUE", 1)
    with desk_for(db, config) as desk:
        if args.action == "show":
            _show(desk.rules.show(), args.json)
            return APPLIED
        try:
            change = desk.rules.set(args.key, args.value) if args.action == "set" else desk.rules.unset(args.key)
        except LockOut as exc:
            return say("refused", str(exc), REFUSED)
    if args.json:
        out_json(change)
    else:
        out(f"{change['key']}: {_text(change['before'])} -> {_text(change['after'])}")
    return APPLIED
