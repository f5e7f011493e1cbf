"""The plugin commands: ``csp-console plugins``, ``triage`` and ``opportunities``."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli import CommandError, say
from console.cli.desk import desk_for, outcome
from console.cli.output import out, out_json
from console.plugin_api import Boundary, Finding
from console.plugins.host import load_plugins
from console.shared import model
from console.shared.progress import Progress
from console.shared.safe_text import clean_line
from console.tickets.triage import finding_dict


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
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


def cmd_plugins(args: argparse.Namespace) -> int:
    host = load_plugins()
    if args.json:
        out_json([info.as_dict() for info in host.plugins.values()], indent=2)
        return 0
    for info in host.plugins.values():
        out(f"{info.name} {info.version or ''}  ({info.module})")
        out(f"  hooks:    {', '.join(info.hooks) or '-'}")
        out(f"  services: {', '.join(info.services) or '-'}")
        out(f"  checks:   {', '.join(info.checks) or '-'}")
        out(f"  vehicles: {', '.join(info.vehicles) or '-'}")
        if info.import_seconds is not None:
            out(f"  import:   {info.import_seconds:.3f} s")
        for warning in info.warnings:
            out(f"  WARNING:  {clean_line(warning)}")
        for error in info.errors:
            out(f"  ERROR:    {clean_line(error)}")
    return 0


def _print_finding(plugin: str, finding: Finding) -> None:
    where = ""
    if finding.boundary == Boundary.ESCALATE:
        where = f" -> escalate via {finding.vehicle.value}" if finding.vehicle else " -> escalate"
    out(f"  [{finding.level.value.upper():8}] {finding.family.value:12} {clean_line(finding.title)}{where}")
    out(f"      {clean_line(finding.explanation)}")
    if finding.action:
        out(f"      action: {clean_line(finding.action)}  ({plugin})")


def cmd_triage(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _triage(args, db, config))


def _triage(args: argparse.Namespace, db: Path, config: Path) -> int:
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


def cmd_opportunities(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _opportunities(args, db, config))


def _opportunities(args: argparse.Namespace, db: Path, config: Path) -> int:
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
