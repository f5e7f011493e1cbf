"""Untrusted text made safe to show: every string from a customer, an import, Partner Center or a plugin
passes through here before it reaches the screen.

The UI then wraps the result in a Rich ``Text`` (never markup), so ``[bold]`` and ``[@click=...]`` show
literally. Here control characters and escape sequences become visible symbols (ESC shows as ``␛``),
bidirectional overrides and zero-width characters are removed (they reorder or hide text and break column
widths), and single-line cells fold line breaks into spaces.
"""

from __future__ import annotations

import re

_BIDI_AND_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c\u00ad]")
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
