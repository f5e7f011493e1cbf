"""The desk's IMAP mailbox over the standard library's :mod:`imaplib`: connect, authenticate, select the folder,
list and fetch its messages, move them to the processed folder, wait for new mail.

Protocol facts, from the other side's material: IMAP4rev1 is RFC 3501 (IMAP4rev2, RFC 9051, keeps every command
used here); UID MOVE is RFC 6851; UID EXPUNGE is UIDPLUS, RFC 4315; IDLE is RFC 2177; XOAUTH2 is the SASL
mechanism of Microsoft's "Authenticate an IMAP, POP or SMTP connection using OAuth" for Exchange Online
(``base64("user=" + user + "^Aauth=Bearer " + token + "^A^A")``), which RFC 7628's OAUTHBEARER standardised.

Every failure is a :class:`MailboxError` naming the server and the folder; ``transient`` tells the runner
whether the next round may do better (the network, the server's state) or an agent must fix the settings
(refused login, untrusted certificate, a missing folder).
"""

from __future__ import annotations

import imaplib
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from console.mail.imapidle import IdleRefused, idle
from console.mail.imapwire import Fetched, clip, fetched, folder_name, has_code, uid_set
from console.shared.hosts import is_loopback

__all__ = ["Fetched", "ImapMailbox", "ImapSettings", "MailboxError", "folder_name", "is_loopback", "uid_set"]

Security = Literal["imaps", "starttls", "plain"]
#: Messages per UID FETCH: a round trip each, and at most this many bodies in memory at once.
FETCH_BATCH = 10
#: The longest IDLE: RFC 2177 section 3 has clients end and restart it at least every 29 minutes.
IDLE_MAX = 29 * 60.0
#: Response codes (RFC 5530) saying the server, not the request, is at fault now: the next round may do better.
_TRANSIENT_CODES = ("UNAVAILABLE", "INUSE", "SERVERBUG", "LIMIT")


@dataclass(frozen=True)
class ImapSettings:
    """Where the desk's mailbox is and how to log in. ``security``: ``imaps`` (TLS from the start, port 993),
    ``starttls`` (RFC 3501 section 6.2.1, port 143) or ``plain`` (loopback hosts only, for tests and local
    relays); ``ca_file``: the CA bundle to trust instead of the system's."""

    host: str
    port: int
    username: str
    security: Security
    password: str | None = None
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    timeout: float = 30.0
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        # A mistyped security must never fall through to a connection without TLS.
        if self.security not in ("imaps", "starttls", "plain"):
            raise ValueError(f"IMAP security {clip(self.security)!r}: use imaps, starttls or plain")
        if not 0 < self.port < 65536:
            raise ValueError(f"IMAP port {self.port}: not a TCP port")
        if self.timeout <= 0:
            raise ValueError(f"IMAP timeout {self.timeout}: must be above 0 seconds")


class MailboxError(Exception):
    """The mailbox could not be read or changed. ``transient``: a network drop, a timeout or an unavailable
    server (try the next round); else the settings or the account must be fixed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def _xoauth2(user: str, token: str) -> Callable[[bytes], bytes]:
    """The client's side of SASL XOAUTH2 for imaplib's ``authenticate``: the initial response, then an empty
    one to a server's error challenge (a base64 JSON status), after which the server sends its tagged NO."""
    said = False

    def answer(challenge: bytes) -> bytes:
        nonlocal said
        if said:
            return b""
        said = True
        return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()

    return answer


