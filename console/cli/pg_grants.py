"""``csp-console workspace grants``: the database's owner sets a PostgreSQL workspace up for agents who connect
with their own database role (peer or certificate authentication: README, "Agents' own database roles"). A group
role ``csp_agents_<database>`` holds the agents' privileges (audit rows INSERT-only, no UPDATE or DELETE); each
agent whose login is a database role (``--create-logins``: made, LOGIN without a password) becomes a member;
the billing tables get row-level security that follows the desk's role map. Run it again after adding agents,
after an upgrade of the console (new tables) and, where the policy was changed outside the console, after a
change of ``roles.*``. Exit status: 0 applied, 2 not a PostgreSQL workspace, 3 refused (not the owner, role)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from console.cli import say
from console.cli.desk import APPLIED, REFUSED, desk_for, outcome
from console.cli.output import out, out_json
from console.settings.paths import WorkspaceAt
from console.shared.safe_text import clean_line

NOT_POSTGRES = 2


def add_grants_parser(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``workspace grants`` (console/cli/workspace.py owns the ``workspace`` command)."""
    workspace = actions.add_parser(
        "grants",
        parents=[common],
        help="PostgreSQL: grant the desk's agents, each with its own database role, what the console needs",
        description=(
            "grants: the database's owner gives the desk's agents, each connecting with its own PostgreSQL role, "
            "the rights the console needs and no more (audit rows INSERT-only; billing rows only for the roles "
            "the role map allows billing.view)."
        ),
    )
    workspace.add_argument("--create-logins", action="store_true", help="create a missing agent's LOGIN role")
    workspace.add_argument("--dry-run", action="store_true", help="say what would be done; change nothing")
    workspace.add_argument("--show-sql", action="store_true", help="print the SQL statements too")
    workspace.add_argument("--json", action="store_true")


def cmd_grants(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    if isinstance(db, Path):
        return say("usage", "workspace grants applies to PostgreSQL workspaces only (--db postgresql://...)", 2)
    return outcome(lambda: _grants(args, db, config))


def _grants(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.desk.db_grants import GrantsRefused, NotPostgres, set_up_agents

    with desk_for(db, config) as desk:
        try:
            done = set_up_agents(desk, create_logins=args.create_logins, dry_run=args.dry_run)
        except GrantsRefused as exc:
            return say("refused", str(exc), REFUSED)
        except NotPostgres as exc:
            return say("usage", str(exc), NOT_POSTGRES)
    if args.json:
        out_json(done if args.show_sql else {k: v for k, v in done.items() if k != "statements"})
        return APPLIED
    _say(done, args.show_sql)
    return APPLIED


def _say(done: dict[str, Any], show_sql: bool) -> None:
    verb = "set up" if done["applied"] else "would be set up (dry run)"
    out(f"{clean_line(done['database'], 80)}: {verb} for the group role {clean_line(done['group'], 80)}")
    out(f"  members: {', '.join(clean_line(m, 80) for m in done['members']) or '(none)'}")
    if done["created"]:
        out(f"  login roles created: {', '.join(clean_line(m, 80) for m in done['created'])}")
    for login, why in sorted(done["skipped"].items()):
        out(f"  not a member: {clean_line(login, 80)}: {why}")
    out(f"  row-level security on: {', '.join(done['protected'])}")
    out(f"  changed only with an audit row of the agent's own: {', '.join(done['audited']) or '(none)'}")
    if show_sql:
        for statement in done["statements"]:
            out(f"{clean_line(statement, 2000)};")
