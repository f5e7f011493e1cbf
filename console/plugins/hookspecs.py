"""Hook specifications: what a plugin may implement. Each hook is documented in ``docs/plugins.md``.

Every hook returns a list; the console calls each plugin's implementation on its own, guarded, so a
plugin that raises or returns garbage loses only its own contribution.
"""

from __future__ import annotations

import pluggy

from console.plugins.markers import PROJECT
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
