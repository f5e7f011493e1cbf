"""Suspending a customer's subscriptions for non-payment through Partner Center, and reactivating exactly those.

The plan (every subscription to suspend, add-ons before their base) is written to the workspace before the
first request; each subscription's outcome is recorded as soon as Partner Center answers. A failure midway
(network, throttling beyond the retries, a stale etag that keeps moving) stops the run with the suspension
left ``suspending`` and each subscription marked done, pending or failed: running it again resumes, reading
each subscription afresh, so one that was suspended before the connection dropped is recognised, not
suspended twice. Reactivation walks the same list in reverse (bases before add-ons) and touches nothing else:
a subscription that was already suspended for another reason (fraud, a cancellation) stays as it was.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from console.clock import parse_iso
from console.errors import UserError
from console.microsoft.credentials import MissingToken
from console.microsoft.http import ApiError
from console.microsoft.partner_center import PartnerCenter, SubscriptionChanged
from console.store import Workspace

REASON = "non_payment"
#: Legacy (non-NCE) subscriptions: data is deleted unless reactivated within this many days.
LEGACY_DATA_DAYS = 90


class SuspensionError(UserError):
    """Nothing to suspend or reactivate, or the run stopped; the message says what state it left."""


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
            "priorStatus": s["status"],
            "priorAutoRenew": s["autoRenewEnabled"],
        }


@dataclass(frozen=True)
class SuspensionPlan:
    customer_id: str
    company: str
    items: list[PlannedItem]
    untouched: list[Mapping[str, Any]]  # subscriptions not active: left as they are
    summary: list[str]  # the consequences, stated once for the whole customer


def plan(customer: Mapping[str, Any], subscriptions: Sequence[Mapping[str, Any]], now: datetime) -> SuspensionPlan:
    """What suspending ``customer`` for non-payment would do, with the consequences spelled out."""
    active = [s for s in subscriptions if s["status"] == "active"]
    by_id = {s["id"]: s for s in subscriptions}
    addons = [s for s in active if s["parentSubscriptionId"]]
    bases = [s for s in active if not s["parentSubscriptionId"]]
    items = []
    for sub in addons + bases:  # add-ons first: each goes with its base, and comes back after it
        items.append(PlannedItem(sub, _consequence(sub, by_id, now)))
    summary = [
        "Users lose access to the suspended subscriptions' services until they are reactivated.",
    ]
    if any(s["commerceType"] != "legacy" for s in active):
        summary.append(
            "A suspended new-commerce (NCE) subscription keeps billing the partner until its term ends, and "
            "suspension switches its auto-renew off: the partner keeps paying Microsoft for it."
        )
    if any(s["commerceType"] == "legacy" for s in active):
        deadline = (now + timedelta(days=LEGACY_DATA_DAYS)).date().isoformat()
        summary.append(
            f"Legacy subscriptions' data is deleted after {LEGACY_DATA_DAYS} days (by {deadline}) unless they are "
            "reactivated."
        )
    if addons:
        summary.append("Add-ons go with their base subscription: they are suspended with it and come back after it.")
    untouched = [s for s in subscriptions if s["status"] != "active"]
    return SuspensionPlan(customer["id"], customer["companyName"], items, untouched, summary)


def _consequence(sub: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]], now: datetime) -> str:
    parts = []
    if sub["commerceType"] == "legacy":
        deadline = (now + timedelta(days=LEGACY_DATA_DAYS)).date().isoformat()
        parts.append(f"legacy: data deleted by {deadline} unless reactivated")
    else:
        end = sub["commitmentEndDate"]
        until = f" until {parse_iso(end).date().isoformat()}" if end else ""
        parts.append(f"NCE: keeps billing the partner{until}; auto-renew switched off")
    if sub["parentSubscriptionId"]:
        base = by_id.get(sub["parentSubscriptionId"])
        parts.append(f"add-on of {base['offerName'] if base else sub['parentSubscriptionId']}")
    return "; ".join(parts)


@dataclass
class RunResult:
    suspension_id: int
    state: str
    done: list[str]
    already: list[str]  # found in the target state (a request that succeeded before a failure, or by hand)
    skipped: list[str] = field(default_factory=list)  # reactivation: deleted or expired meanwhile


def _stored(raw: Mapping[str, Any]) -> dict[str, Any]:
    reasons = raw.get("suspensionReasons") or []
    return {
        "status": raw.get("status"),
        "autoRenewEnabled": int(bool(raw.get("autoRenewEnabled"))),
        "suspensionReasons": json.dumps(reasons) if reasons else None,
        "etag": (raw.get("attributes") or {}).get("etag"),
    }


def suspend(ws: Workspace, pc: PartnerCenter, customer_id: str, agent: str, now: datetime) -> RunResult:
    """Suspend the customer's active subscriptions, or resume an interrupted suspension."""
    live = ws.live_suspension(customer_id)
    if live is not None and live["state"] != "suspending":
        raise SuspensionError(
            f"{customer_id} is already suspended for non-payment (since {live['startedDate'][:10]}, "
            f"state {live['state']}); reactivate it first"
        )
    if live is None:
        customer = ws.account_rows(customer_id)
        if customer is None:
            raise SuspensionError(f"no customer {customer_id}")
        planned = plan(customer["customer"], customer["subscriptions"], now)
        if not planned.items:
            raise SuspensionError(f"{planned.company} has no active subscription to suspend")
        try:
            sid = ws.start_suspension(
                customer_id,
                REASON,
                [i.as_item() for i in planned.items],
                agent,
                {"subscriptions": [i.subscription["id"] for i in planned.items], "consequences": planned.summary},
            )
        except ValueError as exc:
            raise SuspensionError(f"{exc}; nothing was sent from here") from None
        live = ws.suspension(sid)
        assert live is not None
    return _run(ws, pc, live, "suspended", agent)


