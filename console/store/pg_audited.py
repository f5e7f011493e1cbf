"""No change to the desk's records without its audit row (issue 22): what ``workspace grants`` adds so that an
agent's own PostgreSQL role, in a SQL session of its own, cannot change a ticket, its timeline, findings, fields
or time, a support offer, a customer, a subscription, a holiday or a mail contact without writing, in the same
transaction, an audit row in its own name (which :mod:`console.store.pg_policies` already holds to
``session_user``), numbered as the chain's next. The console writes both in one transaction, always; a session
that writes only the record is refused at its commit, and nothing of it stays.

How (every statement composed with :mod:`psycopg.sql`; every function ``SECURITY DEFINER`` with its
``search_path`` pinned, as PostgreSQL's CREATE FUNCTION page advises, owned by the database's owner):

- ``csp_audited_tx``: the transactions (``pg_current_xact_id()``, PostgreSQL's "Transaction ID and Snapshot
  Information Functions") in which an agent's role wrote an audit row. The group has no right on it: only the
  audit log's trigger writes it. Rows of transactions that have ended (older than the oldest running one,
  ``pg_snapshot_xmin``) are pruned as new ones come, without waiting on a row another session prunes.
- On ``audit_log``, a row trigger before each new row: for a member of the desk's group, the row must be the
  chain's next (its id one past the last given out, as :func:`console.store.audit_chain.append` numbers it: a row
  numbered at the end of ``bigint`` would stop every console's audit), then its transaction is noted. What the
  row says is the agent's to say: the database does not tie it to the change (the README says so).
- On each record table, a constraint trigger (``DEFERRABLE INITIALLY DEFERRED``: run at the commit, after the
  audit row the console writes last): a member's insert, delete or update is refused (SQLSTATE 42501) unless its
  transaction is noted. ``SET CONSTRAINTS … IMMEDIATE`` only runs it sooner; turning it off needs the table's
  owner (``ALTER TABLE … DISABLE TRIGGER``) or a superuser (``session_replication_role``).
- The columns the console keeps without an audit row (:data:`UNAUDITED`: an open ticket's SLA clock, recomputed
  from its history, and one's own claim's renewal) are left out of the update trigger's column list; a second
  trigger wants the audit row for them on a closed ticket or another's claim (:data:`KEPT_WHEN`).
- Each migration makes the triggers again (:func:`follow_schema`): the column lists are the table's as it is.

A member is the group's directly or through another role; the database's owner, superusers and roles outside
the group are not subject (their writes are the migrations, the demo and the console on a desk that does not
give agents their own roles). That no agent runs code as the owner is :func:`console.store.pg_grants._functions`
(no TEMP on the database, no EXECUTE on trigger functions, every definer's ``search_path`` pinned).
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
    "holidays",
    "mail_contacts",
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


#: Whether the session's login is an agent of the desk: a member of the group named by the trigger's argument,
#: directly or through another role, and neither a superuser nor the database's owner.
_MEMBER = (
    "EXISTS (SELECT 1 FROM pg_roles m, pg_database d WHERE m.rolname = session_user AND NOT m.rolsuper "
    "AND d.datname = current_database() AND m.oid <> d.datdba AND pg_has_role(m.oid, TG_ARGV[0]::regrole, 'MEMBER'))"
)
_NOTE = f"""DECLARE fresh integer;
BEGIN
  IF TG_RELID <> 'audit_log'::regclass OR TG_OP <> 'INSERT' OR TG_LEVEL <> 'ROW' OR TG_WHEN <> 'BEFORE' THEN
    RAISE EXCEPTION 'csp_note_audit runs only before the audit log''s new rows'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT {_MEMBER} THEN RETURN NEW; END IF;
  IF NEW.id IS DISTINCT FROM greatest((SELECT coalesce(max(id), 0) FROM audit_log),
      (SELECT coalesce(max(seq), 0) FROM csp_sequence WHERE name = 'audit_log')) + 1 THEN
    RAISE EXCEPTION 'an audit row of % numbered %, not the next one of the chain', session_user, NEW.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO {NOTED} (tx) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS fresh = ROW_COUNT;
  IF fresh > 0 THEN
    DELETE FROM {NOTED} WHERE tx IN (SELECT tx FROM {NOTED} WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
      FOR UPDATE SKIP LOCKED);
  END IF;
  RETURN NEW;
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
#: When a change of a ticket's unaudited columns still needs its audit row: on a closed ticket (no console
#: recomputes its clock: the breach sweep and the recomputation take open tickets only), and a claim's expiry
#: changed on a ticket the session's login does not hold (the console renews its own claims only).
KEPT_WHEN = (
    "(OLD.isopen = 0 AND NEW.isopen = 0) "
    "OR (OLD.claimeduntil IS DISTINCT FROM NEW.claimeduntil AND OLD.assignee IS DISTINCT FROM session_user::text)"
)
KEPT_TRIGGER = "csp_audited_kept"


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
        # (dropped and made again: CREATE OR REPLACE TRIGGER is PostgreSQL 14's, the console runs on 13 too)
        sql.SQL("DROP TRIGGER IF EXISTS {} ON audit_log").format(sql.Identifier(NOTE_FUNCTION)),
        sql.SQL("CREATE TRIGGER {} BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION {}({})").format(
            sql.Identifier(NOTE_FUNCTION), sql.Identifier(NOTE_FUNCTION), arg
        ),
    ]
    for table in tables:
        out += triggers(raw, table, group)
    return out


