"""The collections policy and what it asks for today.

The policy is a TOML file of dunning stages by days overdue, per-customer holds and payment plans::

    [[stage]]
    days = 1
    name = "reminder"
    action = "notice"          # notice | suspend
    [[stage]]
    days = 45
    name = "suspension"
    action = "suspend"

    [[hold]]
    customer = "adatum-legal.com"   # a customer id or domain
    until = "2026-12-31"
    reason = "Invoice INV-00011-0 disputed; under review"

    [[plan]]
    customer = "tailspintoys.com"
    agreed = "2026-11-01"
    installments = [{ due = "2026-11-30", amount = "500.00" }, { due = "2026-12-31", amount = "500.00" }]

Each customer's stage is the stage of its oldest overdue invoice. The actions due are, per overdue invoice,
the highest stage reached that has not been acted on yet; a hold in force, or a payment plan being kept,
holds them back. A customer suspended for non-payment whose invoices no longer reach a suspension stage is due
a reactivation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from console.billing.account import AGING_BUCKETS, aging_bucket, days_overdue
from console.billing.policy import (
    ACTIONS,
    DEFAULT_POLICY,
    Hold,
    Installment,
    Plan,
    Policy,
    PolicyError,
    Stage,
    load_policy,
    policy_path,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_POLICY",
    "Collections",
    "CustomerStanding",
    "DueAction",
    "Hold",
    "Installment",
    "Plan",
    "PlanStatus",
    "Policy",
    "PolicyError",
    "Stage",
    "assess",
    "load_policy",
    "notice_text",
    "policy_path",
]

# -- assessment --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueAction:
    customer_id: str
    company: str
    receivable_id: str
    stage: str
    action: str  # notice | suspend | reactivate
    days_overdue: int
    amount: Decimal
    currency: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "customerId": self.customer_id,
            "companyName": self.company,
            "receivableId": self.receivable_id,
            "stage": self.stage,
            "action": self.action,
            "daysOverdue": self.days_overdue,
            "outstanding": str(self.amount),
            "currencyCode": self.currency,
        }


@dataclass(frozen=True)
class PlanStatus:
    plan: Plan
    due_so_far: Decimal
    paid_so_far: Decimal
    next_due: Installment | None
    currency: str | None = None  # the customer's outstanding currency (a plan's amounts carry none)

    def amount(self, value: Decimal) -> str:
        """``400.00 USD``, ``40,000 JPY``: the plan's amounts as every amount is shown."""
        from console.shared.money import money

        return money(value, self.currency)

    @property
    def kept(self) -> bool:
        return self.paid_so_far >= self.due_so_far


@dataclass
class CustomerStanding:
    customer_id: str
    company: str
    domain: str
    outstanding: dict[str, dict[str, Decimal]]  # currency -> bucket -> amount
    days_overdue: int  # of the oldest overdue invoice (0: nothing overdue)
    stage: Stage | None
    hold: Hold | None = None
    plan: PlanStatus | None = None
    suspension: Mapping[str, Any] | None = None
    actions: list[DueAction] = field(default_factory=list)
    disputed: list[str] = field(default_factory=list)  # overdue invoices not dunned while disputed
    held_back: list[DueAction] = field(default_factory=list)  # what a hold or a kept plan holds back
    zone: str = "UTC"  # the desk's time zone: the day a suspension started is the desk's

    @property
    def note(self) -> str:
        if self.hold is not None:
            until = f" until {self.hold.until.isoformat()}" if self.hold.until else ""
            return f"on hold{until}: {self.hold.reason}"
        if self.plan is not None:
            p = self.plan
            nxt = f"next {p.amount(p.next_due.amount)} on {p.next_due.due}" if p.next_due else "no installment left"
            if p.due_so_far == 0:
                return f"payment plan agreed {p.plan.agreed}: {nxt}"
            state = "kept" if p.kept else "BROKEN"
            return f"payment plan {state}: {p.amount(p.paid_so_far)} paid of {p.amount(p.due_so_far)} due so far; {nxt}"
        if self.suspension is not None:
            from console.settings.local_time import day

            return f"suspension {self.suspension['state']} since {day(self.suspension['startedDate'], self.zone)}"
        if self.disputed:
            return f"disputed, not dunned: {', '.join(self.disputed)}"
        return ""


