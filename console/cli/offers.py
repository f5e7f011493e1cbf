"""Support offers, holidays, time and SLA clocks from the command line: ``offer``, ``holidays``, ``time`` and
``sla``. They act as the current agent through the same desk as the console (same role checks and audit).
Exit status: 0 done, 1 failed (bad input, unknown customer, ticket or calendar), 2 a value of the wrong form,
3 refused (role)."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path

from console.cli.desk import APPLIED, desk_for, outcome
from console.cli.options import day, positive_int, ticket_argument
from console.cli.output import out, out_json
from console.settings.paths import WorkspaceAt
from console.shared.money import money
from console.shared.private_files import write_file
from console.shared.safe_text import clean_line


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    off = sub.add_parser("offer", parents=[common], help="a customer's support offer: show, set, statement")
    off.add_argument("action", choices=("show", "set", "statement"))
    off.add_argument("customer", metavar="CUSTOMER", help="customer id or domain")
    off.add_argument("fields", nargs="*", metavar="FIELD=VALUE", help="set: fields as in docs/import-format.md")
    off.add_argument("--format", choices=("md", "html"), default="md", help="statement: Markdown or HTML")
    off.add_argument("--output", "-o", type=Path, help="statement: write to this file (default: standard output)")

    hol = sub.add_parser("holidays", parents=[common], help="holiday calendars: list, add, remove")
    hol.add_argument("action", choices=("list", "add", "remove"))
    hol.add_argument("calendar", nargs="?", metavar="CALENDAR")
    hol.add_argument("date", nargs="?", type=day, metavar="DATE", help="YYYY-MM-DD")
    hol.add_argument("name", nargs="?", metavar="NAME")
    hol.add_argument("--new-calendar", action="store_true", help="add: start a calendar of this name")

    tim = sub.add_parser("time", parents=[common], help="log time on a ticket (charged to the support offer)")
    tim.add_argument("action", choices=("log", "list"))
    tim.add_argument("ticket", metavar="TICKET", type=ticket_argument)
    tim.add_argument("minutes", nargs="?", type=positive_int, metavar="MINUTES")
    tim.add_argument("--note", default="")
    tim.add_argument("--date", type=day, help="the day worked, YYYY-MM-DD (default: today)")

    sla = sub.add_parser("sla", parents=[common], help="SLA clocks: recompute after changing offers or holidays")
    sla.add_argument("action", choices=("recompute", "show"))
    sla.add_argument("ticket", nargs="?", metavar="TICKET", type=ticket_argument)


# -- offers, holidays, time, SLA -----------------------------------------------------------------------------


def cmd_offer(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _offer(args, db, config))


def _offer(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    with desk_for(db, config) as desk:
        cid = desk.find_customer(args.customer)
        if args.action == "statement":
            text = desk.offers.statement(cid, args.format)
            if args.output:
                write_file(args.output, text)
                out(f"Wrote the support offer statement to {args.output}")
            else:
                out(text, end="")
            return APPLIED
        if args.action == "show":
            offer = desk.offers.offer(cid)
            if offer:
                out_json(offer, indent=2)
            else:
                out("no support offer")
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
        out(f"offer saved; {changed} open tickets' SLA clocks moved")
        return APPLIED


def cmd_holidays(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _holidays(args, db, config))


def _holidays(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    with desk_for(db, config) as desk:
        known = sorted({h["calendar"] for h in desk.offers.holidays()})
        new = args.action == "add" and args.new_calendar
        if args.calendar and args.calendar not in known and not new:
            more = "; holidays add --new-calendar starts one" if args.action == "add" else ""
            raise LookupError(
                f"no holiday calendar {clean_line(args.calendar, 60)!r}; the calendars are "
                f"{', '.join(known) or '(none)'}{more}"
            )
        if args.action == "list":
            holidays = desk.offers.holidays(args.calendar)
            for h in holidays:
                out(f"{h['calendar']}  {h['date']}  {clean_line(h['name'])}")
            if not holidays:
                out("no holidays")
            return APPLIED
        if not (args.calendar and args.date):
            raise ValueError(f"holidays {args.action} needs CALENDAR and DATE")
        if args.action == "add":
            if not args.name:
                raise ValueError("holidays add needs a NAME")
            changed = desk.offers.add_holiday(args.calendar, args.date, args.name)
        else:
            changed = desk.offers.remove_holiday(args.calendar, args.date)
        out(f"{args.calendar} {args.date.isoformat()} {args.action}ed; {changed} open tickets' SLA clocks moved")
        return APPLIED


def cmd_time(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _time(args, db, config))


def _time(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    with desk_for(db, config) as desk:
        ticket = desk.ticket(args.ticket)
        if args.action == "list":
            for e in desk.billing.time_entries(ticket):
                out(f"{e['workDate']}  {e['agent']:14} {e['minutes']:>4} min  {clean_line(e['note'] or '')}")
            return APPLIED
        if args.minutes is None:
            raise ValueError("time log needs MINUTES")
        charges, balance = desk.billing.log_time(ticket["id"], args.minutes, args.note, args.date)
        out(f"{args.minutes} minutes logged on {ticket['id']}")
        for c in charges:
            what = f"{c['hours']} h" if c["kind"] == "hours" else "1 incident"
            amount = Decimal(c["amount"])
            out(f"  charged: {what}" + (f", {money(amount, c['currencyCode'])}" if amount else ""))
        if balance is not None and balance.warning:
            out(f"  warning: {balance.warning}")
        return APPLIED


def cmd_sla(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    return outcome(lambda: _sla(args, db, config))


def _sla(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.sla import clocks as sla
    from console.tickets.queue_query import QueueQuery

    with desk_for(db, config) as desk:
        if args.action == "recompute":
            changed, marked = desk.recompute_sla()
            recomputed = desk.reads.queue_count(QueueQuery())  # the open tickets: every one was recomputed
            out(
                f"clocks recomputed on {recomputed} open tickets: {changed} moved, {max(recomputed - changed, 0)} "
                f"unchanged; {marked} breaches recorded"
            )
            return APPLIED
        if not args.ticket:
            raise ValueError("sla show needs a TICKET")
        ticket, state = desk.sla_state(args.ticket)
        out(f"{ticket['id']}: {state.policy.describe()} ({state.policy.source})")
        for c in (state.first_response, state.resolution):
            out(f"  {sla.clock_text(c, state.policy, desk.config.time_zone)}")
        return APPLIED
