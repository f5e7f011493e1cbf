"""Hook specifications: what a plugin may implement. Each hook is documented in ``docs/plugins.md``.

Every hook returns a list; the console calls each plugin's implementation on its own, guarded, so a
plugin that raises or returns garbage loses only its own contribution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pluggy

from console.plugins.markers import PROJECT
from console.plugins.reach import (
    AccountSection,
    Command,
    EventReceiver,
    IntakeField,
    QueueColumn,
    Setting,
    TicketAction,
)
from console.plugins.vehicles import EscalationHandler
from console.plugins.views import Check, Service

hookspec = pluggy.HookspecMarker(PROJECT)

# A hook specification is a signature that pluggy reads and never calls, so its body is only its docstring;
# mypy cannot know that of a plain function (pluggy marks it with an attribute), hence `ignore[empty-body]`.


@hookspec
def csp_services() -> list[Service]:  # type: ignore[empty-body]
    """The online services this plugin supports (id, display name, how to recognise its subscriptions and
    tickets)."""


@hookspec
def csp_checks() -> list[Check]:  # type: ignore[empty-body]
    """The checks this plugin contributes: billing, subscription-management and technical checks run when
    a ticket is triaged, and account-level checks (opportunities for sales)."""


@hookspec
def csp_escalation_handlers() -> list[EscalationHandler]:  # type: ignore[empty-body]
    """One handler per escalation vehicle the plugin supports for its services: eligibility and the case
    it would open."""


@hookspec
def csp_commands() -> list[Command]:  # type: ignore[empty-body]
    """``csp-console`` subcommands, named after the plugin."""


@hookspec
def csp_queue_columns() -> list[QueueColumn]:  # type: ignore[empty-body]
    """Columns of the triage queue."""


@hookspec
def csp_account_sections() -> list[AccountSection]:  # type: ignore[empty-body]
    """Sections of the account screen."""


@hookspec
def csp_ticket_actions() -> list[TicketAction]:  # type: ignore[empty-body]
    """Key-bound actions on a ticket (ticket screen, or queue row too)."""


@hookspec
def csp_intake_fields() -> list[IntakeField]:  # type: ignore[empty-body]
    """Fields of the intake form for the plugin's services."""


@hookspec
def csp_event_receivers() -> list[EventReceiver]:  # type: ignore[empty-body]
    """Receivers of ticket events, delivered from the durable outbox."""


@hookspec
def csp_settings() -> list[Setting]:  # type: ignore[empty-body]
    """The keys of the plugin's ``[plugins.NAME]`` config section."""


@hookspec
def csp_configure(settings: Mapping[str, Any]) -> None:
    """Called once after loading with the plugin's validated settings (defaults filled in)."""