def triggers(raw: Any, table: str, group: str) -> list[sql.Composable]:
    """The constraint triggers of one record table (made again: a migration's new column is watched too)."""
    free = {c.lower() for c in UNAUDITED.get(table, ())}
    columns = _columns(raw, table)
    name, arg, fn = sql.Identifier(table), sql.Literal(group), sql.Identifier(REQUIRE_FUNCTION)
    watched = sql.SQL(", ").join(sql.Identifier(c) for c in columns if c not in free)
    out: list[sql.Composable] = [
        sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(sql.Identifier(t), name) for t in (TRIGGER, KEPT_TRIGGER)
    ]
    out.append(
        sql.SQL(
            "CREATE CONSTRAINT TRIGGER {} AFTER INSERT OR DELETE OR UPDATE OF {} ON {} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {}({})"
        ).format(sql.Identifier(TRIGGER), watched, name, fn, arg)
    )
    kept = [c for c in columns if c in free]
    if table == "tickets" and kept:
        out.append(
            sql.SQL(
                "CREATE CONSTRAINT TRIGGER {} AFTER UPDATE OF {} ON {} DEFERRABLE INITIALLY DEFERRED "
                "FOR EACH ROW WHEN ({}) EXECUTE FUNCTION {}({})"
            ).format(
                sql.Identifier(KEPT_TRIGGER),
                sql.SQL(", ").join(sql.Identifier(c) for c in kept),
                name,
                sql.SQL(KEPT_WHEN),
                fn,
                arg,
            )
        )
    return out


def follow_schema(raw: Any) -> None:
    """After a migration, as the owner, inside its transaction: a workspace set up for agents' own roles has the
    record tables' triggers made again, so that a column the migration added is watched as the others are."""
    row = raw.execute(
        "SELECT t.tgargs FROM pg_trigger t WHERE t.tgname = %s AND t.tgrelid = to_regclass('tickets') LIMIT 1",
        (TRIGGER,),
    ).fetchone()
    if row is None:
        return
    group = bytes(row[0]).split(b"\x00")[0].decode()
    for table in RECORDS:
        found = raw.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
        if found and found[0]:
            for statement in triggers(raw, table, group):
                raw.execute(statement)


_NOTE_TRIGGER = re.compile(
    rf"CREATE TRIGGER {NOTE_FUNCTION} BEFORE INSERT ON \S+ FOR EACH ROW "
    rf"EXECUTE FUNCTION {NOTE_FUNCTION}\('(?:[^']|'')*'\)"
)


def is_note(name: str, source: str, definition: str, enabled: str) -> bool:
    """Whether a trigger on ``audit_log`` is this module's note, word for word and enabled: its function's source
    is :data:`_NOTE` and it does nothing else (the audit chain's check names any other trigger there)."""
    return (
        name == NOTE_FUNCTION
        and enabled == "O"
        and " ".join(source.split()) == " ".join(_NOTE.split())
        and _NOTE_TRIGGER.fullmatch(definition) is not None
    )
