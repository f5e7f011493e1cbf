"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, on a free port, in a thread of its own.

``smtp_server(security)`` starts one: ``plain``, ``starttls`` (STARTTLS required before anything else) or
``smtps`` (implicit TLS), with a certificate for 127.0.0.1 and localhost from a ``trustme`` test CA. The
STARTTLS server requires AUTH (the SMTPS one offers it): PLAIN or LOGIN with :data:`USER`/:data:`PASSWORD`, or
XOAUTH2 with :data:`TOKEN`. Every message accepted is kept with its envelope and raw bytes (:class:`Received`);
``server.faults`` sets what goes wrong, per test: a reply at MAIL, RCPT (per recipient) or after DATA, the
connection dropped after the whole DATA (the message kept, no reply) or in its middle (nothing kept), or the
reply after DATA held back.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from console.mail.smtp import SmtpSettings

USER = "desk@sakura-cloud.example"
PASSWORD = "correct horse battery staple"
TOKEN = "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA"
#: The server's name in its greeting and EHLO reply.
SERVER_NAME = "mail.test.invalid"


@dataclass(frozen=True)
class Received:
    """A message the server accepted: the envelope, MAIL's parameters and the bytes after de-stuffing."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    mail_options: tuple[str, ...]
    raw: bytes
    tls: bool
    login: str | None


@dataclass
class Faults:
    """What goes wrong on the server. ``mail``: the reply to MAIL FROM; ``rcpt``: the reply to RCPT TO by
    address (``"*"``: every address); ``data``: the reply after the whole DATA, the message not kept;
    ``drop_after_data``: the message kept and the connection closed with no reply; ``drop_mid_data``: after
    354 one line read, then the connection reset, nothing kept; ``slow_reply``: the message kept and its 250
    sent this many seconds late."""

    mail: str | None = None
    rcpt: dict[str, str] = field(default_factory=dict)
    data: str | None = None
    drop_after_data: bool = False
    drop_mid_data: bool = False
    slow_reply: float = 0.0


class Handler:
    """aiosmtpd's hooks: the faults applied, the messages kept, the AUTH exchanges recorded."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.received: list[Received] = []
        #: (mechanism, login or None when refused) for every AUTH; XOAUTH2 adds the client's answer to an error.
        self.auths: list[tuple[str, str | None]] = []

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.faults.mail:
            return self.faults.mail
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.faults.rcpt.get(address) or self.faults.rcpt.get("*")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.faults.data:
            return self.faults.data
        assert isinstance(envelope.original_content, bytes) and envelope.mail_from is not None
        assert server.transport is not None
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else session.auth_data
        self.received.append(
            Received(
                envelope.mail_from,
                tuple(envelope.rcpt_tos),
                tuple(envelope.mail_options),
                envelope.original_content,
                session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                login,
            )
        )
        if self.faults.drop_after_data:
            assert server.transport is not None
            server.transport.abort()
            await asyncio.Event().wait()  # cancelled when the connection is lost
        if self.faults.slow_reply:
            await asyncio.sleep(self.faults.slow_reply)
        return "250 2.0.0 OK: queued"


def _authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    """PLAIN and LOGIN: the one user and password."""
    ok = isinstance(data, LoginPassword) and data.login == USER.encode() and data.password == PASSWORD.encode()
    server.event_handler.auths.append((mechanism, USER if ok else None))
    return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


