"""Billing from the command line: ``collections``, ``billing``, ``payment`` and ``invoices`` (``offer``,
``holidays``, ``time`` and ``sla`` are in :mod:`console.cli.offers`). They act as the current agent through
the same desk as the console (same role checks and audit). Exit status: 0 done, 1 failed (bad input, unknown
customer, a Partner Center failure: the state is recorded and the command can be run again), 2 a value of the
wrong form, 3 refused (role), 4 stopped midway (resumable)."""

from __future__ import annotations

import argparse
import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.cells import set_cell_size

from console.cli import say
from console.cli.desk import APPLIED, FAILED, REFUSED, desk_for, outcome
from console.cli.options import day
from console.cli.output import out, out_json
from console.settings.local_time import stamp
from console.settings.paths import WorkspaceAt
from console.shared.money import money
from console.shared.safe_text import clean_line

STOPPED = 4


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    col = sub.add_parser("collections", parents=[common], help="who is overdue, their dunning stage, actions due")
    col.add_argument("--dry-run", action="store_true", help="show what is due; record nothing")
    col.add_argument("--json", action="store_true")
    col.add_argument("--notices", type=Path, metavar="DIR", help="write each notice due as Markdown into DIR")
    col.add_argument("--today", type=day, help="assess as of this date (default: today in the desk's time zone)")
    col.add_argument("--tui", action="store_true", help="open the console on the collections view")

    bil = sub.add_parser("billing", parents=[common], help="suspend or reactivate a customer for non-payment")
    bil.add_argument("action", choices=("plan", "suspend", "reactivate", "status"))
    bil.add_argument("customer", metavar="CUSTOMER", help="customer id or domain")
    bil.add_argument("--yes", action="store_true", help="suspend: confirm the consequences stated by 'plan'")
    bil.add_argument("--json", action="store_true")

    pay = sub.add_parser("payment", parents=[common], help="record a customer's payment")
    pay.add_argument("action", choices=("record",))
    pay.add_argument("customer", metavar="CUSTOMER", help="customer id or domain")
    pay.add_argument("invoice", metavar="INVOICE", help="the receivable's id")
    pay.add_argument("amount", metavar="AMOUNT")
    pay.add_argument("--date", type=day, help="when it was paid, YYYY-MM-DD (default: today)")
    pay.add_argument("--no-reactivate", action="store_true", help="do not reactivate a suspended customer now")

    inv = sub.add_parser("invoices", parents=[common], help="the partner's Microsoft invoices: due dates (net 60)")
    inv.add_argument("--json", action="store_true")
    inv.add_argument("--unpaid", action="store_true", help="only what is still to pay")


# -- collections ---------------------------------------------------------------------------------------------


def cmd_collections(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _collections(args, db, config))


