"""Real IMAP servers for the mail tests, on 127.0.0.1 only, on ports the system gives.

- ``pymapd`` (session): pymap's in-memory server (:mod:`tests.mail_pymapd`), a plain port offering STARTTLS and
  an IMAPS port; found by experiment to offer MOVE, UIDPLUS and IDLE, and no XOAUTH2.
- ``dovecot`` (session, a factory by capability): Dovecot from the Debian package, started as
  ``dovecot -F -c CONFIG`` with its own base_dir, a passwd-file user, a maildir, and XOAUTH2 checked by an
  ``oauth2`` passdb against a token endpoint served here (:class:`TokenEndpoint`). ``imap_capability`` makes the
  server advertise less (no MOVE, no UIDPLUS, no IDLE) to drive our other paths.

Both use a CA made by ``trustme``. :class:`Imapd` puts messages into a folder and lists them with the standard
library's :mod:`imaplib` (an independent client, not ours). Each test takes its own folders (:func:`folders`),
so a shared server is safe under xdist (each worker has its own servers).
"""

from __future__ import annotations

import grp
import imaplib
import itertools
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import trustme

from console.mail.imap import ImapSettings, Security, folder_name

HOST = "127.0.0.1"
USER, PASSWORD = "desk", "s3cret pass"
GOOD_TOKEN = "eyJ0eXAi.good-token-for-desk"
_names = itertools.count(1)


@dataclass(frozen=True)
class Imapd:
    """A running server: its ports (``plain``: STARTTLS offered), the account, the CA to trust."""

    name: str
    plain: int
    imaps: int
    ca_file: Path

    def settings(self, security: Security = "imaps", **changes: Any) -> ImapSettings:
        port = self.imaps if security == "imaps" else self.plain
        base = ImapSettings(HOST, port, USER, security, password=PASSWORD, timeout=10.0, ca_file=self.ca_file)
        return replace(base, **changes)

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        """The standard library's client, logged in over the plain port (loopback only)."""
        imap = imaplib.IMAP4(HOST, self.plain, timeout=20)
        try:
            imap.login(USER, PASSWORD)
            yield imap
        finally:
            with suppress(Exception):
                imap.logout()

    def put(self, folder: str, *messages: bytes) -> None:
        """APPEND ``messages`` to ``folder`` (created when missing), in order."""
        with self.client() as imap:
            imap.create(folder_name(folder))  # NO when it exists: fine
            for raw in messages:
                typ, data = imap.append(folder_name(folder), None, None, raw)
                assert typ == "OK", data

    def listing(self, folder: str) -> dict[int, bytes]:
        """The messages of ``folder`` not flagged \\Deleted, by UID (``{}`` when the folder is missing)."""
        with self.client() as imap:
            typ, _ = imap.select(folder_name(folder), readonly=True)
            if typ != "OK":
                return {}
            _, found = imap.uid("SEARCH", "UNDELETED")
            uids = found[0].split() if found and found[0] else []
            out: dict[int, bytes] = {}
            for uid in uids:
                _, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                out[int(uid)] = next(d[1] for d in data if isinstance(d, tuple))
            return out

    def expunge(self, folder: str, uids: list[int]) -> None:
        """Remove ``uids`` from ``folder`` as another client would (STORE \\Deleted, EXPUNGE)."""
        with self.client() as imap:
            imap.select(folder_name(folder))
            imap.uid("STORE", ",".join(map(str, uids)), "+FLAGS.SILENT", "(\\Deleted)")
            imap.expunge()


def folders() -> tuple[str, str]:
    """A new inbox and processed folder name for one test (unique in the worker's servers)."""
    n = f"{os.getpid()}-{next(_names)}"
    return f"In{n}", f"Done{n}"


def wait_listening(port: int, proc: subprocess.Popen[Any], what: str, log: Callable[[], str]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited ({proc.returncode}): {log()}")
        with suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    pytest.fail(f"{what} is not listening on {HOST}:{port}: {log()}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# -- certificates -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Certs:
    ca_file: Path
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def imap_certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A CA and a server certificate for 127.0.0.1 and localhost, from trustme."""
    where = tmp_path_factory.mktemp("imap-certs")
    ca = trustme.CA()
    issued = ca.issue_cert(HOST, "localhost")
    certs = Certs(where / "ca.pem", where / "cert.pem", where / "key.pem")
    ca.cert_pem.write_to_path(str(certs.ca_file))
    issued.private_key_pem.write_to_path(str(certs.key))
    issued.cert_chain_pems[0].write_to_path(str(certs.cert))
    return certs


# -- pymap ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pymapd(imap_certs: Certs) -> Iterator[Imapd]:
    command = [sys.executable, "-m", "tests.mail_pymapd", str(imap_certs.cert), str(imap_certs.key), USER, PASSWORD]
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdin is not None
    first = proc.stdout.readline().split()
    if first[:1] != ["PORTS"]:
        proc.kill()
        pytest.fail(f"pymap did not start: {first} {proc.stderr.read() if proc.stderr else ''}")
    server = Imapd("pymap", int(first[1]), int(first[2]), imap_certs.ca_file)
    yield server
    proc.stdin.close()  # the launcher ends when its stdin closes
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- Dovecot -------------------------------------------------------------------------------------------------------
class TokenEndpoint:
    """An OAuth2 token introspection endpoint (RFC 7662) on 127.0.0.1 for Dovecot's oauth2 passdb: POST
    ``token=...``; :data:`GOOD_TOKEN` is active for :data:`USER`, every other token inactive."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                token = parse_qs(self.rfile.read(length).decode("utf-8", "replace")).get("token", [""])[0]
                endpoint.asked.append(token)
                answer = {"active": True, "username": USER} if token == GOOD_TOKEN else {"active": False}
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}/introspect"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def dovecot_binary() -> str:
    """Dovecot's path; skips when it is absent and this is not root (root has it from ``.ci/run``)."""
    found = shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None)
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd, as root: .ci/run does it)")
    pytest.fail("Dovecot is not installed: as root, .ci/run installs it (apt-get install dovecot-imapd)")


