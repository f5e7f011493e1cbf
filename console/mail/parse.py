"""Raw RFC 5322 bytes, as the desk's mailbox holds them, read into a :class:`~console.mail.message.ParsedMail`.

The message's structure is parsed by :mod:`email` (its feed parser with the ``compat32`` policy, which keeps each
header's raw text and builds no header objects: under the modern policy the header registry parsed each part's
Content-Type again at every look, more than half of a message's parse); its fields are read by this package's
own small readers (:mod:`~console.mail.headers`, :mod:`~console.mail.addresses`, :mod:`~console.mail.words`,
:mod:`~console.mail.bodies`), which read Japanese as Windows writes it. Whatever the bytes, :func:`parse_message`
returns a ``ParsedMail``:
what could not be read is said in its ``problems``, never raised. The sender's text is kept as it came
(markup, escape sequences and bidi controls included): the console makes it safe where it shows it. Nothing in
a message is run, fetched or rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import TypeVar

from console.mail import headers, loops
from console.mail.addresses import parse_addresses
from console.mail.bodies import Bodies, walk
from console.mail.history import fold
from console.mail.html_body import html_text
from console.mail.message import Address, ParsedMail
from console.mail.words import header_words

#: The desk's default limit on one attachment's decoded size: larger ones are listed, their bytes not kept.
MAX_ATTACHMENT = 25 * 1024 * 1024
_PARSER = BytesParser(policy=policy.compat32)
_NO_IDS: tuple[str, ...] = ()
_NO_ADDRESSES: tuple[Address, ...] = ()

T = TypeVar("T")


def _guarded(problems: list[str], what: str, default: T, read: Callable[[], T]) -> T:
    """``read()``, or ``default`` with the fault said in ``problems``: one field's fault never loses the mail."""
    try:
        return read()
    except Exception as exc:  # the sender's bytes against the readers: any fault at all is the message's problem
        problems.append(f"{what}: not readable ({type(exc).__name__})")
        return default


def _message(raw: bytes, problems: list[str]) -> Message:
    try:
        message = _PARSER.parsebytes(raw)
    except Exception as exc:  # deep nesting exhausts the parser's recursion, say
        problems.append(f"message: its MIME structure not readable ({type(exc).__name__}), read as headers and text")
        try:
            message = _PARSER.parsebytes(raw, headersonly=True)
        except Exception:
            message = Message()
    return message


def _addresses(fields: headers.Fields, name: str, problems: list[str]) -> tuple[Address, ...]:
    found: list[Address] = []
    for value in fields.all(name.lower()):
        found.extend(parse_addresses(value, problems, name))
    return tuple(found)


def _sender(fields: headers.Fields, problems: list[str]) -> Address | None:
    values = fields.all("from")
    if not values:
        problems.append("From: missing")
        return None
    if len(values) > 1:
        problems.append(f"From: {len(values)} From headers, the first taken")
    found = parse_addresses(values[0], problems, "From")
    if not found:
        return None
    if len(found) > 1:
        problems.append(f"From: {len(found)} addresses, the first taken")
    return found[0]


def _subject(fields: headers.Fields, problems: list[str]) -> str:
    return header_words(fields.first("subject") or "", problems, "Subject")


def _bodies(message: Message, max_attachment: int, problems: list[str]) -> tuple[str, bool, Bodies]:
    found = Bodies(max_attachment)
    try:
        walk(message, found)
    except Exception as exc:  # a fault deep in the parts: what was found before it is kept
        problems.append(f"body: not wholly readable ({type(exc).__name__})")
    problems.extend(found.problems)
    if any(text.strip() for text in found.texts):
        return "\n\n".join(text.strip("\n") for text in found.texts if text.strip()), False, found
    if found.htmls:
        text, problem = html_text("\n".join(found.htmls))
        if problem:
            problems.append(f"body: {problem}")
        return text, True, found
    return "\n\n".join(found.texts).strip("\n"), False, found


def parse_message(raw: bytes, *, max_attachment: int = MAX_ATTACHMENT) -> ParsedMail:
    """``raw`` (one message's bytes) as the desk reads it; attachments over ``max_attachment`` bytes (decoded)
    are listed with their size but not kept. Never raises."""
    raw = bytes(raw)
    problems: list[str] = []
    message = _message(raw, problems)
    fields = headers.Fields(_guarded(problems, "headers", [], lambda: list(message.raw_items())))
    message_id, id_problem = headers.message_id(fields.first("message-id"), raw)
    if id_problem:
        problems.append(id_problem)
    no_date: tuple[datetime | None, str | None] = (None, None)
    date, date_problem = _guarded(problems, "Date", no_date, lambda: headers.date(fields.first("date")))
    if date_problem:
        problems.append(date_problem)
    text, html_only, found = _bodies(message, max_attachment, problems)
    shown, history = _guarded(problems, "history", (text, ""), lambda: fold(text))
    in_reply_to = _guarded(problems, "In-Reply-To", _NO_IDS, lambda: headers.message_ids(fields.first("in-reply-to")))
    references = _guarded(problems, "References", _NO_IDS, lambda: headers.references(fields.all("references")))
    sender = _guarded(problems, "From", None, lambda: _sender(fields, problems))
    reply_to = _guarded(problems, "Reply-To", _NO_ADDRESSES, lambda: _addresses(fields, "Reply-To", problems))
    to = _guarded(problems, "To", _NO_ADDRESSES, lambda: _addresses(fields, "To", problems))
    cc = _guarded(problems, "Cc", _NO_ADDRESSES, lambda: _addresses(fields, "Cc", problems))
    subject = _guarded(problems, "Subject", "", lambda: _subject(fields, problems))
    automatic = _guarded(problems, "automatic", None, lambda: loops.automatic(message))
    return ParsedMail(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        sender=sender,
        reply_to=reply_to,
        to=to,
        cc=cc,
        subject=subject,
        date=date,
        text=shown,
        history=history,
        html_only=html_only,
        attachments=tuple(found.attachments),
        automatic=automatic,
        problems=tuple(problems),
        size=len(raw),
    )
