"""The mail runner's round, under the workspace's mail lease: read the mailbox into tickets (IMAP), then send
what the outbox owes (SMTP). One process of the workspace at a time does it (the console's background job
``mail``, or ``csp-console mail fetch`` / ``send-pending``); while another live process holds the lease this
one does nothing and says who does.

The servers' settings come from the config file's ``[mail]`` table; the password from ``password_env`` or
``password_command`` (:func:`console.desk.mail.password_of`), or with ``oauth`` an Exchange Online token for
XOAUTH2 (:meth:`console.desk.mail.MailDesk.token`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from console.desk.mail import MailNotConfigured, password_of
from console.shared.clock import to_iso
from console.shared.safe_text import clean_line

if TYPE_CHECKING:
    from console.desk.mail import MailDesk
    from console.mail.fetching import FetchReport
    from console.mail.imap import ImapMailbox, ImapSettings
    from console.mail.sending import Send, SendRound
    from console.mail.smtp import SendReport, SmtpSettings


@dataclass
class MailRound:
    """What one round did: the fetch's report, the sending's, the errors that stopped a half, or the holder
    of the lease that does this workspace's mail instead."""

    fetched: FetchReport | None = None
    sent: SendRound | None = None
    errors: list[str] = field(default_factory=list)
    elsewhere: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def __str__(self) -> str:
        if self.elsewhere:
            return self.elsewhere
        parts = []
        if self.fetched is not None:
            parts.append(f"mailbox: {self.fetched}")
        if self.sent is not None:
            parts.append(f"outbox: {self.sent}")
        parts += [f"error: {e}" for e in self.errors]
        return "; ".join(parts) or "nothing to do"


def imap_settings(mail: MailDesk) -> ImapSettings:
    from console.mail.imap import ImapSettings

    s = mail.settings
    if not (s.address and s.imap_host):
        raise MailNotConfigured("no mailbox to read: set address and imap_host in the [mail] table")
    return ImapSettings(
        host=s.imap_host,
        port=s.imap_port,
        username=s.imap_username or s.address,
        security=cast(Any, s.imap_security),  # one of the words rules.py checked
        password=None if s.oauth else password_of(s),
        folder=s.folder,
        processed_folder=s.processed_folder,
        timeout=float(s.timeout_seconds),
        ca_file=mail.ca_file(),
    )


def smtp_settings(mail: MailDesk) -> SmtpSettings:
    from console.mail.smtp import SmtpSettings

    s = mail.settings
    if not (s.address and s.smtp_host):
        raise MailNotConfigured("no server to send with: set address and smtp_host in the [mail] table")
    return SmtpSettings(
        host=s.smtp_host,
        port=s.smtp_port,
        security=cast(Any, s.smtp_security),
        username=s.smtp_username or s.imap_username or s.address,
        password=None if s.oauth else password_of(s),
        timeout=float(s.timeout_seconds),
        ca_file=mail.ca_file(),
        helo_name=s.address.rpartition("@")[2] or None,
    )


def mailbox_name(mail: MailDesk) -> str:
    """How the workspace names the mailbox (its UIDs are kept under this name): user@host/folder."""
    s = mail.settings
    return f"{s.imap_username or s.address}@{s.imap_host}/{s.folder}"


def open_mailbox(mail: MailDesk) -> ImapMailbox:
    from console.mail.imap import ImapMailbox

    return ImapMailbox(imap_settings(mail), mail.token())


def sender(mail: MailDesk) -> Send:
    """``send(raw, sender, recipients)`` over the configured SMTP server."""
    from console.mail import smtp

    settings = smtp_settings(mail)
    token = mail.token()

    def send(raw: bytes, envelope_from: str, recipients: Sequence[str]) -> SendReport:
        return smtp.send(settings, raw, envelope_from, recipients, token)

    return send


