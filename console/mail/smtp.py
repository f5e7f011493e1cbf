"""The desk's mail submission client: one message handed to the desk's SMTP server, with an outcome the outbox can
act on without guessing.

:func:`send` drives the transaction itself (MAIL, one RCPT per recipient, DATA, the dot-stuffed message and the
final ``<CRLF>.<CRLF>``) instead of :meth:`smtplib.SMTP.sendmail`, which reports every broken connection alike.
Here the moment the final dot has gone out is known, and the failure says what happened:

- :class:`SendTemporary`: nothing was delivered and a later try may work: a 4xx reply, a connection refused,
  timed out or dropped before the end of the data was sent.
- :class:`SendPermanent`: retrying cannot help: a 5xx reply, every recipient refused, a certificate not trusted,
  STARTTLS missing where it is required, authentication refused, ``plain`` to a host off loopback, a non-ASCII
  address to a server without SMTPUTF8.
- :class:`SendUncertain`: the connection broke or timed out after the final dot was sent and before the server's
  reply. The server takes responsibility for a message with its 250 to the end of the data (RFC 5321 sections
  4.1.1.4 and 6.1), so a lost reply leaves it unknown whether it did: RFC 1047 describes the duplicates that
  retrying then causes. RFC 5321 section 3.8 would have the client treat such a failure like a 451 and retry;
  the desk's outbox instead never sends it again without an agent's word. Section 4.5.3.2.6 gives the server
  10 minutes for that reply: a shorter ``timeout`` makes this outcome likelier.

Connections are TLS unless ``plain`` (allowed only to loopback, for a local test server): SMTPS with implicit TLS
(RFC 8314 section 3.3) or STARTTLS (RFC 3207), always verified, with the host name checked, against ``ca_file`` or
the system's store. Authentication is AUTH XOAUTH2 with an OAuth token when a token source is given (as Microsoft
documents for Exchange Online in "Authenticate an IMAP, POP or SMTP connection using OAuth"), else AUTH PLAIN or
LOGIN (RFC 4616, RFC 4954) with the password.

Every message names the server (host:port) and what failed; the server's own text is untrusted and passes
through :func:`console.shared.safe_text.clean_line`.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from console.mail.smtp_wire import (
    SendError,
    SendPermanent,
    SendTemporary,
    SendUncertain,
    Session,
    dot_stuffed,
    guarded,
    open_session,
    place_of,
    reply_error,
    server_text,
)
from console.shared.safe_text import clean_line

__all__ = [
    "SendError",
    "SendPermanent",
    "SendReport",
    "SendTemporary",
    "SendUncertain",
    "SmtpSettings",
    "check",
    "dot_stuffed",
    "send",
]


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how the desk submits mail. ``security``: ``starttls`` (port 587, TLS required), ``smtps``
    (port 465, implicit TLS) or ``plain`` (loopback only). ``timeout`` bounds each network wait, in seconds."""

    host: str
    port: int
    security: Literal["starttls", "smtps", "plain"]
    username: str = ""
    password: str | None = None
    timeout: float = 30.0
    ca_file: Path | None = None
    helo_name: str | None = None


@dataclass(frozen=True)
class SendReport:
    """A message the server accepted for some recipients: ``refused`` holds the others, each with the server's
    code and its (cleaned) text."""

    refused: dict[str, tuple[int, str]]


def send(
    settings: SmtpSettings,
    raw: bytes,
    sender: str,
    recipients: Sequence[str],
    token: Callable[[], str] | None = None,
) -> SendReport:
    """Submit ``raw`` (the message's bytes, CRLF line ends) from ``sender`` to ``recipients``. Returns the
    recipients refused while others were accepted; raises :class:`SendTemporary`, :class:`SendPermanent` or
    :class:`SendUncertain` as the module's docstring says. ``token`` gives an OAuth access token for XOAUTH2."""
    place = place_of(settings.host, settings.port)
    for address in (sender, *recipients):
        _check_address(place, address)
    if not recipients:
        raise SendPermanent(f"{place}: the message has no recipients")
    with _connected(settings, token) as session:
        options = _mail_options(session, raw, sender, recipients)
        with guarded(place, "MAIL FROM"):
            code, text = session.conn.docmd("MAIL", f"FROM:<{sender}>{''.join(' ' + o for o in options)}")
        if code != 250:
            raise reply_error(place, f"MAIL FROM:<{clean_line(sender)}> refused", code, text)
        refused = _recipients(session, recipients)
        _data(session, raw)
        return SendReport(refused)


