"""What an agent's own PostgreSQL role may write in its own name only (issue 22): the audit log, the escalations
and their outbox to Microsoft, the mail outbox and the messages and raw mail it sends. Part of ``workspace
grants`` (:mod:`console.store.pg_grants` adds these statements to its plan); every statement composed with
:mod:`psycopg.sql`.

Each table gets row-level security (``ENABLE``: the owner, who runs the migrations, is not subject; nor is a
superuser or a role with ``BYPASSRLS``, PostgreSQL's "Row Security Policies" page) whose ``WITH CHECK`` a new row
must pass, or the statement fails with SQLSTATE 42501 (``insufficient_privilege``, "new row violates row-level
security policy"):

- ``audit_log``: the row's ``agent`` is the session's login role (``session_user``: what the server
  authenticated; ``SET ROLE`` changes ``current_user`` only, PostgreSQL's "Session Information Functions").
- ``escalations``: ``createdBy`` is the session's role and the role map allows it ``ticket.escalate``.
- ``outbox`` (deliveries to Microsoft): ``createdBy`` is the session's role; a case (``create``) or a message
  (``note``) needs ``ticket.escalate``, and a case's escalation must be one the same role created; a case update
  (``update``: severity, closing) needs an action that queues one (``ticket.classify``, ``ticket.status``,
  ``ticket.resolve``). Only pending rows may be changed without ``ticket.escalate`` (the courier, which any
  console holding the Microsoft lease runs, only records what became of a pending delivery).
- ``mail_messages``: an outgoing message names the session's role as its ``author`` and needs ``ticket.reply``
  or ``mail.run`` (the intake's acknowledgements); an incoming one needs ``mail.run``; changed only with
  ``mail.run`` or ``mail.assign``.
- ``mail_outbox``: a reply owed to the SMTP server is an outgoing message of the session's role's own (its
  ``author``), with ``ticket.reply`` or ``mail.run``; changed only with ``mail.run`` or ``mail.resend``.
- ``mail_blobs``: a raw message's key is the SHA-256 of its bytes (so no message can be made to point at
  content other than what was stored for it).

Beside the policies, narrow column grants: on these tables the desk's group may UPDATE only the columns the
console changes after a row is written (:data:`UPDATABLE`: a delivery's state and attempts, never its payload,
its recipients, its creator or its case's tenant) and DELETE nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg import sql

from console.store.base import Base

MAY_FUNCTION = "csp_may"
SESSION = sql.SQL("session_user::text")
ESCALATE = ("ticket.escalate",)
#: The actions whose console paths queue a case update (classify: severity; status and resolve: closing).
CASE_UPDATES = ("ticket.classify", "ticket.status", "ticket.resolve")
REPLIES = ("ticket.reply", "mail.run")
#: Per table: the columns the console changes on rows already written (all else is fixed once inserted).
UPDATABLE: dict[str, tuple[str, ...]] = {
    "audit_log": (),
    "escalations": (
        "state",
        "microsoftCaseId",
        "microsoftState",
        "lastError",
        "lastModifiedDate",
        "severity",
        "lastPolledDate",
    ),
    "outbox": ("state", "attempts", "lastError", "nextAttemptDate", "deliveredDate"),
    "mail_messages": ("state", "ticketSeq", "why"),
    "mail_outbox": ("state", "attempts", "nextAttemptDate", "lastError", "sentDate"),
    "mail_blobs": (),
}
POLICIES = ("csp_read", "csp_insert", "csp_update", "csp_delete")


def may(actions: Iterable[str], who: sql.Composable = SESSION) -> sql.Composable:
    """The policy expression: role ``who`` holds a role that the desk's role map allows one of ``actions``."""
    wanted = sql.SQL(", ").join(sql.Literal(a) for a in actions)
    return sql.SQL("{}({}, ARRAY[{}])").format(sql.Identifier(MAY_FUNCTION), who, wanted)


def _is_session(column: str) -> sql.Composable:
    return sql.SQL("{} = {}").format(sql.Identifier(column.lower()), SESSION)


def _all(*parts: sql.Composable) -> sql.Composable:
    return sql.SQL("({})").format(sql.SQL(" AND ").join(parts))


def _any(*parts: sql.Composable) -> sql.Composable:
    return sql.SQL("({})").format(sql.SQL(" OR ").join(parts))


def _kind(kind: str) -> sql.Composable:
    return sql.SQL("kind = {}").format(sql.Literal(kind))


