"""The console's log file: private (0600, its folder 0700), rotated, and never holding a token at any level.

- :class:`PrivateRotatingFileHandler` is :class:`logging.handlers.RotatingFileHandler` (``console.log``
  rotated at :data:`MAX_BYTES`, :data:`BACKUPS` old files kept: ``console.log.1`` ...) whose every file is created
  with mode 0600 whatever the umask, and never opened through a symlink (``O_NOFOLLOW``).
- :class:`RedactSecrets` is a filter on the console's handlers: before a record is written, bearer tokens,
  ``Authorization`` header values, ``access_token`` / ``refresh_token`` / ``id_token`` / ``client_secret`` /
  ``client_assertion`` / ``device_code`` / ``password`` values (JSON, form or ``key=value``), and JWT-shaped
  strings are replaced with ``[redacted]``, in the message, its arguments and any traceback. Records of every
  logger pass through it: the console's own, httpx's and httpcore's (request lines and headers at DEBUG), MSAL's.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
from pathlib import Path

from console.shared.private_files import FILE_MODE, private_dir

MAX_BYTES = 5 * 1024 * 1024  # 5 MiB a file
BACKUPS = 5  # console.log.1 .. console.log.5: at most 30 MiB in all

REDACTED = "[redacted]"
_SECRET_KEYS = r"access_token|refresh_token|id_token|client_secret|client_assertion|device_code|password|secret"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A JWT anywhere (header.payload[.signature]; headers start with {"  -> eyJ).
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(\.[A-Za-z0-9_-]*)?"), REDACTED),
    # Authorization: Bearer xyz / Basic xyz, as a header line, a dict or bytes repr ('authorization', 'Bearer x').
    (re.compile(r"\b(Bearer|bearer|BEARER)\s+[A-Za-z0-9._~+/=-]{6,}"), rf"\1 {REDACTED}"),
    (re.compile(r"\b(Basic|BASIC)\s+[A-Za-z0-9+/]{8,}=*"), rf"\1 {REDACTED}"),
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=,]\s*)(?!b?['\"]?(bearer|basic)\b)(b?['\"]?)[^\s'\",}\]]+"),
        rf"\1\3{REDACTED}",
    ),
    # "refresh_token": "xyz"  refresh_token=xyz  'client_secret': 'xyz'
    (re.compile(rf"(?i)(['\"]?\b({_SECRET_KEYS})['\"]?\s*[:=]\s*b?['\"]?)[^\s'\"&,}}\]]+"), rf"\1{REDACTED}"),
)


def redact(text: str) -> str:
    """``text`` with every token-like value replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Redacts secrets in each record (message with its arguments, traceback, stack) before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: keep both, redacted
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created 0600 and never opened through a symlink."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        self.addFilter(RedactSecrets())

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW
        fd = os.open(self.baseFilename, flags, FILE_MODE)
        mode = os.fstat(fd).st_mode & 0o777
        if mode & 0o007:  # a log an older version left readable by everyone: no longer
            os.fchmod(fd, mode & 0o770)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def open_log(path: Path, level: str) -> logging.Handler:
    """Send every logger's records to ``path`` (rotated, 0600, redacted) at ``level``; a log that cannot be
    opened (a read-only home) is no log, never a failure. Return the handler."""
    handler: logging.Handler
    try:
        private_dir(path.parent)
        handler = PrivateRotatingFileHandler(path)
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    return handler