@dataclass
class Collections:
    today: date
    policy: Policy
    customers: list[CustomerStanding]
    aging: dict[str, dict[str, Decimal]]  # currency -> bucket -> outstanding

    @property
    def actions(self) -> list[DueAction]:
        return [a for c in self.customers for a in c.actions]

    def as_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "policy": {
                "source": self.policy.source,
                "stages": [{"days": s.days, "name": s.name, "action": s.action} for s in self.policy.stages],
            },
            "aging": {cur: {b: str(v) for b, v in buckets.items()} for cur, buckets in self.aging.items()},
            "customers": [
                {
                    "customerId": c.customer_id,
                    "companyName": c.company,
                    "daysOverdue": c.days_overdue,
                    "stage": c.stage.name if c.stage else None,
                    "outstanding": {cur: {b: str(v) for b, v in bk.items()} for cur, bk in c.outstanding.items()},
                    "note": c.note,
                    "actions": [a.as_dict() for a in c.actions],
                    "heldBack": [a.as_dict() for a in c.held_back],
                }
                for c in self.customers
            ],
        }


def _matches(key: str, customer: Mapping[str, Any]) -> bool:
    return key in (customer["customerId"], customer["domain"])


def assess(
    receivables: Sequence[Mapping[str, Any]],
    customers: Mapping[str, Mapping[str, Any]],
    acted: Sequence[Mapping[str, Any]],
    payments: Mapping[str, Sequence[Mapping[str, Any]]],
    suspensions: Mapping[str, Mapping[str, Any]],
    policy: Policy,
    today: date,
) -> Collections:
    """Each customer's standing and the actions due ``today``.

    ``receivables``: open receivables (with ``companyName``); ``customers``: id -> ``{customerId, domain,
    companyName}`` of every customer to consider; ``acted``: dunning actions already taken; ``payments``:
    customer id -> payments; ``suspensions``: customer id -> its live suspension for non-payment.
    """
    book = _Book(customers, policy, today, {(a["customerId"], a["receivableId"], a["stage"]) for a in acted})
    for r in receivables:
        if r["customerId"] in customers:
            book.receivable(r, suspensions)
    for cid, suspension in suspensions.items():
        if cid in customers:
            book.suspension(cid, suspension)
    for s in book.standings.values():
        _hold_back(s, customers[s.customer_id], payments.get(s.customer_id, ()), policy, today)
    ordered = sorted(book.standings.values(), key=lambda s: (-s.days_overdue, s.company))
    return Collections(today, policy, ordered, book.aging)


