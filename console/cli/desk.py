"""Command-line twins of the console's actions: ``csp-console ticket ...``, ``agents ...`` and ``audit``.

They act as the current agent through the same :class:`~console.desk.door.Desk` as the console, so the same
role checks, versions and audit apply. Exit status: 0 applied, 3 refused (role, stale version, held by
someone else), 1 failed (unknown ticket, bad input), 2 a value of the wrong form (:mod:`console.cli.options`).

This is the command line's one module that opens a workspace: :func:`desk_for` builds the desk every command
acts through; the demo writer and the sandbox's seed open one too, as files, before any agent exists. No
other module of ``console.cli`` imports the store (an import contract in ``pyproject.toml``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.cli import CommandError, say
from console.cli.options import moment, ticket_argument
from console.cli.output import out, out_json
from console.cli.ticket_values import NEEDS_VALUE, status_of
from console.desk.identity import UnknownAgent, current_agent
from console.desk.roles import RoleDenied
from console.settings.config import Config, load_config
from console.settings.local_time import stamp
from console.settings.paths import WorkspaceAt, workspace_exists
from console.shared.clock import to_iso, utcnow
from console.shared.errors import StaleVersion
from console.shared.model import RESOLUTION_CODES, Role
from console.shared.safe_text import clean_block, clean_line
from console.store import Workspace
from console.tickets.ops import ClaimedByOther, TicketInputError

if TYPE_CHECKING:  # the desk and the plugins are imported by the commands that use them
    from console.desk.door import Desk
    from console.plugins.host import PluginHost

__all__ = [
    "desk_for",
    "event_backlog",
    "outcome",
    "plugins_of",
    "sandbox_seed",
    "write_demo",
]

APPLIED, FAILED, USAGE, REFUSED = 0, 1, 2, 3


TICKET_ACTIONS = ("show", "claim", "release", "assign", "note", "reply", "status", "resolve")


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ticket = sub.add_parser(
        "ticket",
        parents=[common],
        help="act on a ticket as the current agent",
        description=(
            "Act on a ticket as the current agent. claim: the ticket is yours for the desk rule claim_minutes "
            "(30 by default: csp-console policy show); a claim from the command line belongs to no console, so "
            "quitting a console leaves it held: it is kept until its lease ends (opening the ticket in a console "
            "renews it) or until 'ticket release'. A claim taken in a console is that console's: quitting it "
            "releases it."
        ),
    )
    ticket.add_argument("action", choices=TICKET_ACTIONS)
    ticket.add_argument("ticket", metavar="TICKET", help="e.g. CSP-000123, or 123", type=ticket_argument)
    ticket.add_argument("value", nargs="?", help="assign: LOGIN or -; note/reply: TEXT; status: STATUS; resolve: CODE")
    ticket.add_argument("--takeover", action="store_true", help="claim: take over another agent's ticket")
    ticket.add_argument("--version", type=int, help="refuse the change unless the ticket is at this version")
    ticket.add_argument("--json", action="store_true")

    take = sub.add_parser(
        "next",
        parents=[common],
        help="claim the next open, unassigned ticket of a view",
        description=(
            "Claim the next open, unassigned ticket of a view in the view's order (All open by default: most urgent "
            "SLA first), as 't' on the console's queue. Agents taking the next ticket at the same moment each get "
            "a different one. Exit status 0 claimed (its id first on the line), 3 when the view has none left or "
            "the role may not claim, 1 failed."
        ),
    )
    take.add_argument("--view", metavar="NAME", default="All open", help="a view of the views bar, or one you saved")
    take.add_argument("--json", action="store_true")

    agents = sub.add_parser("agents", parents=[common], help="the workspace's agents and their roles")
    agents.add_argument("action", choices=("list", "add", "grant", "revoke"))
    agents.add_argument("login", nargs="?")
    roles = [r.value for r in Role]
    agents.add_argument("role", nargs="?", choices=roles, metavar="ROLE", help=f"one of {', '.join(roles)}")
    agents.add_argument(
        "--role", dest="roles", action="append", choices=roles, metavar="ROLE", default=[], help="(repeatable)"
    )
    agents.add_argument("--name", default="")
    agents.add_argument("--email", default="")
    agents.add_argument("--json", action="store_true")

    audit = sub.add_parser("audit", parents=[common], help="who did what, when (append-only, hash-chained)")
    audit.add_argument(
        "check", nargs="?", choices=("verify", "acknowledge"), help="verify the chain; acknowledge its breaks"
    )
    audit.add_argument(
        "--since", type=moment, help="a date or an ISO 8601 time (without an offset: the desk's time zone)"
    )
    audit.add_argument("--ticket", help="only this ticket", type=ticket_argument)
    audit.add_argument("--json", action="store_true")


@contextmanager
def desk_for(
    db: WorkspaceAt, config_path: Path, *, create: bool = False, owner_if_empty: bool = False
) -> Iterator[Desk]:
    """The current agent's desk on the workspace, closed afterwards. ``create``: a missing workspace is created
    (import); ``owner_if_empty``: in a workspace with no agent yet its owner acts as a Global admin (see
    :class:`~console.desk.door.Desk`)."""
    ws = Workspace.open(db, create=create)
    try:
        from console.desk.door import Desk
        from console.desk.plugin_host import desk_plugins

        config = load_config(config_path)
        desk = Desk(ws, config, desk_plugins(ws, config), current_agent(ws), utcnow, owner_if_empty=owner_if_empty)
        try:
            yield desk
        finally:
            desk.close()
    finally:
        ws.close()


def plugins_of(db: WorkspaceAt, config_path: Path) -> PluginHost:
    """The plugins as a desk on ``db`` loads them (with the desk policy's ``plugins.replace`` when the workspace
    exists) and the config's ``[plugins.NAME]`` sections."""
    from console.desk.plugin_host import desk_plugins

    config = load_config(config_path)
    if not workspace_exists(db):
        return desk_plugins(None, config)
    with Workspace.open(db, create=False) as ws:
        return desk_plugins(ws, config)


