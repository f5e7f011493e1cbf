"""The kinds of notice, and what each one says. Pure text, no store: the code path that makes a change calls
these for the notice it writes in the same transaction (:mod:`console.store.notices`).

Untrusted text (Microsoft's messages, customers' names, ticket titles) goes in as it is and is cleaned where it
is shown (``console.shared.safe_text`` and a Rich ``Text``), never here: the stored notice is the record."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from console.settings.local_time import short

#: How much of Microsoft's message a notice quotes (the ticket's timeline has the rest).
QUOTE = 200


class Kind(StrEnum):
    MICROSOFT = "microsoft"
    BREACH = "breach"
    TAKEOVER = "takeover"
    SUSPENSION = "suspension"
    AUDIT = "audit"


#: Each kind's title, as a toast and the list of notices show it.
TITLES = {
    Kind.MICROSOFT: "Microsoft replied",
    Kind.BREACH: "About to breach",
    Kind.TAKEOVER: "Taken over",
    Kind.SUSPENSION: "Customer suspended",
    Kind.AUDIT: "Audit trail broken",
}


@dataclass(frozen=True)
class Notice:
    """One notice to an agent, as stored."""

    id: int
    agent: str
    kind: str
    ticketId: str | None
    customerId: str | None
    text: str
    createdAt: str
    seenAt: str | None
    #: The moment the notice is about (a breach warning's due time, UTC ISO 8601), said in each reader's zone.
    dueAt: str | None = None

    @property
    def title(self) -> str:
        try:
            return TITLES[Kind(self.kind)]
        except ValueError:  # a kind of a newer console: shown by its name
            return self.kind

    def says(self, zone: str) -> str:
        """The notice's text for a reader whose desk is in ``zone``: the due time it is about in that zone,
        labelled (``due 11-23 12:05 JST``), however the console that wrote it was set. Still untrusted text:
        clean it where it is shown."""
        if self.dueAt and self.dueAt in self.text:  # (before the title: the first occurrence is the due time)
            return self.text.replace(self.dueAt, short(self.dueAt, zone, label=True), 1)
        return self.text


def microsoft_replied(ticket_id: str, case_id: str | None, count: int, author: str, latest: str) -> str:
    """``CSP-000123: Engineer Sato on case 2611230010000001: Please send the query plan…`` (the latest of
    ``count`` new messages)."""
    case = f" on case {case_id}" if case_id else ""
    more = f" (+{count - 1} more)" if count > 1 else ""
    quote = " ".join(latest.split())
    if len(quote) > QUOTE:
        quote = quote[: QUOTE - 1] + "…"
    return f"{ticket_id}: {author}{case}{more}: {quote}"


def microsoft_closed(ticket_id: str, case_id: str | None) -> str:
    return f"{ticket_id}: Microsoft closed case {case_id or '(no number)'}; the ticket is back with the desk"


def taken_over(ticket_id: str, by: str, to: str | None, title: str) -> str:
    """``CSP-000123 taken over by li.wei: title`` (or assigned by a lead to a third agent, or unassigned)."""
    if to == by:
        what = f"taken over by {by}"
    elif to is None:
        what = f"unassigned by {by}"
    else:
        what = f"assigned to {to} by {by}"
    return f"{ticket_id} {what}: {title}"


def suspended(company: str, by: str, open_tickets: int) -> str:
    tickets = f"{open_tickets} open ticket{'' if open_tickets == 1 else 's'} of yours"
    return f"{company} suspended for non-payment by {by} ({tickets})"


def breaching(ticket_id: str, due: str, first_response: bool, title: str) -> str:
    """``CSP-000123 first response due 2026-11-23T03:05:00Z: title``: the due time as stored (UTC), which the
    notice also keeps as its ``dueAt`` and :meth:`Notice.says` turns into the reader's time
    (``due 11-23 12:05 JST``): the consoles sweeping and reading may be set to different zones."""
    target = "first response" if first_response else "resolution"
    return f"{ticket_id} {target} due {due}: {title}"
