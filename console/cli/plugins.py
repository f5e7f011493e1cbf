"""The plugin commands: ``csp-console plugins``, ``triage`` and ``opportunities``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.cli import CommandError, say
from console.cli.desk import desk_for, outcome
from console.cli.options import ticket_argument
from console.cli.output import out, out_json
from console.plugin_api import Boundary, Finding
from console.settings.paths import WorkspaceAt
from console.shared import model
from console.shared.progress import Progress
from console.shared.safe_text import clean_line
from console.tickets.triage import finding_dict

if TYPE_CHECKING:
    from console.plugins.host import PluginHost


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    plug = sub.add_parser(
        "plugins",
        parents=[common],
        help="list plugins, their hooks, services and errors; check one",
        description=(
            "list: every plugin with what it contributes and its errors. check PLUGIN: load one plugin (an installed"
            " entry point's name or an importable module) beside the built-in ones, call each of its hooks with"
            " sample data and list every problem; exit status 1 when there is one."
        ),
    )
    plug.add_argument("action", nargs="?", choices=("list", "check"), default="list")
    plug.add_argument("plugin", nargs="?", metavar="PLUGIN", help="check: an entry point's name or a module")
    plug.add_argument("--name", help="check: the plugin's name, when PLUGIN is a module not yet installed")
    plug.add_argument("--json", action="store_true", help="print JSON")

    tri = sub.add_parser("triage", parents=[common], help="run the plugins' checks and store the findings")
    which = tri.add_mutually_exclusive_group(required=True)
    which.add_argument("--ticket", metavar="ID", help="one ticket, e.g. CSP-000123", type=ticket_argument)
    which.add_argument("--all", action="store_true", help="every open ticket")
    tri.add_argument("--json", action="store_true", help="print JSON Lines, one finding a line")

    opp = sub.add_parser("opportunities", parents=[common], help="opportunities for sales, per customer")
    opp.add_argument("--customer", metavar="ID", help="one customer id")
    opp.add_argument("--json", action="store_true", help="print JSON Lines")


def cmd_plugins(args: argparse.Namespace, db: WorkspaceAt, config_path: Path) -> int:
    from console.cli.desk import event_backlog, plugins_of

    if args.action == "check":
        return _check(args, config_path)
    if args.plugin:
        raise CommandError("'plugins list' takes no PLUGIN; 'plugins check PLUGIN' checks one")
    host = plugins_of(db, config_path)
    events, adds = _events_by_plugin(host, event_backlog(db)), _contributions(host)
    if args.json:
        listed = [
            {**info.as_dict(), "adds": adds.get(info.name, []), "events": events.get(info.name, [])}
            for info in host.plugins.values()
        ]
        out_json(listed, indent=2)
        return 0
    for info in host.plugins.values():
        out(f"{info.name} {info.version or ''}  ({info.module})")
        out(f"  hooks:    {', '.join(info.hooks) or '-'}")
        out(f"  services: {', '.join(info.services) or '-'}")
        out(f"  checks:   {', '.join(info.checks) or '-'}")
        out(f"  vehicles: {', '.join(info.vehicles) or '-'}")
        if adds.get(info.name):
            out(f"  adds:     {clean_line(', '.join(adds[info.name]), 2000)}")
        if info.import_seconds is not None:
            out(f"  import:   {info.import_seconds:.3f} s")
        for warning in info.warnings:
            out(f"  WARNING:  {clean_line(warning)}")
        for row in events.get(info.name, []):
            failing = f", {row['failing']} failing: {clean_line(row['lastError'] or '')}" if row.get("failing") else ""
            owed, done = row["pending"] or 0, row["delivered"] or 0
            out(f"  events:   {row['receiver']}: {owed} owed, {done} delivered{failing}")
        for error in info.errors:
            out(f"  ERROR:    {clean_line(error)}")
    return 0


def _contributions(host: PluginHost) -> dict[str, list[str]]:
    """Per plugin, what it adds to the console, by id: commands, columns, sections, actions (with their keys),
    intake fields, event receivers and settings (secret ones said so)."""
    adds: dict[str, list[str]] = {}
    kinds = (
        ("command", host.commands, lambda i: i.name),
        ("column", host.columns, lambda i: i.id),
        ("section", host.sections, lambda i: i.id),
        ("action", host.actions, lambda i: f"{i.id} ({i.key}{', dangerous' if i.dangerous else ''})"),
        ("intake field", host.intake_fields, lambda i: i.id),
        ("receiver", host.receivers, lambda i: i.id),
    )
    for kind, registered, name in kinds:
        for r in registered:
            adds.setdefault(r.plugin, []).append(f"{kind} {name(r.item)}")
    for plugin, settings in host.settings_schema.items():
        adds.setdefault(plugin, []).extend(f"setting {s.name}{' (secret)' if s.secret else ''}" for s in settings)
    return adds


def _events_by_plugin(host: PluginHost, backlog: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per plugin, what the workspace owes each of its event receivers and what it delivered."""
    owed = {row["receiver"]: row for row in backlog}
    events: dict[str, list[dict[str, Any]]] = {}
    for registered in host.receivers:
        empty = {"receiver": registered.item.id, "pending": 0, "failing": 0, "delivered": 0, "lastError": None}
        events.setdefault(registered.plugin, []).append(owed.get(registered.item.id, empty))
    return events


