"""Microsoft Intune for CSP Triage Console: what a plugin can add to the console's screens.

- a queue column: the device a ticket is about;
- an account section: the customer's plans that include Intune;
- ticket actions: sync the device (on the queue's row too), wipe it (dangerous: the agent types the ticket number);
- intake fields for Intune tickets: the device's name (checked) and its platform (a list).

The actions stand in for Microsoft Graph's ``syncDevice`` and ``wipe`` calls (a real plugin makes them, with its
credentials from its ``[plugins.intune]`` settings); everything else is as a real plugin writes it. Each part
between ``# docs:`` markers is quoted in docs/plugins.md, and tests/test_plugin_reach_ui.py runs them.
"""

from __future__ import annotations

from console.plugin_api import (
    AccountSection,
    ActionContext,
    ActionResult,
    ActionScope,
    CheckContext,
    IntakeField,
    QueueColumn,
    Service,
    TicketAction,
    TicketView,
    hookimpl,
)

__version__ = "1.0.0"

SERVICE = Service(
    id="intune",
    name="Microsoft Intune",
    offer_keywords=("Intune",),
    ticket_keywords=("intune", "enrol", "enroll", "compliance policy", "デバイス登録"),
)


@hookimpl
def csp_services() -> list[Service]:
    return [SERVICE]


# docs: queue-column
def device(ticket: TicketView) -> str:
    """The device the ticket is about (its intake field): a dictionary look-up, quick as a column must be."""
    return ticket.fields.get("intune.device", "")


@hookimpl
def csp_queue_columns() -> list[QueueColumn]:
    return [QueueColumn(id="intune.device", title="Device", width=12, value=device, services=("intune",))]


# /docs


# docs: account-section
#: Microsoft 365 plans that include Intune Plan 1.
INTUNE_PLANS = ("business premium", "microsoft 365 e3", "microsoft 365 e5", "enterprise mobility")


def intune_plans(ctx: CheckContext) -> list[str]:
    plans = [s for s in ctx.subscriptions_of("office365") if any(p in s.offer_name.casefold() for p in INTUNE_PLANS)]
    if not plans:
        return ["No plan that includes Intune: the customer's devices cannot be enrolled."]
    return [f"{s.offer_name}: {s.assigned_seats} of {s.quantity} users may enrol devices" for s in plans]


@hookimpl
def csp_account_sections() -> list[AccountSection]:
    return [AccountSection(id="intune.plans", title="Intune", lines=intune_plans, services=("office365",))]


# /docs


# docs: ticket-actions
def sync(ctx: ActionContext) -> ActionResult:
    name = ctx.ticket.fields.get("intune.device")
    if not name:
        return ActionResult(message=f"{ctx.ticket.id} names no device.")
    # A real plugin calls Microsoft Graph here: POST /deviceManagement/managedDevices/{id}/syncDevice
    return ActionResult(message=f"Sync sent to {name}.", note=f"Asked Intune to sync {name}.")


def wipe(ctx: ActionContext) -> ActionResult:
    name = ctx.ticket.fields.get("intune.device", "the device")
    return ActionResult(message=f"Wipe sent to {name}.", note=f"Wiped {name} (factory reset) through Intune.")


@hookimpl
def csp_ticket_actions() -> list[TicketAction]:
    return [
        TicketAction(
            id="intune.sync", key="z", label="Sync the device", run=sync, scope=ActionScope.QUEUE, services=("intune",)
        ),
        TicketAction(
            id="intune.wipe",
            key="W",
            label="Wipe the device",
            run=wipe,
            services=("intune",),
            confirm="Everything on the device is erased.",
            dangerous=True,
        ),
    ]


# /docs


# docs: intake-fields
def device_name(value: str) -> str | None:
    """A Windows device name: no spaces, none of \\ / : * ? " < > |."""
    if any(c.isspace() or c in '\\/:*?"<>|' for c in value):
        return 'A device name has no spaces and none of \\ / : * ? " < > |.'
    return None


@hookimpl
def csp_intake_fields() -> list[IntakeField]:
    return [
        IntakeField(
            id="intune.device", service="intune", label="Device name", required=True, max_length=15, check=device_name
        ),
        IntakeField(
            id="intune.platform",
            service="intune",
            label="Platform",
            choices=("Windows", "iOS/iPadOS", "Android", "macOS"),
        ),
    ]


# /docs
