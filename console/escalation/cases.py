"""Escalating a ticket to Microsoft: the vehicles the partner may use for its service (and why not the
others), the case the service plugin builds, and the submission the agent confirms.

A submission only writes: the escalation, its outbox delivery (Azure technical cases) and the ticket's
move to ``waiting_microsoft``, in one transaction. :mod:`console.escalation.courier` delivers and polls afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from console.escalation import azure_case
from console.escalation.drafts import (
    CASE_NUMBER_RE,
    DESCRIPTION_MAX,
    REASON_MAX,
    TITLE_MAX,
    Draft,
    VehicleOption,
)
from console.plugin_api import DELIVERY_AZURE_API, DELIVERY_HANDOFF, CaseDraft, CheckContext, technical_vehicles
from console.plugins import validate as plugin_values
from console.shared.clock import to_iso
from console.shared.model import AZURE_SEVERITIES, VEHICLE_NAMES, Severity, Vehicle
from console.shared.safe_text import clean_line
from console.store.escalations import OPEN_CASE_STATES, CaseAlreadyOpen
from console.tickets.ops import TicketInputError

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.microsoft.gdap import Readiness


def context(desk: Desk, ticket: dict[str, Any]) -> CheckContext:
    since = to_iso(desk.clock() - timedelta(days=365))
    ctx = desk.triage.context(ticket["customerId"], ticket)
    return replace(ctx, signature_incidents_used=desk.ws.escalations.signature_incidents_since(since))


def options(desk: Desk, ticket: dict[str, Any], ctx: CheckContext | None = None) -> list[VehicleOption]:
    """Every vehicle, eligible ones first, each with the reason from the service plugin's handler."""
    service = ticket["service"]
    if service is None:
        return [
            VehicleOption(v, VEHICLE_NAMES[v], False, "classify the ticket's service first (key e)") for v in Vehicle
        ]
    ctx = ctx or context(desk, ticket)
    out = []
    for vehicle in Vehicle:
        registered = desk.host.handler(service, vehicle)  # the one the submit takes too
        if registered is None:
            rule = dict(technical_vehicles(desk.config.partner, service, ctx.signature_incidents_used)).get(vehicle)
            reason = rule.reason if rule and not rule.eligible else f"no {service} plugin handles this vehicle"
            out.append(VehicleOption(vehicle, VEHICLE_NAMES[vehicle], False, reason))
            continue
        where = f"eligibility of {service}:{vehicle.value}"
        try:
            verdict = plugin_values.eligibility(registered.plugin, where, registered.handler.eligibility(ctx))
        except BaseException as exc:  # a plugin's failure (SystemExit included) costs only its own answer
            desk.host.record_error(registered.plugin, f"{where}: {clean_line(str(exc) or type(exc).__name__)}")
            out.append(VehicleOption(vehicle, VEHICLE_NAMES[vehicle], False, f"plugin {registered.plugin} failed"))
            continue
        out.append(VehicleOption(vehicle, VEHICLE_NAMES[vehicle], verdict.eligible, verdict.reason, registered.plugin))
    return sorted(out, key=lambda o: not o.eligible)


def _case(desk: Desk, ticket: dict[str, Any], vehicle: Vehicle, ctx: CheckContext) -> CaseDraft:
    """The case the service's handler for ``vehicle`` builds, checked; a plugin's failure is refused naming it."""
    handler = desk.host.handler(ticket["service"], vehicle)
    if handler is None:
        raise TicketInputError("vehicle", f"no {ticket['service']} plugin handles {VEHICLE_NAMES[vehicle]}.")
    findings = [f for _, f in desk.triage.run_ticket(ticket).findings]
    where = f"case of {ticket['service']}:{vehicle.value}"
    try:
        built = handler.handler.build_case(ctx, findings)
        return plugin_values.case_draft(handler.plugin, where, built, vehicle, ticket["service"])
    except BaseException as exc:  # SystemExit of a plugin included: the agent is told, the console goes on
        said = clean_line(str(exc) or type(exc).__name__)
        desk.host.record_error(handler.plugin, f"{where}: {said}")
        raise TicketInputError("vehicle", f"plugin {handler.plugin} failed to build the case: {said}") from None


