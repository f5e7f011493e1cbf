"""Mail in and out (part of the store; migration 34): the messages the desk read and wrote, their attachments
and raw bytes, the replies owed to the SMTP server, and the senders assigned to customers.

The writes run inside the caller's transaction (the intake's, with the ticket it made or joined; the reply's,
with the ticket's change), so a mail and what it did to a ticket are stored together or not at all.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from console.store.base import Base

#: What became of an incoming message.
NEW_TICKET, JOINED, UNMATCHED, IGNORED = "ticket", "joined", "unmatched", "ignored"
#: An outgoing reply: written with its ticket's change, then sent.
SENT_REPLY = "reply"
#: A reply in the outbox: owed, sent, refused for good, or lost in flight after the end of DATA (the server
#: may have it: never sent again without an agent's word).
PENDING, SENT, FAILED, UNCERTAIN = "pending", "sent", "failed", "uncertain"

_MESSAGE_COLUMNS = (
    "messageId",
    "direction",
    "state",
    "why",
    "ticketSeq",
    "mailbox",
    "uidValidity",
    "uid",
    "fromName",
    "fromEmail",
    "toList",
    "ccList",
    "replyTo",
    "subject",
    "sentDate",
    "receivedDate",
    "inReplyTo",
    "refs",
    "body",
    "history",
    "htmlOnly",
    "problems",
    "size",
    "rawSha256",
    "author",
)
_LIST_COLUMNS = ("toList", "ccList", "replyTo", "inReplyTo", "refs", "problems")


class AlreadyStored(Exception):
    """The message (its Message-ID, or its mailbox, UIDVALIDITY and UID) was stored meanwhile by another runner."""


@dataclass(frozen=True)
class StoredAttachment:
    """An attachment as the store lists it (the content is read on demand: :meth:`MailRepo.attachment_data`)."""

    id: int
    filename: str
    content_type: str
    size: int
    kept: bool
    inline: bool


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _row(row: Any) -> dict[str, Any]:
    out = dict(row)
    for column in _LIST_COLUMNS:
        if column in out and isinstance(out[column], str):
            out[column] = json.loads(out[column])
    return out


class MailRepo:
    """The mail tables."""

    def __init__(self, db: Base) -> None:
        self.db = db

    # -- reading the mailbox ------------------------------------------------------------------------------
    def known_uids(self, mailbox: str, uid_validity: int, uids: Sequence[int]) -> set[int]:
        """Those of ``uids`` (of ``mailbox`` at ``uid_validity``) already recorded."""
        found: set[int] = set()
        for start in range(0, len(uids), 500):
            chunk = list(uids[start : start + 500])
            marks = self.db.dialect.marks(len(chunk))
            rows = self.db.conn.execute(
                f"SELECT uid FROM mail_messages WHERE mailbox = ? AND uidValidity = ? AND uid IN ({marks})",
                (mailbox, uid_validity, *chunk),
            )
            found.update(r[0] for r in rows)
        return found

    def message(self, message_id: str) -> dict[str, Any] | None:
        row = self.db.conn.execute("SELECT * FROM mail_messages WHERE messageId = ?", (message_id,)).fetchone()
        return None if row is None else _row(row)

    def message_row(self, row_id: int) -> dict[str, Any] | None:
        row = self.db.conn.execute("SELECT * FROM mail_messages WHERE id = ?", (row_id,)).fetchone()
        return None if row is None else _row(row)

    def ticket_of(self, message_ids: Sequence[str]) -> int | None:
        """The ticket of the latest of ``message_ids`` (a reply's In-Reply-To and References) the desk has, in or
        out, or ``None``."""
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return None
        marks = self.db.dialect.marks(len(ids))
        rows = self.db.conn.execute(
            f"SELECT messageId, ticketSeq FROM mail_messages WHERE messageId IN ({marks}) AND ticketSeq IS NOT NULL",
            ids,
        )
        by_id = {r[0]: r[1] for r in rows}
        for message_id in reversed(ids):  # References run oldest to newest: the nearest parent decides
            if message_id in by_id:
                return int(by_id[message_id])
        return None

    def recent_from(self, email: str, since: str) -> int:
        """How many messages ``email`` sent that became or joined tickets since ``since`` (the rate limit)."""
        row = self.db.conn.execute(
            "SELECT count(*) FROM mail_messages WHERE fromEmail = ? AND receivedDate >= ? AND direction = 'in' "
            "AND state IN (?, ?)",
            (email, since, NEW_TICKET, JOINED),
        ).fetchone()
        return int(row[0])

    def record(self, message: dict[str, Any], raw: bytes | None, attachments: Sequence[Any] = ()) -> int:
        """Store a message (``message``: the columns of ``mail_messages``), its raw bytes and its attachments
        (:class:`console.mail.message.Attachment`), inside the caller's transaction; its row id."""
        self.db.require_transaction("recording a mail")
        values = {**message}
        if raw is not None:
            values["rawSha256"] = self._blob(raw)
        for column in _LIST_COLUMNS:
            values[column] = json.dumps(list(values.get(column) or ()), ensure_ascii=False)
        columns = [c for c in _MESSAGE_COLUMNS if c in values]
        try:
            cursor = self.db.conn.execute(
                self.db.dialect.insert("mail_messages", columns), [values[c] for c in columns]
            )
        except sqlite3.IntegrityError as exc:
            raise AlreadyStored(str(exc)) from None
        row_id = int(cursor.lastrowid or 0)
        for position, part in enumerate(attachments):
            digest = self._blob(part.data) if part.kept else None
            self.db.conn.execute(
                self.db.dialect.insert(
                    "mail_attachments",
                    ("messageRow", "position", "filename", "contentType", "size", "kept", "inline", "sha256"),
                ),
                (
                    row_id,
                    position,
                    part.filename,
                    part.content_type,
                    part.size,
                    int(part.kept),
                    int(part.inline),
                    digest,
                ),
            )
        return row_id

    def _blob(self, data: bytes) -> str:
        digest = sha256(data)
        self.db.conn.execute(
            self.db.dialect.insert("mail_blobs", ("sha256", "size", "data"), self.db.dialect.insert_or_ignore),
            (digest, len(data), data),
        )
        return digest

    def raw(self, row_id: int) -> bytes | None:
        """The raw bytes of message ``row_id`` as read or sent."""
        row = self.db.conn.execute(
            "SELECT b.data FROM mail_messages m JOIN mail_blobs b ON b.sha256 = m.rawSha256 WHERE m.id = ?", (row_id,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def attachments(self, row_ids: Sequence[int]) -> dict[int, list[StoredAttachment]]:
        """The attachments of messages ``row_ids``, by message row, in their order."""
        out: dict[int, list[StoredAttachment]] = {}
        if not row_ids:
            return out
        marks = self.db.dialect.marks(len(row_ids))
        rows = self.db.conn.execute(
            "SELECT id, messageRow, filename, contentType, size, kept, inline FROM mail_attachments "
            f"WHERE messageRow IN ({marks}) ORDER BY messageRow, position",
            list(row_ids),
        )
        for r in rows:
            part = StoredAttachment(r[0], r[2], r[3], int(r[4]), bool(r[5]), bool(r[6]))
            out.setdefault(int(r[1]), []).append(part)
        return out

    def attachment_data(self, attachment_id: int) -> tuple[StoredAttachment, bytes | None] | None:
        row = self.db.conn.execute(
            "SELECT a.id, a.filename, a.contentType, a.size, a.kept, a.inline, b.data FROM mail_attachments a "
            "LEFT JOIN mail_blobs b ON b.sha256 = a.sha256 WHERE a.id = ?",
            (attachment_id,),
        ).fetchone()
        if row is None:
            return None
        part = StoredAttachment(row[0], row[1], row[2], int(row[3]), bool(row[4]), bool(row[5]))
        return part, None if row[6] is None else bytes(row[6])

    def of_ticket(self, seq: int) -> list[dict[str, Any]]:
        """The messages of ticket ``seq``, in and out, oldest first."""
        rows = self.db.conn.execute("SELECT * FROM mail_messages WHERE ticketSeq = ? ORDER BY id", (seq,))
        return [_row(r) for r in rows]

    def latest_incoming(self, seq: int) -> dict[str, Any] | None:
        """The customer's latest message on ticket ``seq`` (what a reply answers)."""
        row = self.db.conn.execute(
            "SELECT * FROM mail_messages WHERE ticketSeq = ? AND direction = 'in' ORDER BY id DESC LIMIT 1", (seq,)
        ).fetchone()
        return None if row is None else _row(row)

    def unmatched(self, limit: int = 200) -> list[dict[str, Any]]:
        """Messages waiting for an agent to say whose they are, oldest first."""
        rows = self.db.conn.execute(
            "SELECT * FROM mail_messages WHERE state = ? ORDER BY id LIMIT ?", (UNMATCHED, limit)
        )
        return [_row(r) for r in rows]

    def unmatched_from(self, email: str) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(
            "SELECT * FROM mail_messages WHERE state = ? AND fromEmail = ? ORDER BY id", (UNMATCHED, email)
        )
        return [_row(r) for r in rows]

    def settle(self, row_id: int, state: str, ticket_seq: int | None, why: str | None = None) -> None:
        """What became of an unmatched message, inside the caller's transaction."""
        self.db.require_transaction("settling a mail")
        self.db.conn.execute(
            "UPDATE mail_messages SET state = ?, ticketSeq = ?, why = ? WHERE id = ?", (state, ticket_seq, why, row_id)
        )

    def counts(self) -> dict[str, int]:
        """Incoming messages by state, and the outbox by state (``outbox.pending``...)."""
        out: dict[str, int] = {}
        for state, n in self.db.conn.execute(
            "SELECT state, count(*) FROM mail_messages WHERE direction = 'in' GROUP BY state"
        ):
            out[str(state)] = int(n)
        for state, n in self.db.conn.execute("SELECT state, count(*) FROM mail_outbox GROUP BY state"):
            out[f"outbox.{state}"] = int(n)
        return out

    def last_received(self) -> str | None:
        row = self.db.conn.execute("SELECT max(receivedDate) FROM mail_messages WHERE direction = 'in'").fetchone()
        return None if row is None else row[0]

    # -- contacts -----------------------------------------------------------------------------------------
    def contact(self, email: str) -> str | None:
        """The customer an agent assigned ``email`` to, if any."""
        row = self.db.conn.execute("SELECT customerId FROM mail_contacts WHERE email = ?", (email,)).fetchone()
        return None if row is None else str(row[0])

    def add_contact(self, email: str, customer_id: str, name: str, agent: str) -> None:
        """``email`` is ``customer_id``'s from now on (inside the caller's transaction)."""
        self.db.require_transaction("adding a contact")
        self.db.conn.execute("DELETE FROM mail_contacts WHERE email = ?", (email,))
        self.db.conn.execute(
            "INSERT INTO mail_contacts (email, customerId, name, addedDate, addedBy) VALUES (?, ?, ?, ?, ?)",
            (email, customer_id, name, self.db.now(), agent),
        )

    def caller_customers(self, email: str) -> list[str]:
        """The customers whose tickets or billing contact name ``email`` (the customer directory)."""
        rows = self.db.conn.execute(
            "SELECT DISTINCT customerId FROM directory WHERE lower(email) = ? AND kind IN ('caller', 'billing')",
            (email,),
        )
        return [str(r[0]) for r in rows]

    # -- the outbox ---------------------------------------------------------------------------------------
    def enqueue(self, message_row: int, sender: str, recipients: Sequence[str]) -> int:
        """Owe the reply of ``message_row`` to the SMTP server (inside the reply's transaction)."""
        self.db.require_transaction("queueing a reply")
        cursor = self.db.conn.execute(
            "INSERT INTO mail_outbox (messageRow, sender, recipients, createdDate) VALUES (?, ?, ?, ?)",
            (message_row, sender, json.dumps(list(recipients)), self.db.now()),
        )
        return int(cursor.lastrowid or 0)

    def outbox(self, states: Sequence[str] = (PENDING, FAILED, UNCERTAIN), limit: int = 200) -> list[dict[str, Any]]:
        marks = self.db.dialect.marks(len(states))
        rows = self.db.conn.execute(
            "SELECT o.*, m.messageId, m.subject, m.ticketSeq FROM mail_outbox o JOIN mail_messages m "
            f"ON m.id = o.messageRow WHERE o.state IN ({marks}) ORDER BY o.id LIMIT ?",
            (*states, limit),
        )
        return [{**dict(r), "recipients": json.loads(r["recipients"])} for r in rows]

    def due(self, now: str, limit: int = 50) -> list[dict[str, Any]]:
        """Replies owed now, oldest first."""
        rows = self.db.conn.execute(
            "SELECT o.*, m.messageId FROM mail_outbox o JOIN mail_messages m ON m.id = o.messageRow "
            "WHERE o.state = ? AND (o.nextAttemptDate IS NULL OR o.nextAttemptDate <= ?) ORDER BY o.id LIMIT ?",
            (PENDING, now, limit),
        )
        return [{**dict(r), "recipients": json.loads(r["recipients"])} for r in rows]

    def take(self, outbox_id: int) -> bool:
        """Mark a reply as being sent now (one attempt more), if it is still owed: ``False`` when another runner
        took it first or it is no longer pending. Committed before the SMTP conversation starts, so a runner
        killed in the middle leaves it ``sending``: never sent again without an agent's word."""
        with self.db.transaction() as conn:
            changed = conn.execute(
                "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ? AND state = ?",
                (outbox_id, PENDING),
            ).rowcount
        return bool(changed)

    def interrupted(self) -> list[int]:
        """Replies left ``sending`` by a runner that stopped in the middle (killed, its host gone), now marked
        uncertain: the server may have them, so they wait for an agent's word (:meth:`release`). Called by the
        holder of the mail lease before it sends, when no live runner can be sending them."""
        with self.db.transaction() as conn:
            ids = [int(r[0]) for r in conn.execute("SELECT id FROM mail_outbox WHERE state = 'sending'")]
            if ids:
                conn.execute(
                    f"UPDATE mail_outbox SET state = ?, lastError = ? WHERE id IN ({self.db.dialect.marks(len(ids))})",
                    (UNCERTAIN, "the sending runner stopped before the server's answer: it may have gone out", *ids),
                )
        return ids

    def finish(self, outbox_id: int, state: str, error: str | None = None, next_attempt: str | None = None) -> None:
        """Where a reply's delivery ended: sent, owed again at ``next_attempt`` (pending), failed or uncertain."""
        sent = self.db.now() if state == SENT else None
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE mail_outbox SET state = ?, lastError = ?, nextAttemptDate = ?, "
                "sentDate = coalesce(?, sentDate) WHERE id = ?",
                (state, error, next_attempt, sent, outbox_id),
            )

    def release(self, outbox_id: int, agent: str) -> bool:
        """An agent's word that an uncertain or failed reply is to be sent again (audited)."""
        with self.db.transaction() as conn:
            changed = conn.execute(
                "UPDATE mail_outbox SET state = ?, nextAttemptDate = NULL WHERE id = ? AND state IN (?, ?, 'sending')",
                (PENDING, outbox_id, UNCERTAIN, FAILED),
            ).rowcount
            if changed:
                self.db.audit(agent, "mail.resend", "mail_outbox", str(outbox_id), {})
        return bool(changed)
