"""An attachment's name made safe for a file system and a screen.

The sender chooses the name, so it may be a path (``../../etc/passwd``, ``C:\\Windows\\x.dll``), hide its real
extension behind a right-to-left override (``invoice`` U+202E ``fdp.exe`` shows as ``invoiceexe.pdf``), carry
control characters or zero-width ones, or run to thousands of characters. What is kept: the last path
component, in NFC (macOS writes decomposed names), without control, format (bidi, zero-width) or Windows-
reserved characters, without leading dots, at most 120 characters with its extension kept. A name with nothing
left is ``attachment-<n>`` with an extension from its type.
"""

from __future__ import annotations

import re
import unicodedata

from console.shared.safe_text import FORMAT_CHARS

MAX_NAME = 120
#: Control characters (C0, DEL, C1), Unicode's format characters (bidi overrides, zero-width), line and
#: paragraph separators and lone surrogates: removed.
_INVISIBLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{FORMAT_CHARS}\ud800-\udfff]")
#: Characters Windows refuses in a name (and the path separators, once the last component is taken).
_RESERVED = re.compile(r'[<>:"|?*/\\]')
_DOTS = re.compile(r"\.{2,}")
_DEVICES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/rfc822-headers": ".txt",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
}


def default_name(index: int, content_type: str) -> str:
    """The name of the ``index``-th attachment that has none: ``attachment-2.bin``, ``attachment-3.png``."""
    return f"attachment-{index}{_EXTENSIONS.get(content_type, '.bin')}"


def _shortened(name: str) -> str:
    if len(name) <= MAX_NAME:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 0 < len(extension) <= 16:
        return stem[: MAX_NAME - len(extension) - 1].rstrip(" .") + "." + extension
    return name[:MAX_NAME].rstrip(" .")


def safe_filename(name: str | None, index: int, content_type: str) -> str:
    """``name`` (decoded, as the sender gave it, or ``None``) made safe; :func:`default_name` when nothing is left."""
    if not name:
        return default_name(index, content_type)
    value = unicodedata.normalize("NFC", _INVISIBLE.sub("", name))
    value = re.split(r"[/\\]", value)[-1]
    value = _DOTS.sub(".", _RESERVED.sub("_", value)).strip(" .")
    if value.split(".", 1)[0].lower() in _DEVICES:
        value = "_" + value
    value = _shortened(value)
    return value or default_name(index, content_type)
