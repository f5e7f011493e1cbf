"""The desk's parts, each built on first use (``desk.records``, ``desk.agents``, ``desk.rules``, ``desk.partner``,
``desk.notices``, ``desk.reach``): each acts through the same desk, so the same door (roles, audit)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from console.desk.agents import AgentsDesk
    from console.desk.door import Desk
    from console.desk.partner import PartnerDesk
    from console.desk.policy_changes import PolicyDesk
    from console.desk.reach import PluginReach
    from console.desk.records import RecordsDesk
    from console.notices.desk import NoticesDesk


class DeskParts:
    """Mixed into :class:`console.desk.door.Desk`."""

    @cached_property
    def records(self) -> RecordsDesk:
        """Imports and exports."""
        from console.desk.records import RecordsDesk

        return RecordsDesk(cast("Desk", self))

    @cached_property
    def agents(self) -> AgentsDesk:
        """The workspace's agents, their roles, and the audit trail."""
        from console.desk.agents import AgentsDesk

        return AgentsDesk(cast("Desk", self))

    @cached_property
    def rules(self) -> PolicyDesk:
        """The desk's policy: read by any agent, changed by a Global admin (``policy.set``)."""
        from console.desk.policy_changes import PolicyDesk

        return PolicyDesk(cast("Desk", self))

    @cached_property
    def partner(self) -> PartnerDesk:
        """Partner Center and GDAP read into the workspace."""
        from console.desk.partner import PartnerDesk

        return PartnerDesk(cast("Desk", self))

    @cached_property
    def notices(self) -> NoticesDesk:
        """The agent's notices, read markers and the breach sweep's warnings."""
        from console.notices.desk import NoticesDesk

        return NoticesDesk(cast("Desk", self))

    @cached_property
    def reach(self) -> PluginReach:
        """What the plugins add to the screens: account sections, ticket actions, intake fields."""
        from console.desk.reach import PluginReach

        return PluginReach(cast("Desk", self))
