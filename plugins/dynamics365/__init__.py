"""Dynamics 365: base and attach licences, the 20-user minimum of Finance, Supply Chain Management,
Commerce and Project Operations, the NCE window, and escalation (which needs ASfP or higher)."""

from __future__ import annotations

from console.plugin_api import (
    Check,
    EscalationHandler,
    Family,
    Service,
    Vehicle,
    hookimpl,
    standard_handlers,
)

from . import checks

__version__ = "0.1.0"

SERVICE = Service(
    id="dynamics365",
    name="Dynamics 365",
    offer_ids=("CFQ7TTC0LF8S", "CFQ7TTC0LHWN", "CFQ7TTC0LFN0", "CFQ7TTC0LGZT", "CFQ7TTC0LHXX"),
    offer_keywords=("Dynamics 365",),
    ticket_keywords=(
        "dynamics",
        "business central",
        "finance",
        "supply chain",
        "sales app",
        "journal",
        "posting",
        "仕訳",
        "転記",
        "決算",
    ),
)


@hookimpl
def csp_services() -> list[Service]:
    return [SERVICE]


@hookimpl
def csp_checks() -> list[Check]:
    s = SERVICE.id
    return [
        Check(
            id="dynamics365.base_attach",
            family=Family.SUBSCRIPTION,
            run=checks.base_attach,
            service=s,
            description="Attach licences only on top of a qualifying base licence",
        ),
        Check(
            id="dynamics365.minimum",
            family=Family.SUBSCRIPTION,
            run=checks.twenty_user_minimum,
            service=s,
            description="20-user minimum of base licences for Finance, SCM, Commerce, Project Operations",
        ),
        Check(
            id="dynamics365.nce_window",
            family=Family.SUBSCRIPTION,
            run=checks.nce_window,
            service=s,
            description="Seat licences follow the NCE 7-day window",
        ),
        Check(
            id="dynamics365.escalation",
            family=Family.TECHNICAL,
            run=checks.escalation_vehicle,
            service=s,
            description="Incidents on behalf of customers need ASfP or PSfP",
        ),
    ]


@hookimpl
def csp_escalation_handlers() -> list[EscalationHandler]:
    # Signature Cloud Support is not offered for Dynamics 365: incidents need ASfP or PSfP.
    return [
        h
        for h in standard_handlers(
            SERVICE.id,
            SERVICE.name,
            {
                "billing": "Billing / Dynamics 365 licensing",
                "subscription": "Licensing / Dynamics 365 subscriptions",
                "technical": "Dynamics 365 / Power Platform admin center case",
            },
        )
        if h.vehicle is not Vehicle.SIGNATURE
    ]
