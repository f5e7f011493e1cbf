"""``csp-console escalate``: a ticket escalated to Microsoft through the same desk as the console (the same
role check, one case per problem, the outbox). Exit status: 0 done, 1 failed (bad input, Microsoft refused
the case: ``csp-console escalations retry`` once it is fixed), 2 a value of the wrong form, 3 refused (role),
4 recorded but not yet delivered (``csp-console escalations sync`` delivers it)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.cli import say
from console.cli.desk import APPLIED, FAILED, desk_for, outcome
from console.cli.microsoft import QUEUED, choices, deliver_after_saving, pick, print_escalation
from console.cli.options import ticket_argument
from console.cli.output import out, out_json
from console.settings.paths import WorkspaceAt
from console.shared.model import AZURE_SEVERITIES, Vehicle
from console.shared.safe_text import clean_block, clean_line
from console.tickets.ops import TicketInputError

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.escalation.cases import Draft
    from console.escalation.courier import CourierReport


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    esc = sub.add_parser("escalate", parents=[common], help="escalate a ticket to Microsoft")
    esc.add_argument("ticket", metavar="TICKET", type=ticket_argument)
    esc.add_argument("--vehicle", required=True, choices=[v.value for v in Vehicle])
    esc.add_argument("--case-number", help="hand-off: the case number Microsoft gave in the admin centre")
    esc.add_argument("--title")
    esc.add_argument(
        "--severity", choices=AZURE_SEVERITIES, metavar="SEVERITY", help=f"Azure: {', '.join(AZURE_SEVERITIES)}"
    )
    esc.add_argument("--description-file", type=Path, help="the case description (UTF-8 text; - for stdin)")
    esc.add_argument("--subscription", help="Azure: one of the customer's Azure subscription ids (from the sync)")
    esc.add_argument("--service", help="Azure: the support service (name or id)")
    esc.add_argument("--problem", help="Azure: the problem classification (name or id)")
    esc.add_argument(
        "--consent",
        action="store_true",
        help="Azure: the customer consents to what the problem classification asks (secondary consent)",
    )
    esc.add_argument(
        "--diagnostics", action="store_true", help="Azure: Microsoft may collect diagnostics (advanced consent)"
    )
    esc.add_argument(
        "--another", metavar="REASON", help="open another case although the ticket has one open, and say why"
    )
    esc.add_argument("--no-deliver", action="store_true", help="only record it; the outbox delivers later")
    esc.add_argument("--json", action="store_true")


def _service_of(desk: Any, draft: Any) -> dict[str, Any] | None:
    return next((s for s in desk.escalation_services() if s["id"] == draft.service_id), None)


def _choose_error(desk: Any, draft: Any, exc: TicketInputError) -> ValueError:
    """The desk's "choose a service / problem classification" as the command line says it: the option to
    use and the Azure Support API's choices (the console's form lists them itself)."""
    if exc.field == "service":
        services = desk.escalation_services()
        return ValueError(
            "--service: the Azure Support API needs the service the case is about (--service NAME, and "
            f"--problem NAME for its problem classification); choose one of: {choices(services)} "
            f"(csp-console escalations services lists all {len(services)})"
        )
    service = _service_of(desk, draft)
    label = clean_line(str(service["displayName"]), 120) if service else "the service"
    problems = desk.escalation_problems(draft.service_id) if service else []
    return ValueError(
        f"--problem: choose a problem classification of {label} (--problem NAME): {choices(problems)} "
        f"(csp-console escalations services {shlex.quote(label)} lists all {len(problems)})"
    )


def cmd_escalate(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _escalate(args, db, config))


def _escalate(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.escalation.cases import refuse_second_case

    with desk_for(db, config) as desk:
        draft = desk.escalation_draft(args.ticket.strip().upper(), args.vehicle)
        _fill_case(draft, args)
        # One case per problem: that refusal comes before anything about the case's fields.
        refuse_second_case(desk, draft)
        if draft.gdap is not None and not draft.gdap.ok:
            say("warning", clean_line(draft.gdap.message, 400), 0, prefix="csp-console: warning: ")
        _fill_azure(desk, draft, args)
        try:
            stored = desk.escalate(draft, args.case_number)
        except TicketInputError as exc:
            if draft.via_api and exc.field in ("service", "problem_classification"):
                raise _choose_error(desk, draft, exc) from None
            raise
        # Saved: from here on nothing invites a retry (that would open a second case); the outbox delivers.
        report, trouble = deliver_after_saving(desk, None if args.no_deliver or not draft.via_api else True)
        stored = desk.escalation(stored["id"]) or stored
        return _escalated(args, draft, stored, report, trouble)


def _fill_case(draft: Draft, args: argparse.Namespace) -> None:
    """The case's title, severity, description and reason for another case, as given."""
    if args.title is not None:
        draft.title = args.title
    if args.severity:
        draft.severity = args.severity
    if args.description_file:
        source = sys.stdin if str(args.description_file) == "-" else None
        try:
            draft.description = source.read() if source else args.description_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"--description-file {args.description_file}: cannot read it ({exc})") from None
    if args.another is not None:
        if not args.another.strip():
            raise ValueError("--another needs the reason a second case is needed")
        draft.another_reason = args.another


