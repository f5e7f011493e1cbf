"""The SMTP client's session below :mod:`console.mail.smtp`: the errors it raises, connecting, TLS, EHLO and
AUTH on :mod:`smtplib`, failures turned into those errors, and the message's dot-stuffing.

The settings are read by attribute (``host``, ``port``, ``security`` ...), so this module does not import
:class:`console.mail.smtp.SmtpSettings` and the two stay one-way.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from console.shared.hosts import is_loopback
from console.shared.safe_text import clean_line


class SendError(Exception):
    """A message not handed over: ``text`` names the server (host:port), what failed and what the server said;
    ``code`` is the server's reply code, None where it gave none."""

    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.code = code


class SendTemporary(SendError):
    """Nothing was delivered, and a later try may work (a 4xx reply, the connection refused, timed out or lost
    before the end of the message was sent)."""


class SendPermanent(SendError):
    """Nothing was delivered, and trying again cannot help (a 5xx reply, the server's identity or capabilities,
    refused credentials, settings that cannot work)."""


class SendUncertain(SendError):
    """The whole message was sent and the connection failed before the server's reply: it may have been
    accepted (RFC 5321 sections 4.1.1.4 and 6.1), so it must not be sent again without a person's word."""


class Settings(Protocol):
    """What the session reads of :class:`console.mail.smtp.SmtpSettings`."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def security(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> str | None: ...
    @property
    def timeout(self) -> float: ...
    @property
    def ca_file(self) -> Path | None: ...
    @property
    def helo_name(self) -> str | None: ...


@dataclass
class Session:
    """An open connection: ``greeting`` is the server's (cleaned) 220 text, ``mechanism`` the AUTH used."""

    conn: smtplib.SMTP
    place: str
    greeting: str = ""
    mechanism: str = ""

    def close(self) -> None:
        """QUIT, then the socket closed; a connection already dead is no error here."""
        try:
            self.conn.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            self.conn.close()


def place_of(host: str, port: int) -> str:
    """``host:port`` as messages name the server (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def server_text(text: bytes | str) -> str:
    """A server's reply text as it may be shown: decoded, on one line, controls made visible."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return clean_line(text, 500)


def reply_error(place: str, what: str, code: int, text: bytes | str) -> SendError:
    """The error for a reply the session cannot go on with: 4xx temporary, 5xx and anything else permanent
    (RFC 5321 section 4.2.1); a reply without a code (smtplib's -1) has ``code`` None."""
    message = f"{place}: {what}: the server replied {code if code >= 100 else '(no code)'} {server_text(text)}"
    if 400 <= code < 500:
        return SendTemporary(message, code)
    return SendPermanent(message, code if code >= 100 else None)


@contextmanager
def guarded(place: str, what: str) -> Iterator[None]:
    """Run one step of the session (``what`` names it), turning smtplib's, ssl's and the socket's failures into
    :class:`SendError`: lost or refused connections temporary, TLS and protocol failures permanent."""
    try:
        yield
    except smtplib.SMTPResponseException as error:
        raise reply_error(place, what, error.smtp_code, error.smtp_error) from error
    except smtplib.SMTPServerDisconnected as error:
        cause = clean_line(error.__context__ or error)
        raise SendTemporary(f"{place}: {what}: the connection was lost ({cause})") from error
    except smtplib.SMTPException as error:
        raise SendPermanent(f"{place}: {what}: {clean_line(error)}") from error
    except ssl.SSLCertVerificationError as error:
        reason = clean_line(error.verify_message or error)
        raise SendPermanent(f"{place}: {what}: the server's certificate is not trusted: {reason}") from error
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as error:
        raise SendTemporary(f"{place}: {what}: the connection closed during TLS ({clean_line(error)})") from error
    except ssl.SSLError as error:
        raise SendPermanent(f"{place}: {what}: TLS failed: {clean_line(error.reason or error)}") from error
    except TimeoutError as error:
        raise SendTemporary(f"{place}: {what}: timed out") from error
    except OSError as error:
        raise SendTemporary(f"{place}: {what}: {clean_line(error.strerror or error)}") from error


