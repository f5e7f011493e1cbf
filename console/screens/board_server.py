"""The board's web server: textual-serve's ``Server`` (which runs each browser's board as a Textual app through
its web driver, so it stands on the UI floor) on a socket :mod:`console.health.serve` bound and checked, taking
websockets from the board's own page only (:func:`console.health.serve.allowed_origins`) and at most
:data:`MAX_BOARDS` at once."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.health.serve import Address, allowed_origins, bind

#: The board's own page (its template, for textual-serve's jinja2): only this server's files, no web font from
#: another host as textual-serve's page has.
PAGE = Path(__file__).with_name("board_page")
#: Seconds a stopping server gives its open connections before it closes them (their boards then quit).
SHUTDOWN_SECONDS = 1.0
#: Boards served at once (each a process with its own workspace connections): a page that opens sockets in a loop
#: gets a refusal, not a fork bomb.
MAX_BOARDS = 16


def serve(address: Address, command: str, *, public_url: str | None, title: str, said: Callable[[str], None]) -> None:
    """Serve ``command`` on ``address`` until SIGINT or SIGTERM (Ctrl-C); ``said`` tells where, once listening."""
    sock = bind(address)
    server = _server_class()(command, sock, address, public_url=public_url, title=title, said=said)
    try:
        server.serve()
    finally:
        sock.close()


def _server_class() -> type[Any]:
    """textual-serve's ``Server`` on an already bound socket, closing its connections promptly when stopped
    (imported only when serving: aiohttp and jinja2 are no part of any other command's start-up)."""
    from aiohttp import web
    from textual_serve.server import Server

    class BoardServer(Server):
        def __init__(
            self,
            command: str,
            sock: socket.socket,
            address: Address,
            *,
            public_url: str | None,
            title: str,
            said: Callable[[str], None],
        ) -> None:
            url = public_url or address.url  # (textual-serve's own would leave an IPv6 host unbracketed)
            super().__init__(
                command, host=address.host, port=address.port, title=title, public_url=url, templates_path=PAGE
            )
            self.sock = sock
            self.said = said
            self.origins = allowed_origins(address, public_url)
            self.live = 0

        async def on_startup(self, app: web.Application) -> None:
            self.said(self.public_url)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """textual-serve's websocket, for the board's own page only, and at most :data:`MAX_BOARDS` at once."""
            origin = request.headers.get("Origin", "").rstrip("/").lower()
            if origin not in self.origins:
                raise web.HTTPForbidden(text="the board takes connections from its own page only\n")
            if self.live >= MAX_BOARDS:
                raise web.HTTPServiceUnavailable(text=f"at most {MAX_BOARDS} boards at once; try again later\n")
            self.live += 1
            try:
                return await super().handle_websocket(request)
            finally:
                self.live -= 1

        def serve(self, debug: bool = False) -> None:
            """As ``Server.serve``, on :attr:`sock`, without its logging set-up (ours: the log file)."""
            loop = asyncio.new_event_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.request_exit)
            try:
                web.run_app(
                    self._make_app(),
                    sock=self.sock,
                    handle_signals=False,
                    loop=loop,
                    print=None,
                    shutdown_timeout=SHUTDOWN_SECONDS,
                )
            finally:
                loop.close()

    return BoardServer
