"""What suspending a customer for non-payment would do, before anything is sent: every active subscription
to suspend (add-ons before their base), each with its consequence (NCE keeps billing the partner, legacy data is
deleted after 90 days), and the Azure plans Partner Center will not suspend while their Azure subscriptions are
active (403, code 900115). console/billing/suspension.py carries the plan out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from console.shared.clock import parse_iso

#: Legacy (non-NCE) subscriptions: data is deleted unless reactivated within this many days.
LEGACY_DATA_DAYS = 90

AZURE_PLAN_GUIDANCE = (
    "Partner Center refuses to suspend an Azure plan while Azure subscriptions under it are active (403, code "
    "900115). To stop the customer's Azure usage, cancel those Azure subscriptions first (Partner Center: the "
    "customer, the Azure plan, each Azure subscription, Cancel), then suspend the plan; cancelled Azure "
    "subscriptions can be reactivated through Partner Center. A spending budget only alerts: it does not stop "
    "usage, which keeps being billed to the partner."
)


@dataclass(frozen=True)
class PlannedItem:
    subscription: Mapping[str, Any]
    consequence: str

    def as_item(self) -> dict[str, Any]:
        s = self.subscription
        return {
            "subscriptionId": s["id"],
            "offerName": s["offerName"],
            "parentSubscriptionId": s["parentSubscriptionId"],
            "commerceType": s["commerceType"],
            "priorStatus": s["status"],  # replaced by what Partner Center has when the subscription is read
            "priorAutoRenew": s["autoRenewEnabled"],
        }


@dataclass(frozen=True)
class BlockedItem:
    """An Azure plan that Partner Center will not suspend: its active Azure subscriptions, and why."""

    subscription: Mapping[str, Any]
    azure_subscriptions: list[Mapping[str, Any]]

    @property
    def reason(self) -> str:
        names = ", ".join(
            f"{a.get('friendlyName') or 'Azure subscription'} ({a['azureSubscriptionId']})"
            for a in self.azure_subscriptions
        )
        return f"not suspended: its Azure subscriptions {names} are active (Partner Center: 403, code 900115)"

    @property
    def explanation(self) -> str:
        return f"{self.reason}. {AZURE_PLAN_GUIDANCE}"

    def as_item(self) -> dict[str, Any]:
        return {**PlannedItem(self.subscription, "").as_item(), "state": "blocked", "note": self.explanation}


@dataclass(frozen=True)
class SuspensionPlan:
    customer_id: str
    company: str
    items: list[PlannedItem]
    untouched: list[Mapping[str, Any]]  # subscriptions not active: left as they are
    summary: list[str]  # the consequences, stated once for the whole customer
    blocked: list[BlockedItem] = field(default_factory=list)  # Azure plans Partner Center will not suspend


def plan(
    customer: Mapping[str, Any],
    subscriptions: Sequence[Mapping[str, Any]],
    now: datetime,
    azure_subscriptions: Sequence[Mapping[str, Any]] = (),
) -> SuspensionPlan:
    """What suspending ``customer`` for non-payment would do, with the consequences spelled out.

    ``azure_subscriptions``: the customer's Azure subscriptions (``Workspace.azure_entitlements`` rows, with
    ``planSubscriptionId`` and ``status``): an Azure plan with an active one cannot be suspended."""
    active = [s for s in subscriptions if s["status"] == "active"]
    by_id = {s["id"]: s for s in subscriptions}
    under: dict[str, list[Mapping[str, Any]]] = {}
    for a in azure_subscriptions:
        if a.get("status") == "active":
            under.setdefault(a["planSubscriptionId"], []).append(a)
    blocked = [BlockedItem(s, under[s["id"]]) for s in active if s["id"] in under]
    movable = [s for s in active if s["id"] not in under]
    addons = [s for s in movable if s["parentSubscriptionId"]]
    bases = [s for s in movable if not s["parentSubscriptionId"]]
    items = []
    for sub in addons + bases:  # add-ons first: each goes with its base, and comes back after it
        items.append(PlannedItem(sub, _consequence(sub, by_id, now)))
    summary = [
        "Users lose access to the suspended subscriptions' services until they are reactivated.",
    ]
    if any(s["commerceType"] != "legacy" and s["billingType"] != "usage" for s in movable):
        summary.append(
            "A suspended new-commerce (NCE) subscription keeps billing the partner until its term ends, and "
            "suspension switches its auto-renew off: the partner keeps paying Microsoft for it."
        )
    if any(s["commerceType"] == "legacy" for s in movable):
        deadline = (now + timedelta(days=LEGACY_DATA_DAYS)).date().isoformat()
        summary.append(
            f"Legacy subscriptions' data is deleted after {LEGACY_DATA_DAYS} days (by {deadline}) unless they are "
            "reactivated."
        )
    if addons:
        summary.append("Add-ons go with their base subscription: they are suspended with it and come back after it.")
    if blocked:
        names = ", ".join(b.subscription["offerName"] for b in blocked)
        summary.append(f"{names}: left active, its Azure subscriptions are active. {AZURE_PLAN_GUIDANCE}")
    untouched = [s for s in subscriptions if s["status"] != "active"]
    return SuspensionPlan(customer["id"], customer["companyName"], items, untouched, summary, blocked)


def _consequence(sub: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]], now: datetime) -> str:
    parts = []
    if sub["commerceType"] == "legacy":
        deadline = (now + timedelta(days=LEGACY_DATA_DAYS)).date().isoformat()
        parts.append(f"legacy: data deleted by {deadline} unless reactivated")
    elif sub["billingType"] == "usage":
        parts.append("pay-as-you-go, no term: usage up to the suspension is billed in arrears")
    else:
        end = sub["commitmentEndDate"]
        until = f" until {parse_iso(end).date().isoformat()}" if end else ""
        parts.append(f"NCE: keeps billing the partner{until}; auto-renew switched off")
    if sub["parentSubscriptionId"]:
        base = by_id.get(sub["parentSubscriptionId"])
        parts.append(f"add-on of {base['offerName'] if base else sub['parentSubscriptionId']}")
    return "; ".join(parts)
