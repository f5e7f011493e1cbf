"""The desk's outgoing mail: an agent's reply on a ticket's thread, or the acknowledgement of a new mail ticket.

A reply answers the customer's latest mail on the ticket: to its Reply-To (else its sender), with the other
people it was sent to in Cc (never the desk itself), ``In-Reply-To`` its Message-ID and ``References`` its
references and it (RFC 5322 section 3.6.4), so the customer's mail program threads it; the subject is the
customer's with ``Re:`` once and the ticket's tag (``[CSP-001511]``), which the intake follows when a mail
program drops the references. Under the text: the desk's signature, then the customer's mail quoted (``> ``).

An acknowledgement is automatic mail: ``Auto-Submitted: auto-replied`` (RFC 3834 section 5) and
``X-Auto-Response-Suppress: All`` (Microsoft's [MS-OXCMAIL] 2.2.3.2.14), so no auto-responder answers it.

Every message is UTF-8 (RFC 6532), quoted-printable or base64 as the ``email`` package chooses, with CRLF line
ends (``email.policy.SMTP``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

from console.mail.message import Address
from console.mail.threads import reply_subject, tag

#: A reply's References keeps at most this many ids (the oldest first, then the newest): long threads'
#: headers stay under mail servers' limits.
MAX_REFERENCES = 20


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the outbox: its bytes, Message-ID, envelope and what the ticket shows of it."""

    raw: bytes
    message_id: str
    sender: str
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    body: str

    @property
    def recipients(self) -> list[str]:
        return [a.email for a in (*self.to, *self.cc)]


def new_message_id(ticket_id: str, desk_address: str) -> str:
    """A Message-ID of the desk's (without brackets): random, naming the ticket, at the desk's domain."""
    domain = desk_address.rpartition("@")[2] or "csp-console.invalid"
    return f"{ticket_id.lower()}.{secrets.token_hex(12)}@{domain}"


def one_line(text: str) -> str:
    """A header value from untrusted text: control characters (CR and LF above all: header injection) become
    spaces, runs of space one."""
    return " ".join("".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text).split())


def _header_address(a: Address) -> HeaderAddress:
    local, _, domain = one_line(a.email).replace(" ", "").rpartition("@")
    return HeaderAddress(display_name=one_line(a.name), username=local, domain=domain)


def recipients_of(
    answering: Mapping[str, Any] | None, ticket: Mapping[str, Any], desk_address: str
) -> tuple[tuple[Address, ...], tuple[Address, ...]]:
    """To and Cc of a reply: the customer's Reply-To or sender, and the others the mail was sent to."""
    desk = desk_address.lower()
    if answering is not None:
        reply_to = [Address(str(n), str(e)) for n, e in answering.get("replyTo") or []]
        to = reply_to or [Address(answering.get("fromName") or "", answering.get("fromEmail") or "")]
        others = [
            Address(str(n), str(e)) for n, e in [*(answering.get("toList") or []), *(answering.get("ccList") or [])]
        ]
    else:
        to = [Address(ticket.get("contactName") or "", ticket.get("contactEmail") or "")]
        others = []
    to = [a for a in to if a.email]
    seen = {a.email.lower() for a in to} | {desk}
    cc: list[Address] = []
    for a in others:
        if a.email and a.email.lower() not in seen:
            seen.add(a.email.lower())
            cc.append(a)
    return tuple(to), tuple(cc)


def compose(
    *,
    desk: Address,
    ticket: Mapping[str, Any],
    answering: Mapping[str, Any] | None,
    text: str,
    signature: str,
    when: datetime,
    automatic: bool = False,
    quote: bool = True,
) -> Outgoing:
    """The reply (or with ``automatic``, the acknowledgement) on ``ticket`` answering its latest customer mail."""
    to, cc = recipients_of(answering, ticket, desk.email)
    if not to:
        raise ValueError(f"{ticket['id']} has no address to reply to: its contact has no email")
    subject = reply_subject(str((answering or {}).get("subject") or ticket.get("title") or ""), str(ticket["id"]))
    if automatic:
        subject = f"{tag(str(ticket['id']))} {ticket.get('title') or ''}".strip()
    message_id = new_message_id(str(ticket["id"]), desk.email)
    body = text.rstrip()
    if signature.strip():
        body += "\n\n-- \n" + signature.strip()
    if quote and answering is not None and (answering.get("body") or "").strip():
        body += "\n\n" + quoted(answering)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _header_address(desk)
    msg["To"] = [_header_address(a) for a in to]
    if cc:
        msg["Cc"] = [_header_address(a) for a in cc]
    msg["Subject"] = subject = one_line(subject)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{message_id}>"
    if answering is not None:
        parent = str(answering["messageId"])
        msg["In-Reply-To"] = f"<{parent}>"
        msg["References"] = " ".join(f"<{r}>" for r in references(answering.get("refs") or [], parent))
    if automatic:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(body + "\n", charset="utf-8")
    return Outgoing(msg.as_bytes(), message_id, desk.email, to, cc, subject, body)


def references(refs: Sequence[str], parent: str) -> list[str]:
    """The References of a reply to ``parent`` whose own References were ``refs``: them and it, the first
    kept and the latest ones when there are too many (RFC 5322 3.6.4)."""
    chain = [r for r in dict.fromkeys([*refs, parent]) if r]
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return chain


def quoted(answering: Mapping[str, Any]) -> str:
    """The customer's mail under the reply: who wrote when, then each line after ``> ``."""
    who = answering.get("fromName") or answering.get("fromEmail") or ""
    when = answering.get("sentDate") or answering.get("receivedDate") or ""
    lines = str(answering.get("body") or "").strip().splitlines()
    return f"{when} {who} <{answering.get('fromEmail') or ''}>:\n" + "\n".join(f"> {line}" for line in lines)
