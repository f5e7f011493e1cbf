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


@hookimpl
def csp_checks() -> list[Check]:
    s = SERVICE.id
    return [
        Check(
            "office365.nce_window",
            Family.SUBSCRIPTION,
            checks.nce_window,
            s,
            description="NCE cancellation / seat-reduction window: hours left, or closed",
        ),
        Check(
            "office365.trial",
            Family.SUBSCRIPTION,
            checks.trial_conversion,
            s,
            description="Trials (25 licences, 30 days) converting to paid",
        ),
        Check(
            "office365.seat_cap",
            Family.SUBSCRIPTION,
            checks.business_seat_cap,
            s,
            description="Business Basic/Standard/Premium: 300 seats per tenant across the family",
        ),
        Check(
            "office365.over_assigned",
            Family.SUBSCRIPTION,
            checks.over_assigned,
            s,
            description="More licences assigned than purchased (90 days to fix)",
        ),
        Check(
            "office365.addons",
            Family.SUBSCRIPTION,
            checks.addon_on_suspended_base,
            s,
            description="Add-ons need an active base subscription",
        ),
        Check(
            "office365.suspended_billing",
            Family.BILLING,
            checks.suspended_still_billing,
            s,
            description="A suspended NCE subscription keeps billing the partner",
        ),
        Check(
            "office365.lifecycle",
            Family.SUBSCRIPTION,
            checks.lifecycle,
            s,
            description="Expired -> disabled -> deleted",
        ),
        Check(
            "office365.technical",
            Family.TECHNICAL,
            checks.technical,
            s,
            description="Service health first; outages go to Microsoft",
        ),
        Check(
            "office365.opportunities",
            Family.SUBSCRIPTION,
            checks.opportunities,
            s,
            scope="account",
            description="Annual terms, Enterprise plans, trials about to convert",
        ),
    ]


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
