"""A pymap IMAP server (its in-memory ``dict`` backend) for the mail tests, run as its own process:
``python -m tests.mail_pymapd CERT KEY USER PASSWORD``.

It listens on 127.0.0.1 only, on two ports the system picks: one plain, offering STARTTLS (RFC 3501 section
6.2.1), and one with TLS from the first byte (IMAPS, RFC 8314 section 3.3), both over the same mailboxes. It
prints ``PORTS <plain> <imaps>`` once both listen, and runs until stdin closes (the test process ending ends it,
even killed). pymap's own command line has one port and no implicit TLS, hence this launcher over its API.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from argparse import Namespace
from contextlib import AsyncExitStack

from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import DictBackend
from pymap.imap import IMAPServer
from pysasl.hashing import BuiltinHash


def _args(cert: str, key: str, user: str, password: str) -> Namespace:
    return Namespace(
        host="127.0.0.1", port=0, debug=False, cert=cert, key=key, tls=True, passlib_cfg=None,
        proxy_protocol=None, demo_data=False, demo_user=user, demo_password=password, inherited_sockets=None,
    )  # fmt: skip


async def _serve(cert: str, key: str, user: str, password: str) -> None:
    # Login over the plain port too (the tests' "plain on loopback"); no DNSBL look-ups; the password hashed with
    # one PBKDF2 round, not 500,000 (a login costs no CPU time worth having for a test's account).
    backend, config = await DictBackend.init(
        _args(cert, key, user, password), secure_auth=False, reject_dnsbl=False, hash_context=BuiltinHash(rounds=1)
    )
    config.apply_context()
    imaps = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    imaps.load_cert_chain(cert, key)
    callback = ProxyProtocolReader(config.proxy_protocol).get_callback(IMAPServer(backend.login, config))
    async with AsyncExitStack() as stack:
        await backend.start(stack)
        plain = await asyncio.start_server(callback, host="127.0.0.1", port=0)
        tls = await asyncio.start_server(callback, host="127.0.0.1", port=0, ssl=imaps)
        for server in (plain, tls):
            await stack.enter_async_context(server)
        ports = [server.sockets[0].getsockname()[1] for server in (plain, tls)]
        print("PORTS", *ports, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the test process closes our stdin


def main() -> None:
    os.environ["FQDN"] = "localhost"  # pymap's greeting; else socket.getfqdn() asks the resolver
    cert, key, user, password = sys.argv[1:5]
    asyncio.run(_serve(cert, key, user, password))


if __name__ == "__main__":
    main()
