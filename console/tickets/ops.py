"""What an agent does to a ticket: log it, claim, assign, classify, note, reply, change status, resolve.

The console and the command line both call these; each checks its input, carries the version the agent
saw (a change based on a stale version is refused by the store), and records the timeline and the audit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from console.notices import tell
from console.records.kinds import TICKETS, RecordError, validate
from console.shared import model
from console.shared.clock import parse_iso, to_iso
from console.store import Workspace
from console.tickets.queue_query import QueueQuery

MAX_NOTE = 20_000


class ClaimedByOther(Exception):
    """The ticket is held by another agent; taking it over needs confirmation (and the takeover role)."""

    def __init__(self, ticket_id: str, holder: str, until: str | None) -> None:
        self.ticket_id, self.holder, self.until = ticket_id, holder, until
        #: Who holds it, without the way to take it over (a key in the console, ``--takeover`` on the command line).
        self.held = self.held_in("UTC")
        super().__init__(f"{self.held}; take it over to work on it.")

    def held_in(self, zone: str) -> str:
        """:attr:`held` with the claim's end in the desk's ``zone``: ``… (claim runs until 12:30 JST)``."""
        from console.settings.local_time import clock_time

        lease = f" (claim runs until {clock_time(self.until, zone)})" if self.until else ""
        return f"{self.ticket_id} is held by {self.holder}{lease}"

    def said_in(self, zone: str) -> str:
        return f"{self.held_in(zone)}; take it over to work on it."


class TicketInputError(ValueError):
    """Bad input for a ticket action; the message says what to fix (``field`` names the form field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewTicket:
    """What the intake form collects."""

    customer_id: str
    channel: str
    title: str
    body: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    service: str | None = None
    category: str | None = None
    severity: str = "unknown"
    #: The plugins' intake fields of the ticket's service, ``(field id, value)`` (checked by the desk).
    fields: tuple[tuple[str, str], ...] = ()


def due_dates(created: datetime, severity: str) -> tuple[str, str]:
    """First-response and resolution due times for a new ticket of ``severity``."""
    sev = model.Severity(severity)
    first = created + timedelta(hours=model.FIRST_RESPONSE_HOURS[sev])
    resolution = created + timedelta(hours=model.RESOLUTION_HOURS[sev])
    return to_iso(first), to_iso(resolution)


def log_ticket(
    ws: Workspace,
    new: NewTicket,
    agent: str,
    now: datetime,
    services: set[str],
    fields: Sequence[tuple[str, str, str]] = (),
) -> str:
    """Validate and store a new ticket with its plugins' intake ``fields`` (``(plugin, field id, value)``, as the
    desk checked them); return its id. Raises :class:`TicketInputError`."""
    if not new.title.strip():
        raise TicketInputError("title", "A title is required: one line saying what the customer needs.")
    if len(new.title) > 300:
        raise TicketInputError("title", f"The title is {len(new.title)} characters; keep it under 300.")
    email = new.contact_email.strip()
    if email and ("@" not in email or " " in email or email.startswith("@") or email.endswith("@")):
        raise TicketInputError("contact_email", f"'{email}' is not an email address.")
    if not (new.contact_name.strip() or email or new.contact_phone.strip()):
        raise TicketInputError("contact_name", "Give at least one way to reach the contact: name, email or phone.")
    if ws.accounts.account_rows(new.customer_id) is None:
        raise TicketInputError("customer", "Pick the customer from the list.")
    first_due, resolution_due = due_dates(now, new.severity)
    raw = {
        "customerId": new.customer_id,
        "contactName": new.contact_name.strip() or None,
        "contactEmail": email or None,
        "contactPhone": new.contact_phone.strip() or None,
        "channel": new.channel,
        "service": new.service,
        "category": new.category,
        "severity": new.severity,
        "status": "new",
        "createdDate": to_iso(now),
        "firstResponseDueDate": first_due,
        "resolutionDueDate": resolution_due,
        "title": " ".join(new.title.split()),
        "body": new.body,
    }
    try:
        record = validate(TICKETS, raw, services)
    except RecordError as exc:
        raise TicketInputError(exc.field, exc.message) from None
    return ws.tickets.create_ticket(record, agent, fields)


def claim(
    ws: Workspace,
    ticket: dict[str, Any] | str,
    agent: str,
    now: datetime,
    lease: timedelta,
    *,
    takeover: bool = False,
    session: str | None = None,
    authorize: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Claim the ticket (a copy the caller read, or its id) for ``lease``: atomic, so of several agents
    claiming at once exactly one wins.

    A ticket held by someone else is refused (:class:`ClaimedByOther`) unless ``takeover``, which is
    recorded as such. With ``authorize`` (the desk's role check: raising refuses, nothing written) a claim
    asks it for ``ticket.claim``, or ``ticket.takeover`` for a ticket another holds: first from a read (the
    caller's copy for a takeover), then again for what the ticket as stored and locked makes of it (a takeover,
    or a plain claim of a ticket its holder let go meanwhile). The claim belongs to the console ``session`` that
    took it (``None``: the command line, no console's); claiming a ticket one already holds moves it to the
    session that claimed it last.
    """
    until = to_iso(now + lease)
    ticket_id = ticket["id"] if isinstance(ticket, dict) else ticket.strip().upper()
    # held by another: refused from a read, without queueing for the lock
    held = ticket if takeover and isinstance(ticket, dict) else ws.tickets.holder(ticket_id)
    if held is None:
        raise LookupError(f"no ticket {ticket_id}")
    if authorize is not None:
        authorize("ticket.takeover" if takeover and held["assignee"] not in (None, agent) else "ticket.claim")
    _nobody_else({**held, "id": ticket_id}, agent, takeover)
    # (its row locked: on PostgreSQL claims of other tickets run beside it; read back after the commit, so that
    # the claim's turn to write ends with it)
    ws.row_writes(lambda: _claim_locked(ws, ticket_id, agent, until, takeover, session, None, authorize))
    return _as_stored(ws, ticket_id)


def _nobody_else(current: dict[str, Any], agent: str, takeover: bool) -> None:
    if current["assignee"] not in (None, agent) and not takeover:
        raise ClaimedByOther(current["id"], current["assignee"], current["claimedUntil"])


def _claim_locked(
    ws: Workspace,
    ticket_id: str,
    agent: str,
    until: str,
    takeover: bool,
    session: str | None,
    picked: str | None,
    authorize: Callable[[str], None] | None = None,
) -> None:
    """The claim's writes, inside its transaction. What the claim changes is read from the ticket as stored,
    locked (not the caller's copy, which may be older: a status set meanwhile stays, and its events say what
    really changed; a ticket another agent claimed meanwhile is a takeover, authorized as one)."""
    current = ws.tickets.locked(ticket_id)
    _nobody_else(current, agent, takeover)
    previous = current["assignee"]
    action = "ticket.takeover" if takeover and previous not in (None, agent) else "ticket.claim"
    if authorize is not None:  # (in memory: what the row as locked makes of it, a takeover or a plain claim)
        authorize(action)
    changes: dict[str, Any] = {"assignee": agent, "claimedUntil": until, "claimSession": session}
    events: list[dict[str, Any]] = []
    if previous != agent:
        events.append({"kind": "assignment", "fromValue": previous, "toValue": agent})
    if current["status"] == "new":
        changes["status"] = "triaged"
        events.append({"kind": "status_change", "fromValue": "new", "toValue": "triaged"})
    ws.tickets.write_update(
        ticket_id,
        expected_version=None,
        changes=changes,
        events=events,
        agent=agent,
        action=action,
        precondition=lambda stored: _nobody_else(stored, agent, takeover),
        also=lambda current: tell.taken_over(ws, current, agent, agent),  # the holder it was taken from hears
        audit={"picked": picked} if picked else None,  # "next": the desk chose it, not the agent
        locked=current,
    )


def _as_stored(ws: Workspace, ticket_id: str) -> dict[str, Any]:
    fresh = ws.tickets.ticket(ticket_id)
    assert fresh is not None
    return fresh


def claim_next(
    ws: Workspace, q: QueueQuery, agent: str, now: datetime, lease: timedelta, *, session: str | None = None
) -> dict[str, Any] | None:
    """Claim the first open, unassigned ticket of the view ``q`` in its order ("next"); ``None`` when the view
    has none. The pick and the claim are one write transaction: two agents taking "next" at the same moment
    get two tickets, never the same one (and neither is refused because the other was quicker, nor waits for
    it on PostgreSQL: the pick passes over the tickets other claims have locked)."""
    until = to_iso(now + lease)

    def pick_and_claim() -> str | None:
        ticket_id = ws.queue.next_unassigned(q)
        if ticket_id is not None:  # (the claim reads the ticket it picked as stored, locked: its id is all it needs)
            _claim_locked(ws, ticket_id, agent, until, False, session, "next")
        return ticket_id

    taken = ws.row_writes(pick_and_claim)
    return None if taken is None else _as_stored(ws, taken)


def release(ws: Workspace, ticket: dict[str, Any], agent: str, *, session: str | None = None) -> dict[str, Any]:
    """Give up one's claim (in whichever session it was taken): the ticket goes back to the pool.

    With ``session`` (a console leaving), only a claim of that session is released: one the agent took again
    in another console or from the command line in the meantime is refused (:class:`ClaimedByOther`)."""

    def mine(current: dict[str, Any]) -> None:
        if current["assignee"] != agent:
            raise ClaimedByOther(current["id"], current["assignee"] or "nobody", current["claimedUntil"])
        if session is not None and current["claimSession"] != session:
            raise ClaimedByOther(current["id"], f"{agent} in another session", current["claimedUntil"])

    return ws.tickets.update_ticket(
        ticket["id"],
        expected_version=None,
        changes={"assignee": None, "claimedUntil": None, "claimSession": None},
        events=[{"kind": "assignment", "fromValue": agent, "toValue": None}],
        agent=agent,
        action="ticket.release",
        precondition=mine,
    )


def assign(ws: Workspace, ticket: dict[str, Any], assignee: str | None, agent: str) -> dict[str, Any]:
    """Give the ticket to ``assignee`` (``None``: unassign)."""
    if assignee is not None and not assignee.strip():
        raise TicketInputError("assignee", "Name the agent to assign, or choose unassigned.")
    changes: dict[str, Any] = {"assignee": assignee}
    if ticket.get("claimSession") is not None and assignee != ticket["assignee"]:
        changes["claimSession"] = None  # the claim is no longer its console's to release on leaving
    return ws.tickets.update_ticket(
        ticket["id"],
        expected_version=ticket["version"],
        changes=changes,
        events=[{"kind": "assignment", "fromValue": ticket["assignee"], "toValue": assignee}],
        agent=agent,
        action="ticket.assign",
        also=lambda current: tell.taken_over(ws, current, agent, assignee),
    )


def classify(
    ws: Workspace, ticket: dict[str, Any], agent: str, services: set[str], **fields: str | None
) -> dict[str, Any]:
    """Set service, category and/or severity. A new severity moves the SLA targets."""
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "service":
            if value is not None and value not in services:
                raise TicketInputError("service", f"Unknown service {value!r}.")
        elif name == "category":
            if value is not None and value not in {c.value for c in model.Category}:
                raise TicketInputError("category", f"Unknown category {value!r}.")
        elif name == "severity":
            if value not in {s.value for s in model.Severity}:
                raise TicketInputError("severity", f"Unknown severity {value!r}.")
        else:
            raise TicketInputError(name, f"{name} cannot be set here.")
        if ticket[name] != value:
            changes[name] = value
    if not changes:
        return ticket
    if "severity" in changes:
        first, resolution = due_dates(parse_iso(ticket["createdDate"]), changes["severity"])
        changes.update(firstResponseDueDate=first, resolutionDueDate=resolution)
    events = [
        {"kind": "field_change", "text": name, "fromValue": ticket[name], "toValue": changes[name]}
        for name in fields
        if name in changes
    ]
    return ws.tickets.update_ticket(
        ticket["id"],
        expected_version=ticket["version"],
        changes=changes,
        events=events,
        agent=agent,
        action="ticket.classify",
        also=lambda current: ws.escalations.queue_case_updates(current, changes, agent),  # open Azure cases follow
    )


def add_note(
    ws: Workspace,
    ticket: dict[str, Any],
    text: str,
    agent: str,
    now: datetime,
    *,
    reply: bool = False,
    action: str | None = None,
    audit: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An internal note, or (``reply``) a reply sent to the customer; the first reply stops the
    first-response clock. ``action`` is what the audit row says was done (a plugin's action adding its note:
    ``ticket.plugin_action``), ``audit`` what it adds to the row's detail."""
    body = text.strip()
    if not body:
        raise TicketInputError("text", "The note is empty.")
    if len(body) > MAX_NOTE:
        raise TicketInputError("text", f"The note is {len(body):,} characters; the limit is {MAX_NOTE:,}.")
    changes: dict[str, Any] = {}
    if reply and ticket["firstResponseDate"] is None:
        changes["firstResponseDate"] = to_iso(now)
    event = {"kind": "reply" if reply else "note", "text": body, "createdDate": to_iso(now)}
    # Notes only append: they never conflict, so no version is required.
    return ws.tickets.update_ticket(
        ticket["id"],
        expected_version=None,
        changes=changes,
        events=[event],
        agent=agent,
        action=action or ("ticket.reply" if reply else "ticket.note"),
        audit=audit,
    )


def set_status(
    ws: Workspace, ticket: dict[str, Any], status: str, agent: str, now: datetime, resolution_code: str | None = None
) -> dict[str, Any]:
    """Move the ticket to ``status``; resolving needs a resolution code, reopening clears it."""
    if status not in {s.value for s in model.TicketStatus}:
        raise TicketInputError("status", f"Unknown status {status!r}.")
    if status == ticket["status"]:
        return ticket
    changes: dict[str, Any] = {"status": status}
    if status in ("resolved", "closed"):
        code = resolution_code or ticket["resolutionCode"]
        if code not in model.RESOLUTION_CODES:
            raise TicketInputError("resolution_code", "Choose a resolution code to resolve the ticket.")
        changes.update(resolutionCode=code, resolvedDate=ticket["resolvedDate"] or to_iso(now), claimedUntil=None)
        if ticket.get("claimSession") is not None:
            changes["claimSession"] = None
    elif ticket["status"] in ("resolved", "closed"):
        changes.update(resolutionCode=None, resolvedDate=None)
    events = [
        {
            "kind": "status_change",
            "fromValue": ticket["status"],
            "toValue": status,
            "text": model.RESOLUTION_CODES.get(changes.get("resolutionCode") or ""),
        }
    ]
    return ws.tickets.update_ticket(
        ticket["id"],
        expected_version=ticket["version"],
        changes=changes,
        events=events,
        agent=agent,
        action="ticket.status",
        also=lambda current: ws.escalations.queue_case_updates(
            current, changes, agent
        ),  # resolved: the Azure case closes
    )
