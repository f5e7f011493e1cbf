"""Which Azure support service and problem classification a ticket is about, ranked by the ticket's words against
the display names of the Azure Support API's catalogue (Microsoft's Services and ProblemClassifications lists).

A word of the title counts twice a word of the body; a service is kept only when a word of its name (or the
plugin's hint for it) is in the ticket, and a problem classification only when a word of its own (not of its
service's name, which all its siblings share) is. When two candidates tie (and the plugin's hint does not name
one of them), nothing is chosen: the agent picks rather than being handed a wrong guess. English and Japanese
tickets are read alike through a small table of terms (``VM``, ``仮想マシン``, ``起動`` ...) that name the same
thing the catalogue's English names do."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: Terms of a ticket or of the catalogue, read as the word the catalogue would use (longest first when applied).
TERMS: dict[str, str] = {
    "virtual machines": "vm",
    "virtual machine": "vm",
    "vms": "vm",
    "仮想マシン": " vm ",
    "仮想サーバー": " vm ",
    "azure sql": "sql",
    "データベース": " database ",
    "db": "database",
    "unreachable": "connect",
    "connectivity": "connect",
    "connection": "connect",
    "connections": "connect",
    "接続": " connect ",
    "boot": "start",
    "booting": "start",
    "failure": "fail",
    "failures": "fail",
    "再起動": " restart ",
    "起動": " start ",
    "停止": " stop ",
    "サイズ変更": " resize ",
    "リサイズ": " resize ",
    "バックアップ": " backup ",
    "復元": " restore ",
    "リストア": " restore ",
    "遅い": " performance ",
    "性能": " performance ",
    "パフォーマンス": " performance ",
    "slow": "performance",
    "k8s": "kubernetes",
    "aks": "kubernetes",
    "vnet": "network",
    "dns": "dns",
    "証明書": " certificate ",
    "certificates": "certificate",
    "予約": " reservation ",
    "予算": " budget ",
    "ストレージ": " storage ",
}

#: Words that say nothing about which service or problem it is.
STOP_WORDS = frozenset(
    {
        *("a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "at", "by", "with", "from", "as", "is"),
        *("are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "my", "our", "your"),
        *("we", "us", "you", "they", "them", "he", "she", "not", "no", "can", "cannot", "could", "does", "do"),
        *("did", "after", "before", "since", "when", "why", "how", "what", "which", "who", "please", "help"),
        *("issue", "issues", "problem", "problems", "question", "questions", "other", "general", "azure"),
        *("microsoft", "running", "management", "service", "services", "support", "request", "error", "errors"),
    }
)

_WORD = re.compile(r"[a-z0-9]+")
_TERMS = sorted(TERMS.items(), key=lambda kv: -len(kv[0]))
_TERM_RE = re.compile("|".join(re.escape(t) if not t.isascii() else rf"\b{re.escape(t)}\b" for t, _ in _TERMS))
_TERM_OF = dict(_TERMS)


def stem(word: str) -> str:
    """A crude English stem, the same for a word's forms: resize, resized, resizing; stop, stopped; fails."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2]:
                word = word[:-1]
            break
    return word


def words(text: str) -> set[str]:
    """The significant words of ``text``, stemmed (full-width letters folded, Japanese terms read)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _TERM_RE.sub(lambda m: f" {_TERM_OF[m.group(0)].strip()} ", folded)
    return {stem(w) for w in _WORD.findall(folded) if w not in STOP_WORDS and len(w) > 1}


@dataclass(frozen=True)
class TicketWords:
    """A ticket's words, weighted: a word of the title 2, of the body only 1."""

    weights: dict[str, int]

    @classmethod
    def of(cls, title: str, body: str) -> TicketWords:
        weights = dict.fromkeys(words(body or ""), 1)
        weights.update(dict.fromkeys(words(title or ""), 2))
        return cls(weights)

    def score(self, name_words: Iterable[str]) -> int:
        return sum(self.weights.get(w, 0) for w in set(name_words))


def rank_services(
    ticket: TicketWords, services: Sequence[dict[str, Any]], hint: str = "", limit: int = 3
) -> list[tuple[int, dict[str, Any]]]:
    """The services whose name the ticket's words match, best first; the one the plugin's hint names (from a
    word of the ticket it maps to a service: "budget" -> Cost Management) counts as if a body word matched."""
    scored = []
    for service in services:
        score = ticket.score(words(service["displayName"]))
        if hint and service["displayName"] == hint:
            score += 1
        if score:
            scored.append((score, service))
    scored.sort(key=lambda pair: -pair[0])
    return scored[:limit]


def rank_problems(
    ticket: TicketWords, service_name: str, problems: Sequence[dict[str, Any]]
) -> list[tuple[int, dict[str, Any]]]:
    """The problem classifications a word of their own matches (not a word of the service's name), best first."""
    shared = words(service_name)
    scored = [(ticket.score(words(p["displayName"]) - shared), p) for p in problems]
    return sorted(((s, p) for s, p in scored if s), key=lambda pair: -pair[0])


def best_problem(ticket: TicketWords, service_name: str, problems: Sequence[dict[str, Any]]) -> str | None:
    """The id of the one best-matching problem classification; None when none matches or two tie."""
    ranked = rank_problems(ticket, service_name, problems)
    return _sole_best(ranked)


def _sole_best(ranked: Sequence[tuple[int, dict[str, Any]]]) -> str | None:
    if not ranked or (len(ranked) > 1 and ranked[1][0] == ranked[0][0]):
        return None
    return str(ranked[0][1]["id"])
