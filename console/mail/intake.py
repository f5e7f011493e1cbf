"""Each mail once into the desk: a new ticket of the sender's customer, a reply joined to its ticket, an unknown
sender's mail kept for an agent to place, or automatic mail kept and ignored.

Where a mail goes (:meth:`Intake.place`):

1. Automatic mail (auto-replies, out-of-office, bounces, list mail: :mod:`console.mail.loops`) is kept and
   ignored: no ticket, no acknowledgement, so two auto-responders never talk to each other through the desk.
2. A reply joins its ticket by In-Reply-To/References (a message the desk read or sent), else by the ticket's
   tag in the subject (``[CSP-001511]``); only when its sender is of that ticket (its contact, a contact of its
   customer, or an address of its thread), so a stranger cannot write into another customer's ticket by copying
   a subject. A reply to a resolved ticket reopens it; to a closed one it starts a new ticket that names it.
3. Otherwise the sender decides the customer: an address an agent assigned (``mail_contacts``), a caller or
   billing contact of exactly one customer, or the domain of exactly one customer (never a public mail
   domain). A known sender's mail with a new subject is a new ticket (channel ``email``, created at the mail's
   arrival, so the SLA's first-response clock runs from then, in business hours); an unknown sender's mail
   waits in *Unmatched* until an agent says whose it is (:meth:`Intake.assign_sender`).
4. A sender past the rate limit (mails that became or joined tickets in the last hour) is ignored, said why.

A mail and what it did are one transaction: the message row (unique by Message-ID, and by mailbox, UIDVALIDITY
and UID), its raw bytes and attachments, and the ticket made or changed. The fetch moves a message to the
processed folder only after that commit (:mod:`console.mail.fetching`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from console.mail.message import ParsedMail
from console.mail.parse import parse_message
from console.mail.threads import tagged_ticket, ticket_title
from console.shared import model
from console.shared.clock import to_iso
from console.store import Workspace
from console.store import mail as stored
from console.tickets import ops as ticket_ops

log = logging.getLogger(__name__)

#: Mail domains anyone can have an address at: never a customer's by domain alone.
PUBLIC_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.jp",
        "hotmail.com",
        "hotmail.co.jp",
        "live.com",
        "live.jp",
        "msn.com",
        "yahoo.com",
        "yahoo.co.jp",
        "ymail.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "au.com",
        "softbank.ne.jp",
        "i.softbank.jp",
        "nifty.com",
        "biglobe.ne.jp",
        "ocn.ne.jp",
        "proton.me",
        "protonmail.com",
    }
)
#: A timeline entry of a mail keeps at most this much of its text (the whole mail stays in ``mail_messages``).
TIMELINE_LIMIT = ticket_ops.MAX_NOTE - 500
#: A ticket's body from a mail keeps at most this much.
BODY_LIMIT = 20_000
_REOPEN_FROM = (model.TicketStatus.RESOLVED.value, model.TicketStatus.WAITING_CUSTOMER.value)


@dataclass(frozen=True)
class Arrival:
    """One message as read: its bytes, when the mailbox got it, and where it was read (none for a file)."""

    raw: bytes
    arrived: datetime
    mailbox: str | None = None
    uid_validity: int | None = None
    uid: int | None = None


@dataclass(frozen=True)
class Placement:
    """Where a mail goes: ``state`` (a new ticket, joined, unmatched, ignored), the customer and the ticket."""

    state: str
    customer_id: str | None = None
    ticket: dict[str, Any] | None = None
    why: str | None = None


@dataclass(frozen=True)
class Taken:
    """What the intake did with one mail: its state, or ``duplicate`` (the desk had it already)."""

    state: str
    ticket_id: str | None = None
    why: str | None = None
    reopened: bool = False
    message_row: int | None = None


@dataclass
class IntakeSettings:
    """The desk's rules for the intake."""

    max_attachment: int = 25 * 1024 * 1024
    #: Mails from one sender that may become or join tickets in an hour.
    rate_limit: int = 20
    #: The status a customer's answer moves a ticket to (from waiting on the customer, or resolved).
    reopen_status: str = model.TicketStatus.IN_PROGRESS.value
    public_domains: Collection[str] = field(default_factory=lambda: PUBLIC_DOMAINS)


