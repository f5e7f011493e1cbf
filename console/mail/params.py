"""MIME headers with parameters (``Content-Type``, ``Content-Disposition``) read from their raw value.

RFC 2045 §5.1 gives ``value; name=token`` or ``name="quoted string"``; RFC 2231 adds values in pieces
(``filename*0=``, ``filename*1=``) and values with a charset (``filename*=ISO-2022-JP''%1B%24B...``), which are
joined as bytes and read under that charset (:mod:`console.mail.charsets`). Mailers also write RFC 2047
encoded-words in a quoted filename (Outlook, Thunderbird of old) and raw 8-bit names: those are read too. Read
here rather than by :mod:`email.headerregistry`, which is slow for this and reads no Windows Japanese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from console.mail.charsets import decode
from console.mail.words import decode_words, header_text

_PIECES = re.compile(r'"(?:[^"\\]|\\.)*(?:"|$)|[^;"]+|;', re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_SECTION = re.compile(r"(.+?)\*(\d+)?(\*)?")


@dataclass(frozen=True)
class MimeHeader:
    """A MIME header's value (lower-cased: ``text/plain``, ``attachment``) and its parameters (names lower-cased,
    values decoded)."""

    value: str
    params: dict[str, str] = field(default_factory=dict)


def _split(text: str) -> list[str]:
    """``text`` split at the semicolons outside quoted strings."""
    pieces = [""]
    for match in _PIECES.finditer(text):
        token = match.group()
        if token == ";":
            pieces.append("")
        else:
            pieces[-1] += token
    return pieces


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        body = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return _UNESCAPE.sub(r"\1", body)
    return value


def _joined(sections: dict[int, tuple[str, bool]], problems: list[str], what: str) -> str:
    """An RFC 2231 value from its sections: charset from the first, the bytes of all read under it."""
    charset: str | None = None
    data = bytearray()
    for number, (text, encoded) in sorted(sections.items()):
        if encoded and number == min(sections) and text.count("'") >= 2:
            charset, _language, text = text.split("'", 2)
        if encoded:
            data += unquote_to_bytes(text)
        else:
            data += text.encode("utf-8", "surrogateescape")
    value, problem = decode(bytes(data), charset or None)
    if problem:
        problems.append(f"{what}: {problem}")
    return value


def parse_mime_header(raw: str | None, problems: list[str], what: str) -> MimeHeader:
    """A raw ``Content-Type`` or ``Content-Disposition`` value (``None``: the header is missing) as its value and
    parameters; ``filename`` and ``name`` have their encoded-words decoded."""
    if raw is None:
        return MimeHeader("")
    pieces = _split(header_text(raw, problems, what))
    params: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[str, bool]]] = {}
    for piece in pieces[1:]:
        key, equals, value = piece.partition("=")
        key = key.strip().lower()
        if not key or not equals:
            continue
        star = _SECTION.fullmatch(key) if "*" in key else None
        if star is None:
            params.setdefault(key, _unquote(value))
            continue
        number = int(star.group(2)) if star.group(2) is not None and len(star.group(2)) < 6 else 0
        encoded = star.group(3) is not None or star.group(2) is None
        sections.setdefault(star.group(1), {}).setdefault(number, (_unquote(value), encoded))
    for key, parts in sections.items():
        params[key] = _joined(parts, problems, what)  # RFC 2231's form wins over a plain one beside it
    for key in ("filename", "name"):
        if key in params:
            params[key] = decode_words(params[key], problems, what)
    return MimeHeader(pieces[0].strip().lower(), params)
