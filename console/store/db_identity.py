"""Who the PostgreSQL session is: the database's own answer, for :mod:`console.desk.identity` (on PostgreSQL
the agent is the role the session logged in as, not the OS login)."""

from __future__ import annotations

from console.store.base import Base


def session_role(ws: Base) -> tuple[str, bool]:
    """``(current_user, whether current_user owns the workspace's database)`` (PostgreSQL only)."""
    row = ws.conn.execute(
        "SELECT current_user, pg_get_userbyid(datdba) = current_user FROM pg_database"
        " WHERE datname = current_database()"
    ).fetchone()
    return str(row[0]), bool(row[1])
