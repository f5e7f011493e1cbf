"""The demo workspace: a deterministic, realistic CSP desk (same seed and clock, same data).

``generate`` writes customers of all three services (direct and indirect, Japanese among them),
subscriptions in every status, overdue receivables at every dunning stage, several kinds of support offer,
agents, and tickets in every category, severity, service and status, hostile text included. The rows are built
in ``accounts``, ``invoices``, ``charges`` and ``tickets``, from one random stream in a fixed order; this module
writes them (the invoices last: their prorated lines follow what the tickets ask).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from console.demo import accounts, charges, content, invoices
from console.demo import tickets as ticket_rows
from console.demo.accounts import Customer
from console.health.board import backfill_samples
from console.records.kinds import (
    CUSTOMERS,
    OFFERS,
    RECEIVABLE_LINES,
    RECEIVABLES,
    SUBSCRIPTIONS,
    Kind,
)
from console.settings.config import Config
from console.sla import clocks as sla
from console.store import Workspace

ProgressFn = Callable[[int], None]
#: Customer id -> offer name -> seats added, as the customer's tickets about a prorated charge say.
Asks = dict[str, dict[str, int]]
CHUNK = 5000


def generate(
    ws: Workspace,
    *,
    tickets: int = 2000,
    seed: int = 1,
    now: datetime,
    progress: ProgressFn | None = None,
    extra_admins: tuple[str, ...] = (),
    config: Config | None = None,
    policy: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Write the demo into the (empty) workspace ``ws`` in one transaction; return rows per kind.

    ``policy``: the desk's rules to write first (:data:`console.settings.demo_config.DEMO_POLICY` for the demo
    desk); the tickets' SLA clocks count in each customer's business hours under its SLA defaults."""
    from console.desk.policy import applied, read_policy, seed_policy

    if ws.records.counts()["customers"]:
        raise ValueError(f"{ws.location}: the workspace is not empty")
    if policy:
        seed_policy(ws, policy, "demo")
    config = applied(config or Config(), read_policy(ws))
    rng = random.Random(seed)
    customer_count = max(len(content.CUSTOMERS), tickets // 200)
    with ws.bulk_load():
        customers, billing = _write_accounts(ws, rng, customer_count, now)
        _write_agents(ws, extra_admins)
        offers, calendars = ws.accounts.offers_and_holidays()
        policies = {
            c.id: sla.policy_for(offers.get(c.id), _holidays(offers.get(c.id), calendars), config) for c in customers
        }
        asks = _write_tickets(ws, rng, customers, tickets, now, progress, policies)
        _write_bills(ws, billing, asks, now)
    backfill_samples(ws, now)  # the health board's trends start with a day of history
    ws.analyze()
    return ws.records.counts()


def _holidays(offer: dict[str, Any] | None, calendars: dict[str, list[date]]) -> list[date]:
    """The holidays of the calendar a customer's support offer names (none without an offer or a calendar)."""
    name = (offer or {}).get("holidayCalendar")
    return calendars.get(name, []) if name is not None else []


def _write_agents(ws: Workspace, extra_admins: tuple[str, ...]) -> None:
    """The demo desk's agents, and whoever runs the demo as a Global admin (so it can be used at once)."""
    agents = list(content.AGENTS)
    known = {login for login, _, _ in agents}
    agents += [(login, login, ("global_admin",)) for login in extra_admins if login not in known]
    ws.records.bulk_insert(
        "agents",
        ["login", "displayName", "email"],
        [(login, name, f"{login}@sakura-cloud.example") for login, name, _ in agents],
    )
    ws.records.bulk_insert(
        "agent_roles", ["login", "role"], [(login, role) for login, _, roles in agents for role in roles]
    )


def _write_accounts(ws: Workspace, rng: random.Random, count: int, now: datetime) -> tuple[list[Customer], _Billing]:
    customers: list[Customer] = []
    customer_rows: list[dict[str, Any]] = []
    sub_rows: list[dict[str, Any]] = []
    recv_rows: list[dict[str, Any]] = []
    offer_rows: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}
    for index, spec in enumerate(accounts.customer_specs(count, rng)):
        name, _, _, country, _, services, offer_kind = spec
        cid = accounts.new_uuid(rng)
        customer_rows.append(accounts.customer_row(cid, spec, index))
        customer = Customer(cid, name, country, services, country == "JP", [])
        for service in services:
            sub_rows.extend(accounts.subscriptions(rng, customer, service, now, index))
        recv_rows.extend(invoices.receivables(rng, customer, now, index))
        index_of[cid] = index
        offer_rows.append(accounts.offer(customer, offer_kind, index))
        customers.append(customer)
    for kind, rows in ((CUSTOMERS, customer_rows), (SUBSCRIPTIONS, sub_rows), (OFFERS, offer_rows)):
        _insert(ws, kind, rows)
    ws.records.bulk_insert(
        "holidays", ["id", "calendar", "date", "name"], [(f"jp/{d}", "jp", d, n) for d, n in content.HOLIDAYS_JP]
    )
    for sub in sub_rows:
        if sub["offerName"] == "Azure plan" and sub["parentSubscriptionId"] is None:
            ws.microsoft.save_azure_entitlements(
                sub["customerId"], sub["id"], accounts.entitlements(sub, index_of[sub["customerId"]])
            )
    return customers, _Billing(recv_rows, sub_rows, index_of)


