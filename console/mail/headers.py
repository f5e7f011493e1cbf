"""A message's headers as the desk reads them: by name from their raw values, message ids and the date.

The raw values come from :meth:`email.message.Message.raw_items`, which costs nothing: the registry of
:mod:`email.policy.default` parses a header each time it is asked for, and slowly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from console.mail.words import header_text

#: RFC 5322's maximum line length: a longer "message id" is no id.
MAX_ID = 998
_IDS = re.compile(r"<([^<>]*)>|([^\s<>,\"]+@[^\s<>,\"]+)")
_WHITE = re.compile(r"\s+")


class Fields:
    """The raw values of a message's headers by lower-cased name, each name's values in order."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in items:
            self._values.setdefault(name.strip().lower(), []).append(str(value))

    def all(self, name: str) -> list[str]:
        return self._values.get(name, [])

    def first(self, name: str) -> str | None:
        values = self._values.get(name)
        return values[0] if values else None


def message_ids(raw: str | None) -> tuple[str, ...]:
    """The message ids of an In-Reply-To or References value, without angle brackets, in order, each once.

    A malformed value is read as far as it goes: ids without brackets (``a@b``), brackets without white space
    between (``<a@b><c@d>``), white space folded into an id; what is neither is skipped."""
    if not raw:
        return ()
    found: dict[str, None] = {}
    for match in _IDS.finditer(header_text(raw)):
        value = _WHITE.sub("", match.group(1) if match.group(1) is not None else match.group(2))
        if value and len(value) <= MAX_ID:
            found.setdefault(value)
    return tuple(found)


def references(raws: list[str]) -> tuple[str, ...]:
    """The message ids of every References header (a message should have one; some mailers write several)."""
    return message_ids(" ".join(raws))


def message_id(raw: str | None, message: bytes) -> tuple[str, str | None]:
    """The Message-ID without its brackets and, when there was none to read, the one made from the message's
    SHA-256 with the problem said (``None`` when the header was simply missing, as it is for much mail)."""
    ids = message_ids(raw)
    if ids:
        return ids[0], None
    made = f"sha256-{hashlib.sha256(message).hexdigest()}@csp-console.invalid"
    if raw is None:
        return made, None
    bare = _WHITE.sub("", header_text(raw))
    if bare and len(bare) <= MAX_ID and "<" not in bare and ">" not in bare:
        return bare, None  # an id without brackets or domain ("12345"): still the sender's id
    return made, f"Message-ID: {raw[:80]!r} is no message id, one made from the message"


def date(raw: str | None) -> tuple[datetime | None, str | None]:
    """The Date header in UTC (``None`` when missing or unreadable) and the problem in reading it."""
    if raw is None:
        return None, None
    text = header_text(raw).strip()
    try:
        moment = parsedate_to_datetime(text)
        if moment.tzinfo is None:  # "-0000": the time is UTC, its zone unknown (RFC 5322 §3.3)
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC), None
    except (TypeError, ValueError, OverflowError, IndexError):
        return None, f"Date: {text[:80]!r} is no date"
