"""The escalations' durable outbox (part of the store): what is to be delivered to Microsoft, each delivery
recorded once whatever happens between sending and recording."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from console.store.base import Base
from console.store.tickets import TicketRepo

#: The tenant a customer's case is filed in: its Entra tenant id, else its Partner Center id (which is the tenant
#: id in Partner Center); never NULL, so a customer's case never goes out with the partner's own token alone.
CUSTOMER_TENANT = "coalesce(c.tenantId, c.id, e.customerId, t.customerId)"


class OutboxRepo:
    """Deliveries to Microsoft waiting, sent and failed."""

    def __init__(self, db: Base, tickets: TicketRepo) -> None:
        self.db = db
        self.tickets = tickets

    def enqueue(self, escalation_id: int, item: dict[str, Any], agent: str, now: str) -> int:
        """Queue a delivery (``kind``, ``name``, ``requestId``, ``payload``) of an escalation, inside the caller's
        transaction; return its id."""
        cursor = self.db.conn.execute(
            "INSERT INTO outbox (escalationId, kind, name, requestId, payload, createdBy, createdDate) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                escalation_id,
                item["kind"],
                item["name"],
                item["requestId"],
                json.dumps(item["payload"], ensure_ascii=False),
                agent,
                now,
            ),
        )
        return int(cursor.lastrowid or 0)

    def due_outbox(self, now: str, limit: int = 50) -> list[dict[str, Any]]:
        """Pending deliveries whose time has come, oldest first; messages wait until their case exists."""
        rows = self.db.conn.execute(
            "SELECT o.*, e.state AS escalationState, e.microsoftCaseId, e.azureSubscriptionId, e.ticketName, "
            f"e.delivery, e.ticketSeq, {CUSTOMER_TENANT} AS customerTenantId FROM outbox o "
            "JOIN escalations e ON e.id = o.escalationId JOIN tickets t ON t.seq = e.ticketSeq "
            "LEFT JOIN customers c ON c.id = coalesce(e.customerId, t.customerId) "
            "WHERE o.state = 'pending' AND (o.nextAttemptDate IS NULL OR o.nextAttemptDate <= ?) "
            "AND (o.kind = 'create' OR e.state = 'open') ORDER BY o.id LIMIT ?",
            (now, limit),
        )
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]

    def outbox_items(self, states: Sequence[str] = ("pending",)) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(
            f"SELECT * FROM outbox WHERE state IN ({','.join('?' * len(states))}) ORDER BY id", tuple(states)
        )
        return [dict(r) for r in rows]

    def outbox_failed(self, outbox_id: int, error: str, next_attempt: str | None, *, permanent: bool) -> None:
        """A delivery attempt failed: try again at ``next_attempt``, or give up (``permanent``)."""
        with self.db.transaction():
            self.db.conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, lastError = ?, nextAttemptDate = ?, state = ? WHERE id = ?",
                (error, next_attempt, "failed" if permanent else "pending", outbox_id),
            )
            row = self.db.conn.execute("SELECT escalationId, kind FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
            if row["kind"] == "create":
                state = "failed" if permanent else "pending"
                self.db.conn.execute(
                    "UPDATE escalations SET lastError = ?, state = ?, lastModifiedDate = ? WHERE id = ?",
                    (error, state, self.db.now(), row["escalationId"]),
                )
            if permanent:
                seq = self.db.conn.execute(
                    "SELECT ticketSeq FROM escalations WHERE id = ?", (row["escalationId"],)
                ).fetchone()[0]
                self.tickets.add_event(
                    seq, "escalation", "microsoft-sync", f"Delivery to Microsoft failed: {error}", self.db.now()
                )

    def outbox_delivered(
        self, outbox_id: int, *, case_id: str | None, microsoft_state: str | None, agent: str, event_text: str
    ) -> bool:
        """Record a delivery; returns ``False`` when another process recorded it first (nothing changes)."""
        now = self.db.now()
        with self.db.transaction():
            cursor = self.db.conn.execute(
                "UPDATE outbox SET state = 'delivered', deliveredDate = ?, attempts = attempts + 1, lastError = NULL "
                "WHERE id = ? AND state = 'pending'",
                (now, outbox_id),
            )
            if cursor.rowcount == 0:
                return False
            row = self.db.conn.execute(
                "SELECT escalationId, kind, payload FROM outbox WHERE id = ?", (outbox_id,)
            ).fetchone()
            escalation_id = row["escalationId"]
            seq = self.db.conn.execute("SELECT ticketSeq FROM escalations WHERE id = ?", (escalation_id,)).fetchone()[0]
            if row["kind"] == "create":
                self.db.conn.execute(
                    "UPDATE escalations SET state = 'open', microsoftCaseId = ?, microsoftState = ?, lastError = NULL, "
                    "lastModifiedDate = ? WHERE id = ?",
                    (case_id, microsoft_state, now, escalation_id),
                )
            elif row["kind"] == "update":
                payload = json.loads(row["payload"])
                self.db.conn.execute(
                    "UPDATE escalations SET severity = coalesce(?, severity), "
                    "microsoftState = coalesce(?, microsoftState), lastModifiedDate = ? WHERE id = ?",
                    (payload.get("severity"), microsoft_state, now, escalation_id),
                )
            self.tickets.add_event(seq, "escalation", agent, event_text, now)
            self.db.audit(
                agent, "escalation.delivered", "escalation", str(escalation_id), {"outbox": outbox_id, "case": case_id}
            )
        return True

    def retry_escalation(self, escalation_id: int, agent: str) -> int:
        """Put a failed delivery back in the outbox (after the agent fixed what was wrong)."""
        with self.db.transaction():
            cursor = self.db.conn.execute(
                "UPDATE outbox SET state = 'pending', nextAttemptDate = NULL "
                "WHERE escalationId = ? AND state = 'failed'",
                (escalation_id,),
            )
            self.db.conn.execute(
                "UPDATE escalations SET state = 'pending', lastModifiedDate = ? WHERE id = ? AND state = 'failed'",
                (self.db.now(), escalation_id),
            )
            self.db.audit(agent, "escalation.retry", "escalation", str(escalation_id), {"requeued": cursor.rowcount})
        return cursor.rowcount
