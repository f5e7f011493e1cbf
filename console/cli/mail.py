"""``csp-console mail ACTION``: the desk's mail for scripts and monitoring, through the same
:class:`~console.desk.door.Desk` as the console.

- ``check``: what waits and what failed (exit 1 when a reply failed or may have gone out: an agent must look);
- ``unmatched``: the mails waiting for an agent to say whose they are; ``assign EMAIL CUSTOMER`` says it;
- ``outbox``: the replies owed, failed or uncertain; ``resend ID`` sends one again (``mail.resend``);
- ``read FILE``: take one message from a file (a mail saved as ``.eml``) as if it had arrived now;
- ``fetch``: read the mailbox into tickets now; ``send-pending``: send what the outbox owes now (each under the
  workspace's mail lease: while a console's runner holds it, nothing is done and the holder is named);
- ``watch``: round after round (a poll interval apart, sooner when IMAP IDLE says a mail came), for a
  service manager on a desk where no console runs all day; ``--rounds N`` stops after N;
- ``test``: log in to the IMAP and SMTP servers and say what they answered (exit 1 when one failed).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from console.cli import say
from console.cli.desk import APPLIED, FAILED, desk_for, outcome
from console.cli.output import out, out_json
from console.settings.paths import WorkspaceAt
from console.shared.safe_text import clean_line

ACTIONS = ("check", "fetch", "send-pending", "watch", "test", "unmatched", "assign", "outbox", "resend", "read")


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    mail = sub.add_parser(
        "mail", parents=[common], help="the desk's mail: check, fetch, send-pending, watch, test, unmatched, ..."
    )
    mail.add_argument("action", choices=ACTIONS, metavar="ACTION", help=", ".join(ACTIONS))
    mail.add_argument("value", nargs="?", help="assign: the sender's address; resend: the outbox id; read: a file")
    mail.add_argument("customer", nargs="?", help="assign: the customer (id or domain)")
    mail.add_argument("--json", action="store_true")
    mail.add_argument("--rounds", type=int, default=0, help="watch: stop after this many rounds (0: never)")


def cmd_mail(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _mail(args, db, config))


def _mail(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.desk.mail import MailNotConfigured

    with desk_for(db, config) as desk:
        try:
            return ACTION_RUNS[args.action](desk, args)
        except MailNotConfigured as exc:
            return say("failed", str(exc), FAILED)


def _check(desk: Any, args: argparse.Namespace) -> int:
    figures = desk.mail.figures()
    bad = figures["outboxFailed"] + figures["outboxUncertain"]
    if args.json:
        out_json(figures)
        return FAILED if bad else APPLIED
    if not figures["configured"]:
        out("mail: not configured (the [mail] table of the config file has no address)")
    out(f"last round: {figures['lastRound'] or 'never'}  {clean_line(figures['lastNote'] or '')}".rstrip())
    out(f"last mail received: {figures['lastReceived'] or 'none'}")
    out(
        f"unmatched: {figures['unmatched']}  outbox: {figures['outboxPending']} owed, "
        f"{figures['outboxFailed']} failed, {figures['outboxUncertain']} uncertain"
    )
    return FAILED if bad else APPLIED


def _unmatched(desk: Any, args: argparse.Namespace) -> int:
    rows = desk.mail.unmatched()
    if args.json:
        out_json([_brief(r) for r in rows])
        return APPLIED
    for r in rows:
        out(f"{r['id']:>6}  {r['receivedDate']}  {clean_line(r['fromEmail'], 60)}  {clean_line(r['subject'], 60)}")
        if r["why"]:
            out(f"        {clean_line(r['why'], 100)}")
    if not rows:
        out("no unmatched mail")
    return APPLIED


def _assign(desk: Any, args: argparse.Namespace) -> int:
    if not args.value or not args.customer:
        return say("failed", "usage: csp-console mail assign EMAIL CUSTOMER", FAILED)
    done = desk.mail.assign_sender(args.value, args.customer)
    tickets = [t.ticket_id for t in done if t.ticket_id]
    text = f"{args.value} is a contact of {args.customer}: {len(done)} mails placed" + (
        f" ({', '.join(tickets)})" if tickets else ""
    )
    return _said(args, {"placed": [t.state for t in done], "tickets": tickets}, text)


def _outbox(desk: Any, args: argparse.Namespace) -> int:
    rows = desk.mail.outbox()
    if args.json:
        out_json(rows)
        return APPLIED
    for r in rows:
        to = clean_line(", ".join(r["recipients"]), 50)
        out(f"{r['id']:>6}  {r['state']:<9} {to}  {clean_line(r['subject'], 50)}")
        if r["lastError"]:
            out(f"        {clean_line(r['lastError'], 100)}")
    if not rows:
        out("the outbox owes nothing")
    return APPLIED


def _resend(desk: Any, args: argparse.Namespace) -> int:
    if not args.value or not args.value.isdigit():
        return say("failed", "usage: csp-console mail resend OUTBOX_ID (see csp-console mail outbox)", FAILED)
    if not desk.mail.resend(int(args.value)):
        return say("failed", f"outbox item {args.value} is not failed, uncertain or stuck sending", FAILED)
    return _said(args, {"resend": int(args.value)}, f"outbox item {args.value} will be sent in the next round")


def _read(desk: Any, args: argparse.Namespace) -> int:
    if not args.value:
        return say("failed", "usage: csp-console mail read FILE.eml", FAILED)
    path = Path(args.value)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return say("failed", f"{path}: cannot read it ({exc.strerror or exc})", FAILED)
    taken = desk.mail.take(raw)
    text = (
        f"{clean_line(path.name)}: {taken.state}"
        + (f" {taken.ticket_id}" if taken.ticket_id else "")
        + (f" ({taken.why})" if taken.why else "")
    )
    return _said(args, {"state": taken.state, "ticket": taken.ticket_id, "why": taken.why}, text)


def _round(desk: Any, args: argparse.Namespace, *, fetch: bool, send: bool) -> int:
    done = desk.mail.run(fetch=fetch, send=send)
    if args.json:
        out_json(
            {
                "fetched": _fetch_facts(done.fetched),
                "sent": None if done.sent is None else {k: v for k, v in vars(done.sent).items() if k != "errors"},
                "errors": done.errors,
                "elsewhere": done.elsewhere or None,
            }
        )
    else:
        out(clean_line(str(done), 2000))
    return FAILED if done.failed else APPLIED


def _fetch_facts(report: Any) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "mailbox": report.mailbox,
        "found": report.found,
        "states": dict(report.states),
        "reopened": report.reopened,
        "moved": report.moved,
        "left": report.left,
    }


def _fetch(desk: Any, args: argparse.Namespace) -> int:
    if not desk.mail.settings.imap_host:
        return say("failed", "no mailbox to read: set address and imap_host in the [mail] table", FAILED)
    return _round(desk, args, fetch=True, send=False)


def _send_pending(desk: Any, args: argparse.Namespace) -> int:
    if not desk.mail.settings.smtp_host:
        return say("failed", "no server to send with: set address and smtp_host in the [mail] table", FAILED)
    return _round(desk, args, fetch=False, send=True)


def _watch(desk: Any, args: argparse.Namespace) -> int:
    if not (desk.mail.settings.imap_host or desk.mail.settings.smtp_host):
        return say("failed", "no mail server: set address, imap_host and smtp_host in the [mail] table", FAILED)
    if args.rounds < 0:
        return say("failed", "--rounds must be 0 (never stop) or more", FAILED)
    failed = desk.mail.watch(lambda line: out(clean_line(line, 2000)), rounds=args.rounds)
    return FAILED if failed and args.rounds else APPLIED


def _test(desk: Any, args: argparse.Namespace) -> int:
    lines = desk.mail.test()
    if args.json:
        out_json([{"server": name, "ok": ok, "said": said} for name, ok, said in lines])
    else:
        for name, ok, said in lines:
            out(f"{name}: {'ok' if ok else 'FAILED'}  {clean_line(said, 300)}")
    return APPLIED if all(ok for _, ok, _ in lines) else FAILED


def _said(args: argparse.Namespace, facts: dict[str, Any], text: str) -> int:
    if args.json:
        out_json(facts)
    else:
        out(text)
    return APPLIED


def _brief(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("id", "receivedDate", "fromName", "fromEmail", "subject", "why", "state")}


ACTION_RUNS = {
    "check": _check,
    "fetch": _fetch,
    "send-pending": _send_pending,
    "watch": _watch,
    "test": _test,
    "unmatched": _unmatched,
    "assign": _assign,
    "outbox": _outbox,
    "resend": _resend,
    "read": _read,
}
