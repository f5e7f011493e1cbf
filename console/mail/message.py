"""What a parsed mail is: the shapes :mod:`console.mail.parse` makes and the intake, the store and the screens use.

Everything here is the sender's text, untrusted: it is stored as it came and made safe where it is shown
(``console.shared.safe_text``), never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Address:
    """One mailbox: its display name (decoded from RFC 2047) and its address (the domain lower-cased)."""

    name: str
    email: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


@dataclass(frozen=True)
class Attachment:
    """A part the sender attached: its name made safe for a file system and a screen (no path, no control
    characters, at most 120 characters), its declared type, its size in bytes and its content (empty when it
    was over the desk's limit: ``kept`` is then false)."""

    filename: str
    content_type: str
    size: int
    data: bytes
    kept: bool = True
    #: ``Content-Disposition: inline`` (an image in the body, say) rather than ``attachment``.
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    """A message as the desk reads it."""

    #: The Message-ID without its angle brackets; one made from the message's SHA-256 when it has none
    #: (``sha256-<hex>@csp-console.invalid``), so the same bytes are always the same message.
    message_id: str
    #: In-Reply-To and References, each without angle brackets, in their header's order.
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    #: Decoded (RFC 2047), unfolded, on one line.
    subject: str
    #: The Date header in UTC, or ``None`` when it is missing or unreadable.
    date: datetime | None
    #: What the sender wrote this time, as readable text (an HTML-only mail turned into text).
    text: str
    #: What was folded away after it: quoted history and the signature (kept, shown on demand).
    history: str
    html_only: bool
    attachments: tuple[Attachment, ...]
    #: Why this is automatic mail that must never become a ticket nor be answered (``"auto-reply"``,
    #: ``"bounce"``, ``"list"``, with the header that says so), or ``None`` for a person's mail.
    automatic: str | None
    #: What could not be read as declared, each said plainly (``"body: charset 'x-unknown' unknown, read as
    #: UTF-8 with replacements"``); the message is still taken.
    problems: tuple[str, ...] = field(default=())
    #: The size of the raw message in bytes.
    size: int = 0
