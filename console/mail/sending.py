"""The mail outbox's delivery: each reply the desk owes sent once, by the workspace's one runner.

A reply is taken (``sending``, committed) before the SMTP conversation starts and settled after it:

- accepted: ``sent`` (recipients the server refused one by one are said in ``lastError``);
- refused for now (4xx, the connection lost or refused before the end of DATA: RFC 5321 section 4.2.1, 4xx is
  "transient negative"): owed again after 30 s, 1, 2, 4 … minutes up to an hour, for at most
  :data:`MAX_ATTEMPTS` tries, then ``failed``;
- refused for good (5xx): ``failed`` with the server's words;
- lost after the end of DATA, before the server's answer: ``uncertain``. The server may have queued it, so it
  is never sent again without an agent's word (``csp-console mail resend``), and so is a reply left
  ``sending`` by a runner killed mid-conversation. Sending it again could make two: the desk would rather ask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from console.mail import smtp
from console.shared.clock import to_iso
from console.store import Workspace
from console.store import mail as stored

log = logging.getLogger(__name__)

#: Tries before a reply refused for now is given up (about a day at the hour between tries).
MAX_ATTEMPTS = 30


@dataclass
class SendRound:
    """What one delivery round did, reply by reply (Message-IDs)."""

    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"{len(self.sent)} sent"]
        for name, items in (("to retry", self.retrying), ("failed", self.failed), ("uncertain", self.uncertain)):
            if items:
                parts.append(f"{len(items)} {name}")
        return ", ".join(parts)


def send_pending(
    ws: Workspace,
    settings: smtp.SmtpSettings,
    clock: Callable[[], datetime],
    *,
    token: Callable[[], str] | None = None,
    keep_alive: Callable[[], bool] | None = None,
    limit: int = 50,
) -> SendRound:
    """Send the replies owed now (at most ``limit``), oldest first."""
    from console.escalation.courier import retry_delay

    done = SendRound()
    for item in ws.mail.due(to_iso(clock()), limit):
        if keep_alive is not None and not keep_alive():
            break  # another runner took the work over: it sends the rest
        if not ws.mail.take(item["id"]):
            continue
        raw = ws.mail.raw(item["messageRow"]) or b""
        message_id = str(item["messageId"])
        attempts = int(item["attempts"]) + 1
        try:
            report = smtp.send(settings, raw, item["sender"], item["recipients"], token=token)
        except smtp.SendUncertain as exc:
            ws.mail.finish(item["id"], stored.UNCERTAIN, str(exc))
            done.uncertain.append(message_id)
        except smtp.SendPermanent as exc:
            ws.mail.finish(item["id"], stored.FAILED, str(exc))
            done.failed.append(message_id)
        except Exception as exc:  # SendTemporary, a token that could not be had, the network: owed again
            error = str(exc) or type(exc).__name__
            if attempts >= MAX_ATTEMPTS:
                ws.mail.finish(item["id"], stored.FAILED, f"{error} (gave up after {attempts} tries)")
                done.failed.append(message_id)
            else:
                later = to_iso(clock() + retry_delay(attempts - 1))
                ws.mail.finish(item["id"], stored.PENDING, error, later)
                done.retrying.append(message_id)
        else:
            refused = "; ".join(f"{who}: {code} {text}" for who, (code, text) in report.refused.items())
            ws.mail.finish(item["id"], stored.SENT, f"refused by the server: {refused}" if refused else None)
            done.sent.append(message_id)
    return done
