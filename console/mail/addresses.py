"""Address lists (From, To, Cc, Reply-To) read as RFC 5322 §3.4 writes them and as mailers break them.

The address is what is between angle brackets, whatever the display name says: ``support@partner.example
<evil@x.example>`` (a name dressed as another address, unquoted) is the mailbox ``evil@x.example`` named
``support@partner.example``, never the other way round. Display names are decoded (RFC 2047, also inside quotes
as Outlook writes them) and put on one line, so a name that decodes to a line break cannot start a header. A
text that is no address is left out and said as a problem; nothing here raises.
"""

from __future__ import annotations

import re

from console.mail.message import Address
from console.mail.words import decode_words, header_text, one_line

_TOKENS = re.compile(
    r"""
    (?P<quoted>"(?:[^"\\]|\\.)*(?:"|$))     # a quoted string (an unterminated one runs to the end)
  | (?P<comment>\((?:[^()\\]|\\.)*(?:\)|$))  # a comment (a nested one is read in pieces)
  | (?P<angle><[^<>]*(?:>|$))                # an angle address (an unterminated one too)
  | (?P<special>[,;:])
  | (?P<atom>[^\s"()<>,;:]+)
  | (?P<space>[\s>)]+|\()                  # white space, and what is left of broken brackets
    """,
    re.VERBOSE | re.DOTALL,
)
_WHITE = re.compile(r"\s+")
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_LOCAL = r"(?:\"[^\"\x00-\x1f\x7f]*\"|[^\s@<>()\[\],;:\\\"\x00-\x1f\x7f]+)"
_DOMAIN = r"(?:[^\s@<>()\[\],;:\\\"\x00-\x1f\x7f]+|\[[^\[\]\s\\\x00-\x1f\x7f]*\])"
_ADDR_SPEC = re.compile(f"({_LOCAL})@({_DOMAIN})")
_ROUTE = re.compile(r"^(?:@[^:,]*,?)+:")  # an obsolete source route, "<@relay.example:taro@example.jp>"


class _Mailbox:
    """One address as its tokens come: the display name's pieces, the angle address, a comment."""

    def __init__(self) -> None:
        self.phrase: list[str] = []
        self.angle: str | None = None
        self.comment = ""

    def empty(self) -> bool:
        return not self.phrase and self.angle is None and not self.comment


def _address(box: _Mailbox, problems: list[str], what: str) -> Address | None:
    phrase = list(box.phrase)
    if box.angle is not None:
        spec = box.angle
    else:
        # No angle brackets: the last word that looks like an address is the address, the rest its name.
        at = [index for index, piece in enumerate(phrase) if "@" in piece]
        spec = phrase.pop(at[-1]) if at else " ".join(phrase)
        phrase = phrase if at else []
    spec = _ROUTE.sub("", spec.strip() if '"' in spec else _WHITE.sub("", spec))
    match = _ADDR_SPEC.fullmatch(spec)
    if match is None:
        shown = " ".join([*box.phrase, f"<{box.angle}>" if box.angle is not None else ""]).strip()
        problems.append(f"{what}: {shown[:80]!r} is not an address")
        return None
    name = " ".join(phrase) if phrase else box.comment
    name = one_line(decode_words(name, problems, what))
    return Address(name=name, email=f"{match.group(1)}@{match.group(2).lower()}")


def _add(token: str, kind: str, box: _Mailbox) -> None:
    if kind == "quoted":
        body = token[1:-1] if len(token) > 1 and token.endswith('"') else token[1:]
        box.phrase.append(_UNESCAPE.sub(r"\1", body))
    elif kind == "comment":
        body = token[1:-1] if token.endswith(")") else token[1:]
        box.comment = one_line(box.comment + " " + _UNESCAPE.sub(r"\1", body))
    elif kind == "angle":
        if box.angle is None:  # a second angle address in one mailbox is no address: the first is taken
            box.angle = token[1:-1] if token.endswith(">") else token[1:]
    elif kind == "atom":
        box.phrase.append(token)


def parse_addresses(raw: str, problems: list[str], what: str) -> list[Address]:
    """The mailboxes of one address header's raw value, in order; groups (``team: a@x, b@x;``) give their
    members. What is no address is said in ``problems`` as ``what: ...``."""
    text = header_text(raw, problems, what)
    found: list[Address] = []
    box = _Mailbox()
    for match in _TOKENS.finditer(text):
        kind, token = match.lastgroup or "space", match.group()
        if kind == "special":
            if token == ":" and box.angle is None and not any("@" in piece for piece in box.phrase):
                box = _Mailbox()  # a group's name: its members follow
                continue
            if token == ":":
                box.phrase.append(token)
                continue
            if not box.empty():
                address = _address(box, problems, what)
                if address is not None:
                    found.append(address)
            box = _Mailbox()
            continue
        _add(token, kind, box)
    if not box.empty():
        address = _address(box, problems, what)
        if address is not None:
            found.append(address)
    return found