def build_draft(desk: Desk, ticket: dict[str, Any], vehicle: Vehicle) -> Draft:
    """The service plugin's case for ``vehicle``; refused when the partner may not use it."""
    ctx = context(desk, ticket) if ticket["service"] is not None else None
    option = next(o for o in options(desk, ticket, ctx) if o.vehicle == vehicle)
    if not option.eligible or ctx is None:
        raise TicketInputError("vehicle", f"{option.name} cannot take this ticket: {option.reason}.")
    case = _case(desk, ticket, vehicle, ctx)
    # Azure cases are filed under an Azure subscription id: an Azure plan's entitlements, never the plan's own
    # Partner Center id (Partner Center .NET SDK, AzureEntitlement.SubscriptionId).
    entitlements = desk.ws.microsoft.azure_entitlements(ticket["customerId"])
    subs = [
        (
            e["azureSubscriptionId"],
            f"{e['friendlyName'] or 'Azure subscription'} · {e['azureSubscriptionId']} ({e['status']})",
        )
        for e in entitlements
    ]
    known = {e["azureSubscriptionId"] for e in entitlements}
    active = [e for e in entitlements if e["status"] == "active"]
    azure_subscription = case.azure_subscription_id if case.azure_subscription_id in known else None
    if azure_subscription is None and active:
        azure_subscription = (
            named_in(active, f"{ticket['title']} {ticket.get('body') or ''}") or active[0]["azureSubscriptionId"]
        )
    return Draft(
        ticket_id=ticket["id"],
        ticket_version=ticket["version"],
        customer_id=ticket["customerId"],
        vehicle=vehicle,
        service=case.service,
        title=case.title[:TITLE_MAX],
        description=case.description[:DESCRIPTION_MAX],
        severity=case.severity.value if case.severity != Severity.UNKNOWN else "minimal",
        support_topic=case.support_topic,
        delivery=case.delivery,
        handoff_url=case.handoff_url,
        azure_subscription_id=azure_subscription if case.delivery == DELIVERY_AZURE_API else None,
        subscriptions=subs,
        service_hint=case.service_hint,
        open_cases=[
            e for e in desk.ws.escalations.escalations(ticket_id=ticket["id"]) if e["state"] in OPEN_CASE_STATES
        ],
        gdap=gdap_readiness(desk, ticket, vehicle),
    )


def gdap_task(service: str | None, vehicle: Vehicle) -> str:
    """The GDAP task an escalation is (see console/microsoft/gdap.py TASK_TEXT)."""
    if vehicle == Vehicle.COMMERCIAL:
        return "escalate"
    return {"azure": "escalate_azure", "office365": "escalate_microsoft365"}.get(service or "", "escalate")


def gdap_readiness(desk: Desk, ticket: dict[str, Any], vehicle: Vehicle) -> Readiness:
    """Told before escalating: no active GDAP relationship holding a role that allows the task means the desk
    cannot act in the customer's tenant (learn.microsoft.com, "GDAP introduction" and least-privileged roles)."""
    from console.microsoft import gdap

    roles = gdap.task_roles(desk.config.microsoft.gdap_task_roles)
    return gdap.readiness(desk.ws, ticket["customerId"], gdap_task(ticket["service"], vehicle), desk.clock(), roles)


def refuse_second_case(desk: Desk, draft: Draft) -> None:
    """One case per problem: while the ticket has an open case, another is refused unless the agent says why
    (``draft.another_reason``). Checked before the draft's fields, so a re-run is told this first; the store
    checks it again inside the transaction that opens the case."""
    if draft.another_reason.strip():
        return
    still_open = [
        e for e in desk.ws.escalations.escalations(ticket_id=draft.ticket_id) if e["state"] in OPEN_CASE_STATES
    ]
    if still_open:
        raise TicketInputError("another", f"{CaseAlreadyOpen(draft.ticket_id, still_open)} (CLI: --another REASON)")


def named_in(entitlements: list[dict[str, Any]], text: str) -> str | None:
    """The Azure subscription the customer's words name ("our Production VMs are down" -> the one called
    Production), when exactly one does; folded with NFKC so full-width forms match too."""
    import unicodedata

    words = unicodedata.normalize("NFKC", text).casefold()
    named = [
        e["azureSubscriptionId"]
        for e in entitlements
        if e["friendlyName"] and unicodedata.normalize("NFKC", str(e["friendlyName"])).casefold() in words
    ]
    return named[0] if len(named) == 1 else None


def validate(desk: Desk, draft: Draft, case_number: str | None) -> None:
    """Refuse a draft Microsoft would refuse, naming the field."""
    if not draft.title.strip():
        raise TicketInputError("title", "The case needs a title.")
    if len(draft.title) > TITLE_MAX:
        raise TicketInputError("title", f"The title has at most {TITLE_MAX} characters ({len(draft.title)} given).")
    if not draft.description.strip():
        raise TicketInputError("description", "The case needs a description.")
    if len(draft.description) > DESCRIPTION_MAX:
        raise TicketInputError("description", f"At most {DESCRIPTION_MAX} characters ({len(draft.description)} given).")
    if draft.severity not in AZURE_SEVERITIES:
        raise TicketInputError(
            "severity", f"Severity must be one of {', '.join(AZURE_SEVERITIES)}, not {draft.severity!r}."
        )
    if case_number is not None and not CASE_NUMBER_RE.match(case_number):
        raise TicketInputError("case_number", f"{case_number!r} does not look like a Microsoft case number.")
    if len(draft.another_reason) > REASON_MAX:
        raise TicketInputError("another", f"The reason has at most {REASON_MAX} characters.")
    if not draft.via_api:
        return
    if case_number is not None:
        raise TicketInputError("case_number", "Azure technical cases are created through the API; no number to give.")
    azure_case.validate(desk, draft)


