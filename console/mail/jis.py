"""ISO-2022-JP as Microsoft's mailers write it (code pages 50220-50222), which Python's codecs refuse.

Outlook and Exchange write Windows' Japanese characters that JIS X 0208 lacks (NEC's row 13: ①, ㈱, Ⅰ; the
NEC-selected IBM extensions in rows 89-92: 髙, 﨑) as JIS codes under the plain ``ESC $ B`` designation, and
half-width katakana under ``ESC ( I`` or shifted by SO/SI. Every ``iso2022_jp*`` codec of Python stops at them.
Here each two-byte JIS code is moved to its Shift_JIS position (the arithmetic of JIS X 0208's annex 1) and the
whole read as code page 932, which has those characters: the same text Windows shows.
"""

from __future__ import annotations

import re

# The designations ISO-2022-JP and its Microsoft variants use (RFC 1468; CP50220-50222).
_ESCAPES = re.compile(rb"(\x1b(?:\(B|\(J|\(H|\(I|\$@|\$B|\$\(D|&@\x1b\$B))")
_ASCII = (b"\x1b(B", b"\x1b(J", b"\x1b(H")
_KANJI = (b"\x1b$@", b"\x1b$B", b"\x1b&@\x1b$B")
_KANA = b"\x1b(I"
_SHIFTED = re.compile(rb"\x0e([^\x0f]*)\x0f?")  # SO ... SI: half-width katakana in CP50222


def _kanji(chunk: bytes, out: bytearray) -> None:
    """Two-byte JIS codes appended to ``out`` at their Shift_JIS positions; line breaks (which a careless mailer
    leaves inside a kanji run) pass through."""
    index, end = 0, len(chunk)
    while index < end:
        j1 = chunk[index]
        if j1 in (0x0A, 0x0D):
            out.append(j1)
            index += 1
            continue
        if index + 1 >= end or not (0x21 <= j1 <= 0x7E and 0x21 <= chunk[index + 1] <= 0x7E):
            raise UnicodeDecodeError("iso2022_jp_ms", chunk, index, index + 1, "not a JIS X 0208 code")
        j2 = chunk[index + 1]
        s1 = ((j1 - 0x21) >> 1) + 0x81
        if s1 > 0x9F:
            s1 += 0x40
        if j1 & 1:
            s2 = j2 + 0x1F + (1 if j2 >= 0x60 else 0)
        else:
            s2 = j2 + 0x7E
        out += bytes((s1, s2))
        index += 2


def _plain(chunk: bytes, out: bytearray) -> None:
    if not chunk.isascii():
        raise UnicodeDecodeError("iso2022_jp_ms", chunk, 0, len(chunk), "8-bit byte in ISO-2022-JP")
    out += _SHIFTED.sub(lambda m: bytes(b | 0x80 for b in m.group(1)), chunk)


def decode_iso2022jp_ms(data: bytes) -> str:
    """``data`` (ISO-2022-JP with Microsoft's extensions) as text; ``UnicodeDecodeError`` when it is not that."""
    out = bytearray()
    mode = b"\x1b(B"
    pieces = _ESCAPES.split(data)
    for index, piece in enumerate(pieces):
        if index % 2:
            mode = piece
            continue
        if mode in _ASCII:
            _plain(piece, out)
        elif mode in _KANJI:
            _kanji(piece, out)
        elif mode == _KANA:
            if not all(0x21 <= b <= 0x5F or b in (0x0A, 0x0D) for b in piece):
                raise UnicodeDecodeError("iso2022_jp_ms", piece, 0, len(piece), "not a half-width katakana")
            out += bytes(b if b in (0x0A, 0x0D) else b | 0x80 for b in piece)
        elif piece:  # JIS X 0212 (ESC $ ( D): Python's iso2022_jp_ext, tried first, reads it
            raise UnicodeDecodeError("iso2022_jp_ms", piece, 0, len(piece), "JIS X 0212 is read by iso2022_jp_ext")
    if b"\x1b" in out:
        raise UnicodeDecodeError("iso2022_jp_ms", data, 0, len(data), "an escape sequence not of ISO-2022-JP")
    return out.decode("cp932")