def reactivate(ws: Workspace, pc: PartnerCenter, customer_id: str, agent: str) -> RunResult:
    """Reactivate exactly the subscriptions this console suspended for non-payment (resumable too)."""
    live = ws.live_suspension(customer_id)
    if live is None:
        raise SuspensionError(f"{customer_id} has no suspension for non-payment to reactivate")
    if live["state"] != "reactivating":
        ws.set_suspension_state(live["id"], "reactivating", agent)
        live = ws.suspension(live["id"])
        assert live is not None
    return _run(ws, pc, live, "reactivated", agent)


def _run(ws: Workspace, pc: PartnerCenter, live: Mapping[str, Any], target: str, agent: str) -> RunResult:
    items = list(live["items"])
    if target == "suspended":
        todo = [i for i in items if i["state"] in ("pending", "failed")]
        status, expected = "suspended", "active"
    else:
        # "failed" too: a request whose answer was lost may have suspended it all the same.
        todo = [i for i in reversed(items) if i["state"] in ("suspended", "reactivate_failed", "failed")]
        status, expected = "active", "suspended"
    result = RunResult(live["id"], live["state"], [], [])
    customer_id = live["customerId"]
    for item in todo:
        sub_id = item["subscriptionId"]
        try:
            current = pc.subscription(customer_id, sub_id)
            if current.get("status") == status:
                result.already.append(sub_id)
                fresh = current
            elif target == "reactivated" and current.get("status") != "suspended":
                # Deleted or expired meanwhile: nothing to restore; say so and go on.
                note = f"status is now {current.get('status')!r}: left as it is"
                ws.set_suspension_item(live["id"], sub_id, "skipped", agent, error=note, subscription=_stored(current))
                result.skipped.append(sub_id)
                continue
            else:
                changes: dict[str, Any] = {"status": status}
                if status == "active":
                    changes["autoRenewEnabled"] = bool(item["priorAutoRenew"])
                fresh = pc.update_subscription(customer_id, sub_id, changes, expected={"status": expected})
                result.done.append(sub_id)
        except (ApiError, SubscriptionChanged, MissingToken) as exc:
            failed = "failed" if target == "suspended" else "reactivate_failed"
            ws.set_suspension_item(live["id"], sub_id, failed, agent, error=str(exc))
            ws.set_suspension_state(live["id"], live["state"], agent, error=f"{item['offerName']} ({sub_id}): {exc}")
            left = len(todo) - len(result.done) - len(result.already)
            verb = "suspension" if target == "suspended" else "reactivation"
            raise SuspensionError(
                f"The {verb} stopped at {item['offerName']} ({sub_id}): {exc}\n"
                f"{len(result.done) + len(result.already)} done, {left} left; the workspace records which. "
                f"Run it again to resume."
            ) from None
        ws.set_suspension_item(live["id"], sub_id, target, agent, subscription=_stored(fresh))
    ws.set_suspension_state(live["id"], target, agent)
    result.state = target
    return result
