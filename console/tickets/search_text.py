"""Search text for the full-text index, including Japanese and other CJK text.

FTS5's ``unicode61`` tokenizer keeps a run of CJK characters as one token, so a word inside a Japanese
sentence cannot be found; the trigram tokenizer finds only substrings of three characters or more, and many
Japanese words have two (金額, 確認). So text is indexed in a *search form*: NFKC-normalised and case-folded
(full-width and half-width forms match), with every CJK run rewritten as its overlapping bigrams
(``請求書の金額`` -> ``請求 求書 書の の金 金額``). A query is rewritten the same way into an FTS5 phrase of
bigrams, so a CJK word of two or more characters is found through the index. A lone CJK character is
matched with ``LIKE`` over the search form instead (see :func:`build_query`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

_CJK = (
    "\u3005\u3006\u3007"  # 々 〆 〇
    "\u3040-\u309f"  # hiragana
    "\u30a0-\u30ff"  # katakana (with ー)
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\uac00-\ud7af"  # hangul syllables
)
_WORD = re.compile(r"\w+")
MIN_PREFIX = 2
"""Latin words shorter than this are not searched (the index keeps prefixes of 2 and 3 characters)."""


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a CJK run, a token: a CJK run or a run of other non-space characters), compiled on first use: the
    character classes take ~10 ms to compile, which the console's start-up does not need to pay."""
    return re.compile(f"[{_CJK}]+"), re.compile(rf"[{_CJK}]+|[^\s{_CJK}]+")


def normalize(text: str) -> str:
    """NFKC then case-fold: ``ＡＢＣ`` and ``ABC``, ``ｶﾀｶﾅ`` and ``カタカナ`` become the same."""
    return unicodedata.normalize("NFKC", text).casefold()


def fold_latin(text: str) -> str:
    """Latin letters without their accents (``Café Müller`` -> ``Cafe Muller``), as FTS5's ``unicode61
    remove_diacritics 2`` folds them: in the search form itself, so that both engines' indexes (SQLite's FTS5,
    PostgreSQL's ``simple`` tsvector, which folds nothing) hold the same words. Only marks on Latin letters go:
    Japanese voiced marks (が = か + ゙ decomposed) and other scripts' marks stay."""
    if text.isascii():
        return text
    out: list[str] = []
    latin = False
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if not latin:
                out.append(ch)
            continue
        latin = ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _bigrams(run: str) -> str:
    if len(run) < 2:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def search_form(text: str) -> str:
    """The form of ``text`` stored in the full-text index."""
    return _patterns()[0].sub(lambda m: f" {_bigrams(m.group(0))} ", fold_latin(normalize(text)))


@dataclass(frozen=True)
class SearchQuery:
    """A user's search, rewritten for the index.

    ``match`` is an FTS5 MATCH expression (empty when nothing can use the index); ``likes`` are
    normalised substrings that must also occur (lone CJK characters).
    """

    match: str
    likes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.match and not self.likes


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def build_query(user_text: str) -> SearchQuery:
    """Turn what the agent typed into an index query; every term must match (AND).

    Latin-script words match as prefixes (search as you type) from their second character on: a
    one-letter prefix matches nearly every ticket and would only slow the keystroke down. CJK words of two
    or more characters match as a phrase of bigrams; a lone CJK character becomes a substring condition.
    """
    parts: list[str] = []
    likes: list[str] = []
    cjk_run, any_token = _patterns()
    for token in any_token.findall(fold_latin(normalize(user_text))):
        if cjk_run.fullmatch(token):
            if len(token) == 1:
                likes.append(token)
            else:
                parts.append(_quote(_bigrams(token)))
        else:
            for word in _WORD.findall(token):
                if len(word) >= MIN_PREFIX:
                    parts.append(_quote(word) + "*")
    return SearchQuery(" AND ".join(parts), tuple(likes))


# -- ticket numbers and phone numbers -------------------------------------------------------------
_TICKET_NUMBER = re.compile(r"(?:CSP-?|#)?0*(\d{1,9})")
#: What may stand between a phone number's digits: spaces, + ( ) . / and the dashes Japanese input produces
#: (after NFKC: ‐ ‑ ‒ – — ― − and the long vowel mark ー, often typed for a dash).
_PHONE_SHAPE = re.compile(r"\+?[\d\s().\-/\u2010-\u2015\u2212\u30fc]+")
_NOT_DIGIT = re.compile(r"[^0-9]")
PHONE_DIGITS_MIN = 6
"""A phone number is matched on at least this many digits (fewer would match half the directory)."""


def ticket_number(text: str) -> int | None:
    """The ticket number in ``text``: ``CSP-001511``, ``csp-1511``, ``#1511``, ``1511`` or ``１５１１`` (full-width)
    all give 1511; ``None`` when ``text`` is not only a ticket number."""
    m = _TICKET_NUMBER.fullmatch(normalize(text.strip()).upper())
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None


def phone_key(text: str) -> str | None:
    """The digits a phone number is matched by, or ``None`` when ``text`` is not shaped like one.

    NFKC first (full-width ``０３－１２３４－５６７８`` becomes ``03-1234-5678``), then only the digits are kept and
    the leading zeros dropped (the trunk prefix ``0`` and international prefixes such as ``00``):
    ``+81 3-1234-5678`` -> ``81312345678``, ``03-1234-5678`` and ``0312345678`` -> ``312345678``. Two numbers
    meet when one key ends with the other (the country code is the only difference, or only the subscriber's
    part was typed), on at least :data:`PHONE_DIGITS_MIN` digits (see :func:`phone_suffixes`)."""
    folded = normalize(text.strip())
    if not folded or not _PHONE_SHAPE.fullmatch(folded):
        return None
    digits = "".join(c for c in folded if c.isdigit()).lstrip("0")
    return digits if len(digits) >= PHONE_DIGITS_MIN else None


def stored_phone_key(text: str | None) -> str:
    """:func:`phone_key` of a stored phone number, reversed (so an index finds the numbers that end with
    some digits by a range of its keys); ``""`` when there is none. Stored numbers are not held to the shape a
    query must have (``+81-3-1234-5678 ext. 12`` keeps its digits)."""
    digits = _NOT_DIGIT.sub("", normalize(text or "")).lstrip("0")
    return digits[::-1] if len(digits) >= PHONE_DIGITS_MIN else ""


def phone_suffixes(key: str) -> list[str]:
    """The reversed endings of ``key`` a stored number may be (it was stored without the country code, say):
    each of at least :data:`PHONE_DIGITS_MIN` digits."""
    reversed_key = key[::-1]
    return [reversed_key[:n] for n in range(PHONE_DIGITS_MIN, len(reversed_key) + 1)]
