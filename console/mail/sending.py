"""Sending the outbox: each reply owed to the SMTP server delivered once, with the Message-ID it was written with.

A reply is marked ``sending`` (committed) before the SMTP conversation starts, then ends as:

- ``sent`` when the server accepted it (recipients it refused while taking the others are noted);
- ``pending`` again, at a later attempt, when nothing can have been delivered: a 4xx reply, or the connection
  refused or lost before the end of the message's data (:class:`console.mail.smtp.SendTemporary`); after
  :data:`MAX_ATTEMPTS` it is ``failed``;
- ``failed`` when retrying cannot help: a 5xx reply, every recipient refused, a certificate or login refused
  (:class:`console.mail.smtp.SendPermanent`);
- ``uncertain`` when the connection broke after the end of the data and before the server's answer (RFC 5321
  section 6.1: the server may have taken responsibility for it): never sent again without an agent's word
  (``csp-console mail resend``), so a customer never gets a reply twice.

A runner killed in the middle leaves its reply ``sending``; the next holder of the mail lease (no live runner can
be sending it then) marks it uncertain before it sends anything (:meth:`console.store.mail.MailRepo.interrupted`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from console.mail.smtp import SendPermanent, SendTemporary, SendUncertain
from console.shared.clock import to_iso
from console.shared.safe_text import clean_line
from console.store import Workspace
from console.store import mail as stored

#: Attempts of one reply before it is given up as failed (with :func:`retry_delay`: about a day of tries).
MAX_ATTEMPTS = 30
#: The first retry's delay, doubled at each attempt up to :data:`LONGEST_DELAY`.
FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(hours=1)


class Sent(Protocol):
    """What a delivery tells (:class:`console.mail.smtp.SendReport`)."""

    @property
    def refused(self) -> dict[str, tuple[int, str]]: ...


#: Delivers one message: ``send(raw, sender, recipients)``; raises the errors of :mod:`console.mail.smtp`.
Send = Callable[[bytes, str, Sequence[str]], Sent]


def retry_delay(attempts: int) -> timedelta:
    """How long a reply waits after its ``attempts``-th attempt failed for a reason that may pass."""
    return min(FIRST_DELAY * 2 ** max(0, attempts - 1), LONGEST_DELAY)


@dataclass
class SendRound:
    """What one round of sending did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0
    interrupted: int = 0
    left: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"{self.sent} sent"]
        for n, what in (
            (self.retrying, "to retry"),
            (self.failed, "failed"),
            (self.uncertain, "uncertain"),
            (self.interrupted, "left sending by a stopped runner (now uncertain)"),
            (self.left, "left for the next round"),
        ):
            if n:
                parts.append(f"{n} {what}")
        return ", ".join(parts)


def send_pending(
    ws: Workspace,
    send: Send,
    now: Callable[[], datetime],
    *,
    limit: int = 50,
    keep_alive: Callable[[], bool] | None = None,
) -> SendRound:
    """Deliver the replies owed now, oldest first (the caller holds the mail lease). A failure of the
    connection itself (no code from the server) ends the round: the next replies would meet it too."""
    result = SendRound(interrupted=len(ws.mail.interrupted()))
    due = ws.mail.due(to_iso(now()), limit)
    for index, row in enumerate(due):
        if keep_alive is not None and not keep_alive():
            result.left += len(due) - index
            break
        if not ws.mail.take(row["id"]):  # another runner took it, or an agent changed it
            continue
        if not _deliver(ws, send, now, row, result):
            result.left += len(due) - index - 1
            break
    return result


def _deliver(ws: Workspace, send: Send, now: Callable[[], datetime], row: dict[str, object], result: SendRound) -> bool:
    """Send one taken reply and record where it ended; ``False`` when the connection failed (end the round)."""
    outbox_id = int(str(row["id"]))
    raw = ws.mail.raw(int(str(row["messageRow"])))
    if raw is None:
        ws.mail.finish(outbox_id, stored.FAILED, "the message's bytes are missing from the workspace")
        result.failed += 1
        return True
    recipients = [str(r) for r in row["recipients"]] if isinstance(row["recipients"], list) else []
    try:
        report = send(raw, str(row["sender"]), recipients)
    except SendUncertain as exc:
        ws.mail.finish(outbox_id, stored.UNCERTAIN, _line(exc))
        result.uncertain += 1
        result.errors.append(_line(exc))
        return exc.code is not None
    except SendTemporary as exc:
        attempts = int(str(row["attempts"])) + 1
        if attempts >= MAX_ATTEMPTS:
            ws.mail.finish(outbox_id, stored.FAILED, f"given up after {attempts} attempts: {_line(exc)}")
            result.failed += 1
        else:
            ws.mail.finish(outbox_id, stored.PENDING, _line(exc), to_iso(now() + retry_delay(attempts)))
            result.retrying += 1
        result.errors.append(_line(exc))
        return exc.code is not None
    except SendPermanent as exc:
        ws.mail.finish(outbox_id, stored.FAILED, _line(exc))
        result.failed += 1
        result.errors.append(_line(exc))
        return True
    refused = "; ".join(f"{addr}: {code} {clean_line(text)}" for addr, (code, text) in report.refused.items())
    ws.mail.finish(outbox_id, stored.SENT, f"refused by the server: {refused}" if refused else None)
    result.sent += 1
    return True


def _line(exc: Exception) -> str:
    return clean_line(str(exc))[:500]