def event_backlog(db: WorkspaceAt) -> list[dict[str, Any]]:
    """Per event receiver: what the workspace still owes it and what it delivered (none without a workspace)."""
    if not workspace_exists(db):
        return []
    with Workspace.open(db, create=False) as ws:
        return ws.plugin_events.backlog()


def write_demo(
    path: WorkspaceAt, tickets: int, seed: int, now: datetime, config: Config, progress: Callable[[int], None]
) -> dict[str, int]:
    """A new demo workspace at ``path`` (``csp-console demo``): a new file, or an empty PostgreSQL database;
    with the demo's agents and the current agent as a Global admin, and the demo desk's rules
    (:data:`~console.settings.config.DEMO_POLICY`). On any failure a half-written file is removed (a database
    keeps only its empty tables: the demo is written in transactions)."""
    from console.demo.workspace import generate
    from console.settings.config import DEMO_POLICY

    ws = Workspace.open(path)
    try:
        counts = generate(
            ws,
            tickets=tickets,
            seed=seed,
            now=now,
            progress=progress,
            extra_admins=(current_agent(ws),),
            config=config,
            policy=DEMO_POLICY,
        )
    except BaseException as exc:
        ws.close()
        if isinstance(path, Path):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        if isinstance(exc, ValueError):  # (not empty: a database holding a workspace already)
            raise CommandError(f"{exc}; the demo writes a new workspace (choose another --db)") from None
        raise
    ws.close()
    return counts


def sandbox_seed(db: WorkspaceAt) -> Any:
    """The sandbox's Partner Center, Azure and Graph state, seeded from a workspace's accounts (read only)."""
    from console.sandbox.seed import state_from_workspace

    with Workspace.open(db, create=False) as ws:
        return state_from_workspace(ws)