class ImapMailbox:
    """The desk's folder on an IMAP server, open between ``with`` and its end (or :meth:`open` and
    :meth:`close`). ``token``: gives an OAuth2 access token for XOAUTH2 (Exchange Online); without it, LOGIN
    with the settings' password. Satisfies :class:`console.mail.fetching.Mailbox`."""

    def __init__(self, settings: ImapSettings, token: Callable[[], str] | None = None) -> None:
        self.settings = settings
        self._token = token
        self._imap: imaplib.IMAP4 | None = None
        self._broken = False
        self._processed_ready = False
        self.uidvalidity = 0
        self.capabilities: frozenset[str] = frozenset()

    def __enter__(self) -> ImapMailbox:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def where(self) -> str:
        s = self.settings
        return f"IMAP {s.host}:{s.port} folder {clip(s.folder, 100)}"

    # -- opening -------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Connect, authenticate, SELECT the folder and read its UIDVALIDITY (RFC 3501 section 6.3.1). The token
        is asked for first; what the token's source raises goes up as it is (it is not the mailbox's failure)."""
        token = self._token() if self._token is not None else None
        try:
            with self._failing("connecting"):
                imap = self._connect()
            with self._failing("logging in"):
                self._authenticate(imap, token)
            with self._failing("selecting the folder"):
                self._select(imap)
        except BaseException:
            self.close()
            raise

    def _tls(self) -> ssl.SSLContext:
        """Certificates verified against ``ca_file`` or the system's store, the host name checked."""
        ca = self.settings.ca_file
        return ssl.create_default_context(cafile=str(ca) if ca is not None else None)

    def _connect(self) -> imaplib.IMAP4:
        s = self.settings
        if s.security == "plain" and not is_loopback(s.host):
            raise MailboxError(f"{self.where}: plain IMAP (no TLS) is only for a loopback host", transient=False)
        try:
            if s.security == "imaps":
                self._imap = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=self._tls(), timeout=s.timeout)
            else:
                self._imap = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as e:  # a greeting other than OK: BYE, the server is not taking connections
            raise MailboxError(f"{self.where}: the server refused the connection: {clip(e)}", transient=True) from e
        imap = self._imap
        if s.security == "starttls":
            if "STARTTLS" not in imap.capabilities:
                raise MailboxError(f"{self.where}: the server does not offer STARTTLS", transient=False)
            imap.starttls(self._tls())
        return imap

    def _authenticate(self, imap: imaplib.IMAP4, token: str | None) -> None:
        s = self.settings
        if token is not None:
            if "AUTH=XOAUTH2" not in imap.capabilities:
                raise MailboxError(f"{self.where}: the server does not offer XOAUTH2", transient=False)
            imap.authenticate("XOAUTH2", _xoauth2(s.username, token))
        elif s.password is None:
            raise MailboxError(f"{self.where}: no password and no OAuth2 token for {clip(s.username)}", transient=False)
        else:
            imap.login(s.username, s.password)
        typ, data = imap.capability()  # after login the server may offer more (RFC 3501 section 6.2.3)
        self._ok("CAPABILITY", typ, data)
        said = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")
        self.capabilities = frozenset(said.upper().split())

    def _select(self, imap: imaplib.IMAP4) -> None:
        typ, data = imap.select(folder_name(self.settings.folder))
        if typ != "OK":
            raise MailboxError(f"{self.where}: the folder is missing or not selectable: {clip(data)}", transient=False)
        _, values = imap.response("UIDVALIDITY")
        value = values[-1] if values else None
        if not isinstance(value, bytes) or not value.strip().isdigit():
            raise MailboxError(f"{self.where}: the server sent no UIDVALIDITY on SELECT", transient=False)
        self.uidvalidity = int(value)
        self._forget_exists(imap)

    @staticmethod
    def _forget_exists(imap: imaplib.IMAP4) -> None:
        """Drop the EXISTS counts said so far (on SELECT, after our own expunges): only a later one tells
        :meth:`wait_for_new` of new mail."""
        imap.untagged_responses.pop("EXISTS", None)

    # -- reading -------------------------------------------------------------------------------------------
    def _open(self) -> imaplib.IMAP4:
        if self._imap is None or self._broken:
            raise MailboxError(f"{self.where}: the mailbox is not open", transient=True)
        return self._imap

    def uids(self) -> list[int]:
        """The UIDs of the folder's messages not flagged \\Deleted (UID SEARCH UNDELETED, RFC 3501 section
        6.4.4), in order."""
        with self._failing("listing the messages"):
            typ, data = self._open().uid("SEARCH", "UNDELETED")
            self._ok("UID SEARCH", typ, data)
        return sorted({int(n) for part in data if isinstance(part, bytes) for n in part.split() if n.isdigit()})

    def fetch(self, uids: Sequence[int]) -> Iterator[Fetched]:
        """The messages of ``uids``, by UID FETCH of BODY.PEEK[] (not marking them \\Seen), INTERNALDATE and
        RFC822.SIZE in batches of :data:`FETCH_BATCH`; a UID no longer in the folder is skipped (the server
        answers nothing for it, RFC 3501 section 6.4.8)."""
        for start in range(0, len(uids), FETCH_BATCH):
            batch = list(uids[start : start + FETCH_BATCH])
            wanted = set(batch)
            with self._failing("fetching messages"):
                typ, data = self._open().uid("FETCH", uid_set(batch), "(UID BODY.PEEK[] INTERNALDATE RFC822.SIZE)")
                self._ok("UID FETCH", typ, data)
                messages = [m for m in fetched(data) if m.uid in wanted]
            yield from messages

    # -- changing ------------------------------------------------------------------------------------------
    def move_to_processed(self, uids: Sequence[int]) -> None:
        """Move ``uids`` to the processed folder, created when missing. UID MOVE (RFC 6851) where the server
        has MOVE; else UID COPY, UID STORE +FLAGS.SILENT (\\Deleted) and UID EXPUNGE of just those UIDs (RFC 4315,
        UIDPLUS). A server with neither gets COPY and STORE only: a plain EXPUNGE would also remove what other
        clients flagged \\Deleted, so the originals stay in the folder, flagged, until someone expunges it, and
        :meth:`uids` (UNDELETED) no longer lists them."""
        if not uids:
            return
        target = folder_name(self.settings.processed_folder)
        with self._failing("moving messages to the processed folder"):
            imap = self._open()
            self._ensure_processed(imap, target)
            seq = uid_set(uids)
            if "MOVE" in self.capabilities:
                self._ok("UID MOVE", *imap.uid("MOVE", seq, target))
            else:
                self._ok("UID COPY", *imap.uid("COPY", seq, target))
                self._ok("UID STORE", *imap.uid("STORE", seq, "+FLAGS.SILENT", "(\\Deleted)"))
                if "UIDPLUS" in self.capabilities:
                    self._ok("UID EXPUNGE", *imap.uid("EXPUNGE", seq))
            self._forget_exists(imap)

    def _ensure_processed(self, imap: imaplib.IMAP4, target: str) -> None:
        if self._processed_ready:
            return
        typ, data = imap.list('""', target)
        self._ok("LIST", typ, data)
        if not any(isinstance(d, (bytes, tuple)) for d in data):
            self._ok("CREATE", *imap.create(target))
        self._processed_ready = True

    def wait_for_new(self, seconds: float) -> bool:
        """Whether the server says a message arrived (EXISTS) within ``seconds``: by IDLE (RFC 2177) where the
        server has it, else by NOOP after ``seconds`` (RFC 3501 section 6.1.2). An IDLE lasts at most
        :data:`IDLE_MAX` (RFC 2177: servers may end idle clients after 30 minutes)."""
        with self._failing("waiting for new mail"):
            imap = self._open()
            if "IDLE" in self.capabilities:
                return idle(imap, min(seconds, IDLE_MAX), self.settings.timeout)
            time.sleep(seconds)
            self._ok("NOOP", *imap.noop())
            return bool(imap.untagged_responses.pop("EXISTS", None))

    # -- ending and failing --------------------------------------------------------------------------------
    def close(self) -> None:
        """LOGOUT and close the connection; never raises, whatever state the connection is in."""
        imap, self._imap = self._imap, None
        if imap is None:
            return
        try:
            if self._broken:
                imap.shutdown()
            else:
                imap.logout()  # sends LOGOUT, then shuts the socket down
        except Exception:  # a dead connection has nothing more to say
            with suppress(Exception):
                imap.sock.close()

    def _ok(self, command: str, typ: str, data: Sequence[object]) -> None:
        if typ != "OK":
            text = clip(data)
            raise MailboxError(f"{self.where}: {command} refused: {text}", transient=has_code(text, *_TRANSIENT_CODES))

    @contextmanager
    def _failing(self, doing: str) -> Iterator[None]:
        """Errors while ``doing`` as :class:`MailboxError`, transient or not; a lost connection is not used
        again (the next round opens a new one)."""
        try:
            yield
        except MailboxError:
            raise
        except ssl.SSLCertVerificationError as e:
            self._broken = True
            reason = e.verify_message or e.reason
            raise MailboxError(
                f"{self.where}: {doing}: the certificate is not trusted: {clip(reason)}", transient=False
            ) from e
        except IdleRefused as e:
            raise MailboxError(f"{self.where}: {doing}: the server refused IDLE: {clip(e)}", transient=True) from e
        except (imaplib.IMAP4.abort, OSError) as e:  # OSError: socket and ssl errors, timeouts
            self._broken = True
            raise MailboxError(f"{self.where}: {doing}: connection lost: {clip(e)}", transient=True) from e
        except imaplib.IMAP4.error as e:
            text = clip(e)
            raise MailboxError(f"{self.where}: {doing}: {text}", transient=has_code(text, *_TRANSIENT_CODES)) from e
        except ValueError as e:
            self._broken = True
            raise MailboxError(f"{self.where}: {doing}: unreadable response: {clip(e)}", transient=False) from e
