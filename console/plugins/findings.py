"""What a check finds: a :class:`Finding`, with its family, level, support boundary and audience.

Part of the public plugin API: plugins import these names from :mod:`console.plugin_api`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from console.shared.model import Vehicle


class Family(StrEnum):
    """The three families of checks."""

    BILLING = "billing"
    SUBSCRIPTION = "subscription"
    TECHNICAL = "technical"


class Level(StrEnum):
    """How much a finding matters to the agent."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Boundary(StrEnum):
    """Whether the partner resolves it (inside the baseline support boundary) or Microsoft must."""

    INSIDE = "inside"
    ESCALATE = "escalate"


class Audience(StrEnum):
    """Who a finding is for: the agent triaging, or sales (opportunities never clutter triage)."""

    AGENT = "agent"
    SALES = "sales"


@dataclass(frozen=True, kw_only=True)
class Finding:
    """What a check found.

    ``check_id`` is ``"<plugin>.<check>"``; ``subject`` names what it is about (a subscription id, an
    invoice id). ``vehicle`` is set when ``boundary`` is ``escalate`` and a vehicle is known.
    """

    check_id: str
    family: Family
    level: Level
    title: str
    explanation: str
    action: str = ""
    boundary: Boundary = Boundary.INSIDE
    vehicle: Vehicle | None = None
    audience: Audience = Audience.AGENT
    subject: str | None = None
