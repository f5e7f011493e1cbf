"""Suspending a customer's subscriptions for non-payment through Partner Center, and reactivating exactly those.

The plan (every subscription to suspend, add-ons before their base) is written to the workspace before the
first request. An Azure plan whose Azure subscriptions are active is not in the PATCHes: Partner Center refuses
to suspend it (403, code 900115, "Azure plan can't be moved to suspended state since you have one or more Azure
Subscriptions in the active state", learn.microsoft.com/partner-center/developer/error-codes). It is recorded as
``blocked`` with what to do instead: cancel its Azure subscriptions first (Partner Center, or ``POST .../
azureEntitlements/{id}/cancel``, learn.microsoft.com/partner-center/developer/cancel-an-azure-subscription, which
also says an Azure plan itself is suspended through the subscription PATCH; they come back with ``.../reactivate``,
reactivate-an-azure-subscription). A spending budget does not stop usage (set-an-azure-spending-budget). A 900115
at run time (the workspace did not know the Azure subscriptions) is recorded the same way and the run goes on.

Each subscription, one at a time:

1. **intent**: ``suspend`` (or ``reactivate``) is committed to the workspace, with nothing sent yet;
2. **read**: the subscription is read from Partner Center at that moment; if it is not what we would change
   (found already suspended: by Microsoft for fraud, by another admin), it is recorded as ``left`` with its
   ``suspensionReasons`` ("already suspended (reasons ...), left as it is") and is never ours: reactivation leaves
   it suspended;
3. **read recorded**: ``status``, ``suspensionReasons``, ``autoRenewEnabled`` and the whole resource as read, with
   the ``MS-RequestId`` of the PATCH about to be sent, are committed. Reactivation restores auto-renew from this
   read, never from the workspace's synced copy. Only from here on may a PATCH have gone out;
4. **PATCH** with ``If-Match: "<etag>"`` of that read (a stale etag, 412 or 400/2055, is read again, recorded
   again under a new request id, and re-applied);
5. **outcome**: Partner Center's answer (our suspension's ``suspensionReasons``) is recorded: ``suspended``.

A process killed at any point resumes safely, and never claims a subscription someone else suspended:

- killed after 1 or during 2 (no read recorded): no PATCH was sent, so a resume reads afresh; found suspended
  then, it is someone else's (``left``);
- killed after 3, during 4 or before 5 (a read and a request id recorded, the PATCH may or may not have
  landed): a resume reads the subscription. Still active: our PATCH never landed; steps 1 to 5 again. Suspended:
  the same PATCH is sent again with the same ``MS-RequestId`` and the recorded read's etag. Partner Center
  answers a retry of a request it carried out with that request's answer (the headers page: a retry carries the
  same ``MS-RequestId``): the suspension is ours if that answer's reasons are the subscription's reasons now.
  A request it never carried out meets the recorded, now stale, etag and is refused (412 or 400/2055) without
  changing anything: someone else suspended it, ``left``. When unsure, the subscription is left as it is;
- killed after 5: done.

Reactivation walks our ``suspended`` subscriptions in reverse (bases before add-ons), each through the same
intent, read, PATCH, outcome steps; one whose ``suspensionReasons`` are no longer those of our suspension (Microsoft
suspended it for fraud meanwhile) stays suspended (``kept``), one found active was reactivated by someone else
(``already_active``, left as it is), one deleted or expired meanwhile is ``skipped``. A reactivation killed after
its PATCH is recognised the same way, by the same request id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.billing.suspension_plan import AZURE_PLAN_GUIDANCE, plan
from console.microsoft.credentials import MissingToken
from console.microsoft.http import ApiError, AzurePlanHasActiveSubscriptions
from console.microsoft.partner_center import PartnerCenter, SubscriptionChanged
from console.shared.errors import UserError
from console.store import Workspace

REASON = "non_payment"
#: Item states after which the suspension run has nothing more to do with a subscription.
SUSPEND_TODO = ("pending", "intent", "read", "failed")
REACTIVATE_TODO = ("suspended", "reactivate_intent", "reactivate_read", "reactivate_failed", "intent", "read", "failed")


class SuspensionError(UserError):
    """Nothing to suspend or reactivate, or the run stopped; the message says what state it left."""


@dataclass
class RunResult:
    suspension_id: int
    state: str
    done: list[str]
    already: list[str]  # ours, found done (our request had landed before a failure), or reactivated elsewhere
    skipped: list[str] = field(default_factory=list)  # reactivation: deleted or expired meanwhile
    left: list[str] = field(default_factory=list)  # not ours (already suspended by someone else): left as it is
    blocked: list[str] = field(default_factory=list)  # Azure plans Partner Center will not suspend
    notes: dict[str, str] = field(default_factory=dict)  # subscription id -> what a person should know


def _stored(raw: Mapping[str, Any]) -> dict[str, Any]:
    reasons = raw.get("suspensionReasons") or []
    return {
        "status": raw.get("status"),
        "autoRenewEnabled": int(bool(raw.get("autoRenewEnabled"))),
        "suspensionReasons": json.dumps(reasons) if reasons else None,
        "etag": (raw.get("attributes") or {}).get("etag"),
    }


def _reasons(raw: Mapping[str, Any]) -> list[str]:
    return sorted(str(r) for r in raw.get("suspensionReasons") or [])


def _said(reasons: list[str]) -> str:
    return ", ".join(reasons) if reasons else "none given"


def _not_carried_out(exc: ApiError) -> bool:
    """A business refusal (stale etag, a subscription that cannot be updated): the request was not carried out.
    Network errors, throttling and Microsoft's own failures say nothing either way."""
    return exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403, 408, 429)


