"""The public plugin API: everything a service plugin imports, and nothing else of the console.

A plugin is a module (or package) with functions marked ``@hookimpl`` that implement the hooks in
:mod:`console.plugins.hookspecs`, registered under the ``csp_console`` entry-point group::

    [project.entry-points.csp_console]
    windows365 = "csp_windows365"

Checks receive a read-only :class:`CheckContext` and return :class:`Finding` objects. Escalation handlers
say whether the partner may use a vehicle for a service and build the :class:`CaseDraft` it would open.
This module never imports Textual.
"""

from __future__ import annotations

from console.plugins.findings import Audience, Boundary, Family, Finding, Level
from console.plugins.handlers import standard_handlers
from console.plugins.markers import PROJECT, hookimpl
from console.plugins.reach import (
    AccountSection,
    ActionContext,
    ActionResult,
    ActionScope,
    Command,
    CommandContext,
    Event,
    EventKind,
    EventReceiver,
    IntakeField,
    QueueColumn,
    Setting,
    TicketAction,
)
from console.plugins.rules import (
    NCE_WINDOW,
    dunning_stage,
    lifecycle_findings,
    lifecycle_stage,
    nce_window_findings,
    nce_window_left,
    within_service_hours,
)
from console.plugins.vehicles import (
    DELIVERY_AZURE_API,
    DELIVERY_HANDOFF,
    HANDOFF_URLS,
    SIGNATURE_INCIDENTS,
    CaseDraft,
    Eligibility,
    EscalationHandler,
    best_technical_vehicle,
    case_description,
    for_microsoft,
    technical_vehicles,
)
from console.plugins.versions import API_VERSION
from console.plugins.views import (
    DUNNING_STAGES,
    Check,
    CheckContext,
    CustomerView,
    OfferView,
    ReceivableView,
    Service,
    SubscriptionView,
    TicketView,
)
from console.settings.config import Competency, Contracts, Partner
from console.shared.model import Severity, Vehicle
from console.shared.money import money

__all__ = [
    "API_VERSION",
    "DELIVERY_AZURE_API",
    "DELIVERY_HANDOFF",
    "DUNNING_STAGES",
    "HANDOFF_URLS",
    "NCE_WINDOW",
    "PROJECT",
    "SIGNATURE_INCIDENTS",
    "AccountSection",
    "ActionContext",
    "ActionResult",
    "ActionScope",
    "Audience",
    "Boundary",
    "CaseDraft",
    "Check",
    "CheckContext",
    "Command",
    "CommandContext",
    "Competency",
    "Contracts",
    "CustomerView",
    "Eligibility",
    "EscalationHandler",
    "Event",
    "EventKind",
    "EventReceiver",
    "Family",
    "Finding",
    "IntakeField",
    "Level",
    "OfferView",
    "Partner",
    "QueueColumn",
    "ReceivableView",
    "Service",
    "Setting",
    "Severity",
    "SubscriptionView",
    "TicketAction",
    "TicketView",
    "Vehicle",
    "best_technical_vehicle",
    "case_description",
    "dunning_stage",
    "for_microsoft",
    "hookimpl",
    "lifecycle_findings",
    "lifecycle_stage",
    "money",
    "nce_window_findings",
    "nce_window_left",
    "standard_handlers",
    "technical_vehicles",
    "within_service_hours",
]
