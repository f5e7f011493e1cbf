"""The database's own defences for agents who connect with their own PostgreSQL role (issue 22): a group role per
desk that every agent's login role is a member of, the privileges of that group, and row-level security on the
billing tables (and on the tables that decide who may do what) that follows the console's role map.

Every statement is composed with :mod:`psycopg.sql` (identifiers quoted by :class:`~psycopg.sql.Identifier`,
values by :class:`~psycopg.sql.Literal`): the logins come from the workspace and are untrusted text.

- The group (``NOLOGIN``) gets ``CONNECT`` on the database, ``USAGE`` on the schema, ``SELECT`` on every table,
  ``INSERT, UPDATE, DELETE`` on every table but ``audit_log``, where it gets ``SELECT, INSERT`` only (no
  ``UPDATE``, ``DELETE`` or ``TRUNCATE``: PostgreSQL's GRANT page), ``USAGE, SELECT`` on the sequences (not
  ``UPDATE``: no ``setval``) and ``EXECUTE`` on the schema's functions but its trigger functions. No ``CREATE`` on
  the schema and no ``TEMP`` on the database, so an agent changes no table, trigger or policy (those need the
  owner) and has no table of its own to hang the owner's functions on (:func:`_functions`).
- ``csp_role_grants(action, role)``: the effective role map (the defaults under the desk policy's ``roles.*``),
  which the policies read through ``csp_may(login, actions)``: a ``SECURITY DEFINER`` function (its
  ``search_path`` pinned, as PostgreSQL's CREATE FUNCTION page advises), so a policy on ``agent_roles`` that
  looks at ``agent_roles`` does not recurse.
- Row-level security (``ENABLE``, not ``FORCE``: the owner, who runs the migrations, is not subject): a billing
  table's rows are visible only to an agent allowed ``billing.view``; written only by one allowed an action that
  writes it in the console (:data:`WRITERS`). ``agents``/``agent_roles`` are written only with ``agents.manage``,
  ``desk_policy`` and ``csp_role_grants`` only with ``policy.set`` (else an agent could grant itself a role).
- Each agent writes in its own name only (:mod:`console.store.pg_policies`): the audit log, the escalations and
  their outbox, the mail outbox and its messages, under row-level security that checks the row's agent, creator
  or author against ``session_user``, and column grants that fix what the console never changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from console.store import pg_audited, pg_policies
from console.store.base import Base

AUDIT_TABLE = "audit_log"
GRANTS_TABLE = "csp_role_grants"
MAY_FUNCTION = pg_policies.MAY_FUNCTION
READ_ACTION = "billing.view"
#: Per protected table: who may read it (an action; ``None``: every agent) and the actions whose holders may
#: write it (the console's own writers of that table: payments and dunning ``billing.manage``, time on a ticket
#: ``ticket.time`` (support charges), suspensions, Partner Center's invoices ``microsoft.sync``, imports).
WRITERS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "receivables": (READ_ACTION, ("billing.manage", "records.import")),
    "receivable_lines": (READ_ACTION, ("billing.manage", "records.import")),
    "payments": (READ_ACTION, ("billing.manage", "records.import")),
    "dunning_actions": (READ_ACTION, ("billing.manage",)),
    "partner_invoices": (READ_ACTION, ("microsoft.sync", "billing.manage")),
    "support_charges": (READ_ACTION, ("ticket.time", "billing.manage", "offer.manage", "records.import")),
    "suspensions": (READ_ACTION, ("subscription.suspend", "subscription.reactivate")),
    "suspension_items": (READ_ACTION, ("subscription.suspend", "subscription.reactivate")),
    "agents": (None, ("agents.manage",)),
    "agent_roles": (None, ("agents.manage",)),
    "desk_policy": (None, ("policy.set",)),
    GRANTS_TABLE: (None, ("policy.set",)),
}
POLICIES = ("csp_read", "csp_insert", "csp_update", "csp_delete")


class GrantsRefused(PermissionError):
    """The session may not set the database up (not its owner, or no right to make roles)."""


@dataclass
class GrantPlan:
    """What the grants command does: the group, each agent's role and what became of it, the statements."""

    database: str
    schema: str
    group: str
    members: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # login -> why it is not a member
    protected: list[str] = field(default_factory=list)  # the tables under row-level security
    audited: list[str] = field(default_factory=list)  # the tables changed only with an audit row (pg_audited)
    statements: list[str] = field(default_factory=list)