def submit(desk: Desk, draft: Draft, case_number: str | None = None) -> dict[str, Any]:
    """Record the escalation (and its delivery, for the API path); the ticket waits on Microsoft.

    Refused with :class:`~console.store.StaleVersion` when the ticket changed since the draft was made.
    Returns the stored escalation."""
    desk.authorize("ticket.escalate")
    case_number = case_number.strip() if case_number else None
    draft.another_reason = " ".join(draft.another_reason.split())
    refuse_second_case(desk, draft)
    validate(desk, draft, case_number)
    ticket = desk.ws.tickets.ticket(draft.ticket_id)
    if ticket is None:
        raise LookupError(f"no ticket {draft.ticket_id}")
    ticket = {**ticket, "version": draft.ticket_version}
    escalation, outbox, text = _records(desk, draft, case_number)
    try:
        _, escalation_id = desk.ws.escalations.open_escalation(
            ticket, escalation, outbox, agent=desk.agent, event_text=text, another_reason=draft.another_reason or None
        )
    except CaseAlreadyOpen as exc:
        raise TicketInputError("another", f"{exc} (CLI: --another REASON)") from None
    stored = desk.ws.escalations.escalation(escalation_id)
    assert stored is not None
    return stored


def _records(desk: Desk, draft: Draft, case_number: str | None) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """The escalation to store, its outbox delivery (the API path only) and the text of the ticket's event."""
    base = {
        "vehicle": draft.vehicle.value,
        "customerId": draft.customer_id,
        "service": draft.service,
        "delivery": draft.delivery,
        "title": draft.title,
        "description": draft.description,
        "severity": draft.severity,
        "supportTopic": draft.support_topic,
        "handoffUrl": draft.handoff_url or None,
    }
    outbox = None
    if draft.via_api:
        name = f"{draft.ticket_id.lower()}-{uuid.uuid4().hex[:12]}"
        escalation = {
            **base,
            "state": "pending",
            "ticketName": name,
            "azureSubscriptionId": draft.azure_subscription_id,
            "serviceId": draft.service_id,
            "problemClassificationId": draft.problem_classification_id,
        }
        outbox = {
            "kind": "create",
            "name": name,
            "requestId": str(uuid.uuid4()),
            "payload": azure_case.azure_properties(desk, draft),
        }
        text = f"{draft.vehicle_name} through the Azure Support API: queued as support ticket {name}"
    elif case_number:
        escalation = {**base, "state": "open", "microsoftCaseId": case_number}
        where = draft.handoff_url or "the admin centre"
        text = f"{draft.vehicle_name}: case opened at {where}, Microsoft case {case_number}"
    else:
        escalation = {**base, "state": "awaiting_case_number"}
        where = draft.handoff_url or "the admin centre"
        text = f"{draft.vehicle_name}: handed off to {where}; waiting for the Microsoft case number"
    if draft.another_reason:
        text += f" (another case while one is open: {draft.another_reason})"
    return escalation, outbox, text


def record_case_number(desk: Desk, escalation_id: int, case_number: str) -> dict[str, Any]:
    """The Microsoft case number of a handed-off escalation."""
    desk.authorize("ticket.escalate")
    case_number = case_number.strip()
    if not CASE_NUMBER_RE.match(case_number):
        raise TicketInputError("case_number", f"{case_number!r} does not look like a Microsoft case number.")
    esc = desk.ws.escalations.escalation(escalation_id)
    if esc is None:
        raise LookupError(f"no escalation {escalation_id}")
    if esc["delivery"] == DELIVERY_AZURE_API and esc["state"] == "pending":
        raise TicketInputError(
            "case_number",
            "This case is still being created through the Azure Support API; its number comes from there.",
        )
    return desk.ws.escalations.record_case_number(escalation_id, case_number, desk.agent)


def send_message(desk: Desk, escalation_id: int, text: str) -> int:
    """A note to Microsoft on an escalated case, delivered through the outbox (exactly once)."""
    desk.authorize("ticket.escalate")
    text = text.strip()
    if not text:
        raise TicketInputError("text", "The message is empty.")
    esc = desk.ws.escalations.escalation(escalation_id)
    if esc is None:
        raise LookupError(f"no escalation {escalation_id}")
    if esc["state"] in ("closed", "failed"):
        raise TicketInputError("escalation", f"The case is {esc['state']}; nothing can be sent to it.")
    if esc["delivery"] == DELIVERY_HANDOFF and not esc["microsoftCaseId"]:
        raise TicketInputError("escalation", "Record the Microsoft case number first.")
    payload = {"text": text, "subject": f"Update from {desk.config.partner.name}"}
    if esc["delivery"] == DELIVERY_AZURE_API:
        # CommunicationDetailsProperties.sender: "Email address of the sender" (the agent's, never a login).
        record = desk.ws.agents.agent(desk.agent) or {}
        email = str(record.get("email") or "").strip()
        if "@" not in email:
            raise TicketInputError(
                "sender",
                f"Microsoft needs the sender's email address and agent {desk.agent} has none on record: "
                "add it with csp-console agents.",
            )
        payload["sender"] = email
    item = {"kind": "note", "name": f"note-{uuid.uuid4().hex[:16]}", "requestId": str(uuid.uuid4()), "payload": payload}
    return desk.ws.escalations.enqueue_message(
        escalation_id, item, desk.agent, f"Message to Microsoft queued: {text[:200]}"
    )
