"""Microsoft Intune for CSP Triage Console: what a plugin can add to the console's screens.

- a queue column: the device a ticket is about;
- an account section: the customer's plans that include Intune;
- ticket actions: sync the device (on the queue's row too), wipe it (dangerous: the agent types the ticket number);
- intake fields for Intune tickets: the device's name (checked) and its platform (a list);
- its settings, the ``[plugins.intune]`` section of the config file (a Teams webhook, a secret Graph token);
- a command, ``csp-console intune-plans [CUSTOMER]``;
- an event receiver: a resolved Intune ticket is posted to the desk's Teams channel (its incoming webhook).

The actions stand in for Microsoft Graph's ``syncDevice`` and ``wipe`` calls (a real plugin makes them, with its
credentials from its ``[plugins.intune]`` settings); everything else is as a real plugin writes it. Each part
between ``# docs:`` markers is quoted in docs/plugins.md, and tests/test_plugin_reach_ui.py runs them.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

import httpx

from console.plugin_api import (
    AccountSection,
    ActionContext,
    ActionResult,
    ActionScope,
    CheckContext,
    Command,
    CommandContext,
    Event,
    EventKind,
    EventReceiver,
    IntakeField,
    QueueColumn,
    Service,
    Setting,
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


# docs: settings
@hookimpl
def csp_settings() -> list[Setting]:
    return [
        Setting(name="teams_webhook", kind=str, default="", help="a Teams channel's incoming webhook (empty: none)"),
        Setting(name="graph_token", kind=str, default="", secret=True, help="a Microsoft Graph token"),
        Setting(name="stale_days", kind=int, default=30, help="a device not seen for this many days is stale"),
    ]


SETTINGS: dict[str, Any] = {}


@hookimpl
def csp_configure(settings: Mapping[str, Any]) -> None:
    SETTINGS.clear()
    SETTINGS.update(settings)  # checked against csp_settings, defaults filled in


# /docs


# docs: command
def plan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("customer", nargs="?", help="a customer id (default: every customer)")


def plans(ctx: CommandContext) -> int:
    """Each customer's plans that include Intune, as the account section shows them."""
    for customer_id in [ctx.args.customer] if ctx.args.customer else ctx.customer_ids():
        try:
            account = ctx.account(customer_id)
        except LookupError:
            ctx.echo(f"no customer {customer_id}")
            return 1
        for line in intune_plans(account):
            ctx.echo(f"{account.customer.company_name}: {line}")
    return 0


@hookimpl
def csp_commands() -> list[Command]:
    return [Command(name="intune-plans", help="plans that include Intune", run=plans, arguments=plan_arguments)]


# /docs


# docs: event-receiver
def post_to_teams(event: Event, settings: Mapping[str, Any]) -> None:
    """A resolved Intune ticket, told to the desk's Teams channel; raising means "try again later"."""
    if not settings["teams_webhook"] or event.ticket.service != "intune":
        return
    text = f"{event.ticket.id} resolved ({event.details['resolutionCode']}): {event.ticket.title}"
    httpx.post(settings["teams_webhook"], json={"id": event.id, "text": text}, timeout=5).raise_for_status()


@hookimpl
def csp_event_receivers() -> list[EventReceiver]:
    return [EventReceiver(id="intune.teams", kinds=(EventKind.RESOLVED,), deliver=post_to_teams)]


# /docs
