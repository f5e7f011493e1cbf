"""The account view of a customer: offer, subscriptions with their cancellation windows, receivables aged
into buckets with their dunning stage, open tickets and Microsoft cases, and opportunities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from console.billing.questions import BillExplanation, explain_bill
from console.microsoft.gdap import GdapLine, customer_gdap
from console.plugin_api import (
    DUNNING_STAGES,
    CustomerView,
    Finding,
    OfferView,
    ReceivableView,
    SubscriptionView,
    dunning_stage,
    nce_window_left,
)
from console.shared.safe_text import clean_line
from console.sla.service_hours import describe, parse_service_hours
from console.store import Workspace

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def desk_day(now: datetime, zone: str) -> date:
    """The desk's calendar day at ``now`` (its ``time_zone``): the day every overdue count is counted in."""
    return now.astimezone(ZoneInfo(zone)).date()


def days_overdue(due: date | str, today: date) -> int:
    """Days an invoice due on ``due`` is overdue on the desk's day ``today`` (0 or less: not yet due): the one
    count of the account view, the collections and the board (two screens said 16 and 17 days of one
    invoice: one counted in UTC's day, the other in the desk's)."""
    return (today - (date.fromisoformat(due) if isinstance(due, str) else due)).days


def aging_bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


@dataclass(frozen=True)
class ReceivableLine:
    receivable: ReceivableView
    days_overdue: int
    bucket: str
    stage: str | None


@dataclass
class Account:
    customer: CustomerView
    offer: OfferView | None
    subscriptions: list[tuple[SubscriptionView, float | None]]  # with hours left in the NCE window
    receivables: list[ReceivableLine]
    aging: dict[str, dict[str, Decimal]]  # currency -> bucket -> outstanding
    open_tickets: list[dict[str, Any]]  # the most urgent first, up to 1,000
    cases: list[dict[str, Any]]
    open_count: int = 0  # all the customer's open tickets (more than listed only past 1,000)
    service_requests: list[dict[str, Any]] = field(default_factory=list)  # synced from Partner Center
    opportunities: list[tuple[str, Finding]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    bills: list[BillExplanation] = field(default_factory=list)  # "why is my bill this amount": lines explained
    balance: Any = None  # the offer's prepaid balance and usage (console.billing.desk.OfferBalance)
    suspension: dict[str, Any] | None = None  # a live suspension for non-payment
    refunds: list[str] = field(default_factory=list)  # seats still refundable, and until when
    gdap: list[GdapLine] = field(default_factory=list)  # the partner's GDAP relationships with the customer
    gdap_known: bool = False  # whether they were ever read from Microsoft Graph (csp-console gdap sync)

    @property
    def hours_text(self) -> str:
        if self.offer is None:
            return ""
        return describe(parse_service_hours(self.offer.service_hours))


def load_account(
    ws: Workspace,
    customer_id: str,
    now: datetime,
    stages: tuple[tuple[int, str], ...] = DUNNING_STAGES,
    *,
    zone: str = "UTC",
) -> Account:
    """The account view of ``customer_id`` at ``now``, its receivables aged in the desk's day (``zone``)."""
    rows = ws.accounts.account_rows(customer_id)
    if rows is None:
        raise LookupError(f"no customer {customer_id}")
    subs = [SubscriptionView.from_row(r) for r in rows["subscriptions"]]
    windows = []
    for sub in subs:
        left = nce_window_left(sub, now)
        windows.append((sub, left.total_seconds() / 3600 if left is not None else None))
    today = desk_day(now, zone)
    lines = []
    aging: dict[str, dict[str, Decimal]] = {}
    for row in rows["receivables"]:
        r = ReceivableView.from_row(row)
        days = days_overdue(r.due_date, today) if r.status not in ("paid", "written_off") and r.outstanding > 0 else 0
        bucket = aging_bucket(days)
        lines.append(ReceivableLine(r, days, bucket, dunning_stage(days, stages) if r.status != "disputed" else None))
        if r.outstanding > 0 and r.status not in ("paid", "written_off"):
            per = aging.setdefault(r.currency, {b: Decimal(0) for b in AGING_BUCKETS})
            per[bucket] += r.outstanding
    return Account(
        customer=CustomerView.from_row(rows["customer"]),
        offer=OfferView.from_row(rows["offer"]) if rows["offer"] else None,
        subscriptions=windows,
        receivables=lines,
        aging=aging,
        open_tickets=ws.tickets.open_tickets_of(customer_id),
        open_count=ws.tickets.open_count_of(customer_id),
        cases=ws.escalations.escalations_of(customer_id),
        service_requests=ws.microsoft.service_requests_of(customer_id),
        bills=_bills(ws, rows["receivables"]),
        suspension=ws.suspensions.live_suspension(customer_id),
        refunds=refundable_lines(subs, now),
        **_gdap(ws, customer_id, now),
    )


def refundable_lines(subs: list[SubscriptionView], now: datetime) -> list[str]:
    """What can still be reduced with a refund, and until when (Partner Center's ``refundableQuantity``
    details), one line per subscription with seats whose window is still open."""
    out = []
    for sub in subs:
        open_ = [(quantity, until) for quantity, until in sub.refundable if until > now and quantity > 0]
        if open_:
            windows = ", ".join(f"{q} seats until {until:%Y-%m-%d %H:%M} UTC" for q, until in open_)
            out.append(f"Refundable: {clean_line(sub.offer_name, 60)}: {windows}")
    return out


def _gdap(ws: Workspace, customer_id: str, now: datetime) -> dict[str, Any]:
    lines, known = customer_gdap(ws, customer_id, now)
    return {"gdap": lines, "gdap_known": known}


def _bills(ws: Workspace, receivables: list[dict[str, Any]]) -> list[BillExplanation]:
    """The customer's invoices, newest first, each with its lines explained."""
    newest = sorted(receivables, key=lambda r: r["invoiceDate"], reverse=True)
    lines = ws.billing.receivable_lines([r["id"] for r in newest])
    return [explain_bill(r, lines[r["id"]]) for r in newest]