def _check(args: argparse.Namespace, config_path: Path) -> int:
    from console.plugins.checkup import check_plugin, find
    from console.settings.config import load_config

    if not args.plugin:
        raise CommandError("'plugins check' needs a PLUGIN: an installed plugin's name or an importable module")
    name = find(args.plugin, args.name)[0]
    report = check_plugin(args.plugin, name=args.name, settings=load_config(config_path).plugins.get(name, {}))
    if args.json:
        out_json(report.as_dict(), indent=2)
    else:
        out(f"plugin {report.plugin} ({report.module})")
        for line in report.checked:
            out(f"  called:  {clean_line(line)}")
        for problem in report.problems:
            out(f"  PROBLEM: {clean_line(problem)}")
        out(f"{len(report.problems)} problem(s)" if report.problems else "no problems found")
    return 1 if report.problems else 0


def _print_finding(plugin: str, finding: Finding) -> None:
    where = ""
    if finding.boundary == Boundary.ESCALATE:
        where = f" -> escalate via {finding.vehicle.value}" if finding.vehicle else " -> escalate"
    out(f"  [{finding.level.value.upper():8}] {finding.family.value:12} {clean_line(finding.title)}{where}")
    out(f"      {clean_line(finding.explanation)}")
    if finding.action:
        out(f"      action: {clean_line(finding.action)}  ({plugin})")


def cmd_triage(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _triage(args, db, config))


def _triage(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    # As the current agent, through the desk: ticket.triage, each ticket's changed findings audited.
    with desk_for(db, config, owner_if_empty=True) as desk:
        if args.ticket:
            try:
                results = [desk.check(args.ticket)]
            except LookupError as exc:
                raise CommandError(str(exc)) from None
        else:
            desk.authorize("ticket.triage")  # refused before the progress bar
            with Progress("Triaging", desk.open_tickets()) as progress:
                results = list(desk.check_open(progress.advance))  # customer by customer: told in number order
            results.sort(key=lambda r: model.ticket_seq(r.ticket_id) or 0)
        failed = 0
        for result in results:
            failed += len(result.failures)
            if args.json:
                for plugin, finding in result.findings:
                    out_json({"ticket": result.ticket_id, **finding_dict(plugin, finding)})
            elif args.ticket or result.findings:
                out(f"{result.ticket_id}: {len(result.findings)} finding(s)")
                for plugin, finding in result.findings:
                    _print_finding(plugin, finding)
        if failed:
            say("warning", f"{failed} plugin check(s) failed; see the findings and the log", 0, prefix="csp-console: ")
    return 0


def cmd_opportunities(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _opportunities(args, db, config))


def _opportunities(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    with desk_for(db, config, owner_if_empty=True) as desk:
        try:
            found = desk.opportunities(args.customer)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        for customer, plugin, finding in found:
            if args.json:
                record = {"customerId": customer.id, "companyName": customer.company_name}
                out_json({**record, **finding_dict(plugin, finding)})
            else:
                out(f"{clean_line(customer.company_name)}: {clean_line(finding.title)}")
                out(f"      {clean_line(finding.explanation)}  ({plugin})")
    return 0
