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

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from console.billing.account import AGING_BUCKETS, aging_bucket
from console.plugin_api import DUNNING_STAGES
from console.settings.config import ConfigError
from console.settings.toml_lines import line_of
from console.shared.errors import UserError

ACTIONS = ("notice", "suspend")


class PolicyError(ConfigError, UserError, ValueError):
    """A collections policy that cannot be used; the message names the file, line and field."""


@dataclass(frozen=True)
class Stage:
    days: int
    name: str
    action: str  # notice | suspend

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


@dataclass(frozen=True)
class Hold:
    customer: str
    until: date | None
    reason: str


@dataclass(frozen=True)
class Installment:
    due: date
    amount: Decimal


@dataclass(frozen=True)
class Plan:
    customer: str
    agreed: date
    installments: tuple[Installment, ...]


@dataclass(frozen=True)
class Policy:
    stages: tuple[Stage, ...]
    holds: tuple[Hold, ...] = ()
    plans: tuple[Plan, ...] = ()
    source: str = "default policy"

    def stage_for(self, days_overdue: int) -> Stage | None:
        reached = [s for s in self.stages if days_overdue >= s.days]
        return reached[-1] if reached else None

    @property
    def thresholds(self) -> tuple[tuple[int, str], ...]:
        return tuple((s.days, s.name) for s in self.stages)


#: Without a policy file: the plugin API's default stages, suspension allowed from 60 days overdue.
DEFAULT_POLICY = Policy(
    stages=tuple(Stage(days, name, "suspend" if name == "suspension" else "notice") for days, name in DUNNING_STAGES)
)


def _line_of(text: str, table: str, index: int, key: str | None) -> int | None:
    """The line of ``key`` in the ``index``-th ``[[table]]`` of ``text`` (or of the header), best effort."""
    return line_of(text, f"{table}.{index}" + (f".{key}" if key is not None else ""))