def check(settings: SmtpSettings, token: Callable[[], str] | None = None) -> str:
    """Connect, secure, greet, authenticate and NOOP, as ``csp-console mail test`` does: a one-line summary of
    the server (its name from the greeting), the TLS version and the AUTH mechanism used, or a :class:`SendError`
    saying what failed."""
    place = place_of(settings.host, settings.port)
    with _connected(settings, token) as session:
        with guarded(place, "NOOP"):
            code, text = session.conn.noop()
        if code != 250:
            raise reply_error(place, "NOOP refused", code, text)
        sock = session.conn.sock
        tls = sock.version() if isinstance(sock, ssl.SSLSocket) else None
        name = clean_line((session.greeting.split() or ["(no name)"])[0], 200)
        return f"{place}: {name}, {tls or 'no TLS'}, auth {session.mechanism or 'none'}"


@contextmanager
def _connected(settings: SmtpSettings, token: Callable[[], str] | None) -> Iterator[Session]:
    """An open, secured and authenticated session; QUIT at the end, never raising on a dead connection."""
    session = open_session(settings, token)
    try:
        yield session
    finally:
        session.close()


def _check_address(place: str, address: str) -> None:
    """An envelope address goes into a command line: no controls, spaces or angle brackets (they would end or
    add a command), and an ``@``."""
    if "@" not in address or any(c in "<> " or ord(c) < 32 or ord(c) == 127 for c in address):
        raise SendPermanent(f"{place}: {clean_line(address)!r} is not an address to send to")


def _mail_options(session: Session, raw: bytes, sender: str, recipients: Sequence[str]) -> list[str]:
    """MAIL FROM's parameters: SIZE (RFC 1870), BODY=8BITMIME for 8-bit bytes (RFC 6152) and SMTPUTF8 for
    non-ASCII addresses (RFC 6531 section 3.4), each only where the server offers it; without it the message
    cannot go (RFC 6152 section 3, RFC 6531 section 3.2)."""
    conn, place = session.conn, session.place
    options = [f"SIZE={len(raw)}"] if conn.has_extn("size") else []
    if not raw.isascii():
        if not conn.has_extn("8bitmime"):
            raise SendPermanent(f"{place}: the message has 8-bit bytes and the server does not offer 8BITMIME")
        options.append("BODY=8BITMIME")
    if not all(a.isascii() for a in (sender, *recipients)):
        if not conn.has_extn("smtputf8"):
            raise SendPermanent(f"{place}: an address is not ASCII and the server does not offer SMTPUTF8")
        options.append("SMTPUTF8")
        conn.command_encoding = "utf-8"
    return options


def _recipients(session: Session, recipients: Sequence[str]) -> dict[str, tuple[int, str]]:
    """RCPT TO for each recipient: the refused ones with their reply. A 421 ends the session (RFC 5321 section
    3.8); every recipient refused ends the message: temporary if any refusal was 4xx, else permanent."""
    place, refused = session.place, {}
    for rcpt in recipients:
        with guarded(place, f"RCPT TO:<{rcpt}>"):
            code, text = session.conn.docmd("RCPT", f"TO:<{rcpt}>")
        if code == 421:
            raise reply_error(place, f"RCPT TO:<{clean_line(rcpt)}> refused", code, text)
        if code not in (250, 251):
            refused[rcpt] = (code, server_text(text))
    if len(refused) == len(recipients):
        said = "; ".join(f"<{clean_line(r)}> {c} {t}" for r, (c, t) in refused.items())
        error = SendTemporary if any(400 <= c < 500 for c, _ in refused.values()) else SendPermanent
        raise error(f"{place}: every recipient was refused: {said}", max(c for c, _ in refused.values()))
    return refused


def _data(session: Session, raw: bytes) -> None:
    """DATA, the dot-stuffed message with its final ``<CRLF>.<CRLF>``, then the server's reply. The message ends
    with the last byte sent: a failure while sending is temporary (the server cannot have the end of it), a
    failure while waiting for the reply is uncertain (RFC 5321 sections 4.1.1.4 and 6.1)."""
    place, conn = session.place, session.conn
    with guarded(place, "DATA"):
        code, text = conn.docmd("DATA")
    if code != 354:
        raise reply_error(place, "DATA refused", code, text)
    payload = dot_stuffed(raw)
    with guarded(place, "sending the message (before its end was sent)"):
        conn.send(payload)
    try:
        code, text = conn.getreply()
    except (OSError, smtplib.SMTPException) as error:
        cause = error.__context__ or error
        raise SendUncertain(
            f"{place}: the connection failed after the whole message was sent, before the server's reply "
            f"({clean_line(cause)}): the server may have accepted it"
        ) from error
    if code == 250:
        return
    if 400 <= code < 600:
        raise reply_error(place, "the message was refused after its data", code, text)
    raise SendUncertain(f"{place}: the reply to the message's data is not SMTP: {server_text(text)}")
