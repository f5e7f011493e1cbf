"""An HTML-only mail's body as readable text, by ``html2text``: links kept with their address, no wrapping at 78
columns, images as their alt text, emphasis marks left out. Nothing is fetched, run or rendered: the HTML is only
read. HTML too large to lay out in time, or that ``html2text`` cannot read, has its tags removed instead.
"""

from __future__ import annotations

import html
import re

import html2text

#: Above this the layout is skipped: html2text reads about 10 MB a second, and a mail is parsed as it arrives.
MAX_LAYOUT = 2_000_000
_TAGS = re.compile(r"<(?:script|style)\b.*?</(?:script|style)\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)
# html2text's Markdown escapes that a reader of plain text does not want: "1\." and "\-" at a line's start.
_ESCAPED_LIST = re.compile(r"^(\s*\d+)\\\.|^(\s*(?:[*+-]\s+)?)\\([-+])", re.MULTILINE)
_TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")


def _converter() -> html2text.HTML2Text:
    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_links = False
    converter.inline_links = True
    converter.wrap_links = False
    converter.protect_links = False
    converter.skip_internal_links = True
    converter.ignore_images = False
    converter.images_to_alt = True
    converter.default_image_alt = ""
    converter.unicode_snob = True
    converter.ignore_emphasis = True
    return converter


def _unescaped(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return match.group(1) + "."
    return match.group(2) + match.group(3)


def _stripped(source: str) -> str:
    return html.unescape(_TAGS.sub(" ", source))


def html_text(source: str) -> tuple[str, str | None]:
    """``source`` (an HTML document) as plain text, and the problem when it could only have its tags removed."""
    problem = None
    if len(source) > MAX_LAYOUT:
        text = _stripped(source)
        problem = f"HTML of {len(source):,} characters: its tags removed, without layout"
    else:
        try:
            text = _ESCAPED_LIST.sub(_unescaped, _converter().handle(source))
        except Exception as exc:  # html2text is a third party's code on the sender's bytes: any fault at all
            text = _stripped(source)
            problem = f"HTML not readable ({type(exc).__name__}): its tags removed"
    text = _TRAILING.sub("", text.replace("\xa0", " "))
    return _BLANK_RUNS.sub("\n\n", text).strip("\n"), problem
