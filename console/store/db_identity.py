"""Who the PostgreSQL session is: the database's own answer, for :mod:`console.desk.identity` (on PostgreSQL
the agent is the role the session logged in as, not the OS login)."""

from __future__ import annotations

from console.store.base import Base


def session_role(ws: Base) -> tuple[str, bool]:
    """``(session_user, whether it owns the workspace's database)`` (PostgreSQL only): the role the server
    authenticated, which ``SET ROLE`` does not change (the row-level security of ``workspace grants`` checks the
    same, console.store.pg_policies)."""
    row = ws.conn.execute(
        "SELECT session_user, pg_get_userbyid(datdba) = session_user FROM pg_database"
        " WHERE datname = current_database()"
    ).fetchone()
    return str(row[0]), bool(row[1])


def acting_as(ws: Base, name: str) -> str:
    """The agent an audit row of the console's own doing (an expired claim, a Partner Center sync) names:
    ``name`` (``system``, ``microsoft-sync``), unless the session is under the audit log's row-level security (an
    agent's own database role, console.store.pg_policies), which takes rows naming that role only: then the role
    (``session_user``)."""
    if ws.engine != "postgresql":
        return name
    row = ws.conn.execute(
        "SELECT session_user, CASE WHEN to_regclass('audit_log') IS NULL THEN false "
        "ELSE row_security_active('audit_log') END"
    ).fetchone()
    return str(row[0]) if row and row[1] else name