def outcome(command: Callable[[], int]) -> int:
    """Run a command; refusals (role, stale version, held, unknown agent) exit 3, bad input or lookups 1;
    each said with what to run next (as JSON under ``--json``: :func:`console.cli.say`)."""
    try:
        return command()
    except StaleVersion as exc:
        return say("refused", f"{exc.what}: see it with: csp-console ticket show {exc.current['id']}", REFUSED)
    except ClaimedByOther as exc:
        return say("refused", f"{exc.held}; take it over with --takeover to work on it.", REFUSED)
    except (RoleDenied, UnknownAgent) as exc:
        return say("refused", str(exc), REFUSED)
    except argparse.ArgumentTypeError as exc:  # a positional read by its action (``ticket status X VALUE``)
        return say("failed", str(exc), FAILED)
    except (TicketInputError, ValueError, LookupError) as exc:
        return say("failed", str(exc), FAILED)


def _print_ticket(desk: Desk, ticket_id: str, as_json: bool) -> None:
    details = desk.details(ticket_id)
    if as_json:
        out_json(
            {
                "ticket": details.ticket,
                "fields": details.fields,
                "timeline": details.timeline,
                "findings": details.findings,
            },
            default=str,
        )
        return
    t, zone = details.ticket, desk.config.time_zone
    out(f"{t['id']}  {t['status']}  severity {t['severity']}  v{t['version']}")
    out(f"  {clean_line(t['title'])}")
    out(
        f"  customer: {clean_line(t['companyName'])}  assignee: {clean_line(t['assignee'] or '-', 100)}"
        + (f" (claimed until {stamp(t['claimedUntil'], zone)})" if t.get("claimedUntil") else "")
    )
    out(f"  created {stamp(t['createdDate'], zone)}")
    for field_id, value in details.fields.items():  # the plugins' intake fields, as the agent typed them
        out(f"  {clean_line(field_id, 100)}: {clean_line(value)}")
    out(
        f"  first response due {stamp(t['firstResponseDueDate'], zone)}; "
        f"resolution due {stamp(t['resolutionDueDate'], zone)}"
    )
    for event in details.timeline:
        what = clean_line(event["text"] or f"{event['fromValue'] or '-'} -> {event['toValue'] or '-'}", 200)
        who, kind = clean_line(event["author"], 100), clean_line(event["kind"], 40)  # Microsoft's names, imports
        out(f"  {stamp(event['createdDate'], zone)} {who} {kind}: {what}")


def cmd_ticket(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _ticket(args, db, config))


