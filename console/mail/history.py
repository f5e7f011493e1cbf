"""What the sender wrote this time, apart from what their mailer added below it: the quoted history of the thread
and the signature. Both are kept (the ticket shows them on demand); this only says where they begin.

Where history begins, the first of:

- the signature separator ``-- `` on a line of its own (RFC 3676 §4.3; ``--`` too, as mailers strip the space);
- Outlook's ``-----Original Message-----`` line (``-----元のメッセージ-----`` in Japanese Outlook);
- Outlook's header block: ``From:`` / ``差出人:`` followed within three lines by ``Sent:`` / ``Date:`` /
  ``送信日時:`` (after its ``____`` rule when it has one);
- an attribution line (Gmail's ``On ... wrote:``, ``...さんは書きました:``, Japanese Gmail's
  ``2026年12月1日(火) 10:00 山田 太郎 <taro@example.jp>:``) followed only by ``>`` quotes to the end or the signature;
- the trailing block of ``>`` quoted lines.

Conservative: a ``>`` quote with the sender's answer below it stays (an interleaved reply), and when everything
would be history nothing is folded.
"""

from __future__ import annotations

import re

_SIGNATURE = {"-- ", "--"}
_ORIGINAL = re.compile(
    r"\s*-{2,}\s*(?:Original Message|元のメッセージ|Ursprüngliche Nachricht|Message d'origine|Mensaje original)"
    r"\s*-{2,}\s*",
    re.IGNORECASE,
)
_FROM = re.compile(r"\s*\*{0,2}(?:From|差出人|送信者|Von|De)\s*\*{0,2}\s*[:：]", re.IGNORECASE)
_SENT = re.compile(r"\s*\*{0,2}(?:Sent|Date|送信日時|日時|日付|Gesendet|Envoyé)\s*\*{0,2}\s*[:：]", re.IGNORECASE)
_RULE = re.compile(r"\s*_{10,}\s*")
_ATTRIBUTION = re.compile(
    r".*(?:\bwrote|\bwrites|書きました|のメール)\s*[:：]?\s*"  # Gmail, Thunderbird, Apple Mail; in Japanese too
    r"|\s*\d{4}年\d{1,2}月\d{1,2}日.*[:：]\s*"  # Japanese Gmail: "2026年12月1日(火) 10:00 山田 太郎 <...>:"
    r"|\s*On\s.*[:：]\s*",  # "On Tue, Dec 1, 2026 at 10:00, Taro <taro@example.jp>:" (and "... wrote:")
    re.IGNORECASE,
)
#: An attribution is one short line (or two): longer lines are not tried, which bounds the regular expressions.
_LONGEST = 300
_ATTRIBUTION_START = re.compile(r"\s*On\s.*\d", re.IGNORECASE)  # Gmail's attribution wrapped over two lines


def _quoted(line: str) -> bool:
    return line.lstrip().startswith((">", "＞"))


def _only_quotes_follow(lines: list[str], start: int) -> bool:
    """From ``start`` on: at least one ``>`` line, and nothing but those and blank lines up to the end or a
    signature separator."""
    seen = False
    for line in lines[start:]:
        if line in _SIGNATURE:
            break
        if _quoted(line):
            seen = True
        elif line.strip():
            return False
    return seen


def _attribution(lines: list[str], index: int) -> int | None:
    """Where an attribution starting at ``index`` begins history (``None``: it is none)."""
    line = lines[index]
    if len(line) > _LONGEST or _quoted(line):
        return None
    if _ATTRIBUTION.fullmatch(line):
        return index if _only_quotes_follow(lines, index + 1) else None
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if len(following) <= _LONGEST and _ATTRIBUTION_START.match(line) and _ATTRIBUTION.fullmatch(following):
        return index if _only_quotes_follow(lines, index + 2) else None
    return None


def _outlook_block(lines: list[str], index: int) -> int | None:
    if not _FROM.match(lines[index]):
        return None
    if not any(_SENT.match(line) for line in lines[index + 1 : index + 4]):
        return None
    if index and _RULE.fullmatch(lines[index - 1]):
        return index - 1
    return index


def _trailing_quotes(lines: list[str]) -> int | None:
    start = None
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if _quoted(line):
            start = index
        elif line.strip():
            break
    return start


def history_start(lines: list[str]) -> int | None:
    """The index of the line where history begins, or ``None``."""
    for index, line in enumerate(lines):
        if line in _SIGNATURE or _ORIGINAL.fullmatch(line):
            return index
        head = line.lstrip()[:1]
        if head in ("F", "f", "差", "送", "V", "D", "*") and (found := _outlook_block(lines, index)) is not None:
            return found
        if line.rstrip().endswith((":", "：")) or line.lstrip()[:3].lower() == "on ":
            found = _attribution(lines, index)
            if found is not None:
                return found
    return _trailing_quotes(lines)


def fold(text: str) -> tuple[str, str]:
    """``text`` split into what the sender wrote this time and the history folded away after it (``""`` when
    there is none). When the history would be everything, the text stays whole."""
    lines = text.split("\n")
    start = history_start(lines)
    if start is None:
        return text, ""
    head = "\n".join(lines[:start]).rstrip()
    if not head.strip():
        return text, ""
    return head, "\n".join(lines[start:]).strip("\n")
