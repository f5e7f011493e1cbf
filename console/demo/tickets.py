"""The demo's tickets as rows: every category, severity, service and status, in English and Japanese, hostile
text included; each with its SLA clocks, timeline and search text. Pure row building from the seeded random
stream (in the order the rows are drawn); ``workspace`` writes the rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from console.demo import content, ticket_text
from console.demo.accounts import Customer
from console.records.kinds import TICKETS
from console.shared import model
from console.shared.clock import to_iso
from console.sla import clocks as sla
from console.store.ticket_columns import ticket_columns
from console.tickets.search_text import search_form

COLUMNS = [
    "seq",
    *TICKETS.field_names,
    "severityRank",
    "isOpen",
    "slaDueDate",
    "lastModifiedDate",
    "customerName",
    "claimedUntil",
    "firstResponseBreachedDate",
    "resolutionBreachedDate",
    "slaPausedSince",
]
TIMELINE_COLUMNS = ["ticketSeq", "kind", "author", "createdDate", "text", "fromValue", "toValue"]
_DERIVED = ("severityRank", "isOpen", "slaDueDate", "lastModifiedDate")
#: Live claims per agent in the demo: an agent works a handful of tickets at once (before issue 23 the demo gave
#: 40 % of the assigned tickets in work a claim: 2,900 live claims per agent at a million tickets).
LIVE_CLAIMS = 12


@dataclass(frozen=True)
class Spread:
    """What holds for every ticket of one demo: its clock, the customers' SLA policies, who works tickets."""

    now: datetime
    stamp: str  # now, as the rows say it
    policies: dict[str, sla.SlaPolicy]
    open_share: float  # of the tickets past the first 60, how many are still open
    statuses: tuple[str, ...] = tuple(s.value for s in model.TicketStatus)
    open_statuses: tuple[str, ...] = tuple(s.value for s in model.OPEN_STATUSES)
    agents: tuple[str, ...] = tuple(login for login, _, roles in content.AGENTS if "sales_agent" not in roles)
    channels: tuple[str, ...] = tuple(c.value for c in model.Channel)
    #: Live claims given so far, per agent (at most :data:`LIVE_CLAIMS` each).
    claims: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, count: int, now: datetime, policies: dict[str, sla.SlaPolicy]) -> Spread:
        return cls(now, to_iso(now), policies, 0.5 if count <= 5000 else 0.12)


@dataclass
class TicketRows:
    """One ticket's row in ``tickets`` (in ``COLUMNS``' order), its timeline rows and its search-index row."""

    row: list[Any]
    timeline: list[tuple[Any, ...]]
    index: tuple[int, str, str, str]
    customer_id: str = ""
    proration: tuple[str, int] | None = None  # (offer, seats added) when the ticket asks about a prorated charge


def ticket(rng: random.Random, seq: int, customers: list[Customer], spread: Spread) -> TicketRows:
    """The ``seq``-th ticket. Every status, severity, service and category appears even in a small demo."""
    customer = customers[rng.randrange(len(customers))] if seq > 40 else customers[seq % len(customers)]
    hostile = seq <= len(ticket_text.HOSTILE) * 2 and seq % 2 == 1
    service, category, severity, title, body, proration = _text(rng, seq, customer, hostile)
    if seq <= 60:
        status = spread.statuses[seq % len(spread.statuses)]
        severity = [s.value for s in model.Severity][seq % 4] if not hostile else severity
    elif rng.random() < spread.open_share:
        status = rng.choice(spread.open_statuses)
    else:
        status = rng.choice(["resolved", "closed"])
    if hostile:
        status = "new"
    if 40 < seq <= 48:
        service, category = None, None  # arrived unclassified
    record = _record(rng, seq, customer, spread, status, severity)
    record.update(service=service, category=category, title=title, body=body)
    made = _rows(rng, seq, customer, spread, record)
    made.customer_id, made.proration = customer.id, proration
    return made