def _ticket(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    value, action = args.value, args.action
    if action in NEEDS_VALUE and not value:
        return say(
            "usage",
            f"'ticket {action} {args.ticket}' needs {NEEDS_VALUE[action]}",
            USAGE,
            prefix="csp-console: error: ",
        )
    with desk_for(db, config) as desk:
        ticket = desk.ticket(args.ticket, args.version)
        if action == "show":
            _print_ticket(desk, ticket["id"], args.json)
            return APPLIED
        try:
            result = _apply(desk, ticket, action, value, takeover=args.takeover)
        except ClaimedByOther as exc:  # said with the claim's end in the desk's time
            exc.held = exc.held_in(desk.config.time_zone)
            raise
        if args.json:
            out_json(result, default=str)
        else:
            until = stamp(result["claimedUntil"], desk.config.time_zone)
            held = f"; held until {until} or 'ticket release'" if action == "claim" else ""
            out(
                f"{result['id']}: {action} applied (now version {result['version']}, "
                f"status {result['status']}, assignee {result['assignee'] or '-'}){held}"
            )
        return APPLIED


def cmd_next(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _take_next(args, db, config))


def _take_next(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    with desk_for(db, config) as desk:
        views = desk.reads.views(desk.clock())
        wanted = args.view.strip()
        view = next((v for v in views if v.name.casefold() == wanted.casefold()), None)
        if view is None:
            known = ", ".join(clean_line(v.name, 40) for v in views)
            raise ValueError(f"no view '{clean_line(wanted, 60)}'; the views: {known}")
        result = desk.claim_next(view.query)
        if result is None:
            return say(
                "nothing", f"nothing to take: no open, unassigned ticket in {clean_line(view.name, 60)}", REFUSED
            )
        if args.json:
            out_json(result, default=str)
        else:
            until = stamp(result["claimedUntil"], desk.config.time_zone)
            out(
                f"{result['id']}: claimed (next of {clean_line(view.name, 60)}; severity {result['severity']}, "
                f"status {result['status']}): {clean_line(result['title'], 80)}; held until {until} or "
                "'ticket release'"
            )
        return APPLIED


def _apply(desk: Desk, ticket: dict[str, Any], action: str, value: str | None, *, takeover: bool) -> dict[str, Any]:
    if action == "claim":
        return desk.claim(ticket, takeover=takeover)
    if action == "release":
        return desk.release(ticket)
    assert value is not None
    if action == "assign":
        return desk.assign(ticket, None if value == "-" else value)
    if action == "reply":
        return desk.mail.answer(ticket, value)
    if action == "note":
        return desk.note(ticket, value)
    if action == "status":
        return desk.set_status(ticket, status_of(value))
    if value not in RESOLUTION_CODES:
        raise ValueError(f"unknown resolution code {value!r}; expected one of {', '.join(RESOLUTION_CODES)}")
    return desk.set_status(ticket, "resolved", value)


def cmd_agents(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _agents(args, db, config))


def _agents(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    if args.action == "list":
        with desk_for(db, config, owner_if_empty=True) as desk:
            agents = desk.agents.listing()
        if args.json:
            out_json(agents)
        for a in [] if args.json else agents:
            out(f"{a['login']:20} {', '.join(a['roles']) or '-':40} {clean_line(a['displayName'] or '')}")
        return APPLIED
    if not args.login:
        return say("failed", f"'agents {args.action}' needs a LOGIN", FAILED)
    # Only a Global admin manages agents (agents.manage); the very first agent of an empty workspace bootstraps it.
    with desk_for(db, config, owner_if_empty=True) as desk:
        if args.action == "add":
            roles = args.roles or ([args.role] if args.role else [])
            if not roles:
                return say("failed", "give at least one --role", FAILED)
            desk.agents.add(args.login, roles, args.name, args.email)
            if args.json:
                out_json({"login": args.login, "roles": sorted(roles)})
            else:
                out(f"added {args.login}: {', '.join(sorted(roles))}")
            return APPLIED
        held = set(desk.agents.roles_of(args.login))  # LookupError: "no agent 'LOGIN'", exit 1
        role = args.role or (args.roles[0] if args.roles else None)
        if not role:
            return say("failed", f"'agents {args.action}' needs a ROLE", FAILED)
        roles = held | {role} if args.action == "grant" else held - {role}
        result = desk.agents.set_roles(args.login, sorted(roles), f"agent.{args.action}")
        if args.json:
            out_json({"login": args.login, "roles": list(result)})
        else:
            out(f"{args.login}: {', '.join(result) or 'no roles'}")
        return APPLIED


def cmd_audit(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _audit(args, db, config))


def _audit(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    with desk_for(db, config) as desk:
        if args.check:
            from console.cli import audit

            return (audit.verify if args.check == "verify" else audit.acknowledge)(desk, args.json)
        desk.authorize("audit.view")
        since = to_iso(args.since.utc(desk.config.time_zone)) if args.since else None
        ticket = desk.ticket(args.ticket.strip().upper())["id"] if args.ticket else None  # LookupError: no ticket
        for e in desk.agents.audit_trail(since, ticket):
            if args.json:
                out_json(e)
            else:
                detail = clean_block(json.dumps(e["detail"], ensure_ascii=False))[:300]
                at = stamp(e["at"], desk.config.time_zone)
                out(f"{at} {e['agent']:14} {e['action']:22} {e['entity']}:{clean_line(e['entityId'])} {detail}")
        return APPLIED
