"""Escalations to Microsoft and their durable outbox (part of the store: all SQL lives in this package).

A submission is written, with the ticket's move to ``waiting_microsoft``, in one transaction; delivery
happens afterwards and is recorded in another. Whatever happens in between, the row stays ``pending`` and
the next delivery completes it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from console.notices import kinds as notice
from console.store.base import Base
from console.store.notices import NoticeRepo
from console.store.outbox import CUSTOMER_TENANT, OutboxRepo
from console.store.tickets import TicketRepo

#: A case in one of these states is the ticket's case with Microsoft: another needs a reason.
OPEN_CASE_STATES = ("pending", "awaiting_case_number", "open")
_OPEN_MARKS = ", ".join("?" * len(OPEN_CASE_STATES))
AZURE_API = "azure_support_api"


#: The text of the status change an escalation writes (its case text is on the ``escalation`` event beside it).
ESCALATED = "escalated to Microsoft"


def escalation_status_events(status: str) -> list[dict[str, Any]]:
    """The timeline's record of an escalation moving a ticket in ``status`` to ``waiting_microsoft``: a
    ``status_change`` like any other, the one kind the SLA clocks read (issue 19: written as an ``escalation``
    event, the move was missed, and a case state that reads like a status, ``closed``, was taken for one)."""
    if status == "waiting_microsoft":
        return []
    return [{"kind": "status_change", "fromValue": status, "toValue": "waiting_microsoft", "text": ESCALATED}]


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


_SELECT = (
    "SELECT e.*, t.id AS ticketId, t.customerId AS ticketCustomerId, "
    f"{CUSTOMER_TENANT} AS customerTenantId "
    "FROM escalations e JOIN tickets t ON t.seq = e.ticketSeq "
    "LEFT JOIN customers c ON c.id = coalesce(e.customerId, t.customerId)"
)


class EscalationRepo:
    """Escalations to Microsoft: opening one with its ticket's move, their state as Microsoft reports it."""

    def __init__(self, db: Base, tickets: TicketRepo, outbox: OutboxRepo, notices: NoticeRepo) -> None:
        self.db = db
        self.tickets = tickets
        self.outbox = outbox
        self.notices = notices

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
        now = self.db.now()
        created: list[int] = []

        def one_case(current: dict[str, Any]) -> None:
            if not another_reason:
                self._refuse_second_case(current)

        def write(current: dict[str, Any]) -> None:
            created.append(self._insert(current, escalation, outbox, agent, now, another_reason))

        changes: dict[str, Any] = {} if ticket["status"] == "waiting_microsoft" else {"status": "waiting_microsoft"}
        if ticket["status"] in ("resolved", "closed"):  # escalating reopens it
            changes.update(resolutionCode=None, resolvedDate=None)
        events = [{"kind": "escalation", "text": event_text}, *escalation_status_events(ticket["status"])]
        fresh = self.tickets.update_ticket(
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

    def _refuse_second_case(self, current: dict[str, Any]) -> None:
        """:class:`CaseAlreadyOpen` while ticket ``current`` has a case open with Microsoft."""
        rows = self.db.conn.execute(
            f"SELECT * FROM escalations WHERE ticketSeq = ? AND state IN ({_OPEN_MARKS}) ORDER BY id",
            (current["seq"], *OPEN_CASE_STATES),
        ).fetchall()
        if rows:
            raise CaseAlreadyOpen(current["id"], [dict(r) for r in rows])

    def _insert(
        self,
        current: dict[str, Any],
        escalation: dict[str, Any],
        outbox: dict[str, Any] | None,
        agent: str,
        now: str,
        another_reason: str | None,
    ) -> int:
        """Store the escalation of ticket ``current`` (and its delivery) with its audit row; return its id."""
        row = {
            **escalation,
            "ticketSeq": current["seq"],
            "createdBy": agent,
            "createdDate": now,
            "lastModifiedDate": now,
        }
        cols = list(row)
        cursor = self.db.conn.execute(self.db.dialect.insert("escalations", cols), [row[c] for c in cols])
        escalation_id = int(cursor.lastrowid or 0)
        if outbox is not None:
            self.outbox.enqueue(escalation_id, outbox, agent, now)
        detail = {
            "escalation": escalation_id,
            "vehicle": row["vehicle"],
            "state": row["state"],
            **({"anotherCaseReason": another_reason} if another_reason else {}),
        }
        self.db.audit(agent, "escalation.create", "ticket", current["id"], detail)
        return escalation_id

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
        now = self.db.now()
        rows = self.db.conn.execute(
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
            self.outbox.enqueue(esc["id"], item, agent, now)
            what = ", ".join(f"{k} {v}" for k, v in wanted.items())
            self.tickets.add_event(
                current["seq"], "escalation", agent, f"Azure support ticket {esc['ticketName']}: {what} queued", now
            )
            queued += 1
        return queued

    def enqueue_message(self, escalation_id: int, item: dict[str, Any], agent: str, ticket_event: str) -> int:
        """A message to Microsoft on an open case, delivered through the outbox; the ticket's timeline says so."""
        now = self.db.now()
        with self.db.transaction():
            outbox_id = self.outbox.enqueue(escalation_id, item, agent, now)
            seq = self.db.conn.execute("SELECT ticketSeq FROM escalations WHERE id = ?", (escalation_id,)).fetchone()[0]
            self.tickets.add_event(seq, "escalation", agent, ticket_event, now)
            self.db.audit(agent, "escalation.message", "escalation", str(escalation_id), {"outbox": outbox_id})
        return outbox_id

    # -- reading -------------------------------------------------------------------------------
    def escalation(self, escalation_id: int) -> dict[str, Any] | None:
        row = self.db.conn.execute(f"{_SELECT} WHERE e.id = ?", (escalation_id,)).fetchone()
        return dict(row) if row else None

    def escalations(self, states: Sequence[str] = (), ticket_id: str | None = None) -> list[dict[str, Any]]:
        sql, args = f"{_SELECT} WHERE 1 = 1", []
        if states:
            sql += f" AND e.state IN ({','.join('?' * len(states))})"
            args += list(states)
        if ticket_id:
            sql += " AND t.id = ?"
            args.append(ticket_id)
        return [dict(r) for r in self.db.conn.execute(sql + " ORDER BY e.id", args)]

    def escalations_of(self, customer_id: str, *, open_only: bool = True) -> list[dict[str, Any]]:
        where = "AND e.state NOT IN ('closed', 'cancelled')" if open_only else ""
        rows = self.db.conn.execute(
            "SELECT e.*, t.id AS ticketId FROM escalations e JOIN tickets t ON t.seq = e.ticketSeq "
            f"WHERE t.customerId = ? {where} ORDER BY e.createdDate",
            (customer_id,),
        )
        return [dict(r) for r in rows]

    def signature_incidents_since(self, since: str) -> int:
        """Signature Cloud Support incidents opened since ``since`` (they are counted against the year's)."""
        row = self.db.conn.execute(
            "SELECT count(*) FROM escalations WHERE vehicle = 'signature' AND createdDate >= ? AND state != 'failed'",
            (since,),
        ).fetchone()
        return int(row[0])

    def record_case_number(self, escalation_id: int, case_id: str, agent: str) -> dict[str, Any]:
        """The Microsoft case number of a handed-off escalation, as the agent read it from the admin centre."""
        now = self.db.now()
        with self.db.transaction():
            row = self.db.conn.execute("SELECT * FROM escalations WHERE id = ?", (escalation_id,)).fetchone()
            if row is None:
                raise LookupError(f"no escalation {escalation_id}")
            before = row["microsoftCaseId"]
            self.db.conn.execute(
                "UPDATE outbox SET state = 'cancelled' WHERE escalationId = ? AND kind = 'create' AND state = 'failed'",
                (escalation_id,),
            )
            self.db.conn.execute(
                "UPDATE escalations SET microsoftCaseId = ?, "
                "state = CASE WHEN state IN ('awaiting_case_number', 'pending') "
                "THEN 'open' ELSE state END, lastModifiedDate = ? WHERE id = ?",
                (case_id, now, escalation_id),
            )
            self.tickets.add_event(
                row["ticketSeq"],
                "escalation",
                agent,
                f"Microsoft case number recorded: {case_id}",
                now,
                before,
                case_id,
            )
            self.db.audit(
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
        now = self.db.now()
        added: list[int] = []

        def write(_: dict[str, Any] | None = None) -> None:
            added.append(self._copy_update(escalation_id, microsoft_state, closed, messages, agent, now))

        row = self.db.conn.execute(
            "SELECT t.id, t.status, e.state FROM escalations e JOIN tickets t ON t.seq = e.ticketSeq WHERE e.id = ?",
            (escalation_id,),
        ).fetchone()
        if closed and row["state"] != "closed" and row["status"] == "waiting_microsoft":
            # The case is back with the partner: the ticket leaves "waiting on Microsoft", atomically.
            event = {"kind": "status_change", "fromValue": "waiting_microsoft", "toValue": "in_progress"}
            event["text"] = "Microsoft closed the case"
            self.tickets.update_ticket(
                row["id"],
                expected_version=None,
                changes={"status": "in_progress"},
                events=[event],
                agent=agent,
                action="ticket.status",
                also=write,
            )
        else:
            with self.db.transaction():
                write()
        return added[0]

    def _copy_update(
        self,
        escalation_id: int,
        microsoft_state: str | None,
        closed: bool,
        messages: Sequence[dict[str, Any]],
        agent: str,
        now: str,
    ) -> int:
        """The writes of :meth:`record_microsoft_update` (inside its transaction); the number of new events."""
        conn = self.db.conn
        esc = conn.execute("SELECT * FROM escalations WHERE id = ?", (escalation_id,)).fetchone()
        seq = esc["ticketSeq"]
        fresh = []
        for m in messages:
            cursor = conn.execute(
                f"{self.db.dialect.insert_or_ignore} INTO escalation_messages (escalationId, key, createdDate) "
                "VALUES (?, ?, ?)",
                (escalation_id, m["key"], m.get("createdDate")),
            )
            if cursor.rowcount:
                when = m.get("createdDate") or now
                self.tickets.add_event(seq, "microsoft", m.get("author") or "Microsoft", m["text"], when)
                fresh.append(m)
        added, case, by = len(fresh), esc["microsoftCaseId"], esc["createdBy"]
        if fresh:  # the ticket's assignee (else who escalated) hears of it in every console (issue 19)
            author, text = fresh[-1].get("author") or "Microsoft", fresh[-1]["text"]
            self.notices.to_assignee(
                seq, "microsoft", lambda t: notice.microsoft_replied(t, case, added, author, text), otherwise=by
            )
        new_state = "closed" if closed else esc["state"]
        if closed and esc["state"] != "closed":
            self.notices.to_assignee(seq, "microsoft", lambda t: notice.microsoft_closed(t, case), otherwise=by)
        if closed:  # nothing more to change on a case Microsoft closed
            conn.execute(
                "UPDATE outbox SET state = 'cancelled' WHERE escalationId = ? AND kind = 'update' "
                "AND state = 'pending'",
                (escalation_id,),
            )
        if (microsoft_state is not None and microsoft_state != esc["microsoftState"]) or new_state != esc["state"]:
            text = f"Microsoft case {esc['microsoftCaseId']}: {microsoft_state or new_state}"
            self.tickets.add_event(
                seq, "escalation", agent, text, now, esc["microsoftState"], microsoft_state or new_state
            )
            added += 1
        conn.execute(
            "UPDATE escalations SET microsoftState = coalesce(?, microsoftState), state = ?, lastPolledDate = ?, "
            "lastError = NULL WHERE id = ?",
            (microsoft_state, new_state, now, escalation_id),
        )
        if added:
            conn.execute("UPDATE escalations SET lastModifiedDate = ? WHERE id = ?", (now, escalation_id))
            self.tickets.reindex_tickets([seq])
            # (what the round copied onto the ticket is audited like every other change of it: pg_audited)
            detail = {"messages": len(fresh), "microsoftState": microsoft_state, "state": new_state, "case": case}
            self.db.audit(agent, "escalation.microsoft_update", "escalation", str(escalation_id), detail)
        return added

    def mark_messages_seen(self, escalation_id: int, keys: Sequence[str]) -> None:
        """Messages of ours that Microsoft will list with its own: never copied back as Microsoft's."""
        with self.db.transaction():
            self.db.conn.executemany(
                f"{self.db.dialect.insert_or_ignore} INTO escalation_messages (escalationId, key) VALUES (?, ?)",
                [(escalation_id, key) for key in keys],
            )

    def poll_failed(self, escalation_id: int, error: str) -> None:
        with self.db.transaction():
            self.db.conn.execute(
                "UPDATE escalations SET lastError = ?, lastPolledDate = ? WHERE id = ?",
                (error, self.db.now(), escalation_id),
            )
