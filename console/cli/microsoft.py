"""Command-line twins of the console's Microsoft actions: ``sync`` and ``escalations ...`` (``escalate`` is in
:mod:`console.cli.escalate`, ``sandbox`` in :mod:`console.cli.sandbox`). They act through the same
:class:`~console.desk.door.Desk` as the console.

Exit status: 0 done, 1 failed (bad input, Microsoft refused), 2 a value of the wrong form, 3 refused (role,
stale version), 4 recorded but not yet delivered (the outbox will deliver it: ``csp-console escalations sync``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.cli import say
from console.cli.desk import APPLIED, FAILED, desk_for, outcome
from console.cli.options import positive_int, some_of
from console.cli.output import out, out_json
from console.microsoft.credentials import MissingToken
from console.settings.paths import WorkspaceAt
from console.shared.model import ESCALATION_STATES
from console.shared.safe_text import clean_line

if TYPE_CHECKING:  # httpx and the clients load only when a command talks to Microsoft
    from console.desk.door import Desk
    from console.escalation.courier import CourierReport

QUEUED = 4


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sync = sub.add_parser("sync", parents=[common], help="pull customers, subscriptions and service requests")
    sync.add_argument("--restart", action="store_true", help="start over instead of resuming a failed sync")
    sync.add_argument("--page-size", type=positive_int, default=100, help="records per request (default 100)")
    sync.add_argument("--json", action="store_true")

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
        action="extend",
        type=some_of(ESCALATION_STATES, "escalation state"),
        default=[],
        help=f"list: only these states (comma-separated or repeated: {', '.join(ESCALATION_STATES)})",
    )
    escs.add_argument("--json", action="store_true")


def cmd_sync(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _sync(args, db, config))


def _sync(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.microsoft.sync import SyncFailed
    from console.shared.progress import Progress

    # As the current agent, through the desk (microsoft.sync); an empty workspace's owner fills it.
    with desk_for(db, config, owner_if_empty=True) as desk:
        bars: dict[str, Progress] = {}

        def progress(label: str, done: int, total: int | None) -> None:
            bar = bars.get(label)
            if bar is None:
                bar = bars[label] = Progress(f"Syncing {label}", total).__enter__()
            bar.total = total
            bar.done = done
            bar.advance(0)

        try:
            try:
                report = desk.partner.sync(page_size=args.page_size, restart=args.restart, progress=progress)
            finally:
                for bar in bars.values():
                    bar.__exit__()
            gdap_line = _sync_gdap(desk)
        except SyncFailed as exc:
            return say("failed", str(exc), FAILED, prefix="csp-console: sync failed: ")
    if args.json:
        out_json(report.__dict__)
        return APPLIED
    out(
        f"{'Resumed and synced' if report.resumed else 'Synced'} {report.customers} customers, "
        f"{report.subscriptions} subscriptions ({report.azure_entitlements} Azure subscriptions under Azure "
        f"plans), {report.service_requests} service requests, {report.invoices} Microsoft invoices "
        "(csp-console invoices shows what is due)."
    )
    out(f"GDAP: {clean_line(gdap_line, 400)}")
    for line in report.notes:
        out(f"  note: {clean_line(line, 400)}")
    for line in report.skipped:
        out(f"  skipped: {clean_line(line, 300)}")
    if report.skipped:
        out(f"  {len(report.skipped)} records could not be read and were skipped; the rest is synced.")
    return APPLIED


def _sync_gdap(desk: Desk) -> str:
    """The partner's GDAP relationships through Microsoft Graph, after the Partner Center part: a failure here
    (no Graph token, Graph refusing) is said and leaves what Partner Center gave synced."""
    from console.microsoft.http import ApiError

    try:
        found = desk.partner.gdap_sync()
    except (ApiError, MissingToken) as exc:
        return f"relationships not read: {exc} (csp-console gdap sync tries again)"
    if found is None:
        return "not read (no Microsoft Graph client configured)"
    skipped = f"; {len(found.skipped)} unreadable skipped: " + "; ".join(found.skipped[:5]) if found.skipped else ""
    return f"{found.relationships} relationships read ({found.active} in force){skipped}"


#: How many of the Azure Support API's names an error lists before "…" (the real lists have hundreds).
CHOICES_SHOWN = 20


def choices(rows: list[dict[str, Any]], limit: int = CHOICES_SHOWN) -> str:
    """The display names of ``rows`` (Microsoft's text, cleaned), the first ``limit`` of them, then "…"."""
    names = [clean_line(str(r["displayName"]), 120) for r in rows[:limit]]
    return ", ".join(names) + (", …" if len(rows) > limit else "") if names else "(none)"


def pick(rows: list[dict[str, Any]], wanted: str, what: str) -> str:
    folded = wanted.casefold()
    for row in rows:
        if wanted in (row["id"], row["name"]) or row["displayName"].casefold() == folded:
            return str(row["id"])
    raise ValueError(f"--{what}: no {what} {clean_line(wanted, 200)!r}; choose one of: {choices(rows)}")


def deliver_after_saving(desk: Any, deliver: bool | None) -> tuple[CourierReport | None, str]:
    """Deliver what was just saved; any trouble is reported, never raised (the escalation exists)."""
    if not deliver:
        return None, ""
    from console.microsoft.http import ApiError

    try:
        return desk.microsoft_sync(poll=False), ""
    except (ApiError, MissingToken, OSError) as exc:
        return None, str(exc)


def print_escalation(e: dict[str, Any]) -> None:
    case = clean_line(e["microsoftCaseId"] or "-", 60)  # Microsoft's value
    out(
        f"#{e['id']}  {e['ticketId']}  {e['vehicle']}  {e['state']}  case {case}"
        + (f"  ({clean_line(e['microsoftState'])})" if e.get("microsoftState") else "")
    )
    out(f"  {clean_line(e['title'] or '', 200)}")
    if e.get("lastError"):
        out(f"  last error: {clean_line(e['lastError'], 400)}")


def cmd_escalations(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _escalations(args, db, config))


def _escalations(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    with desk_for(db, config) as desk:
        if args.action == "list":
            rows = desk.escalations(states=args.state)
            if args.json:
                out_json(rows)
            elif not rows:
                out(f"no escalations{' in ' + ', '.join(args.state) if args.state else ''}")
            for row in [] if args.json else rows:
                print_escalation(row)
            return APPLIED
        if args.action == "sync":
            return _round(desk, args.json)
        if args.action == "services":
            return _services(desk, args.id, args.json)
        if args.id is None:
            raise ValueError(f"'escalations {args.action}' needs the escalation's number")
        if not args.id.isdigit():
            raise ValueError(f"'escalations {args.action}': {clean_line(args.id, 100)!r} is not an escalation's number")
        return _on_one(desk, args.action, int(args.id), args.value, args.json)


def _round(desk: Desk, as_json: bool) -> int:
    """``escalations sync``: deliver the outbox and read the open cases, unless a console does that work."""
    from console.background.leases import LeaseHeld
    from console.microsoft.http import ApiError

    holder = desk.microsoft_lease.other()
    if holder is not None:  # a console does the Microsoft work: do not poll a second time
        return say(
            "refused",
            f"{clean_line(str(LeaseHeld(holder, desk.microsoft_lease.clock())))}. "
            "It delivers the outbox and reads the open cases in its rounds; this command runs once that "
            "process has ended or the lease has expired.",
            QUEUED,
        )
    try:
        report = desk.microsoft_sync(force=True)
    except (ApiError, MissingToken) as exc:
        return say("failed", str(exc), FAILED)
    return _report(report, as_json)


def _on_one(desk: Desk, action: str, number: int, value: str | None, as_json: bool) -> int:
    """``escalations record|retry|message NUMBER``."""
    if action == "record":
        if not value:
            raise ValueError("'escalations record' needs the Microsoft case number")
        recorded = desk.record_case_number(number, value)
        if as_json:
            out_json(recorded)
        else:
            print_escalation(recorded)
    elif action == "retry":
        if desk.retry_escalation(number) == 0:
            raise ValueError(f"escalation {number} has no failed delivery to retry")
        return _report(desk.microsoft_sync(poll=False), as_json, polled=False)
    elif action == "message":
        if not value:
            raise ValueError("'escalations message' needs the text")
        desk.message_microsoft(number, value)
        delivered, trouble = deliver_after_saving(desk, True)
        if delivered is None:
            return say("queued", f"the message is saved; delivery: {clean_line(trouble, 400)}", QUEUED)
        return _report(delivered, as_json, polled=False)
    return APPLIED


def _services(desk: Any, service: str | None, as_json: bool) -> int:
    """The Azure Support API's services (what ``escalate --service`` takes), or one service's problem
    classifications (``--problem``): display names, then the name (a GUID) the options also accept."""
    from console.microsoft.http import ApiError

    try:
        rows = desk.escalation_services()
        if service is not None:
            rows = desk.escalation_problems(pick(rows, service, "service"))
    except (ApiError, MissingToken) as exc:
        raise ValueError(f"cannot read the Azure Support API's services: {exc}") from None
    if as_json:
        out_json(rows)
        return APPLIED
    for row in rows:
        out(f"{clean_line(str(row['displayName']), 200)}  ({clean_line(str(row['name']), 100)})")
    return APPLIED


def _report(report: CourierReport, as_json: bool, *, polled: bool = True) -> int:
    """The courier's report; ``polled=False``: it only delivered (no case was read), and says nothing of a poll."""
    if as_json:
        out_json(report.__dict__)
    else:
        for line in report.delivered:
            out(f"delivered: {clean_line(line, 400)}")
        for line in report.pending:
            out(f"pending (will retry): {clean_line(line, 400)}", err=True)
        for line in report.failed:
            out(f"failed: {clean_line(line, 400)}", err=True)
        for line in report.poll_errors:
            out(f"poll: {clean_line(line, 400)}", err=True)
        if polled:
            out(f"{report.polled} open cases read, {report.updates} updates copied to tickets.")
    if report.failed:
        return FAILED
    return QUEUED if report.pending else APPLIED
