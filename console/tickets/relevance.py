"""The order a ticket's findings are read in: what bears on the ticket's question first.

An agent reads the first findings and acts. For a Sev A "VM does not start" the Azure status and the escalation
come first, not a reservation's refund cap; for a question about a prorated charge, the billing findings. A
finding ranks by (highest first):

1. its family is the ticket's category (a technical ticket's technical findings);
2. it is critical (what the agent must act on now);
3. the ticket's own words name what the finding is about (a word of its title in the ticket's title or body:
   "reservation", "budget", "trial");
4. it comes from the ticket's service's plugin rather than a cross-service one;
5. its level (warning before info); a finding to escalate before one inside the partner's boundary;

and otherwise keeps the order the checks produced it in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from console.plugin_api import Boundary, Finding, Level

_LEVEL = {Level.CRITICAL: 2, Level.WARNING: 1, Level.INFO: 0}
_WORD = re.compile(r"[^\W\d_]{3,}")
#: Words too common in findings and tickets to say what either is about.
_COMMON_WORDS = (
    "the and for not was are has have with from this that into can its our your you all any more than been out "
    "now one per off new only after before within azure microsoft office dynamics"
)
_COMMON = frozenset(_COMMON_WORDS.split())


def _words(text: str) -> set[str]:
    """The distinctive words of ``text`` (NFKC, case-folded; a plural's stem too), for matching."""
    out = set()
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        if word in _COMMON:
            continue
        out.add(word)
        if len(word) > 4 and word.endswith("s"):
            out.add(word[:-1])
    return out


def rank_key(ticket: dict[str, Any], words: set[str], plugin: str, finding: Finding) -> tuple[int, ...]:
    """How relevant ``finding`` (from ``plugin``) is to ``ticket`` whose text has ``words``: smaller first."""
    category, service = ticket.get("category"), ticket.get("service")
    named = bool(words & _words(finding.title))
    return (
        -(finding.family == category),
        -(finding.level == Level.CRITICAL),
        -named,
        -(service is not None and (plugin == service or finding.check_id.startswith(f"{service}."))),
        -_LEVEL.get(finding.level, 0),
        -(finding.boundary == Boundary.ESCALATE),
    )


def by_relevance(ticket: dict[str, Any], findings: Sequence[tuple[str, Finding]]) -> list[tuple[str, Finding]]:
    """``findings`` (plugin, finding) ordered for ``ticket`` (a ticket row); a stable sort."""
    words = _words(f"{ticket.get('title') or ''} {ticket.get('body') or ''}")
    keyed = [(rank_key(ticket, words, plugin, f), n, (plugin, f)) for n, (plugin, f) in enumerate(findings)]
    return [item for _, _, item in sorted(keyed, key=lambda k: (k[0], k[1]))]