def _fill_azure(desk: Desk, draft: Draft, args: argparse.Namespace) -> None:
    """The Azure Support API's fields (subscription, service, problem classification, consents); refused for
    any other vehicle."""
    if not draft.via_api:
        if any((args.subscription, args.service, args.problem, args.consent, args.diagnostics)):
            raise ValueError(
                "--subscription, --service, --problem, --consent and --diagnostics are for Azure technical cases only"
            )
        return
    if draft.catalog_error:
        raise ValueError(f"cannot read the Azure Support API's services: {draft.catalog_error}")
    if args.subscription:
        draft.azure_subscription_id = args.subscription
    if args.service:
        draft.service_id = pick(desk.escalation_services(), args.service, "service")
        draft.problem_classification_id = None
    if args.problem and draft.service_id:
        draft.problem_classification_id = pick(desk.escalation_problems(draft.service_id), args.problem, "problem")
    elif draft.service_id and draft.problem_classification_id is None:
        problems = desk.escalation_problems(draft.service_id)
        draft.problem_classification_id = problems[0]["id"] if problems else None
    draft.secondary_consent = args.consent
    draft.advanced_diagnostic_consent = args.diagnostics


def _escalated(
    args: argparse.Namespace, draft: Draft, stored: dict[str, Any], report: CourierReport | None, trouble: str
) -> int:
    """What was saved and how its delivery went; 4 while it waits in the outbox."""
    if args.json:
        delivery = {"delivery": report.__dict__ if report else None, "deliveryError": trouble or None}
        out_json({"escalation": stored, **delivery})
    else:
        print_escalation(stored)
        if stored["state"] == "awaiting_case_number":
            out("\nOpen the case at:", stored["handoffUrl"])
            out("Paste this text:\n")
            out(clean_block(draft.case_text()))
            out(f"\nThen record Microsoft's case number: csp-console escalations record {stored['id']} NUMBER")
        for line in (report.pending + report.failed) if report else []:
            out(f"  delivery: {clean_line(line, 400)}", err=True)
    if trouble and not args.json:
        out(f"  delivery: {clean_line(trouble, 400)}", err=True)
    if stored["state"] == "failed":  # Microsoft refused it for good: nothing will deliver it as it is
        return say(
            "failed",
            f"escalation #{stored['id']} is saved but Microsoft refused it: "
            f"{clean_line(stored.get('lastError') or 'see csp-console escalations list', 400)}; do not escalate "
            f"again: once that is fixed, csp-console escalations retry {stored['id']} sends it",
            FAILED,
        )
    if stored["state"] == "pending":
        return say(
            "queued",
            f"escalation #{stored['id']} is saved and not yet with Microsoft; do not escalate again "
            f"(csp-console escalations sync delivers it; escalations list shows why it waits)",
            QUEUED,
        )
    return APPLIED