def _insert(ws: Workspace, kind: Kind, rows: list[dict[str, Any]]) -> None:
    ws.records.bulk_insert(kind.table, kind.field_names, ([r.get(c) for c in kind.field_names] for r in rows))


@dataclass
class _Billing:
    """What the invoices are made from, kept until the tickets say which customers ask about proration."""

    receivables: list[dict[str, Any]]
    subscriptions: list[dict[str, Any]]
    index_of: dict[str, int]


def _write_bills(ws: Workspace, billing: _Billing, asks: Asks, now: datetime) -> None:
    """The customers' invoices, each the sum of its lines, and the partner's Microsoft invoices re-billed."""
    subs_of: dict[str, list[dict[str, Any]]] = {}
    for sub in billing.subscriptions:
        subs_of.setdefault(sub["customerId"], []).append(sub)
    line_rows: list[dict[str, Any]] = []
    for r in billing.receivables:
        cid = r["customerId"]
        lines = charges.invoice_lines(r, subs_of.get(cid, []), asks.get(cid, {}), billing.index_of[cid])
        invoices.settle(r, lines)
        line_rows += lines
    _insert(ws, RECEIVABLES, billing.receivables)
    _insert(ws, RECEIVABLE_LINES, line_rows)
    ws.billing.save_partner_invoices(invoices.partner_invoices(billing.receivables, now))


def _write_tickets(
    ws: Workspace,
    rng: random.Random,
    customers: list[Customer],
    count: int,
    now: datetime,
    progress: ProgressFn | None,
    policies: dict[str, sla.SlaPolicy],
) -> Asks:
    """Write the tickets; return what those asking about a prorated charge say was added: customer -> offer ->
    seats (the first such ticket's, by number)."""
    asks: Asks = {}
    spread = ticket_rows.Spread.of(count, now, policies)
    rows: list[list[Any]] = []
    index_rows: list[tuple[int, str, str, str]] = []
    timeline_rows: list[tuple[Any, ...]] = []

    def flush() -> None:
        nonlocal rows, index_rows, timeline_rows
        ws.records.bulk_insert("tickets", ticket_rows.COLUMNS, rows)
        ws.records.bulk_insert("timeline", ticket_rows.TIMELINE_COLUMNS, timeline_rows)
        ws.tickets.bulk_index(index_rows)
        if progress is not None:
            progress(len(rows))
        rows, index_rows, timeline_rows = [], [], []

    for seq in range(1, count + 1):
        made = ticket_rows.ticket(rng, seq, customers, spread)
        rows.append(made.row)
        timeline_rows.extend(made.timeline)
        index_rows.append(made.index)
        if made.proration is not None:
            offer, seats = made.proration
            asks.setdefault(made.customer_id, {}).setdefault(offer, seats)
        if len(rows) >= CHUNK:
            flush()
    flush()
    return asks
