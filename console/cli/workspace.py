"""``csp-console workspace copy|grants``: the workspace itself (grants: console/cli/pg_grants.py).

``copy FROM TO``: a whole desk moved into a new workspace, a SQLite file into a PostgreSQL
database and back (issue 22; README, "Moving a desk to PostgreSQL and back"). The agent needs ``records.import``
on the source desk. Exit status: 0 copied and verified, 1 failed or refused with the target left as it was
(a new file removed), 3 the agent may not."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli import CommandError
from console.cli.desk import desk_for, outcome
from console.cli.output import out, out_json
from console.settings.paths import WorkspaceAt, db_argument, workspace_shown
from console.shared.safe_text import clean_line


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from console.cli import pg_grants

    workspace = sub.add_parser(
        "workspace", parents=[common], help="the workspace itself: copy a whole desk; PostgreSQL grants to agents"
    )
    actions = workspace.add_subparsers(dest="workspace_command", metavar="ACTION", required=True)
    pg_grants.add_grants_parser(actions, common)
    copy = actions.add_parser(
        "copy",
        parents=[common],
        help="copy every row into a new workspace (SQLite file or postgresql://URL), verified",
        description=(
            "Copy the whole workspace FROM into a new one at TO: every table and row, the audit chain as it is, "
            "the search indexes and the rollups; then check each table's rows and digest and the audit chain on "
            "the copy before it is kept. TO is a file not there yet or an empty PostgreSQL database. Needs "
            "records.import on FROM's desk."
        ),
    )
    copy.add_argument("source", type=db_argument, metavar="FROM", help="a workspace file or postgresql://URL")
    copy.add_argument("target", type=db_argument, metavar="TO", help="a new file or an empty database's URL")
    copy.add_argument("--json", action="store_true")


def cmd_workspace(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    if args.workspace_command == "grants":
        from console.cli import pg_grants

        return pg_grants.cmd_grants(args, db, config)
    # (copy: FROM names the workspace)
    return outcome(lambda: _copy(args.source, args.target, config, args.json))


def _copy(source: WorkspaceAt, target: WorkspaceAt, config: Path, as_json: bool) -> int:
    from console.desk.copying import check_source, copy_desk

    if workspace_shown(source) == workspace_shown(target):
        raise CommandError(f"{workspace_shown(target)}: the copy's target is its source")
    check_source(source, workspace_shown(source))
    with desk_for(source, config) as desk:
        report = copy_desk(desk, target)
    if as_json:
        out_json(report.to_json())
        return 0
    out(clean_line(f"copied {report.source} ({report.source_engine}) to {report.target} ({report.target_engine})"))
    out(f"  {len(report.tables)} tables, {report.rows:,} rows, schema version {report.schema_version}")
    out(f"  digests: {'all equal' if report.digests_ok else 'DIFFER'} (rows and SHA-256 per table, read back)")
    chain = report.chain
    rows = f"{chain.rows:,} row{'' if chain.rows == 1 else 's'}"
    out(f"  audit chain: {'intact' if report.chain_ok else 'BROKEN'} ({rows}, last id {chain.last_id})")
    out(f"  took {report.seconds:.2f} s")
    return 0
