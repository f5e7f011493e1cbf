"""IMAP on the wire: response text as :mod:`imaplib` hands it over, read into values (the FETCH responses of a
UID FETCH, the text of a server's refusal), and the arguments we write (folder names, UID sets).

imaplib returns a command's untagged data as a list in which a response with literals (RFC 3501 section 4.3,
``{n}`` then ``n`` bytes) is split: a ``(text before the literal, literal)`` tuple per literal, then the bytes
of the rest of the line. A new response starts at an item whose text does not start with a space or ``)``:
after a literal the response can only go on with one of them (RFC 3501 section 9, ``msg-att``). Items of a
FETCH response come in any order (RFC 3501 section 7.4.2) and the server may add unsolicited ones (FLAGS).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeAlias

from console.shared.safe_text import clean_line

#: A parsed value: an atom or quoted string (bytes), a literal (bytes), NIL (None) or a parenthesized list.
Value: TypeAlias = bytes | list["Value"] | None

_INTERNALDATE = "%d-%b-%Y %H:%M:%S %z"  # RFC 3501 section 9, date-time: "17-Jul-1996 02:44:25 -0700"
_LITERAL = re.compile(rb"\{(\d+)\+?\}$")


@dataclass(frozen=True)
class Fetched:
    """One message read by UID FETCH: its UID, its bytes (``BODY[]``), when the server got it (INTERNALDATE, in
    UTC) and its size as the server counts it (RFC822.SIZE)."""

    uid: int
    raw: bytes
    internaldate: datetime
    size: int


def responses(data: Sequence[object]) -> Iterator[tuple[bytes, list[bytes]]]:
    """imaplib's untagged FETCH data as whole responses: each its text (a literal's place marked ``{n}``) and its
    literals in order."""
    text = b""
    literals: list[bytes] = []
    started = False
    for item in data:
        head, literal = (item[0], item[1]) if isinstance(item, tuple) else (item, None)
        if not isinstance(head, bytes):
            continue  # imaplib puts None for an empty response
        if started and head[:1] not in (b" ", b")"):
            yield text, literals
            text, literals = b"", []
        started = True
        text += head
        if isinstance(literal, bytes):
            literals.append(literal)
    if started:
        yield text, literals


def _tokens(text: bytes, literals: list[bytes]) -> Iterator[bytes | tuple[str, bytes | None]]:
    """The tokens of a response's text: ``(`` and ``)`` as bytes, values as ``("v", value)``."""
    taken = iter(literals)
    i, n = 0, len(text)
    while i < n:
        c = text[i : i + 1]
        if c in b" \r\n":
            i += 1
        elif c in b"()":
            yield c
            i += 1
        elif c == b'"':
            out = bytearray()
            i += 1
            while i < n and text[i : i + 1] != b'"':
                if text[i : i + 1] == b"\\":
                    i += 1
                out += text[i : i + 1]
                i += 1
            yield ("v", bytes(out))
            i += 1
        else:
            start, depth = i, 0
            while i < n and (depth or text[i : i + 1] not in b' ()"'):
                depth += {b"[": 1, b"]": -1}.get(text[i : i + 1], 0)
                i += 1
            atom = text[start:i]
            if _LITERAL.match(atom):
                yield ("v", next(taken, b""))
            else:
                yield ("v", None if atom.upper() == b"NIL" else atom)


def parse(text: bytes, literals: list[bytes]) -> list[Value]:
    """A response's values at the top level, lists nested (``* 12 FETCH (UID 7 ...)``: ``[b"12", b"FETCH", [...]]``
    without the leading ``*``, which imaplib has removed)."""
    stack: list[list[Value]] = [[]]
    for token in _tokens(text, literals):
        if token == b"(":
            stack.append([])
        elif token == b")":
            if len(stack) > 1:
                done = stack.pop()
                stack[-1].append(done)
        elif isinstance(token, tuple):
            stack[-1].append(token[1])
    while len(stack) > 1:  # an unclosed list: what it has so far
        done = stack.pop()
        stack[-1].append(done)
    return stack[0]


def _items(values: list[Value]) -> dict[str, Value]:
    """A FETCH response's items by upper-case name (``UID``, ``BODY[]``, ...)."""
    found = next((v for v in values if isinstance(v, list)), [])
    items: dict[str, Value] = {}
    for k in range(0, len(found) - 1, 2):
        name = found[k]
        if isinstance(name, bytes):
            items[name.decode("ascii", "replace").upper()] = found[k + 1]
    return items


def fetched(data: Sequence[object]) -> Iterator[Fetched]:
    """The messages in imaplib's data of ``UID FETCH ... (BODY.PEEK[] INTERNALDATE RFC822.SIZE)``; responses
    without a body or a UID (unsolicited flag changes) are passed over. Raises :class:`ValueError` for a
    response that has a body but an unreadable UID, date or size."""
    for text, literals in responses(data):
        items = _items(parse(text, literals))
        body, uid = items.get("BODY[]"), items.get("UID")
        if not isinstance(body, bytes) or not isinstance(uid, bytes):
            continue
        date, size = items.get("INTERNALDATE"), items.get("RFC822.SIZE")
        if not isinstance(date, bytes) or not isinstance(size, bytes) or not uid.isdigit() or not size.isdigit():
            raise ValueError(f"a FETCH response without a readable UID, INTERNALDATE or RFC822.SIZE: {clip(text)}")
        yield Fetched(int(uid), body, internaldate(date), int(size))


def internaldate(value: bytes) -> datetime:
    """An INTERNALDATE (RFC 3501 section 9, ``date-time``; a day may be space-padded) in UTC."""
    text = value.decode("ascii", "replace").strip()
    try:
        return datetime.strptime(text, _INTERNALDATE).astimezone(UTC)
    except ValueError:
        raise ValueError(f"an INTERNALDATE that is not a date: {clean_line(text, 80)}") from None


def clip(value: object, limit: int = 200) -> str:
    """Server text for a message: decoded, control characters escaped, cut at ``limit``."""
    if isinstance(value, (list, tuple)):
        value = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return clean_line(value, limit)


def has_code(text: str, *codes: str) -> bool:
    """Whether a server's response text carries one of the response codes (``[UNAVAILABLE]``, RFC 5530)."""
    upper = text.upper()
    return any(f"[{code}" in upper for code in codes)


def folder_name(name: str) -> str:
    """A folder name as a command argument: modified UTF-7 for what is not printable ASCII (RFC 3501 section
    5.1.3: ``&`` shifts to modified BASE64 of UTF-16, ``,`` for ``/``; ``&`` itself is ``&-``), quoted."""
    out, pending = [], ""

    def shift() -> None:
        if pending:
            coded = base64.b64encode(pending.encode("utf-16-be")).decode("ascii").rstrip("=")
            out.append("&" + coded.replace("/", ",") + "-")

    for char in name:
        if " " <= char <= "~":
            shift()
            pending = ""
            out.append("&-" if char == "&" else char)
        else:
            pending += char
    shift()
    return '"' + "".join(out).replace("\\", "\\\\").replace('"', '\\"') + '"'


def uid_set(uids: Sequence[int]) -> str:
    """UIDs as an IMAP sequence set (RFC 3501 section 9), runs written ``first:last``: ``1:3,7``."""
    ordered = sorted(set(uids))
    runs: list[str] = []
    start = prev = ordered[0]
    for uid in [*ordered[1:], None]:
        if uid is not None and uid == prev + 1:
            prev = uid
            continue
        runs.append(str(start) if start == prev else f"{start}:{prev}")
        if uid is not None:
            start = prev = uid
    return ",".join(runs)
