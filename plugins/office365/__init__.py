"""Microsoft 365 / Office 365: NCE windows, trials, the Business-family seat cap, over-assigned licences,
add-ons, suspension and the expiry lifecycle; technical triage; escalation handlers; opportunities."""

from __future__ import annotations

from console.plugin_api import Check, EscalationHandler, Family, Service, hookimpl, standard_handlers

from . import checks

__version__ = "0.1.0"

SERVICE = Service(
    id="office365",
    name="Microsoft 365",
    offer_ids=("CFQ7TTC0LH18", "CFQ7TTC0LDPB", "CFQ7TTC0LCHC", "CFQ7TTC0LF8Q", "CFQ7TTC0LFLZ", "CFQ7TTC0LH16"),
    offer_keywords=("Microsoft 365", "Office 365", "Exchange Online", "Teams", "SharePoint", "OneDrive"),
    ticket_keywords=(
        "outlook",
        "exchange",
        "teams",
        "sharepoint",
        "onedrive",
        "office",
        "microsoft 365",
        "mail",
        "メール",
        "ライセンス",
        "mailbox",
    ),
)


@hookimpl
def csp_services() -> list[Service]:
    return [SERVICE]


#: The ticket checks: (name, family, check, what it looks at).
TICKET_CHECKS = (
    (
        "nce_window",
        Family.SUBSCRIPTION,
        checks.nce_window,
        "NCE cancellation / seat-reduction window: hours left, or closed",
    ),
    ("trial", Family.SUBSCRIPTION, checks.trial_conversion, "Trials (25 licences, 30 days) converting to paid"),
    (
        "seat_cap",
        Family.SUBSCRIPTION,
        checks.business_seat_cap,
        "Business Basic/Standard/Premium: 300 seats per tenant across the family",
    ),
    (
        "over_assigned",
        Family.SUBSCRIPTION,
        checks.over_assigned,
        "More licences assigned than purchased (90 days to fix)",
    ),
    ("addons", Family.SUBSCRIPTION, checks.addon_on_suspended_base, "Add-ons need an active base subscription"),
    (
        "suspended_billing",
        Family.BILLING,
        checks.suspended_still_billing,
        "A suspended NCE subscription keeps billing the partner",
    ),
    ("lifecycle", Family.SUBSCRIPTION, checks.lifecycle, "Expired -> disabled -> deleted"),
    ("technical", Family.TECHNICAL, checks.technical, "Service health first; outages go to Microsoft"),
)


@hookimpl
def csp_checks() -> list[Check]:
    s = SERVICE.id
    found = [
        Check(id=f"office365.{name}", family=family, run=run, service=s, description=text)
        for name, family, run, text in TICKET_CHECKS
    ]
    found.append(
        Check(
            id="office365.opportunities",
            family=Family.SUBSCRIPTION,
            run=checks.opportunities,
            service=s,
            scope="account",
            description="Annual terms, Enterprise plans, trials about to convert",
        )
    )
    return found


@hookimpl
def csp_escalation_handlers() -> list[EscalationHandler]:
    return standard_handlers(
        SERVICE.id,
        SERVICE.name,
        {
            "billing": "Billing / Invoice and charges",
            "subscription": "Subscriptions and licensing / Manage licences",
            "technical": "Microsoft 365 / Service degradation or outage",
        },
    )
