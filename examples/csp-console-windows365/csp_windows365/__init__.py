"""Windows 365 for CSP Triage Console: a complete third-party service plugin.

Checks: the Windows 365 Business 300-seat cap, Cloud PCs without the Microsoft Entra ID / Intune licence
they need (Enterprise), and the NCE window; escalation through the standard vehicles. On the console's screens
(the plugin API's reach): an account section with the customer's Cloud PC seats and the Business cap's
headroom, a queue column with the ticket's Cloud PC plan family, and ``csp-console windows365-seats``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from console.plugin_api import (
    AccountSection,
    Check,
    CheckContext,
    Command,
    CommandContext,
    EscalationHandler,
    Family,
    Finding,
    Level,
    QueueColumn,
    Service,
    TicketView,
    hookimpl,
    nce_window_findings,
    standard_handlers,
)

__version__ = "1.1.0"
csp_console_api = "1.0"

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


def seat_lines(ctx: CheckContext) -> list[str]:
    """The customer's Cloud PC seats, plan by plan, and what is left under the Business cap."""
    subs = ctx.subscriptions_of(SERVICE.id)
    lines = [f"{s.offer_name}: {s.quantity} seats ({s.status})" for s in subs]
    business = sum(s.quantity for s in subs if "business" in s.offer_name.casefold())
    if business:
        lines.append(f"Business seats: {business} of {BUSINESS_CAP} ({max(0, BUSINESS_CAP - business)} left)")
    return lines or ["No Windows 365 subscription."]


def plan_family(ticket: TicketView) -> str:
    """Business or Enterprise, from the ticket's words: quick, as a queue column must be."""
    text = ticket.title.casefold()
    return "Business" if "business" in text else "Enterprise" if "enterprise" in text else ""


@hookimpl
def csp_account_sections() -> list[AccountSection]:
    return [AccountSection(id="windows365.seats", title="Cloud PCs", lines=seat_lines, services=(SERVICE.id,))]


@hookimpl
def csp_queue_columns() -> list[QueueColumn]:
    return [QueueColumn(id="windows365.plan", title="W365", width=10, value=plan_family, services=(SERVICE.id,))]


def _seat_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("customer", help="a customer id")


def seats(ctx: CommandContext) -> int:
    try:
        account = ctx.account(ctx.args.customer)
    except LookupError:
        ctx.echo(f"no customer {ctx.args.customer}")
        return 1
    for line in seat_lines(account):
        ctx.echo(line)
    return 0


@hookimpl
def csp_commands() -> list[Command]:
    return [Command(name="windows365-seats", help="a customer's Cloud PC seats", run=seats, arguments=_seat_arguments)]
