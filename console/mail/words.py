"""Header text as a person reads it: unfolded (RFC 5322 §2.2.3), raw 8-bit bytes read as text, and RFC 2047's
encoded-words (``=?ISO-2022-JP?B?...?=``) decoded.

Adjacent encoded-words of one charset are joined before they are decoded, so a character split between two
words (as some mailers split UTF-8, and ISO-2022-JP's escapes) reads whole; the white space between
encoded-words is dropped (RFC 2047 §6.2). A damaged word is read as far as it goes and said as a problem.
"""

from __future__ import annotations

import binascii
import re

from console.mail.charsets import decode, decode_header_bytes

_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
#: ASCII white space only: a Japanese full-width space (U+3000) is the sender's text and stays.
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
# charset, optionally with an RFC 2231 language ("=?UTF-8*ja?B?...?="), encoding, encoded text.
_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def unfold(value: str) -> str:
    """``value`` with its folding line breaks removed (the white space after each stays)."""
    return _FOLD.sub("", value) if ("\n" in value or "\r" in value) else value


def one_line(value: str) -> str:
    """``value`` on one line: runs of ASCII white space (line breaks included) made one space, ends trimmed."""
    return _SPACE.sub(" ", value).strip()


def header_text(raw: str, problems: list[str] | None = None, what: str = "header") -> str:
    """A header's raw value (as the parser keeps it) as text: unfolded, and raw 8-bit bytes (which the parser
    keeps as surrogate escapes) read as UTF-8 or guessed at, the guess said in ``problems``."""
    value = unfold(raw)
    if value.isascii():
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = value.encode("utf-8", "replace")
    text, problem = decode_header_bytes(data)
    if problem and problems is not None:
        problems.append(f"{what}: {problem}")
    return text


def _word_bytes(encoding: str, encoded: str) -> tuple[bytes, bool]:
    """The bytes of one encoded-word's text and whether they were read whole."""
    data = encoded.encode("ascii", "replace")
    if encoding in "qQ":
        return binascii.a2b_qp(data, header=True), True
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4)), True
    except binascii.Error:
        cleaned = _NOT_BASE64.sub("", encoded).encode("ascii")
        cleaned = cleaned[: len(cleaned) - len(cleaned) % 4]
        return binascii.a2b_base64(cleaned), False


class _Words:
    """Decoded text as it is assembled: runs of encoded-words of one charset held as bytes until they end."""

    def __init__(self, problems: list[str], what: str) -> None:
        self.out: list[str] = []
        self.charset: str | None = None
        self.pending = bytearray()
        self.problems = problems
        self.what = what

    def flush(self) -> None:
        if self.charset is None:
            return
        text, problem = decode(bytes(self.pending), self.charset)
        if problem:
            self.problems.append(f"{self.what}: encoded-word {problem}")
        self.out.append(text)
        self.charset = None
        self.pending = bytearray()

    def word(self, charset: str, data: bytes) -> None:
        if self.charset is not None and charset.lower() != self.charset.lower():
            self.flush()
        if self.charset is None:
            self.charset = charset
        self.pending += data


def decode_words(text: str, problems: list[str] | None = None, what: str = "header") -> str:
    """``text`` with its RFC 2047 encoded-words decoded; what could not be read is said in ``problems``."""
    if "=?" not in text:
        return text
    found: list[str] = [] if problems is None else problems
    words = _Words(found, what)
    position = 0
    damaged = False
    for match in _WORD.finditer(text):
        gap = text[position : match.start()]
        if gap and (words.charset is None or _SPACE.fullmatch(gap) is None):
            words.flush()
            words.out.append(gap)
        data, whole = _word_bytes(match.group(2), match.group(3))
        damaged = damaged or not whole
        words.word(match.group(1), data)
        position = match.end()
    words.flush()
    words.out.append(text[position:])
    if damaged:
        found.append(f"{what}: a damaged encoded-word, read as far as it goes")
    return "".join(words.out)


def header_words(raw: str, problems: list[str] | None = None, what: str = "header") -> str:
    """A header's raw value as one line of text: :func:`header_text`, encoded-words decoded, :func:`one_line`."""
    return one_line(decode_words(header_text(raw, problems, what), problems, what))
