"""Escalations to Microsoft and their durable outbox (part of the store: all SQL lives in this package).

A submission is written, with the ticket's move to ``waiting_microsoft``, in one transaction; delivery
happens afterwards and is recorded in another. Whatever happens in between, the row stays ``pending`` and
the next delivery completes it."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from console.shared.clock import to_iso, utcnow

ESCALATION_STATES = ("pending", "awaiting_case_number", "open", "closed", "failed")
#: A case in one of these states is the ticket's case with Microsoft: another needs a reason.
OPEN_CASE_STATES = ("pending", "awaiting_case_number", "open")
AZURE_API = "azure_support_api"


class CaseAlreadyOpen(Exception):
    """The ticket already has a case with Microsoft; a second one is opened only with a reason."""

    def __init__(self, ticket_id: str, open_cases: Sequence[dict[str, Any]]) -> None:
        first = open_cases[0]
        case = first["microsoftCaseId"] or first["ticketName"] or "being opened"
        super().__init__(
            f"Ticket {ticket_id} already has an open Microsoft case (escalation {first['id']}, case {case}, "
            f"{first['state']}): add to it (escalations message), or open another only with a reason."
        )
        self.ticket_id = ticket_id
        self.open_cases = list(open_cases)


#: The tenant a customer's case is filed in: its Entra tenant id, else its Partner Center id (which is the tenant
#: id in Partner Center); never NULL, so a customer's case never goes out with the partner's own token alone.
CUSTOMER_TENANT = "coalesce(c.tenantId, c.id, e.customerId, t.customerId)"

_SELECT = (
    "SELECT e.*, t.id AS ticketId, t.customerId AS ticketCustomerId, "
    f"{CUSTOMER_TENANT} AS customerTenantId "
    "FROM escalations e JOIN tickets t ON t.seq = e.ticketSeq "
    "LEFT JOIN customers c ON c.id = coalesce(e.customerId, t.customerId)"
)


class EscalationStoreMixin:
    """Mixed into :class:`console.store.Workspace`."""

    if TYPE_CHECKING:
        # The workspace's per-thread connection (a read-only property of :class:`Workspace`).
        @property
        def conn(self) -> sqlite3.Connection: ...

    def open_escalation(
        self,
        ticket: dict[str, Any],
        escalation: dict[str, Any],
        outbox: dict[str, Any] | None,
        *,
        agent: str,
        event_text: str,
        another_reason: str | None = None,
    ) -> tuple[dict[str, Any], int]:
        """Store ``escalation`` (and its ``outbox`` delivery, if any), move the ticket to ``waiting_microsoft``
        and add the timeline event: all or nothing. Refused (StaleVersion) when the ticket changed since
        ``ticket`` was read, and (:class:`CaseAlreadyOpen`) while the ticket has an open case, unless
        ``another_reason`` says why a second one is needed (it goes to the audit log). Returns the fresh ticket
        and the escalation's id."""
        now = to_iso(utcnow())
        created: list[int] = []

        def one_case(current: dict[str, Any]) -> None:
            if another_reason:
                return
            marks = ",".join("?" * len(OPEN_CASE_STATES))
            rows = self.conn.execute(
                f"SELECT * FROM escalations WHERE ticketSeq = ? AND state IN ({marks}) ORDER BY id",
                (current["seq"], *OPEN_CASE_STATES),
            ).fetchall()
            if rows:
                raise CaseAlreadyOpen(current["id"], [dict(r) for r in rows])

        def write(current: dict[str, Any]) -> None:
            row = {
                **escalation,
                "ticketSeq": current["seq"],
                "createdBy": agent,
                "createdDate": now,
                "lastModifiedDate": now,
            }
            cols = list(row)
            cursor = self.conn.execute(
                f"INSERT INTO escalations ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [row[c] for c in cols],
            )
            escalation_id = int(cursor.lastrowid or 0)
            created.append(escalation_id)
            if outbox is not None:
                self._enqueue(escalation_id, outbox, agent, now)
            self.audit(  # type: ignore[attr-defined]
                agent,
                "escalation.create",
                "ticket",
                current["id"],
                {
                    "escalation": escalation_id,
                    "vehicle": row["vehicle"],
                    "state": row["state"],
                    **({"anotherCaseReason": another_reason} if another_reason else {}),
                },
            )

        changes: dict[str, Any] = {} if ticket["status"] == "waiting_microsoft" else {"status": "waiting_microsoft"}
        if ticket["status"] in ("resolved", "closed"):  # escalating reopens it
            changes.update(resolutionCode=None, resolvedDate=None)
        events = [
            {"kind": "escalation", "fromValue": ticket["status"], "toValue": "waiting_microsoft", "text": event_text}
        ]
        fresh = self.update_ticket(  # type: ignore[attr-defined]
            ticket["id"],
            expected_version=ticket["version"],
            changes=changes,
            events=events,
            agent=agent,
            action="ticket.escalate",
            precondition=one_case,
            also=write,
        )
        return fresh, created[0]

    def queue_case_updates(self, current: dict[str, Any], changes: dict[str, Any], agent: str) -> int:
        """Inside the transaction that changes ticket ``current``: the changes its open Azure cases must follow
        (SupportTickets_Update: ``severity``; ``status: closed`` when the ticket is resolved or closed), queued
        in the outbox so they reach Microsoft once, even after a crash. Returns the number queued."""
        payload: dict[str, Any] = {}
        if changes.get("severity") in ("minimal", "moderate", "critical"):
            payload["severity"] = changes["severity"]
        if changes.get("status") in ("resolved", "closed"):
            payload["status"] = "closed"
        if not payload:
            return 0
        now = to_iso(utcnow())
        rows = self.conn.execute(
            "SELECT * FROM escalations WHERE ticketSeq = ? AND delivery = ? AND state IN ('pending', 'open')",
            (current["seq"], AZURE_API),
        ).fetchall()
        queued = 0
        for esc in rows:
            wanted = {k: v for k, v in payload.items() if not (k == "severity" and esc["severity"] == v)}
            if not wanted:
                continue
            item = {
                "kind": "update",
                "name": f"update-{esc['id']}-{uuid.uuid4().hex[:12]}",
                "requestId": str(uuid.uuid4()),
                "payload": wanted,
            }
            self._enqueue(esc["id"], item, agent, now)
            what = ", ".join(f"{k} {v}" for k, v in wanted.items())
            self._event(
                current["seq"], "escalation", agent, f"Azure support ticket {esc['ticketName']}: {what} queued", now
            )
            queued += 1
        return queued

    def _enqueue(self, escalation_id: int, item: dict[str, Any], agent: str, now: str) -> int:
        cursor = self.conn.execute(
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

    def enqueue_message(self, escalation_id: int, item: dict[str, Any], agent: str, ticket_event: str) -> int:
        """A message to Microsoft on an open case, delivered through the outbox; the ticket's timeline says so."""
        now = to_iso(utcnow())
        with self.transaction():  # type: ignore[attr-defined]
            outbox_id = self._enqueue(escalation_id, item, agent, now)
            seq = self.conn.execute("SELECT ticketSeq FROM escalations WHERE id = ?", (escalation_id,)).fetchone()[0]
            self._event(seq, "escalation", agent, ticket_event, now)
            self.audit(agent, "escalation.message", "escalation", str(escalation_id), {"outbox": outbox_id})  # type: ignore[attr-defined]
        return outbox_id

    def _event(
        self, seq: int, kind: str, author: str, text: str, when: str, from_v: str | None = None, to_v: str | None = None
    ) -> None:
        self.conn.execute(
            "INSERT INTO timeline (ticketSeq, kind, author, createdDate, text, fromValue, toValue) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, kind, author, when, text, from_v, to_v),
        )

    # -- reading -------------------------------------------------------------------------------
    def escalation(self, escalation_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(f"{_SELECT} WHERE e.id = ?", (escalation_id,)).fetchone()
        return dict(row) if row else None

    def escalations(self, states: Sequence[str] = (), ticket_id: str | None = None) -> list[dict[str, Any]]:
        sql, args = f"{_SELECT} WHERE 1 = 1", []
        if states:
            sql += f" AND e.state IN ({','.join('?' * len(states))})"
            args += list(states)
        if ticket_id:
            sql += " AND t.id = ?"
            args.append(ticket_id)
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY e.id", args)]

    def signature_incidents_since(self, since: str) -> int:
        """Signature Cloud Support incidents opened since ``since`` (they are counted against the year's)."""
        row = self.conn.execute(
            "SELECT count(*) FROM escalations WHERE vehicle = 'signature' AND createdDate >= ? AND state != 'failed'",
            (since,),
        ).fetchone()
        return int(row[0])

    def due_outbox(self, now: str, limit: int = 50) -> list[dict[str, Any]]:
        """Pending deliveries whose time has come, oldest first; messages wait until their case exists."""
        rows = self.conn.execute(
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
        rows = self.conn.execute(
            f"SELECT * FROM outbox WHERE state IN ({','.join('?' * len(states))}) ORDER BY id", tuple(states)
        )
        return [dict(r) for r in rows]

    # -- delivery results ------------------------------------------------------------------------
    def outbox_failed(self, outbox_id: int, error: str, next_attempt: str | None, *, permanent: bool) -> None:
        """A delivery attempt failed: try again at ``next_attempt``, or give up (``permanent``)."""
        with self.transaction():  # type: ignore[attr-defined]
            self.conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, lastError = ?, nextAttemptDate = ?, state = ? WHERE id = ?",
                (error, next_attempt, "failed" if permanent else "pending", outbox_id),
            )
            row = self.conn.execute("SELECT escalationId, kind FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
            if row["kind"] == "create":
                state = "failed" if permanent else "pending"
                self.conn.execute(
                    "UPDATE escalations SET lastError = ?, state = ?, lastModifiedDate = ? WHERE id = ?",
                    (error, state, to_iso(utcnow()), row["escalationId"]),
                )
            if permanent:
                seq = self.conn.execute(
                    "SELECT ticketSeq FROM escalations WHERE id = ?", (row["escalationId"],)
                ).fetchone()[0]
                self._event(
                    seq, "escalation", "microsoft-sync", f"Delivery to Microsoft failed: {error}", to_iso(utcnow())
                )

    def outbox_delivered(
        self, outbox_id: int, *, case_id: str | None, microsoft_state: str | None, agent: str, event_text: str
    ) -> bool:
        """Record a delivery; returns ``False`` when another process recorded it first (nothing changes)."""
        now = to_iso(utcnow())
        with self.transaction():  # type: ignore[attr-defined]
            cursor = self.conn.execute(
                "UPDATE outbox SET state = 'delivered', deliveredDate = ?, attempts = attempts + 1, lastError = NULL "
                "WHERE id = ? AND state = 'pending'",
                (now, outbox_id),
            )
            if cursor.rowcount == 0:
                return False
            row = self.conn.execute(
                "SELECT escalationId, kind, payload FROM outbox WHERE id = ?", (outbox_id,)
            ).fetchone()
            escalation_id = row["escalationId"]
            seq = self.conn.execute("SELECT ticketSeq FROM escalations WHERE id = ?", (escalation_id,)).fetchone()[0]
            if row["kind"] == "create":
                self.conn.execute(
                    "UPDATE escalations SET state = 'open', microsoftCaseId = ?, microsoftState = ?, lastError = NULL, "
                    "lastModifiedDate = ? WHERE id = ?",
                    (case_id, microsoft_state, now, escalation_id),
                )
            elif row["kind"] == "update":
                payload = json.loads(row["payload"])
                self.conn.execute(
                    "UPDATE escalations SET severity = coalesce(?, severity), "
                    "microsoftState = coalesce(?, microsoftState), lastModifiedDate = ? WHERE id = ?",
                    (payload.get("severity"), microsoft_state, now, escalation_id),
                )
            self._event(seq, "escalation", agent, event_text, now)
            self.audit(  # type: ignore[attr-defined]
                agent, "escalation.delivered", "escalation", str(escalation_id), {"outbox": outbox_id, "case": case_id}
            )
        return True

    def retry_escalation(self, escalation_id: int, agent: str) -> int:
        """Put a failed delivery back in the outbox (after the agent fixed what was wrong)."""
        with self.transaction():  # type: ignore[attr-defined]
            cursor = self.conn.execute(
                "UPDATE outbox SET state = 'pending', nextAttemptDate = NULL "
                "WHERE escalationId = ? AND state = 'failed'",
                (escalation_id,),
            )
            self.conn.execute(
                "UPDATE escalations SET state = 'pending', lastModifiedDate = ? WHERE id = ? AND state = 'failed'",
                (to_iso(utcnow()), escalation_id),
            )
            self.audit(agent, "escalation.retry", "escalation", str(escalation_id), {"requeued": cursor.rowcount})  # type: ignore[attr-defined]
        return cursor.rowcount

    def record_case_number(self, escalation_id: int, case_id: str, agent: str) -> dict[str, Any]:
        """The Microsoft case number of a handed-off escalation, as the agent read it from the admin centre."""
        now = to_iso(utcnow())
        with self.transaction():  # type: ignore[attr-defined]
            row = self.conn.execute("SELECT * FROM escalations WHERE id = ?", (escalation_id,)).fetchone()
            if row is None:
                raise LookupError(f"no escalation {escalation_id}")
            before = row["microsoftCaseId"]
            self.conn.execute(
                "UPDATE outbox SET state = 'cancelled' WHERE escalationId = ? AND kind = 'create' AND state = 'failed'",
                (escalation_id,),
            )
            self.conn.execute(
                "UPDATE escalations SET microsoftCaseId = ?, "
                "state = CASE WHEN state IN ('awaiting_case_number', 'pending') "
                "THEN 'open' ELSE state END, lastModifiedDate = ? WHERE id = ?",
                (case_id, now, escalation_id),
            )
            self._event(
                row["ticketSeq"],
                "escalation",
                agent,
                f"Microsoft case number recorded: {case_id}",
                now,
                before,
                case_id,
            )
            self.audit(  # type: ignore[attr-defined]
                agent,
                "escalation.case_number",
                "escalation",
                str(escalation_id),
                {"before": {"microsoftCaseId": before}, "after": {"microsoftCaseId": case_id}},
            )
        fresh = self.escalation(escalation_id)
        assert fresh is not None
        return fresh

    def record_microsoft_update(
        self,
        escalation_id: int,
        *,
        microsoft_state: str | None,
        closed: bool,
        messages: Sequence[dict[str, Any]],
        agent: str,
    ) -> int:
        """Copy Microsoft's new messages (each once, by ``key``) and state onto the escalation and its ticket's
        timeline; a closed case sends a ticket still waiting on Microsoft back to ``in_progress``. Returns the
        number of new timeline events."""
        now = to_iso(utcnow())
        added: list[int] = []

        def write(_: dict[str, Any] | None = None) -> None:
            esc = self.conn.execute("SELECT * FROM escalations WHERE id = ?", (escalation_id,)).fetchone()
            seq = esc["ticketSeq"]
            for m in messages:
                cursor = self.conn.execute(
                    "INSERT OR IGNORE INTO escalation_messages (escalationId, key, createdDate) VALUES (?, ?, ?)",
                    (escalation_id, m["key"], m.get("createdDate")),
                )
                if cursor.rowcount:
                    when = m.get("createdDate") or now
                    self._event(seq, "microsoft", m.get("author") or "Microsoft", m["text"], when)
                    added.append(1)
            new_state = "closed" if closed else esc["state"]
            if closed:  # nothing more to change on a case Microsoft closed
                self.conn.execute(
                    "UPDATE outbox SET state = 'cancelled' WHERE escalationId = ? AND kind = 'update' "
                    "AND state = 'pending'",
                    (escalation_id,),
                )
            if (microsoft_state is not None and microsoft_state != esc["microsoftState"]) or new_state != esc["state"]:
                text = f"Microsoft case {esc['microsoftCaseId']}: {microsoft_state or new_state}"
                self._event(seq, "escalation", agent, text, now, esc["microsoftState"], microsoft_state or new_state)
                added.append(1)
            self.conn.execute(
                "UPDATE escalations SET microsoftState = coalesce(?, microsoftState), state = ?, lastPolledDate = ?, "
                "lastError = NULL WHERE id = ?",
                (microsoft_state, new_state, now, escalation_id),
            )
            if added:
                self.conn.execute("UPDATE escalations SET lastModifiedDate = ? WHERE id = ?", (now, escalation_id))
                self.reindex_tickets([seq])  # type: ignore[attr-defined]

        row = self.conn.execute(
            "SELECT t.id, t.status, e.state FROM escalations e JOIN tickets t ON t.seq = e.ticketSeq WHERE e.id = ?",
            (escalation_id,),
        ).fetchone()
        if closed and row["state"] != "closed" and row["status"] == "waiting_microsoft":
            # The case is back with the partner: the ticket leaves "waiting on Microsoft", atomically.
            event = {"kind": "status_change", "fromValue": "waiting_microsoft", "toValue": "in_progress"}
            event["text"] = "Microsoft closed the case"
            self.update_ticket(  # type: ignore[attr-defined]
                row["id"],
                expected_version=None,
                changes={"status": "in_progress"},
                events=[event],
                agent=agent,
                action="ticket.status",
                also=write,
            )
        else:
            with self.transaction():  # type: ignore[attr-defined]
                write()
        return len(added)

    def mark_messages_seen(self, escalation_id: int, keys: Sequence[str]) -> None:
        """Messages of ours that Microsoft will list with its own: never copied back as Microsoft's."""
        with self.transaction():  # type: ignore[attr-defined]
            self.conn.executemany(
                "INSERT OR IGNORE INTO escalation_messages (escalationId, key) VALUES (?, ?)",
                [(escalation_id, key) for key in keys],
            )

    def poll_failed(self, escalation_id: int, error: str) -> None:
        with self.transaction():  # type: ignore[attr-defined]
            self.conn.execute(
                "UPDATE escalations SET lastError = ?, lastPolledDate = ? WHERE id = ?",
                (error, to_iso(utcnow()), escalation_id),
            )