class _Stop(Exception):
    """One subscription's request failed in a way that stops the run (network, throttling, credentials)."""

    def __init__(self, item: Mapping[str, Any], exc: Exception) -> None:
        super().__init__(str(exc))
        self.item = item
        self.exc = exc


def suspend(ws: Workspace, pc: PartnerCenter, customer_id: str, agent: str, now: datetime) -> RunResult:
    """Suspend the customer's active subscriptions, or resume an interrupted suspension."""
    live = ws.suspensions.live_suspension(customer_id)
    if live is not None and live["state"] != "suspending":
        raise SuspensionError(
            f"{customer_id} is already suspended for non-payment (since {live['startedDate'][:10]}, "
            f"state {live['state']}); reactivate it first"
        )
    if live is None:
        customer = ws.accounts.account_rows(customer_id)
        if customer is None:
            raise SuspensionError(f"no customer {customer_id}")
        planned = plan(
            customer["customer"], customer["subscriptions"], now, ws.microsoft.azure_entitlements(customer_id)
        )
        if not planned.items:
            why = f" ({planned.blocked[0].explanation})" if planned.blocked else ""
            raise SuspensionError(f"{planned.company} has no active subscription to suspend{why}")
        try:
            sid = ws.suspensions.start_suspension(
                customer_id,
                REASON,
                [i.as_item() for i in planned.items] + [b.as_item() for b in planned.blocked],
                agent,
                {
                    "subscriptions": [i.subscription["id"] for i in planned.items],
                    "blocked": [b.subscription["id"] for b in planned.blocked],
                    "consequences": planned.summary,
                },
            )
        except ValueError as exc:
            raise SuspensionError(f"{exc}; nothing was sent from here") from None
        live = ws.suspensions.suspension(sid)
        assert live is not None
    run = _Run(ws, pc, live, agent)
    result = run.result
    for item in live["items"]:
        if item["state"] == "blocked":
            result.blocked.append(item["subscriptionId"])
            result.notes[item["subscriptionId"]] = item["note"] or ""
    todo = [i for i in live["items"] if i["state"] in SUSPEND_TODO]
    run.each(todo, run.suspend_one, "suspension")
    ws.suspensions.set_suspension_state(live["id"], "suspended", agent)
    result.state = "suspended"
    return result


def reactivate(ws: Workspace, pc: PartnerCenter, customer_id: str, agent: str) -> RunResult:
    """Reactivate exactly the subscriptions this console suspended for non-payment (resumable too)."""
    live = ws.suspensions.live_suspension(customer_id)
    if live is None:
        raise SuspensionError(f"{customer_id} has no suspension for non-payment to reactivate")
    if live["state"] != "reactivating":
        ws.suspensions.set_suspension_state(live["id"], "reactivating", agent)
        live = ws.suspensions.suspension(live["id"])
        assert live is not None
    run = _Run(ws, pc, live, agent)
    todo = [i for i in reversed(live["items"]) if i["state"] in REACTIVATE_TODO]
    run.each(todo, run.reactivate_one, "reactivation")
    ws.suspensions.set_suspension_state(live["id"], "reactivated", agent)
    run.result.state = "reactivated"
    return run.result


