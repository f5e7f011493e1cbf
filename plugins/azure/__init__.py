"""Azure (Azure plan): spending budgets, reservations, partner earned credit, invoice timing, data retention
after cancellation; technical triage; escalation handlers (cases through the Azure Support API);
opportunities."""

from __future__ import annotations

from console.plugin_api import (
    DELIVERY_AZURE_API,
    Check,
    EscalationHandler,
    Family,
    Service,
    hookimpl,
    standard_handlers,
)

from . import checks

__version__ = "0.1.0"

SERVICE = Service(
    id="azure",
    name="Azure",
    offer_ids=("DZH318Z0BPS6", "DZH318Z0BQ4V"),
    offer_keywords=("Azure",),
    ticket_keywords=(
        "azure",
        "virtual machine",
        "vm",
        "sql database",
        "storage",
        "reservation",
        "subscription id",
        "仮想マシン",
        "リージョン",
        "ポータル",
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
            id="azure.budget",
            family=Family.BILLING,
            run=checks.spending_budget,
            service=s,
            description="Spending budget at or over 80 % (usage is not stopped)",
        ),
        Check(
            id="azure.reservations",
            family=Family.SUBSCRIPTION,
            run=checks.reservations,
            service=s,
            description="Reservation refunds: 5 days, 12 % fee, USD 50,000 a year",
        ),
        Check(
            id="azure.pec",
            family=Family.BILLING,
            run=checks.partner_earned_credit,
            service=s,
            description="Partner earned credit lost without the partner's admin access",
        ),
        Check(
            id="azure.invoice_timing",
            family=Family.BILLING,
            run=checks.invoice_timing,
            service=s,
            description="Azure plan invoices by the 8th, usage in arrears, in USD",
        ),
        Check(
            id="azure.retention",
            family=Family.SUBSCRIPTION,
            run=checks.retention,
            service=s,
            description="Data kept 30 to 90 days after cancellation",
        ),
        Check(
            id="azure.technical",
            family=Family.TECHNICAL,
            run=checks.technical,
            service=s,
            description="Service health first; outages go to Microsoft through the Azure Support API",
        ),
        Check(
            id="azure.opportunities",
            family=Family.SUBSCRIPTION,
            run=checks.opportunities,
            service=s,
            scope="account",
            description="Steady usage without reservations",
        ),
    ]


@hookimpl
def csp_escalation_handlers() -> list[EscalationHandler]:
    return standard_handlers(
        SERVICE.id,
        SERVICE.name,
        {
            "billing": "Billing / Azure plan invoice",
            "subscription": "Subscription management / Reservations",
            "technical": "Azure / Technical (Azure Support API supportTickets)",
        },
        technical_delivery=DELIVERY_AZURE_API,
        service_hints=SERVICE_HINTS,
    )


#: Words of a ticket -> the Azure Support API service to preselect (the agent can pick another).
SERVICE_HINTS = {
    "sql": "SQL Database",
    "kubernetes": "Kubernetes Service (AKS)",
    "aks": "Kubernetes Service (AKS)",
    "linux": "Virtual Machine running Linux",
    "virtual machine": "Virtual Machine running Windows",
    "vm": "Virtual Machine running Windows",
    "storage": "Storage Account Management",
    "vnet": "Virtual Network",
    "vpn": "Virtual Network",
    "app service": "App Service (Web Apps)",
    "web app": "App Service (Web Apps)",
    "backup": "Backup",
    "budget": "Cost Management",
    "reservation": "Reservations",
}
