"""Untrusted text made safe to show: every string from a customer, an import, Partner Center or a plugin
passes through here before it reaches the screen.

The UI then wraps the result in a Rich ``Text`` (never markup), so ``[bold]`` and ``[@click=...]`` show
literally. Here control characters and escape sequences become visible symbols (ESC shows as ``␛``),
bidirectional overrides, zero-width and other invisible format characters (Unicode's category Cf) are removed
(they reorder or hide text and break column widths), and single-line cells fold line breaks into spaces.

:func:`json_text` is the JSON form of the same rule: the data keeps its value, but every control, line separator
and invisible format character is written as a ``\\uXXXX`` escape, so no raw one reaches the terminal.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Unicode's invisible format characters (general category Cf, Unicode 14): bidi embeddings, overrides,
#: isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E/F, U+061C), zero-width characters, the soft
#: hyphen, the byte order mark, interlinear annotations and tag characters. ``tests/test_safe_output.py``
#: checks this list against :mod:`unicodedata`.
FORMAT_CHARS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_BIDI_AND_ZERO_WIDTH = re.compile(f"[{FORMAT_CHARS}\ud800-\udfff]")
_C0 = {i: chr(0x2400 + i) for i in range(0x20)}  # control pictures ␀..␟
_C0[0x7F] = "\u2421"  # ␡
_C1 = {i: "\ufffd" for i in range(0x80, 0xA0)}
_LINE_TABLE = {**_C0, **_C1, 0x09: " ", 0x0A: " ", 0x0D: " "}
_BLOCK_TABLE = {**_C0, **_C1, 0x09: "    ", 0x0A: "\n", 0x0D: ""}
_LINE_BREAKS = re.compile("[\u2028\u2029\u0085]")


def clean_line(text: object, limit: int = 1000) -> str:
    """One-line form of untrusted ``text`` for a cell or a title: at most ``limit`` characters."""
    if text is None:
        return ""
    value = _BIDI_AND_ZERO_WIDTH.sub("", str(text)[: limit * 2])
    value = _LINE_BREAKS.sub(" ", value).translate(_LINE_TABLE)
    return value[:limit]


def clean_block(text: object) -> str:
    """Multi-line form of untrusted ``text`` (a ticket body, a note): line breaks kept, tabs expanded."""
    if text is None:
        return ""
    value = _BIDI_AND_ZERO_WIDTH.sub("", str(text))
    return _LINE_BREAKS.sub("\n", value).translate(_BLOCK_TABLE)


#: What :func:`json_text` writes as ``\\uXXXX``: DEL, C1 controls, line and paragraph separators, lone
#: surrogates and the format characters (:mod:`json` escapes C0 inside strings itself; outside them the only
#: C0 is the line feed of ``indent``).
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f\u2028\u2029\ud800-\udfff{FORMAT_CHARS}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON escapes a character outside the BMP as its UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(value: Any, *, indent: int | None = None, default: Any = None) -> str:
    """``value`` as JSON (non-ASCII text kept readable), with every control character (C0, DEL, C1), U+2028/9,
    bidi control and other invisible format character escaped as ``\\uXXXX``: a JSON reader gets the same value,
    a terminal gets no raw control. Such characters only occur inside JSON strings, where an escape is valid."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=default)
    return _JSON_UNSAFE.sub(_escape, text)