_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def dot_stuffed(raw: bytes) -> bytes:
    """``raw`` as DATA sends it: every line end CRLF, a line starting with ``.`` given one more (RFC 5321
    section 4.5.2, which the server takes away again), the last line ended, then the final ``.<CRLF>``."""
    data = _LEADING_DOT.sub(b"..", _LINE_END.sub(b"\r\n", raw))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def tls_context(settings: Settings, place: str) -> ssl.SSLContext:
    """A client context that verifies the server's certificate and name against ``ca_file`` or the system's
    store, TLS 1.2 or later (RFC 8314 section 4.1 deprecates TLS before 1.1, RFC 8996 TLS 1.0 and 1.1)."""
    try:
        context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    except OSError as error:
        raise SendPermanent(f"{place}: the CA file {settings.ca_file} cannot be used: {clean_line(error)}") from error
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def open_session(settings: Settings, token: Callable[[], str] | None) -> Session:
    """Connect, secure, EHLO and authenticate as ``settings`` say; the caller closes the session."""
    place = place_of(settings.host, settings.port)
    if settings.security not in ("starttls", "smtps", "plain"):
        raise SendPermanent(f"{place}: security {clean_line(settings.security)!r} is not starttls, smtps or plain")
    if settings.security == "plain" and not is_loopback(settings.host):
        raise SendPermanent(f"{place}: plain (unencrypted) SMTP is allowed only to a loopback address")
    context = None if settings.security == "plain" else tls_context(settings, place)
    conn: smtplib.SMTP
    if settings.security == "smtps":
        conn = smtplib.SMTP_SSL(local_hostname=settings.helo_name, timeout=settings.timeout, context=context)
    else:
        conn = smtplib.SMTP(local_hostname=settings.helo_name, timeout=settings.timeout)
    conn._host = settings.host  # type: ignore[attr-defined]  # the name TLS checks; smtplib sets it in __init__ only
    session = Session(conn, place)
    try:
        with guarded(place, "connecting" + (" with TLS" if context and settings.security == "smtps" else "")):
            code, text = conn.connect(settings.host, settings.port)
        if code != 220:
            raise reply_error(place, "the server's greeting refused the session", code, text)
        session.greeting = server_text(text)
        _hello(session)
        if settings.security == "starttls":
            assert context is not None
            _starttls(session, context)
        session.mechanism = _authenticate(session, settings, token)
    except BaseException:
        session.close()
        raise
    return session


def _hello(session: Session) -> None:
    with guarded(session.place, "EHLO"):
        code, text = session.conn.ehlo()
    if code != 250:
        raise reply_error(session.place, "EHLO refused", code, text)


def _starttls(session: Session, context: ssl.SSLContext) -> None:
    """STARTTLS, required: a server that does not offer it is refused rather than spoken to in the clear; the
    extensions are asked again inside TLS (RFC 3207 section 4.2)."""
    if not session.conn.has_extn("starttls"):
        raise SendPermanent(f"{session.place}: the server does not offer STARTTLS, which the settings require")
    with guarded(session.place, "STARTTLS"):
        session.conn.starttls(context=context)
    _hello(session)


def _authenticate(session: Session, settings: Settings, token: Callable[[], str] | None) -> str:
    """AUTH when a user name is set: XOAUTH2 with ``token``, else PLAIN or LOGIN with the password (the first
    the server offers). Returns the mechanism used, "" for none."""
    user, place, conn = settings.username, session.place, session.conn
    if not user:
        return ""
    offered = str(conn.esmtp_features.get("auth", "")).upper().split()
    if token is not None:
        return _xoauth2(session, user, token, offered)
    if settings.password is None:
        raise SendPermanent(f"{place}: no password is set for {clean_line(user)}")
    if not (user + settings.password).isascii():
        raise SendPermanent(f"{place}: the user name or password is not ASCII, which smtplib's AUTH cannot send")
    mechanism = next((m for m in ("PLAIN", "LOGIN") if m in offered), None)
    if mechanism is None:
        raise SendPermanent(f"{place}: the server offers no password login (AUTH {clean_line(' '.join(offered))})")
    conn.user, conn.password = user, settings.password
    with guarded(place, f"AUTH {mechanism} as {clean_line(user)}"):
        conn.auth(mechanism, conn.auth_plain if mechanism == "PLAIN" else conn.auth_login)
    return mechanism


def _xoauth2(session: Session, user: str, token: Callable[[], str], offered: list[str]) -> str:
    """AUTH XOAUTH2 as Microsoft documents it for Exchange Online ("Authenticate an IMAP, POP or SMTP connection
    using OAuth"): ``AUTH XOAUTH2``, the server's empty 334, then base64 of
    ``user=<user>^Aauth=Bearer <token>^A^A``; 235 on success. A server may instead answer a bad token with a
    334 carrying an error (base64 JSON, as Google's XOAUTH2 protocol page describes), to which the client sends
    an empty response and gets the final 535: that error is kept for the message."""
    place = session.place
    if "XOAUTH2" not in offered:
        raise SendPermanent(f"{place}: the server does not offer AUTH XOAUTH2 (AUTH {clean_line(' '.join(offered))})")
    try:
        bearer = token()
    except Exception as error:  # the token source's own failure: nothing was sent, a later try may have one
        raise SendTemporary(f"{place}: no OAuth token for {clean_line(user)}: {clean_line(error)}") from error
    if not (user + bearer).isascii() or not (user + bearer).isprintable():
        raise SendPermanent(f"{place}: the user name or OAuth token is not printable ASCII")
    rounds: list[bytes] = []

    def respond(challenge: bytes | None = None) -> str:
        rounds.append(challenge or b"")
        return f"user={user}\x01auth=Bearer {bearer}\x01\x01" if len(rounds) == 1 else ""

    with guarded(place, f"AUTH XOAUTH2 as {clean_line(user)}"):
        try:
            session.conn.auth("XOAUTH2", respond, initial_response_ok=False)
        except smtplib.SMTPAuthenticationError as error:
            said = f" (its error: {server_text(rounds[1])})" if len(rounds) > 1 else ""
            what = f"AUTH XOAUTH2 as {clean_line(user)} refused{said}"
            raise reply_error(place, what, error.smtp_code, error.smtp_error) from error
    return "XOAUTH2"