class FaultySMTP(SMTP):
    """aiosmtpd's server with AUTH XOAUTH2 and a DATA that can break in its middle."""

    async def auth_XOAUTH2(self, _: SMTP, args: list[str]) -> AuthResult:
        """XOAUTH2 as Exchange Online answers it: an empty 334, the client's ``user=...^Aauth=Bearer ...^A^A``,
        235; a bad token gets a 334 with a JSON error, the client's empty answer, then 535 (Google's and
        Microsoft's XOAUTH2 pages)."""
        blob = await self.challenge_auth("") if len(args) == 1 else base64.b64decode(args[1])
        if blob is MISSING:
            return AuthResult(success=False, handled=True)
        assert isinstance(blob, bytes)
        fields = dict(part.split("=", 1) for part in blob.decode().split("\x01") if "=" in part)
        handler = self.event_handler
        if fields.get("user") == USER and fields.get("auth") == f"Bearer {TOKEN}":
            handler.auths.append(("XOAUTH2", USER))
            return AuthResult(success=True, auth_data=USER)
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://outlook.office.com/SMTP.Send"})
        answer = await self.challenge_auth(error)
        handler.auths.append(("XOAUTH2", None))
        handler.auths.append(("XOAUTH2 answer to the error", repr(answer)))
        return AuthResult(success=False, handled=False, message="535 5.7.3 Authentication unsuccessful")

    async def smtp_DATA(self, arg: str) -> None:
        if not (self.event_handler.faults.drop_mid_data and self.envelope and self.envelope.rcpt_tos):
            await super().smtp_DATA(arg)
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self._reader.readline()
        assert self.transport is not None
        self.transport.abort()


class _Controller(Controller):
    """A controller on a free port (port 0, the real one read back once bound) with :class:`FaultySMTP`."""

    def factory(self) -> SMTP:
        return FaultySMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    """A running test server: where it listens, its CA's file, its faults and what it received."""

    security: str
    port: int
    ca_file: Path
    handler: Handler
    host: str = "127.0.0.1"

    @property
    def faults(self) -> Faults:
        return self.handler.faults

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def settings(self, **over: Any) -> SmtpSettings:
        """Client settings for this server: its security, the test CA, the user and password, a short timeout."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "ca_file": self.ca_file,
            "timeout": 5.0,
            "helo_name": "desk.test.invalid",
        }
        if self.security != "plain":
            values.update(username=USER, password=PASSWORD)
        values.update(over)
        return SmtpSettings(**values)


def _controller(handler: Handler, security: str, context: ssl.SSLContext, *, smtputf8: bool = True) -> Controller:
    return _Controller(
        handler,
        hostname="127.0.0.1",
        port=0,
        ssl_context=context if security == "smtps" else None,
        server_hostname=SERVER_NAME,
        tls_context=context if security == "starttls" else None,
        require_starttls=security == "starttls",
        # aiosmtpd counts only STARTTLS as TLS for AUTH: under SMTPS it must not require TLS to offer AUTH,
        # and it then warns when AUTH is required, so the SMTPS server takes mail without AUTH too.
        auth_required=security == "starttls",
        auth_require_tls=security == "starttls",
        authenticator=_authenticator,
        enable_SMTPUTF8=smtputf8,
        timeout=10,
    )


@pytest.fixture(scope="session")
def smtp_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def smtp_ca_file(smtp_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
    smtp_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session")
def smtp_server_context(smtp_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    smtp_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def smtp_server(smtp_server_context: ssl.SSLContext, smtp_ca_file: Path) -> Iterator[Callable[..., SmtpServer]]:
    """``smtp_server(security="plain", smtputf8=True)``: a started server, stopped after the test."""
    started: list[Controller] = []

    def start(security: str = "plain", *, smtputf8: bool = True) -> SmtpServer:
        handler = Handler()
        controller = _controller(handler, security, smtp_server_context, smtputf8=smtputf8)
        controller.start()
        started.append(controller)
        return SmtpServer(security, controller.port, smtp_ca_file, handler)

    yield start
    for controller in started:
        controller.stop()


class Served:
    """A server started outside a test (tests/mail_sandbox.py): where it listens, what it received, ``stop``."""

    def __init__(self, controller: Controller, handler: Handler) -> None:
        self.controller = controller
        self.handler = handler
        self.port: int = controller.port

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def stop(self) -> None:
        self.controller.stop()


def serve(security: str, ca: trustme.CA) -> Served:
    """A server like the ``smtp_server`` fixture's, with a certificate from ``ca``, until :meth:`Served.stop`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    handler = Handler()
    controller = _controller(handler, security, context)
    controller.start()
    return Served(controller, handler)
