"""Command-line twins of the console's Microsoft actions: ``sync``, ``escalate``, ``escalations ...`` and
``sandbox``. They act through the same :class:`~console.desk.door.Desk` as the console.

Exit status: 0 done, 1 failed (bad input, Microsoft refused), 3 refused (role, stale version), 4 recorded
but not yet delivered (the outbox will deliver it: ``csp-console escalations sync``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.cli.desk import APPLIED, FAILED, desk_for, outcome
from console.microsoft.credentials import AUDIENCES, MissingToken
from console.settings.config import load_config
from console.shared.model import AZURE_SEVERITIES, Vehicle
from console.shared.safe_text import clean_block, clean_line
from console.store import Workspace
from console.store.escalations import ESCALATION_STATES
from console.tickets.ops import TicketInputError

if TYPE_CHECKING:  # httpx and the clients load only when a command talks to Microsoft
    from console.escalation.courier import CourierReport

QUEUED = 4


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sync = sub.add_parser("sync", parents=[common], help="pull customers, subscriptions and service requests")
    sync.add_argument("--restart", action="store_true", help="start over instead of resuming a failed sync")
    sync.add_argument("--page-size", type=int, default=100)
    sync.add_argument("--json", action="store_true")

    esc = sub.add_parser("escalate", parents=[common], help="escalate a ticket to Microsoft")
    esc.add_argument("ticket", metavar="TICKET")
    esc.add_argument("--vehicle", required=True, choices=[v.value for v in Vehicle])
    esc.add_argument("--case-number", help="hand-off: the case number Microsoft gave in the admin centre")
    esc.add_argument("--title")
    esc.add_argument("--severity", choices=AZURE_SEVERITIES)
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

    escs = sub.add_parser(
        "escalations", parents=[common], help="escalations: list, sync, record, retry, message; services"
    )
    escs.add_argument("action", choices=("list", "sync", "record", "retry", "message", "services"))
    escs.add_argument(
        "id",
        nargs="?",
        metavar="ID|SERVICE",
        help="the escalation's number; services: a service (name or id) to list its problem classifications",
    )
    escs.add_argument("value", nargs="?", help="record: the case number; message: the text")
    escs.add_argument(
        "--state",
        action="append",
        default=[],
        help=f"list: only these states (comma-separated or repeated: {', '.join(ESCALATION_STATES)})",
    )
    escs.add_argument("--json", action="store_true")

    box = sub.add_parser("sandbox", parents=[common], help="run a local Partner Center and Azure Support API")
    box.add_argument("--port", type=int, default=8765)
    box.add_argument("--host", default="127.0.0.1", choices=("127.0.0.1", "localhost"))
    box.add_argument(
        "--app-only-token",
        action="store_true",
        help="answer service requests 403, as Partner Center does to an app-only token",
    )
    box.add_argument(
        "--tls", action="store_true", help="serve https with a test CA (MSAL's device-code login needs it)"
    )


def cmd_sync(args: argparse.Namespace, db: Path, config: Path) -> int:
    from console.microsoft import sync as partner_sync
    from console.microsoft.connect import connect
    from console.plugins.host import load_plugins
    from console.shared.progress import Progress

    settings = load_config(config)

    ws = Workspace.open(db, create=False)
    clients = connect(settings.microsoft)
    try:
        bars: dict[str, Progress] = {}

        def progress(label: str, done: int, total: int | None) -> None:
            bar = bars.get(label)
            if bar is None:
                bar = bars[label] = Progress(f"Syncing {label}", total).__enter__()
            bar.total = total
            bar.done = done
            bar.advance(0)

        try:
            report = partner_sync.run(
                ws,
                clients.partner_center,
                load_plugins(),
                page_size=args.page_size,
                restart=args.restart,
                progress=progress,
            )
        finally:
            for bar in bars.values():
                bar.__exit__()
        gdap_line = _sync_gdap(ws, clients)
    except partner_sync.SyncFailed as exc:
        print(f"csp-console: sync failed: {exc}", file=sys.stderr)
        return FAILED
    finally:
        clients.close()
        ws.close()
    if args.json:
        print(json.dumps(report.__dict__, ensure_ascii=False))
    else:
        print(
            f"{'Resumed and synced' if report.resumed else 'Synced'} {report.customers} customers, "
            f"{report.subscriptions} subscriptions ({report.azure_entitlements} Azure subscriptions under Azure "
            f"plans), {report.service_requests} service requests, {report.invoices} Microsoft invoices "
            "(csp-console invoices shows what is due)."
        )
        print(f"GDAP: {clean_line(gdap_line, 400)}")
        for line in report.notes:
            print(f"  note: {clean_line(line, 400)}")
        for line in report.skipped:
            print(f"  skipped: {clean_line(line, 300)}")
        if report.skipped:
            print(f"  {len(report.skipped)} records could not be read and were skipped; the rest is synced.")
    return APPLIED


def _sync_gdap(ws: Workspace, clients: Any) -> str:
    """The partner's GDAP relationships through Microsoft Graph, after the Partner Center part: a failure here
    (no Graph token, Graph refusing) is said and leaves what Partner Center gave synced."""
    from console.microsoft import gdap
    from console.microsoft.http import ApiError

    if clients.graph is None:
        return "not read (no Microsoft Graph client configured)"
    try:
        found = gdap.sync(ws, clients.graph)
    except (ApiError, MissingToken) as exc:
        return f"relationships not read: {exc} (csp-console gdap sync tries again)"
    skipped = f"; {len(found.skipped)} unreadable skipped: " + "; ".join(found.skipped[:5]) if found.skipped else ""
    return f"{found.relationships} relationships read ({found.active} in force){skipped}"


#: How many of the Azure Support API's names an error lists before "…" (the real lists have hundreds).
CHOICES_SHOWN = 20


def _choices(rows: list[dict[str, Any]], limit: int = CHOICES_SHOWN) -> str:
    """The display names of ``rows`` (Microsoft's text, cleaned), the first ``limit`` of them, then "…"."""
    names = [clean_line(str(r["displayName"]), 120) for r in rows[:limit]]
    return ", ".join(names) + (", …" if len(rows) > limit else "") if names else "(none)"


def _pick(rows: list[dict[str, Any]], wanted: str, what: str) -> str:
    folded = wanted.casefold()
    for row in rows:
        if wanted in (row["id"], row["name"]) or row["displayName"].casefold() == folded:
            return str(row["id"])
    raise ValueError(f"--{what}: no {what} {clean_line(wanted, 200)!r}; choose one of: {_choices(rows)}")


def _service_of(desk: Any, draft: Any) -> dict[str, Any] | None:
    return next((s for s in desk.escalation_services() if s["id"] == draft.service_id), None)


def _choose_error(desk: Any, draft: Any, exc: TicketInputError) -> ValueError:
    """The desk's "choose a service / problem classification" as the command line says it: the option to
    use and the Azure Support API's choices (the console's form lists them itself)."""
    if exc.field == "service":
        services = desk.escalation_services()
        return ValueError(
            "--service: the Azure Support API needs the service the case is about (--service NAME, and "
            f"--problem NAME for its problem classification); choose one of: {_choices(services)} "
            f"(csp-console escalations services lists all {len(services)})"
        )
    service = _service_of(desk, draft)
    label = clean_line(str(service["displayName"]), 120) if service else "the service"
    problems = desk.escalation_problems(draft.service_id) if service else []
    return ValueError(
        f"--problem: choose a problem classification of {label} (--problem NAME): {_choices(problems)} "
        f"(csp-console escalations services {shlex.quote(label)} lists all {len(problems)})"
    )


def cmd_escalate(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _escalate(args, db, config))


def _escalate(args: argparse.Namespace, db: Path, config: Path) -> int:
    with desk_for(db, config) as desk:
        draft = desk.escalation_draft(args.ticket.strip().upper(), args.vehicle)
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
        # One case per problem: that refusal comes before anything about the case's fields.
        from console.escalation.cases import refuse_second_case

        refuse_second_case(desk, draft)
        if draft.gdap is not None and not draft.gdap.ok:
            print(f"csp-console: warning: {clean_line(draft.gdap.message, 400)}", file=sys.stderr)
        if draft.via_api:
            if draft.catalog_error:
                raise ValueError(f"cannot read the Azure Support API's services: {draft.catalog_error}")
            if args.subscription:
                draft.azure_subscription_id = args.subscription
            if args.service:
                draft.service_id = _pick(desk.escalation_services(), args.service, "service")
                draft.problem_classification_id = None
            if args.problem and draft.service_id:
                draft.problem_classification_id = _pick(
                    desk.escalation_problems(draft.service_id), args.problem, "problem"
                )
            elif draft.service_id and draft.problem_classification_id is None:
                problems = desk.escalation_problems(draft.service_id)
                draft.problem_classification_id = problems[0]["id"] if problems else None
            draft.secondary_consent = args.consent
            draft.advanced_diagnostic_consent = args.diagnostics
        elif any((args.subscription, args.service, args.problem, args.consent, args.diagnostics)):
            raise ValueError(
                "--subscription, --service, --problem, --consent and --diagnostics are for Azure technical cases only"
            )
        try:
            stored = desk.escalate(draft, args.case_number)
        except TicketInputError as exc:
            if draft.via_api and exc.field in ("service", "problem_classification"):
                raise _choose_error(desk, draft, exc) from None
            raise
        # Saved: from here on nothing invites a retry (that would open a second case); the outbox delivers.
        report, trouble = _deliver_after_saving(desk, None if args.no_deliver or not draft.via_api else True)
        stored = desk.ws.escalation(stored["id"]) or stored
        if args.json:
            print(
                json.dumps({"escalation": stored, "delivery": report.__dict__ if report else None}, ensure_ascii=False)
            )
        else:
            _print_escalation(stored)
            if stored["state"] == "awaiting_case_number":
                print("\nOpen the case at:", stored["handoffUrl"])
                print("Paste this text:\n")
                print(clean_block(draft.case_text()))
                print(f"\nThen record Microsoft's case number: csp-console escalations record {stored['id']} NUMBER")
            for line in (report.pending + report.failed) if report else []:
                print(f"  delivery: {clean_line(line, 400)}", file=sys.stderr)
        if trouble:
            print(f"  delivery: {clean_line(trouble, 400)}", file=sys.stderr)
        if stored["state"] in ("pending", "failed"):
            print(
                f"queued: escalation #{stored['id']} is saved and not yet with Microsoft; do not escalate again "
                f"(csp-console escalations sync delivers it; escalations list shows why it waits)",
                file=sys.stderr,
            )
            return QUEUED
        return APPLIED


def _deliver_after_saving(desk: Any, deliver: bool | None) -> tuple[CourierReport | None, str]:
    """Deliver what was just saved; any trouble is reported, never raised (the escalation exists)."""
    if not deliver:
        return None, ""
    from console.microsoft.http import ApiError

    try:
        return desk.microsoft_sync(poll=False), ""
    except (ApiError, MissingToken, OSError) as exc:
        return None, str(exc)


def _print_escalation(e: dict[str, Any]) -> None:
    case = clean_line(e["microsoftCaseId"] or "-", 60)  # Microsoft's value
    print(
        f"#{e['id']}  {e['ticketId']}  {e['vehicle']}  {e['state']}  case {case}"
        + (f"  ({clean_line(e['microsoftState'])})" if e.get("microsoftState") else "")
    )
    print(f"  {clean_line(e['title'] or '', 200)}")
    if e.get("lastError"):
        print(f"  last error: {clean_line(e['lastError'], 400)}")


def cmd_escalations(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _escalations(args, db, config))


def _escalations(args: argparse.Namespace, db: Path, config: Path) -> int:
    with desk_for(db, config) as desk:
        if args.action == "list":
            rows = desk.escalations(states=_states(args.state))
            if args.json:
                print(json.dumps(rows, ensure_ascii=False))
            for row in [] if args.json else rows:
                _print_escalation(row)
            return APPLIED
        if args.action == "sync":
            from console.background.leases import LeaseHeld
            from console.microsoft.http import ApiError

            holder = desk.microsoft_lease.other()
            if holder is not None:  # a console does the Microsoft work: do not poll a second time
                print(
                    f"csp-console: refused: {clean_line(str(LeaseHeld(holder, desk.microsoft_lease.clock())))}. "
                    "It delivers the outbox and reads the open cases in its rounds; this command runs once that "
                    "process has ended or the lease has expired.",
                    file=sys.stderr,
                )
                return QUEUED
            try:
                report = desk.microsoft_sync(force=True)
            except (ApiError, MissingToken) as exc:
                print(f"csp-console: error: {exc}", file=sys.stderr)
                return FAILED
            return _report(report, args.json)
        if args.action == "services":
            return _services(desk, args.id, args.json)
        if args.id is None:
            raise ValueError(f"'escalations {args.action}' needs the escalation's number")
        if not args.id.isdigit():
            raise ValueError(f"'escalations {args.action}': {clean_line(args.id, 100)!r} is not an escalation's number")
        number = int(args.id)
        if args.action == "record":
            if not args.value:
                raise ValueError("'escalations record' needs the Microsoft case number")
            _print_escalation(desk.record_case_number(number, args.value))
        elif args.action == "retry":
            if desk.retry_escalation(number) == 0:
                raise ValueError(f"escalation {number} has no failed delivery to retry")
            return _report(desk.microsoft_sync(poll=False), args.json, polled=False)
        elif args.action == "message":
            if not args.value:
                raise ValueError("'escalations message' needs the text")
            desk.message_microsoft(number, args.value)
            delivered, trouble = _deliver_after_saving(desk, True)
            if delivered is None:
                print(f"queued: the message is saved; delivery: {clean_line(trouble, 400)}", file=sys.stderr)
                return QUEUED
            return _report(delivered, args.json, polled=False)
        return APPLIED


def _states(given: list[str]) -> list[str]:
    """``--state`` values, comma-separated or repeated, each one of the escalation states."""
    states = [part.strip() for value in given for part in value.split(",") if part.strip()]
    unknown = [s for s in states if s not in ESCALATION_STATES]
    if unknown:
        raise ValueError(
            f"--state: no escalation state {', '.join(repr(clean_line(u, 60)) for u in unknown)}; "
            f"the states are {', '.join(ESCALATION_STATES)}"
        )
    return states


def _services(desk: Any, service: str | None, as_json: bool) -> int:
    """The Azure Support API's services (what ``escalate --service`` takes), or one service's problem
    classifications (``--problem``): display names, then the name (a GUID) the options also accept."""
    from console.microsoft.http import ApiError

    try:
        rows = desk.escalation_services()
        if service is not None:
            rows = desk.escalation_problems(_pick(rows, service, "service"))
    except (ApiError, MissingToken) as exc:
        raise ValueError(f"cannot read the Azure Support API's services: {exc}") from None
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return APPLIED
    for row in rows:
        print(f"{clean_line(str(row['displayName']), 200)}  ({clean_line(str(row['name']), 100)})")
    return APPLIED


def _report(report: CourierReport, as_json: bool, *, polled: bool = True) -> int:
    """The courier's report; ``polled=False``: it only delivered (no case was read), and says nothing of a poll."""
    if as_json:
        print(json.dumps(report.__dict__, ensure_ascii=False))
    else:
        for line in report.delivered:
            print(f"delivered: {clean_line(line, 400)}")
        for line in report.pending:
            print(f"pending (will retry): {clean_line(line, 400)}", file=sys.stderr)
        for line in report.failed:
            print(f"failed: {clean_line(line, 400)}", file=sys.stderr)
        for line in report.poll_errors:
            print(f"poll: {clean_line(line, 400)}", file=sys.stderr)
        if polled:
            print(f"{report.polled} open cases read, {report.updates} updates copied to tickets.")
    if report.failed:
        return FAILED
    return QUEUED if report.pending else APPLIED


def cmd_sandbox(args: argparse.Namespace, db: Path) -> int:
    from console.microsoft.connect import URL_ENV
    from console.sandbox import Sandbox
    from console.sandbox.authority import SANDBOX_CLIENT_ID
    from console.sandbox.seed import state_from_workspace

    with Workspace.open(db, create=False) as ws:
        state = state_from_workspace(ws)
    state.app_only_service_requests = args.app_only_token
    box = Sandbox(state, host=args.host, port=args.port, tls=args.tls)
    apis = "Partner Center, Azure Support API, Microsoft Graph (GDAP)"
    apis += " and a device-code authority" if args.tls else ""
    print(f"Sandbox {apis} on {box.url} ({len(state.customers)} customers).")
    print("In another terminal:\n")
    # The commands below act on the workspace this sandbox serves, wherever that terminal is (its cwd, its own
    # CSP_CONSOLE_DB): without it, `csp-console sync` would fill the default workspace instead.
    workspace = f"CSP_CONSOLE_DB={shlex.quote(str(db.resolve()))}"
    config = getattr(args, "config", None)
    if config is not None:
        workspace += f" CSP_CONSOLE_CONFIG={shlex.quote(str(Path(config).resolve()))}"
    print(f"  export {workspace}")
    print(f"  export {URL_ENV['partner_center']}={box.url} {URL_ENV['azure']}={box.url} {URL_ENV['graph']}={box.url}")
    print(f"  export CSP_CONSOLE_PARTNER_TENANT_ID={state.partner_tenant}")
    if args.tls and box.ca_file is not None:
        token_file = Path.home() / ".config" / "csp-console-sandbox" / "refresh-token"
        print(f"  export CSP_CONSOLE_CA_BUNDLE={box.ca_file}")
        print(f"  export CSP_CONSOLE_AUTHORITY={box.url} CSP_CONSOLE_CLIENT_ID={SANDBOX_CLIENT_ID}")
        print(f"  export CSP_CONSOLE_REFRESH_TOKEN_FILE={token_file}")
        print("  csp-console microsoft login     # prints a code; approve it (below), then:")
        print("  csp-console gdap sync && csp-console sync\n")
        print(
            "Approve the device code (the sandbox's sign-in page):",
            f"curl --cacert {box.ca_file} -d user_code=<code> {box.url}/devicelogin",
        )
    else:
        command = shlex.quote(f"{sys.executable} -m console.sandbox.tokens {{resource}} {{tenant}}")
        for audience in AUDIENCES:
            print(f"  export CSP_CONSOLE_{audience.config_key.upper()}={command}")
        print("  csp-console sync            # then open the console and escalate a ticket (key m)")
        print("  (csp-console sandbox --tls serves a device-code authority for `csp-console microsoft login`)\n")
    curl = f"curl{' --cacert ' + str(box.ca_file) if box.ca_file else ''}"
    body = '-d \'{"case": "<case>", "text": "..."}\''
    print("Microsoft's answers:", curl, "-XPOST", f"{box.url}/_sandbox/respond", body)
    print("Ctrl-C stops it.")
    sys.stdout.flush()
    box.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        box.stop()
    return APPLIED