def group_name(database: str) -> str:
    """The desk's group role: ``csp_agents_<database>``, cut to PostgreSQL's 63 bytes of a name."""
    return f"csp_agents_{database}".encode()[:63].decode(errors="ignore")


def is_postgresql(ws: Base) -> bool:
    return ws.engine == "postgresql"


def _raw(ws: Base) -> Any:
    return pg_policies.raw_of(ws)


def _one(ws: Base, query: sql.Composable, params: tuple[Any, ...] = ()) -> Any:
    row = _raw(ws).execute(query, params).fetchone()
    return row[0] if row else None


def effective_map_rows(role_map: Mapping[str, Iterable[str]]) -> list[tuple[str, str]]:
    return sorted((action, role) for action, roles in role_map.items() for role in roles)


def refresh_role_grants(ws: Base, role_map: Mapping[str, Iterable[str]]) -> bool:
    """Inside the caller's transaction: ``csp_role_grants`` made the role map ``role_map`` (new rows first, then
    the stale ones removed, so the policy on that table still lets a ``policy.set`` holder finish). Nothing on
    SQLite, nor where the grants command never ran; whether it was refreshed."""
    if not is_postgresql(ws) or not _one(ws, sql.SQL("SELECT to_regclass({}) IS NOT NULL").format(GRANTS_TABLE)):
        return False
    wanted = effective_map_rows(role_map)
    raw, table = _raw(ws), sql.Identifier(GRANTS_TABLE)
    have = {(str(a), str(r)) for a, r in raw.execute(sql.SQL("SELECT action, role FROM {}").format(table))}
    insert = sql.SQL("INSERT INTO {} (action, role) VALUES (%s, %s) ON CONFLICT DO NOTHING").format(table)
    for row in wanted:
        if row not in have:
            raw.execute(insert, row)
    delete = sql.SQL("DELETE FROM {} WHERE action = %s AND role = %s").format(table)
    for row in sorted(have - set(wanted)):
        raw.execute(delete, row)
    return True


def _context(ws: Base) -> tuple[str, str, bool, bool]:
    """``(database, schema, owns the database, may create roles)`` of this session."""
    row = (
        _raw(ws)
        .execute(
            "SELECT current_database(), current_schema(), pg_get_userbyid(d.datdba) = current_user, "
            "r.rolsuper OR r.rolcreaterole FROM pg_database d, pg_roles r "
            "WHERE d.datname = current_database() AND r.rolname = current_user"
        )
        .fetchone()
    )
    return str(row[0]), str(row[1]), bool(row[2]), bool(row[3])


def _role(ws: Base, name: str) -> tuple[bool, bool] | None:
    """``(can log in, is a superuser)`` of the role ``name``, or ``None``: no such role."""
    row = _raw(ws).execute("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]))


def _may(actions: Iterable[str]) -> sql.Composable:
    """The policy expression: the session's role holds a role allowed one of ``actions``."""
    return pg_policies.may(actions)  # (session_user: what the server authenticated, whatever SET ROLE says)


def _table_policies(table: str, read: str | None, writers: tuple[str, ...]) -> list[sql.Composable]:
    name = sql.Identifier(table)
    seen = sql.SQL("true") if read is None else _may((read,))
    write = _may(writers)
    drops = [sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(p), name) for p in POLICIES]
    policy = "CREATE POLICY {} ON {} FOR {} "
    return [
        sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name),
        *drops,
        sql.SQL(policy + "USING ({})").format(sql.Identifier("csp_read"), name, sql.SQL("SELECT"), seen),
        sql.SQL(policy + "WITH CHECK ({})").format(sql.Identifier("csp_insert"), name, sql.SQL("INSERT"), write),
        sql.SQL("CREATE POLICY {0} ON {1} FOR {2} USING ({3}) WITH CHECK ({3})").format(
            sql.Identifier("csp_update"), name, sql.SQL("UPDATE"), write
        ),
        sql.SQL(policy + "USING ({})").format(sql.Identifier("csp_delete"), name, sql.SQL("DELETE"), write),
    ]


