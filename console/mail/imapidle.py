"""IMAP IDLE (RFC 2177) on an :mod:`imaplib` connection, which has no ``idle()`` before Python 3.14.

The client sends ``tag IDLE``, the server answers with a continuation (``+ ...``) and then reports changes as
untagged responses (``* 23 EXISTS``: the folder now has 23 messages, RFC 3501 section 7.3.1) until the client
sends ``DONE``, which the server completes with the tagged response. We wait with :func:`select.select` on the
socket and read only when a line has begun to arrive: a timeout inside imaplib's buffered reader would leave it
unusable (:meth:`socket.socket.makefile`), so the socket's own timeout is never what ends the wait.
"""

from __future__ import annotations

import imaplib
import io
import itertools
import re
import select
import ssl
import time
from typing import cast

_EXISTS = re.compile(rb"^\* \d+ EXISTS\b", re.IGNORECASE)
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r?\n$")
_tags = itertools.count(1)


class IdleRefused(Exception):
    """The server answered IDLE with a tagged NO or BAD (its text in the message)."""


def idle(imap: imaplib.IMAP4, seconds: float, timeout: float) -> bool:
    """Whether the server said EXISTS within ``seconds`` of IDLE on ``imap`` (selected). ``timeout``: the socket's
    timeout, restored after each look at the buffer. Raises :class:`imaplib.IMAP4.abort` when the connection closes
    or the server says BYE (RFC 3501 section 7.1.5), :class:`IdleRefused` when it refuses IDLE."""
    if imap.untagged_responses.pop("EXISTS", None):
        return True  # said during an earlier command: no need to wait
    tag = b"IDLE%d" % next(_tags)
    imap.send(tag + b" IDLE\r\n")
    woke = False
    while not (line := _line(imap)).startswith(b"+"):
        if line.startswith(tag + b" "):
            raise IdleRefused(line.decode("utf-8", "replace"))
        woke = woke or bool(_EXISTS.match(line))
    deadline = time.monotonic() + seconds
    while not woke and (left := deadline - time.monotonic()) > 0:
        if _ready(imap, left, timeout):
            woke = bool(_EXISTS.match(_line(imap)))
    imap.send(b"DONE\r\n")
    while not (line := _line(imap)).startswith(tag + b" "):
        woke = woke or bool(_EXISTS.match(line))
    if not line[len(tag) + 1 :].upper().startswith(b"OK"):
        raise IdleRefused(line.decode("utf-8", "replace"))
    return woke


def _line(imap: imaplib.IMAP4) -> bytes:
    """One response line, a literal in it read and dropped (responses during IDLE carry none we need)."""
    line = imap.readline()
    if not line:
        raise imaplib.IMAP4.abort("the server closed the connection during IDLE")
    while match := _LITERAL.search(line):
        imap.read(int(match.group(1)))
        line = line[: match.start()] + b"{}" + imap.readline()
    if line.upper().startswith(b"* BYE"):
        raise imaplib.IMAP4.abort(f"the server said {line.decode('utf-8', 'replace').strip()}")
    return line


def _ready(imap: imaplib.IMAP4, seconds: float, timeout: float) -> bool:
    """Whether a response line has begun to arrive within ``seconds``: in imaplib's buffer, in the TLS layer or
    on the socket. Raises :class:`imaplib.IMAP4.abort` at the end of the stream."""
    sock = imap.sock
    if _peek(imap, timeout) or (isinstance(sock, ssl.SSLSocket) and sock.pending()):
        return True
    readable, _, _ = select.select([sock], [], [], seconds)
    if not readable:
        return False
    seen = _peek(imap, timeout)
    if seen is None:
        return False  # TLS bytes that were not yet a whole record of data
    if seen:
        return True
    raise imaplib.IMAP4.abort("the server closed the connection during IDLE")


def _peek(imap: imaplib.IMAP4, timeout: float) -> bytes | None:
    """What imaplib's reader holds or can read now without waiting: ``b""`` at the end of the stream (or, before
    a select, when nothing is there), ``None`` when the socket has nothing whole to give yet."""
    reader = cast(io.BufferedReader, imap.file)  # imaplib's sock.makefile("rb")
    imap.sock.setblocking(False)
    try:
        return reader.peek(1)
    except (BlockingIOError, ssl.SSLWantReadError):
        return None
    finally:
        imap.sock.settimeout(timeout)