_CONFIG = """\
base_dir = {home}/run
state_dir = {home}/state
log_path = {home}/dovecot.log
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = {uid}
mail_location = maildir:{home}/mail/%u
{capability}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {plain}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = {home}/passwd
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {home}/oauth2.conf
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/mail/%u
}}
"""


def _accounts() -> dict[str, str | int]:
    """Who Dovecot's processes run as: as root, the package's own users (its login process refuses root);
    else this user for all of them (Dovecot run without root)."""
    if os.geteuid() == 0:
        internal = pwd.getpwnam("dovecot")
        return {
            "internal": "dovecot",
            "group": grp.getgrgid(internal.pw_gid).gr_name,
            "login": "dovenull",
            "uid": internal.pw_uid,
            "gid": internal.pw_gid,
        }
    me = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(os.getgid()).gr_name
    return {"internal": me.pw_name, "group": group, "login": me.pw_name, "uid": me.pw_uid, "gid": os.getgid()}


@contextmanager
def _dovecot(
    binary: str, certs: Certs, tokens: TokenEndpoint, capability: str | None, running: list[subprocess.Popen[bytes]]
) -> Iterator[Imapd]:
    # Its own directory, readable by Dovecot's users (pytest's tmp dirs are 0700 to root).
    home = Path(tempfile.mkdtemp(prefix="csp-dovecot-"))
    try:
        home.chmod(0o755)
        accounts = _accounts()
        for part in ("run", "state", "mail"):
            (home / part).mkdir()
        os.chown(home / "mail", int(accounts["uid"]), int(accounts["gid"]))
        shutil.copy(certs.cert, home / "cert.pem")
        shutil.copy(certs.key, home / "key.pem")
        (home / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
        (home / "oauth2.conf").write_text(
            f"introspection_mode = post\nintrospection_url = {tokens.url}\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n",
            encoding="utf-8",
        )
        plain, imaps = free_port(), free_port()
        line = f"protocol imap {{\n  imap_capability = {capability}\n}}" if capability else ""
        config = _CONFIG.format(
            home=home, host=HOST, cert=home / "cert.pem", key=home / "key.pem", capability=line,
            plain=plain, imaps=imaps, **accounts,
        )  # fmt: skip
        (home / "dovecot.conf").write_text(config, encoding="utf-8")
        proc = subprocess.Popen([binary, "-F", "-c", str(home / "dovecot.conf")], stdin=subprocess.DEVNULL)
        running.append(proc)

        def log() -> str:
            path = home / "dovecot.log"
            return path.read_text(errors="replace")[-2000:] if path.exists() else ""

        try:
            wait_listening(imaps, proc, "dovecot", log)
            yield Imapd("dovecot", plain, imaps, certs.ca_file)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(home, ignore_errors=True)


#: What a Dovecot variant advertises after login (``None``: all it has, MOVE and UIDPLUS among them).
#: ``oauth`` is ``full`` for the XOAUTH2 tests alone: Dovecot delays every login from an address after a refused
#: one (its anvil "auth penalty", 2 s doubling to 15 s), which would slow the other tests down.
DOVECOT_CAPABILITIES = {
    "full": None,
    "oauth": None,
    "no-move": "IMAP4rev1 LITERAL+ IDLE UIDPLUS",
    "imap4rev1": "IMAP4rev1 LITERAL+",
}


@pytest.fixture(scope="session")
def token_endpoint() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint()
    yield endpoint
    endpoint.close()


@pytest.fixture(scope="session")
def dovecot(imap_certs: Certs, token_endpoint: TokenEndpoint) -> Iterator[Callable[[str], Imapd]]:
    """Start (once each, on first use) a Dovecot of a :data:`DOVECOT_CAPABILITIES` variant."""
    binary = dovecot_binary()
    started: dict[str, Imapd] = {}
    running: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:

        def server(variant: str) -> Imapd:
            if variant not in started:
                cm = _dovecot(binary, imap_certs, token_endpoint, DOVECOT_CAPABILITIES[variant], running)
                started[variant] = stack.enter_context(cm)
            return started[variant]

        yield server
        for proc in running:  # all told at once: each takes a second to stop
            proc.terminate()
