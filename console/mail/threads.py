"""Which ticket a mail belongs to, from its subject: the ticket reference the desk puts in every reply's subject
(``[CSP-001511]``), and the subject a new ticket takes."""

from __future__ import annotations

import re

#: ``[CSP-001511]`` anywhere in a subject, in ASCII or full-width brackets (a Japanese mailer's IME may turn
#: ``[`` into ``［``), any case.
TAG = re.compile(r"[\[［]\s*(CSP-\d{6,})\s*[\]］]", re.IGNORECASE)
#: Reply and forward prefixes, repeated: English, German, French, Japanese Outlook (返信, 転送), and the
#: full-width colon.
_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|tr|sv|vs|返信|転送)\s*(\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
#: A new ticket's title is at most this long (the intake form's limit is 300).
TITLE_LIMIT = 200


def tagged_ticket(subject: str) -> str | None:
    """The ticket id in ``subject``'s tag (the last one, where a forwarded reply carries several)."""
    found = TAG.findall(subject)
    return found[-1].upper() if found else None


def tag(ticket_id: str) -> str:
    return f"[{ticket_id}]"


def reply_subject(subject: str, ticket_id: str) -> str:
    """The subject of the desk's reply: ``Re:`` once, the ticket's tag once, at the end."""
    bare = TAG.sub("", _PREFIX.sub("", subject)).strip()
    return f"Re: {bare} {tag(ticket_id)}".replace("  ", " ").strip() if bare else f"Re: {tag(ticket_id)}"


def ticket_title(subject: str) -> str:
    """A new ticket's title from a mail's subject: without reply prefixes or tags, on one line, cut at
    :data:`TITLE_LIMIT` with "…"; ``(no subject)`` for an empty one."""
    bare = " ".join(TAG.sub("", _PREFIX.sub("", subject)).split())
    if not bare:
        return "(no subject)"
    return bare if len(bare) <= TITLE_LIMIT else bare[: TITLE_LIMIT - 1] + "…"
