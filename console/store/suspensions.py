"""Suspensions for non-payment in the store: the plan written before anything is sent to Partner Center, and
each subscription's intent, read and outcome (see :mod:`console.suspension`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from console.notices import kinds as notice
from console.store.base import Base
from console.store.billing import UnknownRecord
from console.store.notices import NoticeRepo


class SuspensionRepo:
    """A customer's suspension and its items, each step committed before the next request goes out."""

    def __init__(self, db: Base, notices: NoticeRepo) -> None:
        self.db = db
        self.notices = notices

    def live_suspension(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's suspension for non-payment that is not yet fully reactivated, with its items."""
        row = self.db.conn.execute(
            "SELECT * FROM suspensions WHERE customerId = ? AND state != 'reactivated'", (customer_id,)
        ).fetchone()
        return self._with_items(row)

    def suspension(self, suspension_id: int) -> dict[str, Any] | None:
        row = self.db.conn.execute("SELECT * FROM suspensions WHERE id = ?", (suspension_id,)).fetchone()
        return self._with_items(row)

    def suspensions(self) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(
            "SELECT s.*, c.companyName FROM suspensions s JOIN customers c ON c.id = s.customerId ORDER BY s.id"
        )
        return [dict(r) for r in rows]

    def _with_items(self, row: sqlite3.Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        out = dict(row)
        out["items"] = [
            dict(r)
            for r in self.db.conn.execute(
                "SELECT * FROM suspension_items WHERE suspensionId = ? ORDER BY position", (row["id"],)
            )
        ]
        return out

    def start_suspension(
        self, customer_id: str, reason: str, items: Sequence[dict[str, Any]], agent: str, detail: dict[str, Any]
    ) -> int:
        """Write the plan (every subscription to suspend, ``pending``; one that cannot be, ``blocked`` with its
        ``note``) before anything is sent to Partner Center, so that a failure midway always leaves a record of
        what was meant and what was done."""
        now = self.db.now()
        with self.db.writing():
            try:
                cursor = self.db.conn.execute(
                    "INSERT INTO suspensions (customerId, reason, state, startedDate, startedBy) "
                    "VALUES (?, ?, 'suspending', ?, ?)",
                    (customer_id, reason, now, agent),
                )
            except sqlite3.IntegrityError:  # another session started one a moment ago
                raise ValueError(f"a suspension of {customer_id} is already under way in another session") from None
            sid = int(cursor.lastrowid or 0)
            self.db.conn.executemany(
                "INSERT INTO suspension_items (suspensionId, subscriptionId, position, offerName, "
                "parentSubscriptionId, commerceType, priorStatus, priorAutoRenew, state, note, updatedDate) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sid,
                        i["subscriptionId"],
                        n,
                        i["offerName"],
                        i["parentSubscriptionId"],
                        i["commerceType"],
                        i["priorStatus"],
                        i["priorAutoRenew"],
                        i.get("state") or "pending",
                        i.get("note"),
                        now,
                    )
                    for n, i in enumerate(items)
                ],
            )
            self.db.audit(agent, "subscription.suspend.start", "customer", customer_id, {"suspension": sid, **detail})
        return sid

    def record_suspension_intent(self, suspension_id: int, subscription_id: str, intent: str, agent: str) -> None:
        """Before anything is sent for one subscription: what is about to be done to it (``suspend`` or
        ``reactivate``), committed. A request may have gone out only once :meth:`record_suspension_read` recorded
        its read and request id."""
        now = self.db.now()
        state = "intent" if intent == "suspend" else "reactivate_intent"
        with self.db.writing():
            self.db.conn.execute(
                # A PATCH recorded under the same intent may still be in flight: its request id and read stay
                # until the next read replaces them, so that it can still be recognised.
                "UPDATE suspension_items SET state = :state, intent = :intent, intentDate = :now, "
                "requestId = CASE WHEN intent = :intent THEN requestId END, "
                "readJson = CASE WHEN intent = :intent THEN readJson END, "
                "readDate = CASE WHEN intent = :intent THEN readDate END, error = NULL, updatedDate = :now "
                "WHERE suspensionId = :sid AND subscriptionId = :sub",
                {"state": state, "intent": intent, "now": now, "sid": suspension_id, "sub": subscription_id},
            )
            self.db.audit(
                agent, f"subscription.{intent}.intent", "subscription", subscription_id, {"suspension": suspension_id}
            )

    def record_suspension_read(
        self, suspension_id: int, subscription_id: str, read: dict[str, Any], request_id: str, agent: str
    ) -> None:
        """The subscription as Partner Center had it just before the PATCH sent with ``request_id``, committed
        before that PATCH is sent. Before a suspension, what was read is what reactivation restores
        (``priorStatus``, ``priorAutoRenew``)."""
        now = self.db.now()
        row = self.db.conn.execute(
            "SELECT intent FROM suspension_items WHERE suspensionId = ? AND subscriptionId = ?",
            (suspension_id, subscription_id),
        ).fetchone()
        if row is None:
            raise UnknownRecord(f"suspension {suspension_id} has no subscription {subscription_id}")
        suspending = row[0] == "suspend"
        prior = ", priorStatus = :status, priorAutoRenew = :autoRenew" if suspending else ""
        with self.db.writing():
            self.db.conn.execute(
                "UPDATE suspension_items SET state = :state, requestId = :requestId, readJson = :read, "
                f"readDate = :now, updatedDate = :now{prior} WHERE suspensionId = :sid AND subscriptionId = :sub",
                {
                    "state": "read" if suspending else "reactivate_read",
                    "requestId": request_id,
                    "read": json.dumps(read, ensure_ascii=False, sort_keys=True),
                    "now": now,
                    "status": read.get("status"),
                    "autoRenew": int(bool(read.get("autoRenewEnabled"))),
                    "sid": suspension_id,
                    "sub": subscription_id,
                },
            )
            self.db.audit(
                agent,
                f"subscription.{row[0]}.read",
                "subscription",
                subscription_id,
                {
                    "suspension": suspension_id,
                    "requestId": request_id,
                    "status": read.get("status"),
                    "suspensionReasons": read.get("suspensionReasons") or [],
                    "autoRenewEnabled": bool(read.get("autoRenewEnabled")),
                },
            )

    def set_suspension_item(
        self,
        suspension_id: int,
        subscription_id: str,
        state: str,
        agent: str,
        *,
        error: str | None = None,
        note: str | None = None,
        subscription: dict[str, Any] | None = None,
        suspended: dict[str, Any] | None = None,
    ) -> None:
        """Record one subscription's outcome (and Partner Center's copy of it) in one transaction; ``suspended``
        is the answer to our own suspension, kept to recognise it later."""
        now = self.db.now()
        with self.db.writing():
            self.db.conn.execute(
                "UPDATE suspension_items SET state = ?, error = ?, note = coalesce(?, note), "
                "suspendedJson = coalesce(?, suspendedJson), updatedDate = ? "
                "WHERE suspensionId = ? AND subscriptionId = ?",
                (
                    state,
                    error,
                    note,
                    json.dumps(suspended, ensure_ascii=False, sort_keys=True) if suspended is not None else None,
                    now,
                    suspension_id,
                    subscription_id,
                ),
            )
            if subscription is not None:
                self.db.conn.execute(
                    "UPDATE subscriptions SET status = ?, autoRenewEnabled = ?, suspensionReasons = ?, etag = ? "
                    "WHERE id = ?",
                    (
                        subscription["status"],
                        subscription["autoRenewEnabled"],
                        subscription["suspensionReasons"],
                        subscription["etag"],
                        subscription_id,
                    ),
                )
            self.db.audit(
                agent,
                f"subscription.{state}",
                "subscription",
                subscription_id,
                {
                    "suspension": suspension_id,
                    **({"error": error} if error else {}),
                    **({"note": note} if note else {}),
                },
            )

    def set_suspension_state(self, suspension_id: int, state: str, agent: str, *, error: str | None = None) -> None:
        now = self.db.now()
        stamp = {
            "suspended": ", suspendedDate = :now",
            "reactivating": (
                ", reactivationStartedDate = coalesce(reactivationStartedDate, :now), reactivatedBy = :agent"
            ),
            "reactivated": ", reactivatedDate = :now",
        }.get(state, "")
        with self.db.writing():
            self.db.conn.execute(
                f"UPDATE suspensions SET state = :state, lastError = :error{stamp} WHERE id = :id",
                {"state": state, "error": error, "now": now, "agent": agent, "id": suspension_id},
            )
            row = self.db.conn.execute("SELECT customerId FROM suspensions WHERE id = ?", (suspension_id,)).fetchone()
            if state == "suspended":
                self._tell_agents(row[0], suspension_id, agent)
            self.db.audit(
                agent,
                f"suspension.{state}",
                "customer",
                row[0],
                {"suspension": suspension_id, **({"error": error} if error else {})},
            )

    def _tell_agents(self, customer_id: str, suspension_id: int, by: str) -> None:
        """Each other agent holding open tickets of the customer hears that it was suspended, once per
        suspension (inside the caller's transaction)."""
        company = self.db.conn.execute("SELECT companyName FROM customers WHERE id = ?", (customer_id,)).fetchone()
        name = company[0] if company else customer_id
        for assignee, count in self.notices.assignees_of_customer(customer_id).items():
            if assignee != by:
                text, key = notice.suspended(name, by, count), f"suspension:{suspension_id}"
                self.notices.add(assignee, "suspension", text, customer_id=customer_id, dedupe=key)