def _text(
    rng: random.Random, seq: int, customer: Customer, hostile: bool
) -> tuple[str | None, str | None, str, str, str, tuple[str, int] | None]:
    """(service, category, severity, title, body, (offer, seats) when it asks about a prorated charge); a
    service of None: the ticket arrived unclassified."""
    if hostile:
        title, body = ticket_text.HOSTILE[(seq // 2) % len(ticket_text.HOSTILE)]
        return customer.services[0], "technical", "critical", title, body, None
    pool = ticket_text.TEMPLATES_JA if customer.japanese and rng.random() < 0.7 else ticket_text.TEMPLATES
    candidates = [t for t in pool if t[0] in customer.services] or ticket_text.TEMPLATES
    template = candidates[rng.randrange(len(candidates))]
    service, category, severity, title_t, body_t = template
    offer = next((o for s, o, _ in customer.subscriptions if s == service), "Microsoft 365 Business Basic")
    contact = rng.choice(content.CONTACTS_JA if customer.japanese else content.CONTACTS_EN)
    seats = rng.choice([3, 5, 10, 25])
    values = {
        "offer": offer,
        "seats": seats,
        "company": customer.name,
        "contact": contact,
        "amount": f"{rng.randint(100, 9000)}.00",
    }
    asks = (offer, seats) if template in ticket_text.PRORATION else None
    return service, category, severity, title_t.format(**values), body_t.format(**values), asks


def _times(
    rng: random.Random, status: str, is_open: bool, severity: str, now: datetime
) -> tuple[datetime, datetime | None, datetime | None]:
    """When the ticket was created, first answered (None: not yet) and resolved (None: still open)."""
    if status == "new":
        age = timedelta(minutes=rng.randint(3, 60 * 14))
    elif is_open:  # most open tickets are still inside their resolution target; some have breached it
        age = timedelta(minutes=rng.randint(30, int(60 * model.RESOLUTION_HOURS[model.Severity(severity)] * 1.25)))
    else:
        age = timedelta(minutes=rng.randint(60, 60 * 24 * 365))
    created = now - age
    first_response = created + timedelta(minutes=rng.randint(5, 300)) if status != "new" else None
    if first_response and first_response > now:
        first_response = now
    resolved = min(now, created + timedelta(hours=rng.randint(1, 96))) if not is_open else None
    if resolved and first_response and resolved < first_response:
        resolved = first_response
    return created, first_response, resolved


def _record(
    rng: random.Random, seq: int, customer: Customer, spread: Spread, status: str, severity: str
) -> dict[str, Any]:
    """The ticket record but for its classification and text (the caller fills those in)."""
    is_open = status in spread.open_statuses
    created, first_response, resolved = _times(rng, status, is_open, severity, spread.now)
    contact = rng.choice(content.CONTACTS_JA if customer.japanese else content.CONTACTS_EN)
    return {
        "id": model.ticket_id(seq),
        "customerId": customer.id,
        "contactName": contact,
        "contactEmail": f"{contact.split()[-1].lower()}@example.com"
        if not customer.japanese
        else f"user{seq % 97}@example.jp",
        "contactPhone": f"+81-3-{5000 + seq % 4000:04d}-{seq % 10000:04d}" if customer.japanese else None,
        "channel": spread.channels[seq % len(spread.channels)],
        "service": None,
        "category": None,
        "severity": severity,
        "status": status,
        "assignee": None if (status == "new" or rng.random() < 0.25) and is_open else rng.choice(spread.agents),
        "createdDate": to_iso(created),
        "firstResponseDate": to_iso(first_response) if first_response else None,
        "resolvedDate": to_iso(resolved) if resolved else None,
        "firstResponseDueDate": None,
        "resolutionDueDate": None,
        "title": None,
        "body": None,
        "resolutionCode": rng.choice(list(model.RESOLUTION_CODES)) if resolved else None,
    }


def _history(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The ticket's status changes ``(when, to, from)``: answered at its first response; a closed one worked on
    from then and closed at its resolution (one change straight to "resolved" at the first response left the
    resolution clock stopped there, while the ticket said it was resolved a day later)."""
    status, answered, resolved = record["status"], record["firstResponseDate"], record["resolvedDate"]
    if status == "new":
        return []
    if resolved is None or resolved == answered:
        return [(answered, status, "new")]
    return [(answered, "in_progress", "new"), (resolved, status, "in_progress")]


def _rows(rng: random.Random, seq: int, customer: Customer, spread: Spread, record: dict[str, Any]) -> TicketRows:
    """The ticket's rows, with its SLA clocks, a live claim for some, and a note for some."""
    status, now = record["status"], spread.now
    responded = status != "new"
    history = _history(record)
    clocks = sla.ticket_sla(record, history, spread.policies[customer.id], now).fields()
    record["firstResponseDueDate"] = clocks["firstResponseDueDate"]
    record["resolutionDueDate"] = clocks["resolutionDueDate"]
    derived = {**ticket_columns(record, spread.stamp), "slaDueDate": clocks["slaDueDate"]}
    # Some agents are working their tickets right now: a live claim with minutes left.
    working = record["assignee"] and status in ("triaged", "in_progress") and rng.random() < 0.4
    if working:  # an agent works a handful of tickets at once, however large the desk (the first ones drawn)
        held = spread.claims.get(record["assignee"], 0)
        working = held < LIVE_CLAIMS
        spread.claims[record["assignee"]] = held + working
    claimed_until = to_iso(now + timedelta(minutes=rng.randint(3, 30))) if working else None
    row = [
        seq,
        *(record[c] for c in TICKETS.field_names),
        *(derived[c] for c in _DERIVED),
        customer.name,
        claimed_until,
        clocks["firstResponseBreachedDate"],
        clocks["resolutionBreachedDate"],
        clocks["slaPausedSince"],
    ]
    timeline: list[tuple[Any, ...]] = []
    notes = ""
    author = record["assignee"] or spread.agents[0]
    if rng.random() < 0.2 and responded:
        notes = rng.choice(ticket_text.NOTES_JA if customer.japanese else ticket_text.NOTES_EN)
        timeline.append((seq, "note", author, record["firstResponseDate"], notes, None, None))
    for when, to, frm in history:
        timeline.append((seq, "status_change", author, when, None, frm, to))
    index = (seq, search_form(record["title"]), search_form(record["body"]), search_form(notes))
    return TicketRows(row, timeline, index)
