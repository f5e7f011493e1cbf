"""Migration 27: the desk's policy in the workspace (issue 18, "desk policy in the workspace")."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m027_desk_policy(db: Database) -> None:
    """``desk_policy``: one row per desk rule a Global admin set (``csp-console policy set``), its value as JSON;
    a rule without a row has its default (:mod:`console.desk.policy`). The role map, the claim time, the desk's
    time zone and the SLA defaults live here, not in each agent's config file, so no agent widens them alone."""
    db.execute(
        """
        CREATE TABLE desk_policy (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            changedBy TEXT NOT NULL,
            changedAt TEXT NOT NULL
        )
        """
    )
