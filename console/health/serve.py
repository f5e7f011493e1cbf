"""The read-only health board served to browsers (``csp-console board --serve HOST:PORT``) with textual-serve.

textual-serve's model (its ``Server`` and ``AppService``, textual-serve 1.1): an aiohttp server whose page runs
xterm.js; each browser connection's websocket gets its own child process, started with the server's command
through the shell and textual's web driver, its screen sent to that browser and the browser's keys to it. Here
that command is ``csp-console board`` on the same workspace and config, run by the server's own user with its
environment: every child is the agent who started the server, checked as the board is checked.

textual-serve has no authentication of its own: whoever reaches the port sees the board. So the server listens
on a loopback address unless told otherwise (``--public``), and is reached through an SSH tunnel or an
authenticating reverse proxy (README, "The board in a browser")."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import re
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from console.shared.hosts import is_loopback

_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")
ADDRESS_FORM = "HOST:PORT (e.g. 127.0.0.1:8000, [::1]:8000)"


def allowed_origins(address: Address, public_url: str | None) -> set[str]:
    """The page origins whose websockets the server takes: its own address (and its loopback aliases on the same
    port), and ``--public-url``'s. A browser sends the page's origin with every websocket, so another site's page
    (or a DNS-rebound name) that the team lead has open cannot open the board: loopback alone does not stop it."""
    origins = {address.url}
    if address.host in ("127.0.0.1", "::1", "localhost"):
        origins |= {f"http://{h}:{address.port}" for h in ("127.0.0.1", "[::1]", "localhost")}
    if public_url:
        found = urlsplit(public_url)
        origins.add(f"{'https' if found.scheme in ('https', 'wss') else 'http'}://{found.netloc}")
    return {o.lower() for o in origins}


class ServeError(Exception):
    """The board cannot be served (the address refused, the port taken); said in one line."""


@dataclass(frozen=True)
class Address:
    host: str  # as given, without brackets
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self}"


def listen_address(text: str) -> Address:
    """``HOST:PORT`` (an IPv6 host in brackets), the port 1 to 65535: argparse's type for ``--serve``."""
    raw = text.strip()
    host, sep, port = raw.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        host = ""  # an IPv6 address without brackets: its port cannot be told apart
    valid_host = _is_ip(host) or bool(_HOST_NAME.fullmatch(host))
    if not sep or not valid_host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected {ADDRESS_FORM}, got {raw!r}")
    return Address(host, int(port))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_public(address: Address, public: bool) -> None:
    """Refuse an address other than this machine's loopback unless ``--public`` said so."""
    if not public and not is_loopback(address.host):
        raise ServeError(
            f"not serving on {address}: it is not a loopback address and the board has no login of its own; "
            "serve on 127.0.0.1 and reach it through an SSH tunnel or an authenticating proxy, or pass --public"
        )


def bind(address: Address) -> socket.socket:
    """The listening socket, or :class:`ServeError` saying why not (taken, not this machine's, not allowed)."""
    try:
        infos = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"cannot serve on {address}: {exc.strerror}") from None
    family, kind, proto, _, where = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart within TIME_WAIT; never a live port
        sock.bind(where)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"cannot serve on {address}: the port is in use (another server?)") from None
        raise ServeError(f"cannot serve on {address}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


def board_command(db: Path | str, config_path: Path) -> str:
    """The shell command each browser connection runs: the board in a terminal, on the same workspace (given by
    the environment the children inherit, ``CSP_CONSOLE_DB``: a database's URL may hold a password, which
    another account's ``ps`` would see on a command line)."""
    os.environ["CSP_CONSOLE_DB"] = str(db)
    named = ["--config", str(config_path)] if config_path.exists() else []  # (none written: the same default)
    argv = [sys.executable, "-m", "console.cli", "board", *named]
    return "exec " + shlex.join(argv)  # (exec: the shell gives way to the board, which gets the signals itself)