def _outbox_insert() -> sql.Composable:
    own_case = sql.SQL("EXISTS (SELECT 1 FROM escalations e WHERE e.id = escalationId AND e.createdBy = {})").format(
        SESSION
    )
    return _all(
        _is_session("createdBy"),
        _any(
            _all(_kind("create"), may(ESCALATE), own_case),
            _all(_kind("note"), may(ESCALATE)),
            _all(_kind("update"), may(CASE_UPDATES)),
        ),
    )


def _mail_message_insert() -> sql.Composable:
    out = _all(sql.SQL("direction = 'out'"), _is_session("author"), may(REPLIES))
    return _any(out, _all(sql.SQL("direction = 'in'"), may(("mail.run",))))


def _mail_outbox_insert() -> sql.Composable:
    own = sql.SQL(
        "EXISTS (SELECT 1 FROM mail_messages m WHERE m.id = messageRow AND m.direction = 'out' AND m.author = {})"
    ).format(SESSION)
    return _all(may(REPLIES), own)


#: Per table: ``(WITH CHECK of a new row, USING of a row to change, WITH CHECK of a changed row)``; ``None``:
#: no such change (no policy: nothing passes).
Checks = tuple[sql.Composable, sql.Composable | None, sql.Composable | None]


def checks() -> dict[str, Checks]:
    pending = sql.SQL("state = 'pending'")
    # What the courier and the Microsoft round make of a pending delivery, whoever's console holds the lease: sent,
    # failed, or cancelled (an update of a case Microsoft closed meanwhile: console/store/escalations.py).
    delivery = sql.SQL("state IN ('pending', 'delivered', 'failed', 'cancelled')")
    mail_update = may(("mail.run", "mail.resend"))
    return {
        "audit_log": (_is_session("agent"), None, None),
        "escalations": (_all(_is_session("createdBy"), may(ESCALATE)), sql.SQL("true"), sql.SQL("true")),
        "outbox": (_outbox_insert(), _any(pending, may(ESCALATE)), _any(delivery, may(ESCALATE))),
        "mail_messages": (_mail_message_insert(), may(("mail.run", "mail.assign")), may(("mail.run", "mail.assign"))),
        "mail_outbox": (_mail_outbox_insert(), mail_update, mail_update),
        "mail_blobs": (sql.SQL("sha256 = encode(sha256(data), 'hex') AND size = octet_length(data)"), None, None),
    }


def table_statements(table: str, group: str, rules: Checks) -> list[sql.Composable]:
    """Row-level security on ``table`` by ``rules``, its old policies dropped first (run again: the same), and the
    group's rights on it narrowed to :data:`UPDATABLE`."""
    name, g = sql.Identifier(table), sql.Identifier(group)
    insert, using, check = rules
    out: list[sql.Composable] = [
        sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name),
        *(sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(p), name) for p in POLICIES),
        sql.SQL("CREATE POLICY csp_read ON {} FOR SELECT USING (true)").format(name),
        sql.SQL("CREATE POLICY csp_insert ON {} FOR INSERT WITH CHECK ({})").format(name, insert),
    ]
    if using is not None and check is not None:
        out.append(
            sql.SQL("CREATE POLICY csp_update ON {} FOR UPDATE USING ({}) WITH CHECK ({})").format(name, using, check)
        )
    out.append(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON TABLE {} FROM {}").format(name, g))
    columns = UPDATABLE[table]
    if columns:
        listed = sql.SQL(", ").join(sql.Identifier(c.lower()) for c in columns)
        out.append(sql.SQL("GRANT UPDATE ({}) ON TABLE {} TO {}").format(listed, name, g))
    return out


def raw_of(ws: Base) -> Any:
    """The psycopg connection under the store's PostgreSQL face (statements composed with :mod:`psycopg.sql`)."""
    return getattr(ws.conn, "raw")  # noqa: B009 (an attribute of the PostgreSQL connection only)


def _exists(ws: Base, table: str) -> bool:
    row = raw_of(ws).execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    return bool(row and row[0])


def statements(ws: Base, group: str) -> tuple[list[sql.Composable], list[str]]:
    """The statements that keep the group's members to their own names (run after the group's table privileges
    were granted), and the tables they protect (those of :func:`checks` this workspace has)."""
    out: list[sql.Composable] = []
    tables: list[str] = []
    for table, rules in checks().items():
        if _exists(ws, table):
            out += table_statements(table, group, rules)
            tables.append(table)
    return out, tables
