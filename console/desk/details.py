"""What the ticket screen shows of one ticket, read in one call through the desk (``Desk.details``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.billing.desk import OfferBalance
    from console.sla.clocks import TicketSla


@dataclass
class TicketDetails:
    """Everything the ticket screen shows."""

    ticket: dict[str, Any]
    timeline: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    escalations: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    sla: TicketSla | None = None
    offer: OfferBalance | None = None
    time: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # the plugins' intake fields: value by field id