def run(mail: MailDesk, *, fetch: bool = True, send: bool = True, keep: bool = False) -> MailRound:
    """One round under the mail lease; with ``keep`` (the background job) the lease stays with this process."""
    lease = mail.lease
    result = MailRound()
    with lease.lock:
        had = lease.held
        if not lease.acquire():
            state = lease.state
            assert state is not None
            result.elsewhere = (
                f"{state.who} reads this workspace's mail (it holds the mail lease until {to_iso(state.expires)})"
            )
            return result
        try:
            if fetch and mail.settings.imap_host:
                _fetch(mail, result)
            if send and mail.settings.smtp_host:
                _send(mail, result)
            lease.ran(str(result)[:300])
        finally:
            if not (keep or had):
                lease.release()
    return result


def _fetch(mail: MailDesk, result: MailRound) -> None:
    from console.mail import fetching
    from console.mail.imap import MailboxError

    try:
        result.fetched = fetching.fetch(
            mail.acknowledging_intake(), lambda: open_mailbox(mail), mailbox_name(mail), keep_alive=mail.lease.keep
        )
    except MailboxError as exc:
        result.errors.append(clean_line(str(exc)))


def _send(mail: MailDesk, result: MailRound) -> None:
    from console.mail.sending import send_pending

    result.sent = send_pending(mail.desk.ws, sender(mail), mail.desk.clock, keep_alive=mail.lease.keep)
    result.errors += result.sent.errors


def test(mail: MailDesk) -> list[tuple[str, bool, str]]:
    """Each configured server, whether logging in worked, and what it answered (for ``mail test``)."""
    from console.mail import smtp
    from console.mail.imap import MailboxError

    s = mail.settings
    lines: list[tuple[str, bool, str]] = []
    if s.imap_host:
        where = f"{s.imap_host}:{s.imap_port}"
        try:
            with open_mailbox(mail) as box:
                waiting = len(box.uids())
                lines.append(("imap", True, f"{where} {s.folder}: {waiting} waiting, UIDVALIDITY {box.uidvalidity}"))
        except (MailboxError, MailNotConfigured) as exc:
            lines.append(("imap", False, clean_line(str(exc))))
    else:
        lines.append(("imap", False, "no imap_host in the [mail] table"))
    if s.smtp_host:
        try:
            lines.append(("smtp", True, smtp.check(smtp_settings(mail), mail.token())))
        except (smtp.SendError, MailNotConfigured) as exc:
            lines.append(("smtp", False, clean_line(str(exc))))
    else:
        lines.append(("smtp", False, "no smtp_host in the [mail] table"))
    return lines


def watch(mail: MailDesk, say: Callable[[str], None], *, rounds: int = 0, sleep: Callable[[float], Any]) -> int:
    """The runner without a console (``csp-console mail watch``, for a service manager): a round, then a wait of
    a poll interval, woken early by IMAP IDLE (RFC 2177) when the server has it; ``rounds`` (0: for ever)
    bounds it. The lease is given back when it ends, however it ends. Returns the rounds that failed."""
    from console.background.leases import jittered

    failed = 0
    done_rounds = 0
    try:
        while not rounds or done_rounds < rounds:
            done = run(mail, keep=True)
            done_rounds += 1
            failed += int(done.failed)
            say(str(done))
            if rounds and done_rounds >= rounds:
                break
            _wait(mail, jittered(mail.settings.poll_seconds), sleep)
    finally:
        if mail.lease.held:
            mail.lease.release()
    return failed


def _wait(mail: MailDesk, seconds: float, sleep: Callable[[float], Any]) -> None:
    """Wait ``seconds`` for the next round, or less when the mailbox says a message came (IDLE)."""
    from console.mail.imap import MailboxError

    if mail.settings.imap_host and mail.lease.held:
        try:
            with open_mailbox(mail) as box:
                if "IDLE" in box.capabilities:
                    box.wait_for_new(seconds)
                    return
        except (MailboxError, MailNotConfigured):
            pass  # the next round says what failed
    sleep(seconds)
