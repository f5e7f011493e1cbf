"""Migration 34: mail in and out (issue 20).

- ``mail_messages``: every message the desk read or wrote, by Message-ID (unique: the same mail read twice, from
  a restart, a second runner or a new UIDVALIDITY, is one row). An incoming one remembers where it was read
  (mailbox, UIDVALIDITY, UID: unique too) and what became of it (``state``): a new ticket, joined to a ticket,
  unmatched (its sender is nobody's contact yet), or ignored (automatic mail, a sender over its rate, with the
  reason in ``why``). An outgoing one is a reply of an agent, with its ticket.
- ``mail_blobs``: raw messages and attachments' content by SHA-256, outside the ticket rows; ``mail_attachments``:
  each message's attachments (name made safe, type, size, whether it was kept).
- ``mail_outbox``: the replies owed to the SMTP server, written in the transaction of the reply, delivered once.
- ``mail_contacts``: the senders an agent assigned to a customer (an address belongs to one customer).

Every table is guarded by the door (migration 31): only the console's own connections write them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.store.migrations.door_guard import guard_statements

if TYPE_CHECKING:
    from sqlite_utils import Database

TABLES = ("mail_messages", "mail_blobs", "mail_attachments", "mail_outbox", "mail_contacts")

_MESSAGES = """
CREATE TABLE mail_messages (
    id INTEGER PRIMARY KEY,
    messageId TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL,
    state TEXT NOT NULL,
    why TEXT,
    ticketSeq INTEGER REFERENCES tickets(seq),
    mailbox TEXT,
    uidValidity INTEGER,
    uid INTEGER,
    fromName TEXT NOT NULL DEFAULT '',
    fromEmail TEXT NOT NULL DEFAULT '',
    toList TEXT NOT NULL DEFAULT '[]',
    ccList TEXT NOT NULL DEFAULT '[]',
    replyTo TEXT NOT NULL DEFAULT '[]',
    subject TEXT NOT NULL DEFAULT '',
    sentDate TEXT,
    receivedDate TEXT NOT NULL,
    inReplyTo TEXT NOT NULL DEFAULT '[]',
    refs TEXT NOT NULL DEFAULT '[]',
    body TEXT NOT NULL DEFAULT '',
    history TEXT NOT NULL DEFAULT '',
    htmlOnly INTEGER NOT NULL DEFAULT 0,
    problems TEXT NOT NULL DEFAULT '[]',
    size INTEGER NOT NULL DEFAULT 0,
    rawSha256 TEXT,
    author TEXT,
    UNIQUE (mailbox, uidValidity, uid)
)
"""


def m034_mail(db: Database) -> None:
    """The mail tables, their indexes and the door's guard on each."""
    db.execute(_MESSAGES)
    db.execute("CREATE INDEX idx_mail_messages_ticket ON mail_messages (ticketSeq, id)")
    db.execute("CREATE INDEX idx_mail_messages_state ON mail_messages (state, id)")
    db.execute("CREATE INDEX idx_mail_messages_sender ON mail_messages (fromEmail, receivedDate)")
    db.execute("CREATE TABLE mail_blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL)")
    db.execute(
        "CREATE TABLE mail_attachments (id INTEGER PRIMARY KEY, messageRow INTEGER NOT NULL "
        "REFERENCES mail_messages(id), position INTEGER NOT NULL, filename TEXT NOT NULL, contentType TEXT NOT NULL, "
        "size INTEGER NOT NULL, kept INTEGER NOT NULL, inline INTEGER NOT NULL DEFAULT 0, sha256 TEXT, "
        "UNIQUE (messageRow, position))"
    )
    db.execute(
        "CREATE TABLE mail_outbox (id INTEGER PRIMARY KEY, messageRow INTEGER NOT NULL UNIQUE "
        "REFERENCES mail_messages(id), sender TEXT NOT NULL, recipients TEXT NOT NULL, "
        "state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, nextAttemptDate TEXT, "
        "lastError TEXT, sentDate TEXT, createdDate TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_mail_outbox_due ON mail_outbox (state, nextAttemptDate)")
    db.execute(
        "CREATE TABLE mail_contacts (email TEXT PRIMARY KEY, customerId TEXT NOT NULL REFERENCES customers(id), "
        "name TEXT NOT NULL DEFAULT '', addedDate TEXT NOT NULL, addedBy TEXT NOT NULL)"
    )
    for table in TABLES:
        for statement in guard_statements(table):
            db.execute(statement)


def m035_mail_sender_lookup(db: Database) -> None:
    """The intake finds a sender's customer by the directory's addresses, case-folded, at every mail: an index
    on ``lower(email)`` serves it (without it each mail read the whole directory)."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_directory_email ON directory (lower(email))")