def _collections(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    with desk_for(db, config) as desk:
        report = desk.billing.collections(args.today)
        recorded = 0
        if not args.dry_run:
            recorded = desk.billing.record_notices(report.actions, args.notices)
        if args.json:
            answer = report.as_json()
            answer["recorded"] = recorded
            answer["dryRun"] = bool(args.dry_run)
            out_json(answer)
            return APPLIED
        out(f"Collections on {report.today.isoformat()} ({report.policy.source})")
        for currency, buckets in report.aging.items():
            cells = "  ".join(f"{b}: {money(v, currency, with_code=False)}" for b, v in buckets.items())
            out(f"  {currency}  {cells}")
        for c in report.customers:
            stage = c.stage.label if c.stage else "current"
            out(f"{set_cell_size(clean_line(c.company), 36)} {c.days_overdue:>4}d  {stage:15}  {c.note}")
            for a in c.actions:
                out(f"    due: {_action_text(a)}")
            for a in c.held_back:
                out(f"    held back: {_action_text(a)}")
        verb = "would record" if args.dry_run else "recorded"
        notices = sum(1 for a in report.actions if a.action == "notice")
        out(f"{len(report.actions)} actions due; {verb} {notices if args.dry_run else recorded} notices as sent.")
        others = [a for a in report.actions if a.action != "notice"]
        for a in others:
            out(f"  run: csp-console billing {a.action} {a.customer_id}")
        return APPLIED


def _action_text(a: Any) -> str:
    if a.action == "reactivate":
        return "reactivate: nothing is overdue past the suspension stage any more"
    amount = money(a.amount, a.currency) if a.currency else ""
    return f"{a.stage.replace('_', ' ')} ({a.action}) for {a.receivable_id}, {a.days_overdue} days overdue, {amount}"


# -- suspension ----------------------------------------------------------------------------------------------


def cmd_billing(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _billing(args, db, config))


def _billing(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.billing.suspension import SuspensionError

    with desk_for(db, config) as desk:
        cid = desk.find_customer(args.customer)
        said: frozenset[str] = frozenset()  # the blocked subscriptions whose reason the plan just printed
        if args.action == "status":
            live = desk.billing.live_suspension(cid)
            if args.json:
                out_json(live, default=str)
            else:
                out(_status_text(live, desk.config.time_zone))
            return APPLIED
        if args.action in ("plan", "suspend") and desk.billing.live_suspension(cid) is None:
            plan = desk.billing.suspension_plan(cid)
            if args.json and args.action == "plan":
                out_json(_plan_json(plan), default=str)
            else:
                _print_plan(plan)
                said = frozenset(b.subscription["id"] for b in plan.blocked)
            if args.action == "plan":
                return APPLIED
            if not args.yes:
                return say(
                    "refused",
                    "Nothing was sent. Re-run with --yes to suspend with these consequences.",
                    REFUSED,
                    prefix="",
                )
        elif args.action == "plan":
            live = desk.billing.live_suspension(cid)
            if args.json:
                out_json(live, default=str)
            else:
                out(_status_text(live, desk.config.time_zone))
            return APPLIED
        try:
            if args.action == "suspend":
                result = desk.billing.suspend(cid)
            else:
                result = desk.billing.reactivate(cid)
        except SuspensionError as exc:
            stopped = "Run it again" in str(exc)
            return say(
                "stopped" if stopped else "failed", str(exc), STOPPED if stopped else FAILED, prefix="csp-console: "
            )
        if args.json:
            out_json(dataclasses.asdict(result), default=str)
        else:
            _print_result(result, "changed" if args.action == "suspend" else "restored", said)
        return APPLIED


def _plan_json(plan: Any) -> dict[str, Any]:
    """What ``billing plan --json`` prints: the plan as ``_print_plan`` says it."""
    return {
        "customerId": plan.customer_id,
        "companyName": plan.company,
        "items": [
            {**i.as_item(), "quantity": i.subscription["quantity"], "consequence": i.consequence} for i in plan.items
        ],
        "blocked": [
            {"subscriptionId": b.subscription["id"], "offerName": b.subscription["offerName"], "reason": b.reason}
            for b in plan.blocked
        ],
        "untouched": [
            {"subscriptionId": s["id"], "offerName": s["offerName"], "status": s["status"]} for s in plan.untouched
        ],
        "summary": list(plan.summary),
    }


def _print_result(result: Any, verb: str, said: frozenset[str] = frozenset()) -> None:
    """What the run did, and every subscription it left alone with the reason (Partner Center's own words
    included, cleaned: they are not ours); ``said``: subscriptions whose reason the plan printed just before."""
    parts = [f"{len(result.done)} subscriptions {verb}"]
    if result.already:
        parts.append(f"{len(result.already)} already so")
    if result.left:
        parts.append(f"{len(result.left)} left as they were (not suspended by this console)")
    if result.blocked:
        parts.append(f"{len(result.blocked)} blocked (an Azure plan with active Azure subscriptions)")
    if result.skipped:
        parts.append(f"{len(result.skipped)} skipped (deleted or expired meanwhile)")
    out(f"{result.state}: " + ", ".join(parts))
    for sub_id, note in result.notes.items():
        if sub_id not in said:
            out(f"  {sub_id}: {clean_line(note)}")


def _print_plan(plan: Any) -> None:
    out(f"Suspending {clean_line(plan.company)} for non-payment would suspend:")
    for item in plan.items:
        s = item.subscription
        out(f"  {clean_line(s['offerName'])} ({s['id']}), {s['quantity']} seats: {item.consequence}")
    for b in plan.blocked:
        s = b.subscription
        out(f"  NOT suspended: {clean_line(s['offerName'])} ({s['id']}): {clean_line(b.why)}")
    for s in plan.untouched:
        out(f"  left as it is: {clean_line(s['offerName'])} ({s['status']})")
    out("Consequences:")
    for line in plan.summary:
        out(f"  - {line}")


def _status_text(live: dict[str, Any] | None, zone: str) -> str:
    """The live suspension as text, its start in the desk's ``zone``."""
    if live is None:
        return "no suspension for non-payment"
    started = stamp(live["startedDate"], zone)
    lines = [f"suspension {live['id']}: {live['state']} (started {started} by {clean_line(live['startedBy'])})"]
    if live["lastError"]:
        lines.append(f"  last error: {clean_line(live['lastError'])}")
    for i in live["items"]:
        lines.append(f"  {i['state']:18} {clean_line(i['offerName'])} ({i['subscriptionId']})")
        if i.get("note"):
            lines.append(f"  {'':18} {clean_line(i['note'])}")
    return "\n".join(lines)


# -- payments and invoices -----------------------------------------------------------------------------------


def cmd_payment(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _payment(args, db, config))


def _payment(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.billing.suspension import SuspensionError
    from console.microsoft.credentials import credentials_available

    with desk_for(db, config) as desk:
        cid = desk.find_customer(args.customer)
        r = desk.billing.record_payment(cid, args.invoice, args.amount, args.date)
        outstanding = money(Decimal(r["totalCharges"]) - Decimal(r["paidAmount"] or "0"), r["currencyCode"])
        out(f"{r['id']}: {r['status']} ({outstanding} outstanding)")
        if desk.billing.live_suspension(cid) is None or not desk.billing.reactivation_due(cid):
            return APPLIED
        if args.no_reactivate:
            out(f"Reactivation is now due: csp-console billing reactivate {cid}")
            return APPLIED
        if not credentials_available(desk.config.microsoft):
            out(f"Reactivation is now due; Partner Center is not configured: csp-console billing reactivate {cid}")
            return APPLIED
        try:
            result = desk.billing.reactivate(cid)
        except SuspensionError as exc:
            return say("stopped", f"payment recorded; {exc}", STOPPED, prefix="csp-console: ")
        _print_result(result, "restored")
        return APPLIED


def cmd_invoices(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _invoices(args, db, config))


def _invoices(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    with desk_for(db, config) as desk:
        invoices = desk.billing.partner_invoices()
        if args.unpaid:
            invoices = [i for i in invoices if i.unpaid > 0]
        if args.json:
            for i in invoices:
                out_json(
                    {
                        **i.row,
                        "unpaid": str(i.unpaid),
                        "daysToDue": i.days_to_due,
                        "level": i.level,
                        "warning": i.warning,
                        "waitingOn": [
                            {
                                "customerId": w["customerId"],
                                "companyName": w["companyName"],
                                "receivableId": w["id"],
                                "outstanding": str(w["outstanding"]),
                                "currencyCode": w["currencyCode"],
                                "daysOverdue": w["daysOverdue"],
                            }
                            for w in i.waiting_on
                        ],
                    },
                )
            return APPLIED
        if not invoices:
            out("No Microsoft invoices synced yet: run csp-console sync.")
        for i in invoices:
            cur = i.row["currencyCode"]
            out(
                f"{i.row['id']}  {i.row['invoiceDate']}  due {i.due.isoformat()}  total "
                f"{money(Decimal(i.row['totalCharges']), cur)}  unpaid {money(i.unpaid, cur)}"
                + (f"  ! {i.warning}" if i.warning else "")
            )
            for w in i.waiting_on:
                out(
                    f"    waiting on {clean_line(w['companyName'])}: {w['id']} "
                    f"{money(w['outstanding'], w['currencyCode'])}, {w['daysOverdue']} days overdue"
                )
        return APPLIED
