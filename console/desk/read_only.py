"""The read-only desk of the health board served to browsers (``csp-console board``): the agent who started it,
with every action that changes the workspace refused at the desk's door, whatever the agent's roles.

Every action the console or the command line performs is checked by :meth:`Desk.authorize` (the module
docstring of :mod:`console.desk.roles`); this desk lets only the reading ones through, to the agent's roles as
usual. The desk's own upkeep that no role guards (claims renewed or expired, breaches recorded, the trend's
sample, leaving a session) does nothing here either, so a board writes nothing at all to the workspace."""

from __future__ import annotations

from datetime import datetime

from console.desk.door import Desk
from console.desk.roles import RoleDenied
from console.health.board import Health, HealthBoard

#: The actions that only read: the board needs ``ticket.view``; the other two read what their screens show.
READ_ACTIONS = frozenset({"ticket.view", "billing.view", "audit.view"})


class ReadOnly(RoleDenied):
    """An action refused because the desk is read-only (a :class:`RoleDenied`: said as every refusal is)."""

    def __init__(self, agent: str, action: str) -> None:
        PermissionError.__init__(self, f"The board is read-only: {agent} may not {action} here.")
        self.action = action


class ReadOnlyDesk(Desk):
    """A :class:`Desk` that refuses every action outside :data:`READ_ACTIONS` and does none of its upkeep."""

    def authorize(self, action: str) -> None:
        if action not in READ_ACTIONS:
            raise ReadOnly(self.agent, action)
        super().authorize(action)

    def may(self, action: str) -> bool:
        return action in READ_ACTIONS and super().may(action)

    def health_board(self) -> HealthBoard:
        """The board (``ticket.view``), whose trend is read but never sampled from here."""
        board = super().health_board()
        return UnsampledBoard(board.ws, self.config.time_zone, self.policy.thresholds, board.mail)

    def sample_health(self, now: datetime) -> bool:
        return False

    def session_claims(self) -> list[str]:
        return []

    def leave(self) -> list[str]:
        return []

    def renew(self, ticket_ids: list[str]) -> int:
        return 0

    def expire_claims(self) -> list[str]:
        return []

    def record_breaches(self) -> int:
        return 0


class UnsampledBoard(HealthBoard):
    """The health board with its trend read, never written."""

    def sample(self, now: datetime, health: Health | None = None) -> bool:
        return False