def _function(schema: str) -> list[sql.Composable]:
    body = (
        "SELECT EXISTS (SELECT 1 FROM agent_roles r JOIN csp_role_grants g ON g.role = r.role "
        "WHERE r.login = who AND g.action = ANY (wanted))"
    )
    fn = sql.Identifier(MAY_FUNCTION)
    return [
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {}(who text, wanted text[]) RETURNS boolean LANGUAGE sql STABLE "
            "SECURITY DEFINER SET search_path = {}, pg_temp AS {}"
        ).format(fn, sql.Identifier(schema), sql.Literal(body)),
        sql.SQL("REVOKE ALL ON FUNCTION {}(text, text[]) FROM PUBLIC").format(fn),
    ]


#: Tables of the engine, not the desk: the migrations' record, the columns' spellings, the AUTOINCREMENT counter.
ENGINE_TABLES = ("schema_migrations", "csp_columns", "csp_sequence")


def _privileges(ws: Base, database: str, schema: str, group: str) -> list[sql.Composable]:
    g, s = sql.Identifier(group), sql.Identifier(schema)
    return [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), g),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, g),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(s, g),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(s, g),
        sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON TABLE {} FROM {}").format(sql.Identifier(AUDIT_TABLE), g),
        # The engine's own tables: read only (a row changed there would stop every console opening the workspace,
        # or fake a break of the audit chain); the audit counter is kept by its trigger, as the owner.
        *(
            sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE {} FROM {}").format(sql.Identifier(t), g)
            for t in ENGINE_TABLES
        ),
        # No one but the owner makes objects in the desk's schema (PostgreSQL 13 and 14 let PUBLIC).
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(s),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(s, g),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, g),
        *_functions(ws, database, schema, group),
    ]


def _functions(ws: Base, database: str, schema: str, group: str) -> list[sql.Composable]:
    """Who may call the schema's functions, and as whom they run. Not an agent's temporary table: without TEMP
    on the database (PUBLIC has it by default) an agent has no table of its own to hang the owner's trigger
    functions on. Not the trigger functions: no one but the owner calls them (a trigger fires its function
    whoever may call it, PostgreSQL's CREATE TRIGGER page), so none is the group's to run against a table of its
    choosing; the others (the door's check, the policies' ``csp_may``) the group calls. New functions of the
    owner's are no one's to call until this runs again. Every ``SECURITY DEFINER`` function searches the schema,
    then ``pg_temp`` (named last: else it is searched first, PostgreSQL's CREATE FUNCTION page)."""
    g, s = sql.Identifier(group), sql.Identifier(schema)
    out: list[sql.Composable] = [
        sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
        sql.SQL("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {} FROM PUBLIC").format(s),
        sql.SQL("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {} FROM {}").format(s, g),
        sql.SQL("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"),
    ]
    rows = (
        _raw(ws)
        .execute(
            "SELECT p.oid::regprocedure::text, p.prorettype = 'trigger'::regtype, p.prosecdef FROM pg_proc p "
            "WHERE p.pronamespace = current_schema()::regnamespace ORDER BY 1"
        )
        .fetchall()
    )
    for signature, is_trigger, definer in rows:  # (signatures as PostgreSQL quotes them: the owner's own names)
        if not is_trigger:
            out.append(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(sql.SQL(signature), g))
        if definer:
            out.append(sql.SQL("ALTER FUNCTION {} SET search_path = {}, pg_temp").format(sql.SQL(signature), s))
    # (the policies' own, made by this plan: on its first run the catalog above has it not yet)
    out.append(sql.SQL("GRANT EXECUTE ON FUNCTION {}(text, text[]) TO {}").format(sql.Identifier(MAY_FUNCTION), g))
    return out


