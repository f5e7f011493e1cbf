"""The case the agent previews and edits before escalating (a :class:`Draft`), the vehicles offered for it,
and the limits Microsoft sets on its fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.plugin_api import DELIVERY_AZURE_API
from console.shared.model import VEHICLE_NAMES, Vehicle

if TYPE_CHECKING:
    from console.microsoft.gdap import Readiness

CASE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{4,39}$")
NO_SUBSCRIPTION = "no Azure subscription of this customer is known: run csp-console sync"
REASON_MAX = 500
TITLE_MAX = 200
DESCRIPTION_MAX = 5000


@dataclass(frozen=True)
class VehicleOption:
    vehicle: Vehicle
    name: str
    eligible: bool
    reason: str
    plugin: str | None = None


@dataclass
class Draft:
    """The case the agent previews and edits before submitting (what a :class:`CaseDraft` proposed)."""

    ticket_id: str
    ticket_version: int
    customer_id: str
    vehicle: Vehicle
    service: str
    title: str
    description: str
    severity: str
    support_topic: str
    delivery: str
    handoff_url: str = ""
    azure_subscription_id: str | None = None
    service_id: str | None = None
    problem_classification_id: str | None = None
    subscriptions: list[tuple[str, str]] = field(default_factory=list)  # (Azure subscription id, label)
    service_hint: str = ""  # the plugin's suggestion, matched against the Support API's service names
    ticket_title: str = ""  # the ticket's own words, which the service and problem are preselected by
    ticket_body: str = ""
    catalog_error: str = ""
    gdap: Readiness | None = None  # whether the desk's GDAP access allows this escalation (None: not asked)
    open_cases: list[dict[str, Any]] = field(default_factory=list)  # the ticket's cases still open
    another_reason: str = ""  # why a second case is opened while one is open (required then)
    secondary_consent: bool = False  # the customer's consent the problem classification asks for
    advanced_diagnostic_consent: bool = False  # Microsoft may collect diagnostics from the resources

    @property
    def no_subscription_known(self) -> bool:
        """An Azure case with no Azure subscription of the customer on file (run csp-console sync)."""
        return self.via_api and not self.subscriptions

    @property
    def vehicle_name(self) -> str:
        return VEHICLE_NAMES[self.vehicle]

    @property
    def via_api(self) -> bool:
        return self.delivery == DELIVERY_AZURE_API

    def case_text(self) -> str:
        """The case as the agent pastes it into an admin centre."""
        return (
            f"Title: {self.title}\nSeverity: {self.severity}\nSupport topic: {self.support_topic}\n\n{self.description}"
        )
