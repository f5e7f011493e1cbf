"""Windows 365 for CSP Triage Console: a complete third-party service plugin.

Checks: the Windows 365 Business 300-seat cap, Cloud PCs without the Microsoft Entra ID / Intune licence
they need (Enterprise), and the NCE window; escalation through the standard vehicles.
"""

from __future__ import annotations

from collections.abc import Iterator

from console.plugin_api import (
    Check,
    CheckContext,
    EscalationHandler,
    Family,
    Finding,
    Level,
    Service,
    hookimpl,
    nce_window_findings,
    standard_handlers,
)

__version__ = "1.0.0"

SERVICE = Service(
    id="windows365",
    name="Windows 365",
    offer_keywords=("Windows 365",),
    ticket_keywords=("cloud pc", "windows 365", "クラウド pc"),
)
BUSINESS_CAP = 300
ENTERPRISE_PREREQUISITES = ("microsoft 365 e3", "microsoft 365 e5", "microsoft 365 business premium", "intune")


def business_cap(ctx: CheckContext) -> Iterator[Finding]:
    seats = sum(s.quantity for s in ctx.subscriptions_of(SERVICE.id) if "business" in s.offer_name.casefold())
    if seats > BUSINESS_CAP:
        yield Finding(
            check_id="windows365.business_cap",
            family=Family.SUBSCRIPTION,
            level=Level.CRITICAL,
            title=f"Windows 365 Business over the 300-seat cap: {seats} seats",
            explanation="Windows 365 Business is limited to 300 seats per tenant.",
            action="Move the extra users to Windows 365 Enterprise.",
        )


def enterprise_prerequisites(ctx: CheckContext) -> Iterator[Finding]:
    enterprise = [s for s in ctx.subscriptions_of(SERVICE.id) if "enterprise" in s.offer_name.casefold()]
    if not enterprise:
        return
    names = " ".join(s.offer_name.casefold() for s in ctx.subscriptions if s.status == "active")
    if not any(p in names for p in ENTERPRISE_PREREQUISITES):
        yield Finding(
            check_id="windows365.prerequisites",
            family=Family.SUBSCRIPTION,
            level=Level.WARNING,
            title="Windows 365 Enterprise without Intune and Entra ID P1",
            explanation="Windows 365 Enterprise needs Windows E3, Intune and Microsoft Entra ID P1 for each user "
            "(for example through Microsoft 365 E3).",
            action="Add Microsoft 365 E3 (or the separate licences) before provisioning Cloud PCs.",
        )


def nce_window(ctx: CheckContext) -> list[Finding]:
    return nce_window_findings(ctx, SERVICE.id, "windows365.nce_window")


@hookimpl
def csp_services() -> list[Service]:
    return [SERVICE]


@hookimpl
def csp_checks() -> list[Check]:
    return [
        Check(
            id="windows365.business_cap",
            family=Family.SUBSCRIPTION,
            run=business_cap,
            service=SERVICE.id,
            description="Windows 365 Business: 300 seats per tenant",
        ),
        Check(
            id="windows365.prerequisites",
            family=Family.SUBSCRIPTION,
            run=enterprise_prerequisites,
            service=SERVICE.id,
            description="Windows 365 Enterprise needs Intune and Entra ID P1",
        ),
        Check(
            id="windows365.nce_window",
            family=Family.SUBSCRIPTION,
            run=nce_window,
            service=SERVICE.id,
            description="NCE cancellation window",
        ),
    ]


@hookimpl
def csp_escalation_handlers() -> list[EscalationHandler]:
    return standard_handlers(
        SERVICE.id,
        SERVICE.name,
        {
            "billing": "Billing / Windows 365",
            "subscription": "Licensing / Windows 365",
            "technical": "Windows 365 / Cloud PC provisioning and connectivity",
        },
    )