def load_policy(path: Path | None) -> Policy:
    """Read the policy at ``path``; the default policy when ``path`` is ``None``. Raises :class:`PolicyError`."""
    if path is None:
        return DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: no collections policy here (write one, or remove [collections] policy)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: {exc}") from None
    unknown = set(data) - {"stage", "hold", "plan"}
    if unknown:
        raise PolicyError(f"{path}: unknown table {sorted(unknown)[0]!r}; expected [[stage]], [[hold]], [[plan]]")

    def fail(table: str, index: int, key: str | None, message: str) -> PolicyError:
        line = _line_of(text, table, index, key)
        where = f"{path}:{line}" if line else str(path)
        return PolicyError(f"{where}: {table} {index + 1}{'.' + key if key else ''}: {message}")

    def get(table: str, index: int, entry: Mapping[str, Any], key: str, kind: type, required: bool = True) -> Any:
        if key not in entry:
            if required:
                raise fail(table, index, None, f"'{key}' is required")
            return None
        value = entry[key]
        if kind is date:
            if isinstance(value, date):
                return value
            try:
                return date.fromisoformat(str(value))
            except ValueError:
                raise fail(table, index, key, f"expected a date YYYY-MM-DD, got {value!r}") from None
        if kind is Decimal:
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                raise fail(table, index, key, f"expected an amount, got {value!r}") from None
            if not amount.is_finite() or amount <= 0:
                raise fail(table, index, key, f"expected an amount above 0, got {value!r}")
            return amount
        if not isinstance(value, kind) or isinstance(value, bool):
            raise fail(table, index, key, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def check_keys(table: str, index: int, entry: Any, allowed: set[str]) -> Mapping[str, Any]:
        if not isinstance(entry, dict):
            raise fail(table, index, None, f"expected a table [[{table}]]")
        extra = set(entry) - allowed
        if extra:
            key = sorted(extra)[0]
            raise fail(table, index, key, f"unknown key; expected {', '.join(sorted(allowed))}")
        return entry

    stages: list[Stage] = []
    for i, entry in enumerate(data.get("stage", [])):
        entry = check_keys("stage", i, entry, {"days", "name", "action"})
        days = get("stage", i, entry, "days", int)
        name = get("stage", i, entry, "name", str).strip()
        action = get("stage", i, entry, "action", str)
        if days < 1:
            raise fail("stage", i, "days", f"a stage starts at 1 day overdue or later, got {days}")
        if not name:
            raise fail("stage", i, "name", "a stage needs a name")
        if action not in ACTIONS:
            raise fail("stage", i, "action", f"unknown action {action!r}; expected {' or '.join(ACTIONS)}")
        if stages and days <= stages[-1].days:
            raise fail(
                "stage", i, "days", f"stages must be in increasing days overdue ({days} after {stages[-1].days})"
            )
        if any(s.name == name for s in stages):
            raise fail("stage", i, "name", f"stage {name!r} appears twice")
        stages.append(Stage(days, name, action))
    holds = []
    for i, entry in enumerate(data.get("hold", [])):
        entry = check_keys("hold", i, entry, {"customer", "until", "reason"})
        holds.append(
            Hold(
                get("hold", i, entry, "customer", str),
                get("hold", i, entry, "until", date, required=False),
                get("hold", i, entry, "reason", str),
            )
        )
    plans = []
    for i, entry in enumerate(data.get("plan", [])):
        entry = check_keys("plan", i, entry, {"customer", "agreed", "installments"})
        raw = get("plan", i, entry, "installments", list)
        installments = []
        for n, item in enumerate(raw):
            if not isinstance(item, dict) or set(item) != {"due", "amount"}:
                raise fail("plan", i, "installments", f"installment {n + 1}: expected {{ due = ..., amount = ... }}")
            installments.append(Installment(get("plan", i, item, "due", date), get("plan", i, item, "amount", Decimal)))
        if not installments:
            raise fail("plan", i, "installments", "a payment plan needs at least one installment")
        plans.append(
            Plan(
                get("plan", i, entry, "customer", str),
                get("plan", i, entry, "agreed", date),
                tuple(sorted(installments, key=lambda x: x.due)),
            )
        )
    if not stages:
        raise PolicyError(f"{path}: the policy has no [[stage]]; at least one dunning stage is needed")
    return Policy(tuple(stages), tuple(holds), tuple(plans), str(path))


def policy_path(config_path: Path | None, configured: str) -> Path | None:
    """Where the configured policy file is: relative paths are beside the config file."""
    if not configured:
        return None
    path = Path(configured).expanduser()
    if not path.is_absolute() and config_path is not None:
        path = config_path.parent / path
    return path


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

    @property
    def note(self) -> str:
        if self.hold is not None:
            until = f" until {self.hold.until.isoformat()}" if self.hold.until else ""
            return f"on hold{until}: {self.hold.reason}"
        if self.plan is not None:
            p = self.plan
            nxt = f"next {p.next_due.amount} on {p.next_due.due}" if p.next_due else "no installment left"
            if p.due_so_far == 0:
                return f"payment plan agreed {p.plan.agreed}: {nxt}"
            state = "kept" if p.kept else "BROKEN"
            return f"payment plan {state}: {p.paid_so_far} paid of {p.due_so_far} due so far; {nxt}"
        if self.suspension is not None:
            return f"suspension {self.suspension['state']} since {self.suspension['startedDate'][:10]}"
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
    done = {(a["customerId"], a["receivableId"], a["stage"]) for a in acted}
    rank = {s.name: n for n, s in enumerate(policy.stages)}
    standings: dict[str, CustomerStanding] = {}
    aging: dict[str, dict[str, Decimal]] = {}

    def standing(cid: str) -> CustomerStanding:
        if cid not in standings:
            c = customers[cid]
            standings[cid] = CustomerStanding(cid, c["companyName"], c["domain"], {}, 0, None)
        return standings[cid]

    for r in receivables:
        cid = r["customerId"]
        if cid not in customers:
            continue
        outstanding = Decimal(r["totalCharges"]) - Decimal(r["paidAmount"] or "0")
        if outstanding <= 0 or r["status"] in ("paid", "written_off"):
            continue
        days = (today - date.fromisoformat(r["dueDate"])).days
        bucket = aging_bucket(days)
        s = standing(cid)
        per = s.outstanding.setdefault(r["currencyCode"], {b: Decimal(0) for b in AGING_BUCKETS})
        per[bucket] += outstanding
        total = aging.setdefault(r["currencyCode"], {b: Decimal(0) for b in AGING_BUCKETS})
        total[bucket] += outstanding
        if r["status"] == "disputed":
            if days > 0:
                s.disputed.append(r["id"])  # not dunned while the dispute runs
            continue
        stage = policy.stage_for(days)
        if stage is None:
            continue
        if days > s.days_overdue:
            s.days_overdue, s.stage = days, stage
        if any((cid, r["id"], later.name) in done for later in policy.stages[rank[stage.name] :]):
            continue
        if stage.action == "suspend" and suspensions.get(cid) is not None:
            continue  # already suspended (or being suspended) for non-payment
        s.actions.append(
            DueAction(cid, s.company, r["id"], stage.name, stage.action, days, outstanding, r["currencyCode"])
        )

    for cid, suspension in suspensions.items():
        if cid not in customers:
            continue
        s = standing(cid)
        s.suspension = suspension
        still = s.stage is not None and any(
            st.action == "suspend" and s.days_overdue >= st.days for st in policy.stages
        )
        if suspension["state"] in ("suspended", "reactivating") and not still:
            s.actions.append(DueAction(cid, s.company, "-", "paid", "reactivate", s.days_overdue, Decimal(0), ""))
        elif suspension["state"] == "suspending":
            s.actions.append(
                DueAction(cid, s.company, "-", "suspension", "suspend", s.days_overdue, Decimal(0), "")
            )  # resume an interrupted suspension

    for s in standings.values():
        cust = customers[s.customer_id]
        hold = next(
            (h for h in policy.holds if _matches(h.customer, cust) and (h.until is None or h.until >= today)), None
        )
        plan = next((p for p in policy.plans if _matches(p.customer, cust)), None)
        if plan is not None:
            due_so_far = sum((i.amount for i in plan.installments if i.due <= today), Decimal(0))
            paid = sum(
                (
                    Decimal(p["amount"])
                    for p in payments.get(s.customer_id, ())
                    if date.fromisoformat(p["paidDate"]) >= plan.agreed
                ),
                Decimal(0),
            )
            s.plan = PlanStatus(plan, due_so_far, paid, next((i for i in plan.installments if i.due > today), None))
        s.hold = hold
        if hold is not None or (s.plan is not None and s.plan.kept):
            keep = [a for a in s.actions if a.action == "reactivate"]
            s.held_back = [a for a in s.actions if a.action != "reactivate"]
            s.actions = keep
    ordered = sorted(standings.values(), key=lambda s: (-s.days_overdue, s.company))
    return Collections(today, policy, ordered, aging)


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
