"""An agent's reply by mail, and the acknowledgement of a new mail ticket: the ticket's change, the message and
the outbox entry written in one transaction (so a reply is on the timeline if and only if it will be sent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from console.mail.compose import Outgoing, compose
from console.mail.message import Address
from console.shared import model
from console.shared.clock import to_iso
from console.store import Workspace
from console.store import mail as stored
from console.tickets.ops import MAX_NOTE, TicketInputError

#: What a reply may move a ticket to (``mail.reply_status``): waiting on the customer by default.
REPLY_STATUSES = (model.TicketStatus.WAITING_CUSTOMER.value, model.TicketStatus.IN_PROGRESS.value, "")


def record_outgoing(ws: Workspace, ticket: dict[str, Any], out: Outgoing, agent: str, now: datetime) -> int:
    """Store ``out`` as the desk's message on ``ticket`` and owe it to the SMTP server (inside the caller's
    transaction); its message row."""
    row = ws.mail.record(
        {
            "messageId": out.message_id,
            "direction": "out",
            "state": stored.SENT_REPLY,
            "ticketSeq": ticket["seq"],
            "fromEmail": out.sender,
            "toList": [(a.name, a.email) for a in out.to],
            "ccList": [(a.name, a.email) for a in out.cc],
            "subject": out.subject,
            "receivedDate": to_iso(now),
            "body": out.body,
            "size": len(out.raw),
            "author": agent,
        },
        out.raw,
    )
    ws.mail.enqueue(row, out.sender, out.recipients)
    return row


def reply(
    ws: Workspace,
    ticket: dict[str, Any],
    text: str,
    *,
    agent: str,
    now: datetime,
    desk: Address,
    signature: str,
    reply_status: str,
) -> tuple[dict[str, Any], Outgoing]:
    """Reply to the customer by mail: the reply on the timeline (it stops the first-response clock), the ticket
    moved to ``reply_status`` (unless it is empty or the ticket is resolved), the mail owed to the server."""
    body = text.strip()
    if not body:
        raise TicketInputError("text", "The reply is empty.")
    if len(body) > MAX_NOTE:
        raise TicketInputError("text", f"The reply is {len(body):,} characters; the limit is {MAX_NOTE:,}.")
    with ws.transaction():
        answering = ws.mail.latest_incoming(ticket["seq"])
        try:
            out = compose(desk=desk, ticket=ticket, answering=answering, text=body, signature=signature, when=now)
        except ValueError as exc:
            raise TicketInputError("to", str(exc)) from None
        changes: dict[str, Any] = {}
        if ticket["firstResponseDate"] is None:
            changes["firstResponseDate"] = to_iso(now)
        events: list[dict[str, Any]] = [{"kind": "reply", "text": body, "createdDate": to_iso(now)}]
        status = ticket["status"]
        if reply_status and status != reply_status and status in {s.value for s in model.OPEN_STATUSES}:
            changes["status"] = reply_status
            events.append(
                {"kind": "status_change", "fromValue": status, "toValue": reply_status, "text": "replied by mail"}
            )
        fresh = ws.tickets.update_ticket(
            ticket["id"],
            expected_version=None,
            changes=changes,
            events=events,
            agent=agent,
            action="ticket.reply",
            audit={"mail": out.message_id, "to": out.recipients},
        )
        record_outgoing(ws, fresh, out, agent, now)
    return fresh, out


def acknowledge(
    ws: Workspace, ticket_id: str, text: str, *, agent: str, now: datetime, desk: Address, signature: str
) -> Outgoing | None:
    """Owe the acknowledgement of new mail ticket ``ticket_id`` (inside the intake's transaction); it does not
    stop the first-response clock (no person answered yet)."""
    ticket = ws.tickets.ticket(ticket_id)
    if ticket is None or not ticket["contactEmail"]:
        return None
    answering = ws.mail.latest_incoming(ticket["seq"])
    out = compose(
        desk=desk,
        ticket=ticket,
        answering=answering,
        text=text,
        signature=signature,
        when=now,
        automatic=True,
        quote=False,
    )
    record_outgoing(ws, ticket, out, agent, now)
    return out
