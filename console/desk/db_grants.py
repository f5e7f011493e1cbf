"""Setting a PostgreSQL workspace up for agents who connect with their own database role (issue 22): the desk's
side of :mod:`console.store.pg_grants`. Only the database's owner does it (PostgreSQL lets no one else grant on
its tables), and only when the console's own check lets that owner manage agents (``agents.manage``); the run is
audited. The console's role checks stay as they are: the database's privileges and row-level security are a
second wall beneath them, for a session that is not the console's."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from console.store.pg_grants import GrantsRefused, apply_grants, is_postgresql, plan_grants, refresh_role_grants

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.store import Workspace

__all__ = ["GrantsRefused", "NotPostgres", "refresh_after_policy", "set_up_agents"]


class NotPostgres(ValueError):
    """The workspace is a SQLite file: its defences are the file's permissions and the console's checks."""


def set_up_agents(desk: Desk, *, create_logins: bool = False, dry_run: bool = False) -> dict[str, Any]:
    """The group role, the agents' memberships, the privileges and the policies, applied (unless ``dry_run``) in
    one transaction with its audit row; what was done, with the statements."""
    ws = desk.ws
    if not is_postgresql(ws):
        raise NotPostgres("workspace grants applies to PostgreSQL workspaces only (this one is a SQLite file)")
    desk.authorize("agents.manage")
    logins = [str(a["login"]) for a in ws.agents.agents()]
    plan = plan_grants(ws, logins, create_logins=create_logins)
    role_map = {action: sorted(roles) for action, roles in desk.role_map.map.items()}
    if not dry_run:
        detail = {"group": plan.group, "members": plan.members, "created": plan.created, "tables": plan.protected}
        detail["audited"] = plan.audited
        apply_grants(
            ws, plan, role_map, audit=lambda: ws.audit(desk.agent, "database.grants", "database", plan.database, detail)
        )
    return {**asdict(plan), "applied": not dry_run}


def refresh_after_policy(ws: Workspace, role_map: dict[str, frozenset[str]]) -> bool:
    """Inside a policy change's transaction: the database's copy of the role map made the new one (PostgreSQL
    workspaces set up for agents only)."""
    return refresh_role_grants(ws, role_map)