class Intake:
    """Takes mails into the workspace as ``agent`` (the runner's agent: the audit names it, with ``mail.receive``)."""

    def __init__(
        self,
        ws: Workspace,
        agent: str,
        clock: Callable[[], datetime],
        services: set[str],
        settings: IntakeSettings | None = None,
        *,
        on_new_ticket: Callable[[str, ParsedMail, int], None] | None = None,
    ) -> None:
        self.ws, self.agent, self.clock, self.services = ws, agent, clock, services
        self.settings = settings or IntakeSettings()
        #: Called inside the transaction of a new ticket from a person's mail (ticket id, the mail, its row):
        #: the acknowledgement is queued there, with the ticket.
        self.on_new_ticket = on_new_ticket

    # -- one mail ---------------------------------------------------------------------------------------
    def take(self, arrival: Arrival) -> Taken:
        """Store one mail and what it does, in one transaction; a mail the desk has already is ``duplicate``."""
        parsed = parse_message(arrival.raw, max_attachment=self.settings.max_attachment)
        arrived = min(arrival.arrived, self.clock())
        try:
            with self.ws.transaction():
                existing = self.ws.mail.message(parsed.message_id)
                if existing is not None:
                    if existing["rawSha256"] == stored.sha256(arrival.raw):
                        return Taken("duplicate", why=f"message {parsed.message_id} is stored already")
                    # Another message under a Message-ID the desk has (a forged or careless one): kept apart.
                    parsed = replace(parsed, message_id=f"{parsed.message_id}#{stored.sha256(arrival.raw)[:16]}")
                placement = self.place(parsed)
                try:
                    seq, ticket_id, reopened = self._apply(placement, parsed, arrived)
                except ticket_ops.TicketInputError as exc:  # checked before anything is written: kept, for an agent
                    placement = Placement(stored.UNMATCHED, placement.customer_id, why=f"not a ticket: {exc}")
                    seq, ticket_id, reopened = None, None, False
                row = self.ws.mail.record(
                    self._columns(parsed, arrival, arrived, placement, seq), arrival.raw, parsed.attachments
                )
                if placement.state == stored.NEW_TICKET and self.on_new_ticket is not None and ticket_id:
                    self.on_new_ticket(ticket_id, parsed, row)
        except stored.AlreadyStored:  # another runner stored it between our look and our insert
            return Taken("duplicate", why=f"message {parsed.message_id} was stored meanwhile")
        return Taken(placement.state, ticket_id, placement.why, reopened, row)

    def place(self, parsed: ParsedMail) -> Placement:
        """Where ``parsed`` goes (see the module's note); reads only."""
        if parsed.automatic:
            return Placement(stored.IGNORED, why=f"automatic mail: {parsed.automatic}")
        sender = parsed.sender
        if sender is None or not sender.email:
            return Placement(stored.UNMATCHED, why="the mail has no sender address")
        customer_id, how = self.customer_of(sender.email)
        ticket, refused = self._thread(parsed, customer_id)
        since = to_iso(self.clock() - timedelta(hours=1))
        if self.ws.mail.recent_from(sender.email, since) >= self.settings.rate_limit:
            limit = self.settings.rate_limit
            return Placement(stored.IGNORED, why=f"rate limit: {limit} mails from {sender.email} in the last hour")
        if ticket is not None and ticket["status"] != model.TicketStatus.CLOSED.value:
            return Placement(stored.JOINED, ticket["customerId"], ticket)
        if customer_id is None:
            return Placement(stored.UNMATCHED, why=refused or how)
        why = refused or (f"follows up closed ticket {ticket['id']}" if ticket is not None else None)
        return Placement(stored.NEW_TICKET, customer_id, ticket, why)

    def customer_of(self, email: str) -> tuple[str | None, str]:
        """The customer of a sender's address and how it was known, or ``None`` and why not."""
        email = email.strip().lower()
        assigned = self.ws.mail.contact(email)
        if assigned is not None:
            return assigned, "a contact an agent assigned"
        callers = self.ws.mail.caller_customers(email)
        if len(callers) == 1:
            return callers[0], "a contact of the customer's tickets"
        if len(callers) > 1:
            return None, f"{email} is a contact of {len(callers)} customers: an agent chooses"
        domain = email.rpartition("@")[2]
        if domain and domain not in self.settings.public_domains:
            by_domain = self.ws.directory.customers_of_domains([domain])
            if len(by_domain) == 1:
                return by_domain[0], f"the customer's domain {domain}"
            if len(by_domain) > 1:
                return None, f"{len(by_domain)} customers have the domain {domain}: an agent chooses"
        return None, f"{email} is not a contact of any customer yet"

    def _thread(self, parsed: ParsedMail, customer_id: str | None) -> tuple[dict[str, Any] | None, str | None]:
        """The ticket a reply belongs to, if its sender may write to it; else why a named ticket was refused."""
        seq = self.ws.mail.ticket_of([*parsed.references, *parsed.in_reply_to])
        named = model.ticket_id(seq) if seq is not None else tagged_ticket(parsed.subject)
        if named is None:
            return None, None
        ticket = self.ws.tickets.ticket(named)
        if ticket is None:
            return None, None
        email = parsed.sender.email.lower() if parsed.sender else ""
        if (
            customer_id == ticket["customerId"]
            or (ticket["contactEmail"] or "").lower() == email
            or email in self._thread_addresses(ticket["seq"])
        ):
            return ticket, None
        return None, f"names {ticket['id']}, but {email} is not of that ticket's customer"

    def _thread_addresses(self, seq: int) -> set[str]:
        addresses: set[str] = set()
        for m in self.ws.mail.of_ticket(seq):
            addresses.add(m["fromEmail"].lower())
            for entry in [*m["toList"], *m["ccList"]]:
                addresses.add(str(entry[1]).lower())
        return addresses

    # -- what a placement does ---------------------------------------------------------------------------
    def _apply(
        self, placement: Placement, parsed: ParsedMail, arrived: datetime
    ) -> tuple[int | None, str | None, bool]:
        """Make or change the ticket of ``placement`` (inside the transaction): ``(seq, id, reopened)``."""
        if placement.state == stored.JOINED and placement.ticket is not None:
            return self._join(placement.ticket, parsed, arrived)
        if placement.state == stored.NEW_TICKET and placement.customer_id is not None:
            body = parsed.text if len(parsed.text) <= BODY_LIMIT else parsed.text[: BODY_LIMIT - 1] + "…"
            if placement.ticket is not None:
                body = f"(Follows up {placement.ticket['id']}, which is closed.)\n\n{body}"
            sender = parsed.sender
            new = ticket_ops.NewTicket(
                customer_id=placement.customer_id,
                channel=model.Channel.EMAIL.value,
                title=ticket_title(parsed.subject),
                body=body,
                contact_name=sender.name if sender else "",
                contact_email=sender.email if sender else "",
            )
            ticket_id = ticket_ops.log_ticket(self.ws, new, self.agent, arrived, self.services)
            seq = model.ticket_seq(ticket_id)
            return seq, ticket_id, False
        return None, None, False

    def _join(self, ticket: dict[str, Any], parsed: ParsedMail, arrived: datetime) -> tuple[int, str, bool]:
        text = mail_entry(parsed)
        events: list[dict[str, Any]] = [{"kind": "mail", "text": text, "createdDate": to_iso(arrived)}]
        changes: dict[str, Any] = {}
        reopened = ticket["status"] == model.TicketStatus.RESOLVED.value
        if ticket["status"] in _REOPEN_FROM and ticket["status"] != self.settings.reopen_status:
            changes["status"] = self.settings.reopen_status
            if reopened:
                changes.update(resolutionCode=None, resolvedDate=None)
            events.append(
                {
                    "kind": "status_change",
                    "fromValue": ticket["status"],
                    "toValue": changes["status"],
                    "text": "the customer wrote",
                }
            )
        self.ws.tickets.update_ticket(
            ticket["id"],
            expected_version=None,
            changes=changes,
            events=events,
            agent=self.agent,
            action="mail.receive",
            audit={"messageId": parsed.message_id},
        )
        return int(ticket["seq"]), str(ticket["id"]), reopened

    def _columns(
        self, parsed: ParsedMail, arrival: Arrival, arrived: datetime, placement: Placement, seq: int | None
    ) -> dict[str, Any]:
        sender = parsed.sender
        return {
            "messageId": parsed.message_id,
            "direction": "in",
            "state": placement.state,
            "why": placement.why,
            "ticketSeq": seq,
            "mailbox": arrival.mailbox,
            "uidValidity": arrival.uid_validity,
            "uid": arrival.uid,
            "fromName": sender.name if sender else "",
            "fromEmail": sender.email.lower() if sender else "",
            "toList": [(a.name, a.email) for a in parsed.to],
            "ccList": [(a.name, a.email) for a in parsed.cc],
            "replyTo": [(a.name, a.email) for a in parsed.reply_to],
            "subject": parsed.subject,
            "sentDate": to_iso(parsed.date) if parsed.date else None,
            "receivedDate": to_iso(arrived),
            "inReplyTo": list(parsed.in_reply_to),
            "refs": list(parsed.references),
            "body": parsed.text,
            "history": parsed.history,
            "htmlOnly": int(parsed.html_only),
            "problems": list(parsed.problems),
            "size": parsed.size,
        }

    # -- an agent places an unknown sender -----------------------------------------------------------------
    def assign_sender(self, email: str, customer_id: str, name: str = "") -> list[Taken]:
        """``email`` is a contact of ``customer_id`` from now on (the caller checked the role and audits); each of
        its unmatched mails is placed again: a ticket each, or joined to one. One transaction."""
        email = email.strip().lower()
        if self.ws.accounts.account_rows(customer_id) is None:
            raise ticket_ops.TicketInputError("customer", f"no customer {customer_id}")
        done: list[Taken] = []
        with self.ws.transaction():
            self.ws.mail.add_contact(email, customer_id, name, self.agent)
            self.ws.audit(self.agent, "mail.assign", "customer", customer_id, {"email": email})
            for row in self.ws.mail.unmatched_from(email):
                raw = self.ws.mail.raw(row["id"]) or b""
                parsed = replace(
                    parse_message(raw, max_attachment=self.settings.max_attachment), message_id=row["messageId"]
                )
                placement = self.place(parsed)
                arrived = datetime.fromisoformat(row["receivedDate"].replace("Z", "+00:00"))
                seq, ticket_id, reopened = self._apply(placement, parsed, arrived)
                self.ws.mail.settle(row["id"], placement.state, seq, placement.why)
                done.append(Taken(placement.state, ticket_id, placement.why, reopened, row["id"]))
        return done


def mail_entry(parsed: ParsedMail) -> str:
    """A mail as a timeline entry: who wrote, the subject, what they wrote this time, its attachments."""
    sender = parsed.sender
    who = f"{sender.name} <{sender.email}>" if sender and sender.name else (sender.email if sender else "(no sender)")
    lines = [f"From: {who}", f"Subject: {parsed.subject}", "", parsed.text.strip()]
    if parsed.attachments:
        lines += ["", *(f"Attached: {a.filename} ({a.size:,} bytes)" for a in parsed.attachments)]
    text = "\n".join(lines)
    return text if len(text) <= TIMELINE_LIMIT else text[: TIMELINE_LIMIT - 1] + "…"
