"""Billing from the command line: ``collections``, ``billing``, ``payment``, ``invoices``, ``offer``,
``holidays``, ``time`` and ``sla``. They act as the current agent through the same desk as the console (same
role checks and audit). Exit status: 0 done, 1 failed (bad input, unknown customer, a Partner Center failure:
the state is recorded and the command can be run again), 3 refused (role), 4 stopped midway (resumable)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.cells import set_cell_size

from console.cli.desk import APPLIED, FAILED, REFUSED, desk_for, outcome
from console.shared.clock import parse_date
from console.shared.money import money
from console.shared.safe_text import clean_line

if TYPE_CHECKING:
    from console.desk.door import Desk

STOPPED = 4


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    col = sub.add_parser("collections", parents=[common], help="who is overdue, their dunning stage, actions due")
    col.add_argument("--dry-run", action="store_true", help="show what is due; record nothing")
    col.add_argument("--json", action="store_true")
    col.add_argument("--notices", type=Path, metavar="DIR", help="write each notice due as Markdown into DIR")
    col.add_argument("--today", help="assess as of this date (default: today in the desk's time zone)")
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
    pay.add_argument("--date", help="when it was paid, YYYY-MM-DD (default: today)")
    pay.add_argument("--no-reactivate", action="store_true", help="do not reactivate a suspended customer now")

    inv = sub.add_parser("invoices", parents=[common], help="the partner's Microsoft invoices: due dates (net 60)")
    inv.add_argument("--json", action="store_true")
    inv.add_argument("--unpaid", action="store_true", help="only what is still to pay")

    off = sub.add_parser("offer", parents=[common], help="a customer's support offer: show, set, statement")
    off.add_argument("action", choices=("show", "set", "statement"))
    off.add_argument("customer", metavar="CUSTOMER", help="customer id or domain")
    off.add_argument("fields", nargs="*", metavar="FIELD=VALUE", help="set: fields as in docs/import-format.md")
    off.add_argument("--format", choices=("md", "html"), default="md", help="statement: Markdown or HTML")
    off.add_argument("--output", "-o", type=Path, help="statement: write to this file (default: standard output)")

    hol = sub.add_parser("holidays", parents=[common], help="holiday calendars: list, add, remove")
    hol.add_argument("action", choices=("list", "add", "remove"))
    hol.add_argument("calendar", nargs="?", metavar="CALENDAR")
    hol.add_argument("date", nargs="?", metavar="DATE")
    hol.add_argument("name", nargs="?", metavar="NAME")

    tim = sub.add_parser("time", parents=[common], help="log time on a ticket (charged to the support offer)")
    tim.add_argument("action", choices=("log", "list"))
    tim.add_argument("ticket", metavar="TICKET")
    tim.add_argument("minutes", nargs="?", type=int, metavar="MINUTES")
    tim.add_argument("--note", default="")
    tim.add_argument("--date", help="the day worked, YYYY-MM-DD (default: today)")

    sla = sub.add_parser("sla", parents=[common], help="SLA clocks: recompute after changing offers or holidays")
    sla.add_argument("action", choices=("recompute", "show"))
    sla.add_argument("ticket", nargs="?", metavar="TICKET")


def _customer(desk: Desk, key: str) -> str:
    found = desk.ws.find_customer(key)
    if found is None:
        raise LookupError(f"no customer with id or domain {key!r}")
    return found


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError:
        raise ValueError(f"--{name}: expected a date YYYY-MM-DD, got {text!r}") from None


# -- collections ---------------------------------------------------------------------------------------------


def cmd_collections(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _collections(args, db, config))


def _collections(args: argparse.Namespace, db: Path, config: Path) -> int:
    with desk_for(db, config) as desk:
        report = desk.billing.collections(_day(args.today, "today"))
        recorded = 0
        if not args.dry_run:
            recorded = desk.billing.record_notices(report.actions, args.notices)
        if args.json:
            out = report.as_json()
            out["recorded"] = recorded
            out["dryRun"] = bool(args.dry_run)
            print(json.dumps(out, ensure_ascii=False))
            return APPLIED
        print(f"Collections on {report.today.isoformat()} ({report.policy.source})")
        for currency, buckets in report.aging.items():
            cells = "  ".join(f"{b}: {money(v, currency, with_code=False)}" for b, v in buckets.items())
            print(f"  {currency}  {cells}")
        for c in report.customers:
            stage = c.stage.label if c.stage else "current"
            print(f"{set_cell_size(clean_line(c.company), 36)} {c.days_overdue:>4}d  {stage:15}  {c.note}")
            for a in c.actions:
                print(f"    due: {_action_text(a)}")
            for a in c.held_back:
                print(f"    held back: {_action_text(a)}")
        verb = "would record" if args.dry_run else "recorded"
        notices = sum(1 for a in report.actions if a.action == "notice")
        print(f"{len(report.actions)} actions due; {verb} {notices if args.dry_run else recorded} notices as sent.")
        others = [a for a in report.actions if a.action != "notice"]
        for a in others:
            print(f"  run: csp-console billing {a.action} {a.customer_id}")
        return APPLIED


def _action_text(a: Any) -> str:
    if a.action == "reactivate":
        return "reactivate: nothing is overdue past the suspension stage any more"
    amount = money(a.amount, a.currency) if a.currency else ""
    return f"{a.stage.replace('_', ' ')} ({a.action}) for {a.receivable_id}, {a.days_overdue} days overdue, {amount}"


# -- suspension ----------------------------------------------------------------------------------------------


def cmd_billing(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _billing(args, db, config))


def _billing(args: argparse.Namespace, db: Path, config: Path) -> int:
    from console.billing.suspension import SuspensionError

    with desk_for(db, config) as desk:
        cid = _customer(desk, args.customer)
        if args.action == "status":
            desk.authorize("billing.view")
            live = desk.ws.live_suspension(cid)
            print(json.dumps(live, ensure_ascii=False, default=str) if args.json else _status_text(live))
            return APPLIED
        if args.action in ("plan", "suspend") and desk.ws.live_suspension(cid) is None:
            plan = desk.billing.suspension_plan(cid)
            _print_plan(plan)
            if args.action == "plan":
                return APPLIED
            if not args.yes:
                print("Nothing was sent. Re-run with --yes to suspend with these consequences.", file=sys.stderr)
                return REFUSED
        elif args.action == "plan":
            print(_status_text(desk.ws.live_suspension(cid)))
            return APPLIED
        try:
            if args.action == "suspend":
                result = desk.billing.suspend(cid)
            else:
                result = desk.billing.reactivate(cid)
        except SuspensionError as exc:
            print(f"csp-console: {exc}", file=sys.stderr)
            return STOPPED if "Run it again" in str(exc) else FAILED
        _print_result(result, "changed" if args.action == "suspend" else "restored")
        return APPLIED


def _print_result(result: Any, verb: str) -> None:
    """What the run did, and every subscription it left alone with the reason (Partner Center's own words
    included, cleaned: they are not ours)."""
    parts = [f"{len(result.done)} subscriptions {verb}"]
    if result.already:
        parts.append(f"{len(result.already)} already so")
    if result.left:
        parts.append(f"{len(result.left)} left as they were (not suspended by this console)")
    if result.blocked:
        parts.append(f"{len(result.blocked)} blocked (an Azure plan with active Azure subscriptions)")
    if result.skipped:
        parts.append(f"{len(result.skipped)} skipped (deleted or expired meanwhile)")
    print(f"{result.state}: " + ", ".join(parts))
    for sub_id, note in result.notes.items():
        print(f"  {sub_id}: {clean_line(note)}")


def _print_plan(plan: Any) -> None:
    print(f"Suspending {clean_line(plan.company)} for non-payment would suspend:")
    for item in plan.items:
        s = item.subscription
        print(f"  {clean_line(s['offerName'])} ({s['id']}), {s['quantity']} seats: {item.consequence}")
    for b in plan.blocked:
        s = b.subscription
        print(f"  NOT suspended: {clean_line(s['offerName'])} ({s['id']}): {clean_line(b.reason)}")
    for s in plan.untouched:
        print(f"  left as it is: {clean_line(s['offerName'])} ({s['status']})")
    print("Consequences:")
    for line in plan.summary:
        print(f"  - {line}")


def _status_text(live: dict[str, Any] | None) -> str:
    if live is None:
        return "no suspension for non-payment"
    lines = [f"suspension {live['id']}: {live['state']} (started {live['startedDate']} by {live['startedBy']})"]
    if live["lastError"]:
        lines.append(f"  last error: {live['lastError']}")
    for i in live["items"]:
        lines.append(f"  {i['state']:18} {clean_line(i['offerName'])} ({i['subscriptionId']})")
        if i.get("note"):
            lines.append(f"  {'':18} {clean_line(i['note'])}")
    return "\n".join(lines)


# -- payments and invoices -----------------------------------------------------------------------------------


def cmd_payment(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _payment(args, db, config))


def _payment(args: argparse.Namespace, db: Path, config: Path) -> int:
    from console.billing.suspension import SuspensionError
    from console.microsoft.credentials import credentials_available

    with desk_for(db, config) as desk:
        cid = _customer(desk, args.customer)
        r = desk.billing.record_payment(cid, args.invoice, args.amount, _day(args.date, "date"))
        outstanding = money(Decimal(r["totalCharges"]) - Decimal(r["paidAmount"] or "0"), r["currencyCode"])
        print(f"{r['id']}: {r['status']} ({outstanding} outstanding)")
        if desk.ws.live_suspension(cid) is None or not desk.billing.reactivation_due(cid):
            return APPLIED
        if args.no_reactivate:
            print(f"Reactivation is now due: csp-console billing reactivate {cid}")
            return APPLIED
        if not credentials_available(desk.config.microsoft):
            print(f"Reactivation is now due; Partner Center is not configured: csp-console billing reactivate {cid}")
            return APPLIED
        try:
            result = desk.billing.reactivate(cid)
        except SuspensionError as exc:
            print(f"csp-console: payment recorded; {exc}", file=sys.stderr)
            return STOPPED
        _print_result(result, "restored")
        return APPLIED


def cmd_invoices(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _invoices(args, db, config))


def _invoices(args: argparse.Namespace, db: Path, config: Path) -> int:
    with desk_for(db, config) as desk:
        invoices = desk.billing.partner_invoices()
        if args.unpaid:
            invoices = [i for i in invoices if i.unpaid > 0]
        if args.json:
            for i in invoices:
                print(
                    json.dumps(
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
                        ensure_ascii=False,
                    )
                )
            return APPLIED
        if not invoices:
            print("No Microsoft invoices synced yet: run csp-console sync.")
        for i in invoices:
            cur = i.row["currencyCode"]
            print(
                f"{i.row['id']}  {i.row['invoiceDate']}  due {i.due.isoformat()}  total "
                f"{money(Decimal(i.row['totalCharges']), cur)}  unpaid {money(i.unpaid, cur)}"
                + (f"  ! {i.warning}" if i.warning else "")
            )
            for w in i.waiting_on:
                print(
                    f"    waiting on {clean_line(w['companyName'])}: {w['id']} "
                    f"{money(w['outstanding'], w['currencyCode'])}, {w['daysOverdue']} days overdue"
                )
        return APPLIED


# -- offers, holidays, time, SLA -----------------------------------------------------------------------------


def cmd_offer(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _offer(args, db, config))


def _offer(args: argparse.Namespace, db: Path, config: Path) -> int:
    with desk_for(db, config) as desk:
        cid = _customer(desk, args.customer)
        if args.action == "statement":
            text = desk.offers.statement(cid, args.format)
            if args.output:
                args.output.write_text(text, encoding="utf-8")
                print(f"Wrote the support offer statement to {args.output}")
            else:
                sys.stdout.write(text)
            return APPLIED
        if args.action == "show":
            desk.authorize("billing.view")
            offer = desk.ws.offer_of(cid)
            print(json.dumps(offer, ensure_ascii=False, indent=2) if offer else "no support offer")
            return APPLIED
        changes: dict[str, str] = {}
        for item in args.fields:
            if "=" not in item:
                raise ValueError(f"expected FIELD=VALUE, got {item!r}")
            key, value = item.split("=", 1)
            changes[key.strip()] = value
        if not changes:
            raise ValueError("name the fields to set, e.g. serviceHours='mon-fri 09:00-18:00'")
        changed = desk.offers.update(cid, changes)
        print(f"offer saved; {changed} open tickets' SLA clocks moved")
        return APPLIED


def cmd_holidays(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _holidays(args, db, config))


def _holidays(args: argparse.Namespace, db: Path, config: Path) -> int:
    with desk_for(db, config) as desk:
        if args.action == "list":
            desk.authorize("billing.view")
            for h in desk.ws.holiday_rows(args.calendar):
                print(f"{h['calendar']}  {h['date']}  {clean_line(h['name'])}")
            return APPLIED
        if not (args.calendar and args.date):
            raise ValueError(f"holidays {args.action} needs CALENDAR and DATE")
        day = _day(args.date, "date")
        assert day is not None
        if args.action == "add":
            if not args.name:
                raise ValueError("holidays add needs a NAME")
            changed = desk.offers.add_holiday(args.calendar, day, args.name)
        else:
            changed = desk.offers.remove_holiday(args.calendar, day)
        print(f"{args.calendar} {day.isoformat()} {args.action}ed; {changed} open tickets' SLA clocks moved")
        return APPLIED


def cmd_time(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _time(args, db, config))


def _time(args: argparse.Namespace, db: Path, config: Path) -> int:
    with desk_for(db, config) as desk:
        ticket = desk.ws.ticket(args.ticket)
        if ticket is None:
            raise LookupError(f"no ticket {args.ticket}")
        if args.action == "list":
            desk.authorize("ticket.view")
            for e in desk.ws.time_entries(ticket["seq"]):
                print(f"{e['workDate']}  {e['agent']:14} {e['minutes']:>4} min  {clean_line(e['note'] or '')}")
            return APPLIED
        if args.minutes is None:
            raise ValueError("time log needs MINUTES")
        charges, balance = desk.billing.log_time(ticket["id"], args.minutes, args.note, _day(args.date, "date"))
        print(f"{args.minutes} minutes logged on {ticket['id']}")
        for c in charges:
            what = f"{c['hours']} h" if c["kind"] == "hours" else "1 incident"
            amount = Decimal(c["amount"])
            print(f"  charged: {what}" + (f", {money(amount, c['currencyCode'])}" if amount else ""))
        if balance is not None and balance.warning:
            print(f"  warning: {balance.warning}")
        return APPLIED


def cmd_sla(args: argparse.Namespace, db: Path, config: Path) -> int:
    return outcome(lambda: _sla(args, db, config))


def _sla(args: argparse.Namespace, db: Path, config: Path) -> int:
    from console.sla import clocks as sla

    with desk_for(db, config) as desk:
        if args.action == "recompute":
            changed, marked = desk.recompute_sla()
            print(f"{changed} open tickets' clocks recomputed; {marked} breaches recorded")
            return APPLIED
        if not args.ticket:
            raise ValueError("sla show needs a TICKET")
        ticket, state = desk.sla_state(args.ticket)
        print(f"{ticket['id']}: {state.policy.describe()} ({state.policy.source})")
        for c in (state.first_response, state.resolution):
            print(f"  {sla.clock_text(c, state.policy)}")
        return APPLIED
