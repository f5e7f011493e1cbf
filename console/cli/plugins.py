"""The plugin commands: ``csp-console plugins``, ``triage`` and ``opportunities``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from console.cli.main import CommandError
from console.plugin_api import Boundary, Finding
from console.plugins.host import load_plugins
from console.settings.config import load_config
from console.shared.clock import utcnow
from console.shared.progress import Progress
from console.shared.safe_text import clean_line
from console.store import Workspace
from console.tickets.triage import TicketNotFound, Triage, finding_dict


def cmd_plugins(args: argparse.Namespace) -> int:
    host = load_plugins()
    if args.json:
        print(json.dumps([info.as_dict() for info in host.plugins.values()], ensure_ascii=False, indent=2))
        return 0
    for info in host.plugins.values():
        print(f"{info.name} {info.version or ''}  ({info.module})")
        print(f"  hooks:    {', '.join(info.hooks) or '-'}")
        print(f"  services: {', '.join(info.services) or '-'}")
        print(f"  checks:   {', '.join(info.checks) or '-'}")
        print(f"  vehicles: {', '.join(info.vehicles) or '-'}")
        for error in info.errors:
            print(f"  ERROR:    {clean_line(error)}")
    return 0


def _open(db: Path, config: Path) -> tuple[Workspace, Triage]:
    partner = load_config(config).partner
    ws = Workspace.open(db, create=False)
    return ws, Triage(ws, load_plugins(), partner, utcnow)


def _print_finding(plugin: str, finding: Finding) -> None:
    where = ""
    if finding.boundary == Boundary.ESCALATE:
        where = f" -> escalate via {finding.vehicle.value}" if finding.vehicle else " -> escalate"
    print(f"  [{finding.level.value.upper():8}] {finding.family.value:12} {clean_line(finding.title)}{where}")
    print(f"      {clean_line(finding.explanation)}")
    if finding.action:
        print(f"      action: {clean_line(finding.action)}  ({plugin})")


def cmd_triage(args: argparse.Namespace, db: Path, config: Path) -> int:
    ws, triage = _open(db, config)
    try:
        if args.ticket:
            try:
                results = [triage.triage_ticket(args.ticket)]
            except TicketNotFound as exc:
                raise CommandError(str(exc)) from None
        else:
            with Progress("Triaging", ws.counts()["open tickets"]) as progress:
                results = list(triage.triage_open(progress.advance))
        failed = 0
        for result in results:
            failed += len(result.failures)
            if args.json:
                for plugin, finding in result.findings:
                    print(json.dumps({"ticket": result.ticket_id, **finding_dict(plugin, finding)}, ensure_ascii=False))
            elif args.ticket or result.findings:
                print(f"{result.ticket_id}: {len(result.findings)} finding(s)")
                for plugin, finding in result.findings:
                    _print_finding(plugin, finding)
        if failed:
            print(f"csp-console: {failed} plugin check(s) failed; see the findings and the log", file=sys.stderr)
    finally:
        triage.close()
        ws.close()
    return 0


def cmd_opportunities(args: argparse.Namespace, db: Path, config: Path) -> int:
    ws, triage = _open(db, config)
    try:
        try:
            found = triage.opportunities(args.customer)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        for customer, plugin, finding in found:
            if args.json:
                record = {"customerId": customer.id, "companyName": customer.company_name}
                print(json.dumps({**record, **finding_dict(plugin, finding)}, ensure_ascii=False))
            else:
                print(f"{clean_line(customer.company_name)}: {clean_line(finding.title)}")
                print(f"      {clean_line(finding.explanation)}  ({plugin})")
    finally:
        triage.close()
        ws.close()
    return 0
