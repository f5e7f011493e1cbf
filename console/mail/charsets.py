"""Bytes read as text under the charset a mail labelled them with, as real mail needs.

Japanese mail is labelled by what its standard says and written by what Windows has: ``Shift_JIS`` mail holds
code page 932's characters (①, ～, ㈱), so it is read as ``cp932``; ``ISO-2022-JP`` mail from Outlook holds the
same characters in JIS codes, read by Python's ``iso2022_jp_ext`` and, where that stops, by
:mod:`console.mail.jis`; ``EUC-JP`` falls back on ``euc_jis_2004`` (JIS X 0213 has row 13). ``ISO-8859-1`` is
read as Windows-1252, as browsers do (WHATWG Encoding). A label that does not fit its bytes, or that names no
known charset, gives text with replacement characters and a problem that says so: never an exception.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from console.mail.jis import decode_iso2022jp_ms

Decoder = Callable[[bytes], str]


@dataclass(frozen=True)
class _Chain:
    """How one label is read: the codecs it names, tried in turn (no problem said); then guesses, each said as a
    problem; then ``replace_with`` with replacement characters."""

    declared: tuple[str, ...]
    guesses: tuple[str, ...]
    #: Pure ASCII bytes read under this label are ASCII text (not so for UTF-16, UTF-7 or ISO-2022's escapes).
    ascii_safe: bool
    replace_with: str = "utf-8"
    #: The label names a charset (else it is said to be unknown).
    known: bool = True


_JAPANESE_GUESSES = ("utf-8", "euc_jp", "cp932")
_SHIFT_JIS = _Chain(("cp932",), ("utf-8", "euc_jp"), True, "cp932")
_ISO2022JP = _Chain(("iso2022_jp_ext", "iso2022_jp_ms"), _JAPANESE_GUESSES, False, "iso2022_jp_ext")
_EUC_JP = _Chain(("euc_jp", "euc_jis_2004"), ("utf-8", "cp932"), True, "euc_jp")
_UTF8 = _Chain(("utf-8-sig",), ("cp932", "euc_jp"), True)
_WESTERN = _Chain(("cp1252", "latin-1"), (), True)
#: No charset (RFC 2045's default, US-ASCII) or ``unknown-8bit``: 8-bit bytes are guessed at.
UNDECLARED = _Chain(("ascii",), (*_JAPANESE_GUESSES, "cp1252"), True)
_UNKNOWN = _Chain((), ("utf-8",), True, known=False)
#: 8-bit bytes in a header: UTF-8 is allowed there (RFC 6532); Japanese mailers of old wrote their own charset.
_HEADER = _Chain(("utf-8",), ("euc_jp", "cp932", "cp1252"), True)

_LABELS: dict[str, _Chain] = {
    **dict.fromkeys(("shiftjis", "sjis", "xsjis", "mskanji", "csshiftjis", "windows31j", "cp932", "ms932"), _SHIFT_JIS),
    **dict.fromkeys(("iso2022jp", "csiso2022jp", "iso2022jp1", "iso2022jp2", "iso2022jp3", "iso2022jpext"), _ISO2022JP),
    **dict.fromkeys(("iso2022jpms", "cp50220", "cp50221", "cp50222", "iso2022jp2004"), _ISO2022JP),
    **dict.fromkeys(("eucjp", "xeucjp", "cseucpkdfmtjapanese", "eucjpms", "cp51932", "eucjis2004"), _EUC_JP),
    **dict.fromkeys(("utf8", "unicode11utf8", "xunicode20utf8"), _UTF8),
    **dict.fromkeys(("iso88591", "latin1", "l1", "cp819", "ibm819", "windows1252", "cp1252", "xcp1252"), _WESTERN),
    **dict.fromkeys(("usascii", "ascii", "ansix341968", "iso646us", "us", "unknown8bit"), UNDECLARED),
    **dict.fromkeys(("gb2312", "gbk", "cp936", "xgbk", "euccn", "gb18030"), _Chain(("gb18030",), ("utf-8",), True)),
    **dict.fromkeys(("big5", "big5hkscs", "cp950", "xxbig5"), _Chain(("big5hkscs", "cp950"), ("utf-8",), True)),
    **dict.fromkeys(("ksc56011987", "euckr", "cp949", "ksc5601", "windows949"), _Chain(("cp949",), ("utf-8",), True)),
}
#: Python codecs that are text encodings but no mail charset: their "decoding" would rewrite the text.
_REFUSED = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "palmos"}
_SPECIAL: dict[str, Decoder] = {"iso2022_jp_ms": decode_iso2022jp_ms}
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_LABEL_NOISE = re.compile(r"[-_.:\s\"']")
_NAMES = {
    "utf-8-sig": "UTF-8",
    "utf-8": "UTF-8",
    "euc_jp": "EUC-JP",
    "cp932": "Shift_JIS (cp932)",
    "cp1252": "Windows-1252",
    "iso2022_jp_ext": "ISO-2022-JP",
}


@lru_cache(maxsize=256)
def chain_for(label: str | None) -> _Chain:
    """How text labelled ``label`` is read (``None``: no label)."""
    if label is None:
        return UNDECLARED
    key = _LABEL_NOISE.sub("", label.lower())
    if key in _LABELS:
        return _LABELS[key]
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except (LookupError, ValueError):
        return _UNKNOWN
    if not info._is_text_encoding or info.name.replace("-", "_") in _REFUSED:
        return _UNKNOWN
    ascii_safe = not info.name.startswith(("utf-16", "utf-32", "utf-7", "iso2022", "hz", "cp037", "cp500"))
    return _Chain((info.name,), ("utf-8",), ascii_safe, info.name)


def _decode(data: bytes, codec: str) -> str:
    special = _SPECIAL.get(codec)
    return special(data) if special is not None else data.decode(codec)


def decode(data: bytes, label: str | None) -> tuple[str, str | None]:
    """``data`` as text under its charset ``label`` (``None`` when it had none), and the problem in reading it
    (``None`` when it read as labelled)."""
    return _read(data, chain_for(label), label)


def decode_header_bytes(data: bytes) -> tuple[str, str | None]:
    """Raw 8-bit bytes of a header (no encoded-word) as text: UTF-8, else a guess said as a problem."""
    return _read(data, _HEADER, None)


def _read(data: bytes, chain: _Chain, label: str | None) -> tuple[str, str | None]:
    if chain.ascii_safe and data.isascii():
        return data.decode("ascii"), None
    for codec in chain.declared:
        try:
            return _decode(data, codec), None
        except (UnicodeDecodeError, LookupError):
            continue
    for codec in chain.guesses:
        try:
            text = _decode(data, codec)
        except (UnicodeDecodeError, LookupError):
            continue
        if _PRIVATE_USE.search(text):
            continue  # a guess that reads as code page 932's private use area (0xF0-0xF9, 0xFD-0xFF) is wrong
        return text, f"{_said(label, chain)}, read as {_name(codec)}"
    text = data.decode(chain.replace_with, "replace")
    return text, f"{_said(label, chain)}, read as {_name(chain.replace_with)} with replacements"


def _name(codec: str) -> str:
    return _NAMES.get(codec, codec)


def _said(label: str | None, chain: _Chain) -> str:
    if label is None or _LABEL_NOISE.sub("", label.lower()) == "unknown8bit":
        return "8-bit text without a charset"
    if not chain.known:
        return f"charset {label!r} unknown"
    return f"charset {label!r} does not fit the text"
