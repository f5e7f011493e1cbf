"""The desk's reads from Microsoft into the workspace (``desk.partner``): the Partner Center sync and the
partner's GDAP relationships (``microsoft.sync``), and what they say (``ticket.view``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.microsoft.gdap import GdapReport, Readiness
    from console.microsoft.sync import SyncReport


class PartnerDesk:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def sync(
        self,
        *,
        page_size: int = 100,
        restart: bool = False,
        progress: Callable[[str, int, int | None], None] | None = None,
    ) -> SyncReport:
        """Customers, subscriptions, service requests and invoices from Partner Center (resumable)."""
        from console.microsoft import sync as partner_sync

        self.desk.authorize("microsoft.sync")
        desk = self.desk
        return partner_sync.run(
            desk.ws, desk.clients.partner_center, desk.host, page_size=page_size, restart=restart, progress=progress
        )

    def gdap_sync(self) -> GdapReport | None:
        """The partner's GDAP relationships through Microsoft Graph; ``None`` without a Graph client."""
        from console.microsoft import gdap

        self.desk.authorize("microsoft.sync")
        graph = self.desk.clients.graph
        return None if graph is None else gdap.sync(self.desk.ws, graph)

    def gdap_relationships(self) -> list[dict[str, Any]]:
        self.desk.authorize("ticket.view")
        return list(self.desk.ws.gdap.gdap_relationships())

    def gdap_expiring(self, now: datetime) -> list[tuple[dict[str, Any], str]]:
        """The relationships in force that end soon, each with its warning."""
        from console.microsoft import gdap

        self.desk.authorize("ticket.view")
        return gdap.expiring(self.desk.ws, now)

    def gdap_readiness(self, customer: str, task: str, now: datetime) -> Readiness:
        """Whether the partner's GDAP access allows ``task`` in the tenant of ``customer`` (id or domain)."""
        from console.microsoft import gdap

        self.desk.authorize("ticket.view")
        ws = self.desk.ws
        customer_id = ws.accounts.find_customer(customer) or customer
        roles = gdap.task_roles(self.desk.config.microsoft.gdap_task_roles)
        return gdap.readiness(ws, customer_id, task, now, roles)
