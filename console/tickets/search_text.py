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


def _bigrams(run: str) -> str:
    if len(run) < 2:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def search_form(text: str) -> str:
    """The form of ``text`` stored in the full-text index."""
    return _patterns()[0].sub(lambda m: f" {_bigrams(m.group(0))} ", normalize(text))


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
    for token in any_token.findall(normalize(user_text)):
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