class _Run:
    """One suspension or reactivation run over a live suspension's items."""

    def __init__(self, ws: Workspace, pc: PartnerCenter, live: Mapping[str, Any], agent: str) -> None:
        self.ws, self.pc, self.live, self.agent = ws, pc, live, agent
        self.sid: int = live["id"]
        self.customer_id: str = live["customerId"]
        self.result = RunResult(live["id"], live["state"], [], [])

    def each(self, todo: Sequence[Mapping[str, Any]], one: Any, verb: str) -> None:
        for item in todo:
            try:
                one(item)
            except _Stop as stop:
                failed = "failed" if verb == "suspension" else "reactivate_failed"
                sub_id = stop.item["subscriptionId"]
                self.ws.suspensions.set_suspension_item(self.sid, sub_id, failed, self.agent, error=str(stop.exc))
                self.ws.suspensions.set_suspension_state(
                    self.sid, self.live["state"], self.agent, error=f"{stop.item['offerName']} ({sub_id}): {stop.exc}"
                )
                finished = len(self.result.done) + len(self.result.already) + len(self.result.left)
                left = len(todo) - finished - len(self.result.skipped)
                raise SuspensionError(
                    f"The {verb} stopped at {stop.item['offerName']} ({sub_id}): {stop.exc}\n"
                    f"{finished} done, {left} left; the workspace records which. Run it again to resume."
                ) from None

    # -- Partner Center, with every failure that stops the run turned into _Stop ------------------------------
    def _read(self, item: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self.pc.subscription(self.customer_id, item["subscriptionId"])
        except (ApiError, MissingToken) as exc:
            raise _Stop(item, exc) from None

    def _replay(self, item: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any] | None:
        """The recorded PATCH sent again under its own ``MS-RequestId`` and etag: Partner Center's answer to it
        if it had carried it out, ``None`` if it had not (the stale etag is refused and nothing changes)."""
        read = json.loads(item["readJson"])
        try:
            return self.pc.send_update(self.customer_id, item["subscriptionId"], read, changes, item["requestId"])
        except ApiError as exc:
            if _not_carried_out(exc):
                return None
            raise _Stop(item, exc) from None
        except MissingToken as exc:
            raise _Stop(item, exc) from None

    def _patch(self, item: Mapping[str, Any], current: Mapping[str, Any], changes: Mapping[str, Any], was: str) -> Any:
        sub_id = item["subscriptionId"]

        def before_send(read: Mapping[str, Any], request_id: str) -> None:
            self.ws.suspensions.record_suspension_read(self.sid, sub_id, dict(read), request_id, self.agent)

        try:
            return self.pc.update_subscription(
                self.customer_id, sub_id, changes, expected={"status": was}, current=current, before_send=before_send
            )
        except (SubscriptionChanged, AzurePlanHasActiveSubscriptions):
            raise
        except (ApiError, MissingToken) as exc:
            raise _Stop(item, exc) from None

    def _mark(self, item: Mapping[str, Any], state: str, bucket: list[str], note: str | None = None, **kw: Any) -> None:
        sub_id = item["subscriptionId"]
        self.ws.suspensions.set_suspension_item(self.sid, sub_id, state, self.agent, note=note, **kw)
        bucket.append(sub_id)
        if note:
            self.result.notes[sub_id] = note

    # -- suspension ------------------------------------------------------------------------------------------
    def suspend_one(self, item: Mapping[str, Any]) -> None:
        if item["intent"] == "suspend" and item["requestId"]:
            current = self._read(item)
            if current.get("status") != "active":
                self._settle_suspended(item, current)
                return
        self._suspend_fresh(item)

    def _settle_suspended(
        self, item: Mapping[str, Any], current: Mapping[str, Any], bucket: list[str] | None = None
    ) -> bool:
        """``current`` is not active: ours if Partner Center answers the recorded request id with our suspension
        (and its reasons are still those), someone else's otherwise. Return whether it is ours."""
        if current.get("status") == "suspended" and item["intent"] == "suspend" and item["requestId"]:
            answer = self._replay(item, {"status": "suspended"})
            if answer is not None and answer.get("status") == "suspended" and _reasons(answer) == _reasons(current):
                self._mark(
                    item,
                    "suspended",
                    self.result.already if bucket is None else bucket,
                    subscription=_stored(current),
                    suspended=_summary(current),
                )
                return True
        self._left(item, current)
        return False

    def _suspend_fresh(self, item: Mapping[str, Any]) -> None:
        sub_id = item["subscriptionId"]
        self.ws.suspensions.record_suspension_intent(self.sid, sub_id, "suspend", self.agent)
        current = self._read(item)
        if current.get("status") != "active":  # an earlier PATCH of ours may have landed meanwhile
            self._settle_suspended(item, current)
            return
        try:
            answer = self._patch(item, current, {"status": "suspended"}, "active")
        except SubscriptionChanged as exc:  # re-read after a stale etag: someone (or our earlier PATCH) got there
            self._settle_suspended(item, exc.current)
            return
        except AzurePlanHasActiveSubscriptions as exc:
            self._mark(item, "blocked", self.result.blocked, note=f"not suspended: {exc}. {AZURE_PLAN_GUIDANCE}")
            return
        self._mark(item, "suspended", self.result.done, subscription=_stored(answer), suspended=_summary(answer))

    def _left(self, item: Mapping[str, Any], current: Mapping[str, Any]) -> None:
        status = current.get("status")
        if status == "suspended":
            note = (
                f"already suspended (reasons: {_said(_reasons(current))}) when the suspension came to it, not by "
                "this console: left as it is, and left suspended on reactivation"
            )
        else:
            note = f"status was {status!r} when the suspension came to it: left as it is"
        self._mark(item, "left", self.result.left, note=note, subscription=_stored(current))

    # -- reactivation ----------------------------------------------------------------------------------------
    def reactivate_one(self, item: Mapping[str, Any]) -> None:
        sub_id = item["subscriptionId"]
        if item["state"] in ("intent", "read", "failed"):  # the suspension stopped before settling it
            if not (item["intent"] == "suspend" and item["requestId"]):
                return  # no PATCH was ever sent for it: nothing of ours to undo
            current = self._read(item)
            if current.get("status") == "active":
                self._mark(item, "skipped", self.result.skipped, note="never suspended: nothing to reactivate")
                return
            if not self._settle_suspended(item, current, bucket=[]):
                return
            fresh = self.ws.suspensions.suspension(self.sid)
            assert fresh is not None
            item = next(i for i in fresh["items"] if i["subscriptionId"] == sub_id)
        elif item["intent"] == "reactivate" and item["requestId"]:
            current = self._read(item)
            if current.get("status") != "suspended":
                self._settle_not_suspended(item, current)
                return
        self._reactivate_fresh(item)

    def _restore(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {"status": "active", "autoRenewEnabled": bool(item["priorAutoRenew"])}

    def _settle_not_suspended(self, item: Mapping[str, Any], current: Mapping[str, Any]) -> None:
        """``current`` is no longer suspended: reactivated by our recorded request, by someone else, or gone."""
        if current.get("status") != "active":
            self._gone(item, current)
            return
        if item["intent"] == "reactivate" and item["requestId"]:
            answer = self._replay(item, self._restore(item))
            if answer is not None and answer.get("status") == "active":
                self._mark(item, "reactivated", self.result.done, subscription=_stored(current))
                return
        note = "found active: reactivated by someone else; left as it is (auto-renew not touched)"
        self._mark(item, "already_active", self.result.already, note=note, subscription=_stored(current))

    def _reactivate_fresh(self, item: Mapping[str, Any]) -> None:
        sub_id = item["subscriptionId"]
        self.ws.suspensions.record_suspension_intent(self.sid, sub_id, "reactivate", self.agent)
        current = self._read(item)
        if current.get("status") != "suspended":
            self._settle_not_suspended(item, current)
            return
        ours = _reasons(json.loads(item["suspendedJson"])) if item["suspendedJson"] else None
        if ours is not None and _reasons(current) != ours:
            note = (
                f"suspended by this console, but its suspension reasons are now {_said(_reasons(current))} (ours: "
                f"{_said(ours)}): someone else suspended it too; left suspended for a person to decide"
            )
            self._mark(item, "kept", self.result.left, note=note, subscription=_stored(current))
            return
        try:
            answer = self._patch(item, current, self._restore(item), "suspended")
        except SubscriptionChanged as exc:
            self._settle_not_suspended(item, exc.current)
            return
        except AzurePlanHasActiveSubscriptions as exc:  # not expected on reactivation; never a role problem
            raise _Stop(item, exc) from None
        self._mark(item, "reactivated", self.result.done, subscription=_stored(answer))

    def _gone(self, item: Mapping[str, Any], current: Mapping[str, Any]) -> None:
        note = f"status is now {current.get('status')!r}: left as it is"
        self._mark(item, "skipped", self.result.skipped, note=note, subscription=_stored(current))


def _summary(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What our own suspension left on the subscription: how to recognise it later."""
    return {
        "status": raw.get("status"),
        "suspensionReasons": _reasons(raw),
        "etag": (raw.get("attributes") or {}).get("etag"),
    }
