"""No change to the desk's records without its audit row (issue 22): what ``workspace grants`` adds so that an
agent's own PostgreSQL role, in a SQL session of its own, cannot change a ticket, its timeline, findings, fields
or time, a support offer, a customer or a subscription without writing, in the same transaction, an audit row in
its own name (which :mod:`console.store.pg_policies` already holds to ``session_user``) for an action the role
map allows it. The console writes both in one transaction, always; a session that writes only the record is
refused at its commit, and nothing of it stays.

How (every statement composed with :mod:`psycopg.sql`; every function ``SECURITY DEFINER`` with its
``search_path`` pinned, as PostgreSQL's CREATE FUNCTION page advises, owned by the database's owner):

- ``csp_audited_tx``: the transactions (``pg_current_xact_id()``, PostgreSQL's "Transaction ID and Snapshot
  Information Functions") in which an agent's role wrote an audit row. The group has no right on it: only the
  audit log's trigger writes it. Rows of transactions that have ended (older than the oldest running one,
  ``pg_snapshot_xmin``) are pruned as new ones come, without waiting on a row another session prunes.
- On ``audit_log``, a row trigger: for a member of the desk's group, an action the role map knows must be one the
  role map allows it (a Sales agent does not audit a claim), then its transaction is noted.
- On each record table, a constraint trigger (``DEFERRABLE INITIALLY DEFERRED``: run at the commit, after the
  audit row the console writes last): a member's insert, delete or update is refused (SQLSTATE 42501) unless its
  transaction is noted. ``SET CONSTRAINTS … IMMEDIATE`` only runs it sooner; turning it off needs the table's
  owner (``ALTER TABLE … DISABLE TRIGGER``) or a superuser (``session_replication_role``).
- The columns the console keeps without an audit row (:data:`UNAUDITED`: a ticket's SLA clock, recomputed from
  its history, and a live claim's renewal) are left out of the update trigger's column list.

The database's owner, superusers and roles outside the group are not subject (their writes are the migrations,
the demo and the console on a desk that does not give agents their own roles).
"""

from __future__ import annotations

import re
from typing import Any

from psycopg import sql

from console.store.sla import CLOCK_COLUMNS

NOTED = "csp_audited_tx"
NOTE_FUNCTION = "csp_note_audit"
REQUIRE_FUNCTION = "csp_require_audit"
TRIGGER = "csp_audited"
#: The desk's records whose every change by an agent's own role needs an audit row of it in the transaction.
RECORDS = (
    "tickets",
    "timeline",
    "findings",
    "ticket_fields",
    "time_entries",
    "support_offers",
    "customers",
    "subscriptions",
)
#: Per table: the columns the console changes with no audit row of their own (derived, or a claim's heartbeat).
UNAUDITED: dict[str, tuple[str, ...]] = {"tickets": (*CLOCK_COLUMNS, "claimedUntil")}


def _function(name: str, body: str, schema: str) -> list[sql.Composable]:
    fn = sql.Identifier(name)
    return [
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
            "SET search_path = {}, pg_temp AS {}"
        ).format(fn, sql.Identifier(schema), sql.Literal(body)),
        sql.SQL("REVOKE ALL ON FUNCTION {}() FROM PUBLIC").format(fn),
    ]


#: Whether the session's login is a member of the group named by the trigger's argument (not a superuser).
_MEMBER = (
    "EXISTS (SELECT 1 FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member "
    "WHERE a.roleid = TG_ARGV[0]::regrole AND m.rolname = session_user AND NOT m.rolsuper)"
)
_NOTE = f"""DECLARE fresh integer;
BEGIN
  IF NOT {_MEMBER} THEN RETURN NULL; END IF;
  IF EXISTS (SELECT 1 FROM csp_role_grants WHERE action = NEW.action)
     AND NOT csp_may(session_user::text, ARRAY[NEW.action]) THEN
    RAISE EXCEPTION 'an audit row of % for %, which the desk''s role map does not allow it', session_user, NEW.action
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO {NOTED} (tx) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS fresh = ROW_COUNT;
  IF fresh > 0 THEN
    DELETE FROM {NOTED} WHERE tx IN (SELECT tx FROM {NOTED} WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
      FOR UPDATE SKIP LOCKED);
  END IF;
  RETURN NULL;
END"""
_REQUIRE = f"""BEGIN
  IF {_MEMBER} AND NOT EXISTS (SELECT 1 FROM {NOTED} WHERE tx = pg_current_xact_id()) THEN
    RAISE EXCEPTION 'a change to % by % with no audit row of its own in the same transaction',
      TG_TABLE_NAME, session_user
      USING ERRCODE = 'insufficient_privilege',
      HINT = 'the desk''s records change only with the audited action that changes them, as the console writes them';
  END IF;
  RETURN NULL;
END"""


def _columns(raw: Any, table: str) -> list[str]:
    rows = raw.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "AND attgenerated = '' ORDER BY attnum",
        (table,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def statements(raw: Any, schema: str, group: str, tables: list[str]) -> list[sql.Composable]:
    """The note, its functions and the triggers on ``tables`` (those of :data:`RECORDS` the workspace has), run
    after the group's privileges were granted (it takes every right on the note away again)."""
    g, noted, arg = sql.Identifier(group), sql.Identifier(NOTED), sql.Literal(group)
    out: list[sql.Composable] = [
        sql.SQL("CREATE TABLE IF NOT EXISTS {} (tx xid8 PRIMARY KEY)").format(noted),
        sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(noted, g),
        sql.SQL("REVOKE ALL ON TABLE {} FROM PUBLIC").format(noted),
        *_function(NOTE_FUNCTION, _NOTE, schema),
        *_function(REQUIRE_FUNCTION, _REQUIRE, schema),
        sql.SQL("CREATE OR REPLACE TRIGGER {} AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION {}({})").format(
            sql.Identifier(NOTE_FUNCTION), sql.Identifier(NOTE_FUNCTION), arg
        ),
    ]
    for table in tables:
        free = {c.lower() for c in UNAUDITED.get(table, ())}
        watched = sql.SQL(", ").join(sql.Identifier(c) for c in _columns(raw, table) if c not in free)
        name = sql.Identifier(table)
        out += [
            sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(sql.Identifier(TRIGGER), name),
            sql.SQL(
                "CREATE CONSTRAINT TRIGGER {} AFTER INSERT OR DELETE OR UPDATE OF {} ON {} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {}({})"
            ).format(sql.Identifier(TRIGGER), watched, name, sql.Identifier(REQUIRE_FUNCTION), arg),
        ]
    return out


_NOTE_TRIGGER = re.compile(
    rf"CREATE TRIGGER {NOTE_FUNCTION} AFTER INSERT ON \S+ FOR EACH ROW "
    rf"EXECUTE FUNCTION {NOTE_FUNCTION}\('(?:[^']|'')*'\)"
)


def is_note(name: str, source: str, definition: str, enabled: str) -> bool:
    """Whether a trigger on ``audit_log`` is this module's note, word for word and enabled: its function's source
    is :data:`_NOTE` and it does nothing else (the audit chain's check names any other trigger there)."""
    return (
        name == NOTE_FUNCTION
        and enabled != "D"
        and " ".join(source.split()) == " ".join(_NOTE.split())
        and _NOTE_TRIGGER.fullmatch(definition) is not None
    )