@dataclass
class _Book:
    """The standings being worked out by :func:`assess`, customer by customer."""

    customers: Mapping[str, Mapping[str, Any]]
    policy: Policy
    today: date
    done: set[tuple[str, str, str]]
    standings: dict[str, CustomerStanding] = field(default_factory=dict)
    aging: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def standing(self, cid: str) -> CustomerStanding:
        if cid not in self.standings:
            c = self.customers[cid]
            self.standings[cid] = CustomerStanding(cid, c["companyName"], c["domain"], {}, 0, None)
        return self.standings[cid]

    def receivable(self, r: Mapping[str, Any], suspensions: Mapping[str, Mapping[str, Any]]) -> None:
        cid = r["customerId"]
        outstanding = Decimal(r["totalCharges"]) - Decimal(r["paidAmount"] or "0")
        if outstanding <= 0 or r["status"] in ("paid", "written_off"):
            return
        days = days_overdue(r["dueDate"], self.today)
        s = self.standing(cid)
        for totals in (s.outstanding, self.aging):
            per = totals.setdefault(r["currencyCode"], {b: Decimal(0) for b in AGING_BUCKETS})
            per[aging_bucket(days)] += outstanding
        if r["status"] == "disputed":
            if days > 0:
                s.disputed.append(r["id"])  # not dunned while the dispute runs
            return
        stage = self.policy.stage_for(days)
        if stage is None:
            return
        if days > s.days_overdue:
            s.days_overdue, s.stage = days, stage
        stages = self.policy.stages
        if any((cid, r["id"], later.name) in self.done for later in stages[stages.index(stage) :]):
            return
        if stage.action == "suspend" and suspensions.get(cid) is not None:
            return  # already suspended (or being suspended) for non-payment
        s.actions.append(
            DueAction(cid, s.company, r["id"], stage.name, stage.action, days, outstanding, r["currencyCode"])
        )

    def suspension(self, cid: str, suspension: Mapping[str, Any]) -> None:
        s = self.standing(cid)
        s.suspension = suspension
        still = s.stage is not None and any(
            st.action == "suspend" and s.days_overdue >= st.days for st in self.policy.stages
        )
        if suspension["state"] in ("suspended", "reactivating") and not still:
            s.actions.append(DueAction(cid, s.company, "-", "paid", "reactivate", s.days_overdue, Decimal(0), ""))
        elif suspension["state"] == "suspending":
            s.actions.append(
                DueAction(cid, s.company, "-", "suspension", "suspend", s.days_overdue, Decimal(0), "")
            )  # resume an interrupted suspension


def _hold_back(
    s: CustomerStanding,
    customer: Mapping[str, Any],
    payments: Sequence[Mapping[str, Any]],
    policy: Policy,
    today: date,
) -> None:
    """A hold in force, or a payment plan being kept, holds back the customer's actions (not a reactivation)."""
    hold = next(
        (h for h in policy.holds if _matches(h.customer, customer) and (h.until is None or h.until >= today)), None
    )
    plan = next((p for p in policy.plans if _matches(p.customer, customer)), None)
    if plan is not None:
        due_so_far = sum((i.amount for i in plan.installments if i.due <= today), Decimal(0))
        paid = sum(
            (Decimal(p["amount"]) for p in payments if date.fromisoformat(p["paidDate"]) >= plan.agreed), Decimal(0)
        )
        upcoming = next((i for i in plan.installments if i.due > today), None)
        currency = next(iter(s.outstanding), None) if len(s.outstanding) == 1 else None
        s.plan = PlanStatus(plan, due_so_far, paid, upcoming, currency)
    s.hold = hold
    if hold is not None or (s.plan is not None and s.plan.kept):
        keep = [a for a in s.actions if a.action == "reactivate"]
        s.held_back = [a for a in s.actions if a.action != "reactivate"]
        s.actions = keep


def notice_text(action: DueAction, receivable: Mapping[str, Any], partner: Any) -> str:
    """A dunning notice to send to the customer's billing contact, in Markdown."""
    from console.shared.money import money

    amount = money(action.amount, action.currency)
    heading = {
        "reminder": "Payment reminder",
        "second_reminder": "Second payment reminder",
        "final_notice": "Final notice before suspension",
    }.get(action.stage, action.stage.replace("_", " ").capitalize())
    lines = [
        f"# {heading}",
        "",
        f"To: {action.company}",
        f"From: {partner.name or 'your Microsoft cloud partner'}",
        "",
        f"Invoice {action.receivable_id}, due {receivable['dueDate']}, has {amount} outstanding "
        f"({action.days_overdue} days overdue).",
        "",
        "Please pay the amount outstanding, or contact us if you believe it is not owed.",
    ]
    if action.stage == "final_notice" or action.action == "suspend":
        lines += [
            "",
            "If it stays unpaid, access to your Microsoft cloud subscriptions will be suspended for non-payment.",
        ]
    contact = " or ".join(x for x in (partner.support_email, partner.support_phone) if x)
    if contact:
        lines += ["", f"Questions: {contact}"]
    return "\n".join(lines) + "\n"