def _memberships(ws: Base, plan: GrantPlan, logins: Iterable[str], owner: str, create: bool) -> list[sql.Composable]:
    """Each agent's login role made a member of the group (created first with ``create``: ``LOGIN``, no
    password, for peer or certificate authentication); members that are no longer agents are let go."""
    group = sql.Identifier(plan.group)
    out: list[sql.Composable] = []
    for login in sorted(set(logins)):
        found = _role(ws, login)
        if found is None and create and not login.startswith("pg_"):
            out.append(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))
            plan.created.append(login)
            found = (True, False)
        why = _not_member(login, found, owner, plan.group)
        if why:
            plan.skipped[login] = why
            continue
        out.append(sql.SQL("GRANT {} TO {}").format(group, sql.Identifier(login)))
        plan.members.append(login)
    former = (
        _raw(ws)
        .execute(
            "SELECT m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
            "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = %s ORDER BY 1",
            (plan.group,),
        )
        .fetchall()
    )
    for (member,) in former:
        if member not in plan.members and member != owner:
            out.append(sql.SQL("REVOKE {} FROM {}").format(group, sql.Identifier(member)))
    return out


def _not_member(login: str, found: tuple[bool, bool] | None, owner: str, group: str) -> str:
    if found is None:
        return "no such database role (create it, or run with --create-logins)"
    if login == owner:
        return "the database's owner (it holds every right already)"
    if login == group or login.startswith("pg_"):
        return "a role of PostgreSQL or of this desk, not an agent's login"
    if not found[0]:
        return "the role cannot log in (NOLOGIN)"
    if found[1]:
        return "a superuser (row-level security does not apply to it)"
    return ""


def plan_grants(ws: Base, logins: Iterable[str], *, create_logins: bool = False) -> GrantPlan:
    """What setting the database up for agents ``logins`` takes, without doing it; :class:`GrantsRefused` unless
    this session's role owns the database (and may make roles, when one is to be made)."""
    database, schema, owns, makes_roles = _context(ws)
    owner = str(_one(ws, sql.SQL("SELECT current_user")))
    if not owns:
        raise GrantsRefused(f"only the owner of the database {database} sets it up for agents; you are {owner}")
    plan = GrantPlan(database, schema, group_name(database))
    statements: list[sql.Composable] = []
    group = _role(ws, plan.group)
    if group is None:
        statements.append(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(plan.group)))
    elif group[0]:
        raise GrantsRefused(f"the role {plan.group} exists and can log in: it is not this desk's group of agents")
    statements += _memberships(ws, plan, logins, owner, create_logins)
    if not makes_roles and (group is None or plan.created):
        raise GrantsRefused(f"{owner} may not create roles (CREATEROLE): a superuser creates {plan.group} first")
    statements.append(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (action TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (action, role))"
        ).format(sql.Identifier(GRANTS_TABLE))
    )
    statements += _function(schema)
    statements += _privileges(ws, database, schema, plan.group)
    for table, (read, writers) in WRITERS.items():
        if table == GRANTS_TABLE or _one(ws, sql.SQL("SELECT to_regclass({}) IS NOT NULL").format(table)):
            statements += _table_policies(table, read, writers)
            plan.protected.append(table)
    own_names, tables = pg_policies.statements(ws, plan.group)  # (after the privileges: it narrows some)
    statements += own_names
    plan.protected += tables
    raw = _raw(ws)
    audited = [t for t in pg_audited.RECORDS if _one(ws, sql.SQL("SELECT to_regclass({}) IS NOT NULL").format(t))]
    statements += pg_audited.statements(raw, schema, plan.group, audited)
    plan.audited = audited
    plan.statements = [s.as_string(raw) for s in statements]
    return plan


def apply_grants(
    ws: Base, plan: GrantPlan, role_map: Mapping[str, Iterable[str]], *, audit: Callable[[], None] | None = None
) -> None:
    """Run ``plan``'s statements and write the role map into ``csp_role_grants``, in one transaction with
    ``audit`` (all or nothing: PostgreSQL's roles, grants and policies are transactional)."""
    with ws.transaction():
        raw = _raw(ws)
        for statement in plan.statements:
            raw.execute(statement)
        refresh_role_grants(ws, role_map)
        if audit is not None:
            audit()
