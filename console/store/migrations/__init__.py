"""Versioned schema migrations: a list of small functions, each applied once, in order, in a transaction,
and recorded in ``schema_migrations`` (by number and by the function's name, which therefore never changes).

The functions live by domain in this package's modules; :data:`MIGRATIONS` is their order. A schema change is
a new function at the end of it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from console.shared.clock import to_iso, utcnow
from console.store.base import dialect_of, transaction
from console.store.migrations.accounts import m001_accounts, m002_people, m025_directory
from console.store.migrations.audit import m028_audit_chain
from console.store.migrations.billing import m012_billing, m016_suspension_intents
from console.store.migrations.door_guard import m031_door_guard
from console.store.migrations.health import (
    m010_queue_health,
    m015_leases,
    m020_customer_due_upsert,
    m024_health_waiting_rollup,
    m030_resolved_by_agent,
)
from console.store.migrations.imports import m029_import_runs
from console.store.migrations.mail import m034_mail, m035_mail_sender_lookup
from console.store.migrations.microsoft import (
    m009_microsoft,
    m014_azure_entitlements,
    m017_partner_center_values,
    m018_gdap,
    m019_azure_case_details,
    m022_escalation_status_changes,
)
from console.store.migrations.notices import m023_notices, m026_notice_due
from console.store.migrations.plugin_events import m032_plugin_events
from console.store.migrations.plugin_fields import m033_plugin_fields
from console.store.migrations.policy import m027_desk_policy
from console.store.migrations.tickets import (
    m003_tickets,
    m004_ticket_search,
    m005_plugin_data,
    m006_saved_views,
    m007_open_sort_indexes,
    m008_claims_and_audit,
    m011_search_prefixes,
    m013_open_search,
    m021_claim_sessions,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

Migration = Callable[["Database"], None]

MIGRATIONS: list[Migration] = [
    m001_accounts,
    m002_people,
    m003_tickets,
    m004_ticket_search,
    m005_plugin_data,
    m006_saved_views,
    m007_open_sort_indexes,
    m008_claims_and_audit,
    m009_microsoft,
    m010_queue_health,
    m011_search_prefixes,
    m012_billing,
    m013_open_search,
    m014_azure_entitlements,
    m015_leases,
    m016_suspension_intents,
    m017_partner_center_values,
    m018_gdap,
    m019_azure_case_details,
    m020_customer_due_upsert,
    m021_claim_sessions,
    m022_escalation_status_changes,
    m023_notices,
    m024_health_waiting_rollup,
    m025_directory,
    m026_notice_due,
    m027_desk_policy,
    m028_audit_chain,
    m029_import_runs,
    m030_resolved_by_agent,
    m031_door_guard,
    m032_plugin_events,
    m033_plugin_fields,
    m034_mail,
    m035_mail_sender_lookup,
]


def _ensure_table(conn: sqlite3.Connection) -> None:
    if dialect_of(conn).name == "postgresql" and conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0]:
        return  # (CREATE ... IF NOT EXISTS wants CREATE on the schema, which an agent's own role has not)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, appliedAt TEXT NOT NULL)"
    )


def holds_workspace(conn: sqlite3.Connection) -> bool:
    """Whether the database holds a workspace (its ``schema_migrations``), read without making anything."""
    if dialect_of(conn).name == "postgresql":
        return conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is not None
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    return found.fetchone() is not None


def current_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied to this workspace (0 for an empty file)."""
    _ensure_table(conn)
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def migrate(
    conn: sqlite3.Connection, target: int | None = None, *, clock: Callable[[], datetime] = utcnow
) -> list[str]:
    """Apply every pending migration up to ``target`` (all by default); return the names applied.

    Each migration runs in its own write transaction together with its record in ``schema_migrations`` (at
    ``clock``'s time), so a failing migration leaves the workspace at the previous version. The version is
    read again inside that transaction (``BEGIN IMMEDIATE``: the write lock), never before it: of several
    processes opening an outdated workspace at once, one applies each migration while the others wait on the
    busy timeout, then find it recorded and go on to the next (or find nothing left to do).
    """
    target = len(MIGRATIONS) if target is None else target
    applied: list[str] = []
    version = current_version(conn)  # a first look without the lock: an up-to-date workspace takes none
    _refuse_newer(version)
    _refuse_foreign(conn)
    if version >= target:
        return applied
    db, prepare = _database(conn)
    while True:
        with transaction(conn):
            version = _locked_version(conn)
            _refuse_newer(version)
            if version >= target:
                return applied
            if prepare is not None:  # under the write lock: two sessions replacing one function at once fail
                prepare()  # ("tuple concurrently updated", PostgreSQL)
                prepare = None
            migration = MIGRATIONS[version]
            migration(db)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, appliedAt) VALUES (?, ?, ?)",
                (version + 1, migration.__name__, to_iso(clock())),
            )
            _audited_follow(conn)
        applied.append(migration.__name__)
        _schema_changed(conn)


def _database(conn: sqlite3.Connection) -> tuple[Any, Callable[[], None] | None]:
    """What the migrations are given (sqlite-utils' Database on SQLite, its PostgreSQL twin on PostgreSQL), and
    what must run once before the first of them, inside its transaction (PostgreSQL's door check)."""
    if dialect_of(conn).name == "postgresql":
        from console.store.pg_migrate import PgDatabase

        db = PgDatabase(cast(Any, conn))
        return db, db.prepare
    from sqlite_utils import Database  # only when there is something to migrate (its import takes 0.1 s)

    return Database(conn), None


def _audited_follow(conn: sqlite3.Connection) -> None:
    """On PostgreSQL, in the migration's transaction: the audited tables' triggers follow its new columns."""
    if dialect_of(conn).name == "postgresql":
        from console.store.pg_audited import follow_schema

        follow_schema(cast(Any, conn).raw)


def _schema_changed(conn: sqlite3.Connection) -> None:
    """PostgreSQL's catalog of the schema's spellings and keys, read again after a migration."""
    if dialect_of(conn).name == "postgresql":
        from console.store.pg_dialect import POSTGRES

        POSTGRES.reload_catalog(cast(Any, conn))


def _locked_version(conn: sqlite3.Connection) -> int:
    """The schema version as the transaction holding the write lock sees it."""
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def _refuse_foreign(conn: sqlite3.Connection) -> None:
    """Refuse a workspace whose recorded migrations are not this console's at the same numbers (a version is a
    position in :data:`MIGRATIONS`): made by another build, it would skip or repeat a schema change."""
    for version, name in conn.execute("SELECT version, name FROM schema_migrations ORDER BY version"):
        if 1 <= version <= len(MIGRATIONS) and name != MIGRATIONS[version - 1].__name__:
            raise RuntimeError(
                f"the workspace's schema migration {version} is {name!r}, where this console has "
                f"{MIGRATIONS[version - 1].__name__!r}: it was made by another build of csp-triage-console "
                "(open it with that build, or start a new workspace)"
            )


def _refuse_newer(version: int) -> None:
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"the workspace is at schema version {version}, newer than this console "
            f"({len(MIGRATIONS)}): upgrade csp-triage-console"
        )
