"""Escalating a ticket to Microsoft: the vehicles the partner may use for its service (and why not the
others), the case the service plugin builds, and the submission the agent confirms.

A submission only writes: the escalation, its outbox delivery (Azure technical cases) and the ticket's
move to ``waiting_microsoft``, in one transaction. :mod:`console.escalation.courier` delivers and polls afterwards.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from console.microsoft.contact import country_alpha3, is_windows_time_zone
from console.plugin_api import DELIVERY_AZURE_API, DELIVERY_HANDOFF, CaseDraft, CheckContext, technical_vehicles
from console.shared.clock import to_iso
from console.shared.model import AZURE_SEVERITIES, VEHICLE_NAMES, Severity, Vehicle
from console.store.escalations import OPEN_CASE_STATES, CaseAlreadyOpen
from console.tickets.ops import TicketInputError

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.microsoft.gdap import Readiness

CASE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{4,39}$")
NO_SUBSCRIPTION = "no Azure subscription of this customer is known: run csp-console sync"
REASON_MAX = 500
TITLE_MAX = 200
DESCRIPTION_MAX = 5000


@dataclass(frozen=True)
class VehicleOption:
    vehicle: Vehicle
    name: str
    eligible: bool
    reason: str
    plugin: str | None = None


@dataclass
class Draft:
    """The case the agent previews and edits before submitting (what a :class:`CaseDraft` proposed)."""

    ticket_id: str
    ticket_version: int
    customer_id: str
    vehicle: Vehicle
    service: str
    title: str
    description: str
    severity: str
    support_topic: str
    delivery: str
    handoff_url: str = ""
    azure_subscription_id: str | None = None
    service_id: str | None = None
    problem_classification_id: str | None = None
    subscriptions: list[tuple[str, str]] = field(default_factory=list)  # (Azure subscription id, label)
    service_hint: str = ""  # the plugin's suggestion, matched against the Support API's service names
    catalog_error: str = ""
    gdap: Readiness | None = None  # whether the desk's GDAP access allows this escalation (None: not asked)
    open_cases: list[dict[str, Any]] = field(default_factory=list)  # the ticket's cases still open
    another_reason: str = ""  # why a second case is opened while one is open (required then)
    secondary_consent: bool = False  # the customer's consent the problem classification asks for
    advanced_diagnostic_consent: bool = False  # Microsoft may collect diagnostics from the resources

    @property
    def no_subscription_known(self) -> bool:
        """An Azure case with no Azure subscription of the customer on file (run csp-console sync)."""
        return self.via_api and not self.subscriptions

    @property
    def vehicle_name(self) -> str:
        return VEHICLE_NAMES[self.vehicle]

    @property
    def via_api(self) -> bool:
        return self.delivery == DELIVERY_AZURE_API

    def case_text(self) -> str:
        """The case as the agent pastes it into an admin centre."""
        return (
            f"Title: {self.title}\nSeverity: {self.severity}\nSupport topic: {self.support_topic}\n\n{self.description}"
        )


def context(desk: Desk, ticket: dict[str, Any]) -> CheckContext:
    since = to_iso(desk.clock() - timedelta(days=365))
    ctx = desk.triage.context(ticket["customerId"], ticket)
    return replace(ctx, signature_incidents_used=desk.ws.signature_incidents_since(since))


def options(desk: Desk, ticket: dict[str, Any], ctx: CheckContext | None = None) -> list[VehicleOption]:
    """Every vehicle, eligible ones first, each with the reason from the service plugin's handler."""
    service = ticket["service"]
    handlers = {h.handler.vehicle: h for h in desk.host.handlers_for(service)}
    if service is None:
        return [
            VehicleOption(v, VEHICLE_NAMES[v], False, "classify the ticket's service first (key e)") for v in Vehicle
        ]
    ctx = ctx or context(desk, ticket)
    out = []
    for vehicle in Vehicle:
        registered = handlers.get(vehicle)
        if registered is None:
            rule = dict(technical_vehicles(desk.config.partner, service, ctx.signature_incidents_used)).get(vehicle)
            reason = rule.reason if rule and not rule.eligible else f"no {service} plugin handles this vehicle"
            out.append(VehicleOption(vehicle, VEHICLE_NAMES[vehicle], False, reason))
            continue
        try:
            verdict = registered.handler.eligibility(ctx)
        except Exception as exc:  # a plugin's failure costs only its own answer
            desk.host.record_error(registered.plugin, f"eligibility for {vehicle}: {exc!r}")
            out.append(VehicleOption(vehicle, VEHICLE_NAMES[vehicle], False, f"plugin {registered.plugin} failed"))
            continue
        out.append(VehicleOption(vehicle, VEHICLE_NAMES[vehicle], verdict.eligible, verdict.reason, registered.plugin))
    return sorted(out, key=lambda o: not o.eligible)


def build_draft(desk: Desk, ticket: dict[str, Any], vehicle: Vehicle) -> Draft:
    """The service plugin's case for ``vehicle``; refused when the partner may not use it."""
    ctx = context(desk, ticket) if ticket["service"] is not None else None
    option = next(o for o in options(desk, ticket, ctx) if o.vehicle == vehicle)
    if not option.eligible or ctx is None:
        raise TicketInputError("vehicle", f"{option.name} cannot take this ticket: {option.reason}.")
    handler = next(h for h in desk.host.handlers_for(ticket["service"]) if h.handler.vehicle == vehicle)
    findings = [f for _, f in desk.triage.run_ticket(ticket).findings]
    case: CaseDraft = handler.handler.build_case(ctx, findings)
    # Azure cases are filed under an Azure subscription id: an Azure plan's entitlements, never the plan's own
    # Partner Center id (Partner Center .NET SDK, AzureEntitlement.SubscriptionId).
    entitlements = desk.ws.azure_entitlements(ticket["customerId"])
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
        open_cases=[e for e in desk.ws.escalations(ticket_id=ticket["id"]) if e["state"] in OPEN_CASE_STATES],
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
    still_open = [e for e in desk.ws.escalations(ticket_id=draft.ticket_id) if e["state"] in OPEN_CASE_STATES]
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
    known = {e["azureSubscriptionId"] for e in desk.ws.azure_entitlements(draft.customer_id)}
    if not known:
        raise TicketInputError("subscription", f"Cannot open an Azure case: {NO_SUBSCRIPTION}.")
    if not draft.azure_subscription_id:
        raise TicketInputError("subscription", "Choose the customer's Azure subscription the case is about.")
    if draft.azure_subscription_id not in known:
        raise TicketInputError(
            "subscription",
            f"{draft.azure_subscription_id!r} is not one of the customer's Azure subscriptions "
            f"({', '.join(sorted(known))}).",
        )
    services = {r["id"]: r for r in desk.ws.catalog("service")}
    if draft.service_id not in services:
        raise TicketInputError("service", "Choose a service from the Azure Support API's list.")
    problems = {r["id"] for r in desk.ws.catalog("problem", services[draft.service_id]["name"])}
    if draft.problem_classification_id not in problems:
        raise TicketInputError("problem_classification", "Choose a problem classification of the chosen service.")
    ms = desk.config.microsoft
    contact_email = ms.contact_email or desk.config.partner.support_email
    for key, value in (
        ("contact_first_name", ms.contact_first_name),
        ("contact_last_name", ms.contact_last_name),
        ("contact_email", contact_email),
    ):
        if not value:
            raise TicketInputError(
                key,
                f"Microsoft needs a contact for Azure cases: set {key} in the [microsoft] table of the config file.",
            )
    if not is_windows_time_zone(ms.contact_time_zone):
        raise TicketInputError(
            "contact_time_zone",
            f'contact_time_zone {ms.contact_time_zone!r} is not a Windows time-zone id (e.g. "Tokyo Standard '
            'Time"): set it in the [microsoft] table of the config file.',
        )
    contact_country(desk, draft)


def contact_country(desk: Desk, draft: Draft) -> str:
    """ContactProfile.country, ISO 3166-1 alpha-3: the configured contact's country, else the customer's
    (Partner Center's 2-letter code, mapped through ISO 3166-1); never guessed."""
    configured = desk.config.microsoft.contact_country
    if configured:
        found = country_alpha3(configured)
        if found is None or found != configured.upper():
            raise TicketInputError(
                "contact_country", f"contact_country {configured!r} is not an ISO 3166-1 alpha-3 code."
            )
        return found
    account = desk.ws.account_rows(draft.customer_id)
    raw = account["customer"].get("country") if account else None
    found = country_alpha3(raw)
    if found is None:
        raise TicketInputError(
            "contact_country",
            f"Microsoft needs the contact's country (ISO 3166-1 alpha-3, e.g. JPN): the customer's country "
            f"{raw!r} is not one; set contact_country in the [microsoft] table of the config file.",
        )
    return found


def problem_classification(desk: Desk, draft: Draft) -> dict[str, Any] | None:
    services = {r["id"]: r for r in desk.ws.catalog("service")}
    service = services.get(draft.service_id or "")
    if service is None:
        return None
    return next(
        (p for p in desk.ws.catalog("problem", service["name"]) if p["id"] == draft.problem_classification_id), None
    )


def consents_asked(desk: Desk, draft: Draft) -> list[dict[str, str]]:
    """The secondary consents the chosen problem classification asks for (ProblemClassificationProperties.
    secondaryConsentEnabled: ``[{description, type}]``)."""
    problem = problem_classification(desk, draft)
    asked = (problem or {}).get("details", {}).get("secondaryConsentEnabled") or []
    return [
        {"type": str(a.get("type")), "description": str(a.get("description") or "")} for a in asked if a.get("type")
    ]


def case_description_for_azure(draft: Draft) -> str:
    """The description as sent: the agent's text and the Azure subscription the case is about."""
    line = f"Azure subscription: {draft.azure_subscription_id}"
    if draft.azure_subscription_id and draft.azure_subscription_id not in draft.description:
        return f"{draft.description.rstrip()}\n\n{line}"[:DESCRIPTION_MAX]
    return draft.description


def azure_properties(desk: Desk, draft: Draft) -> dict[str, Any]:
    """The ``properties`` of SupportTickets_Create (SupportTicketDetailsProperties: ``advancedDiagnosticConsent``
    is required; ``secondaryConsent`` answers what the problem classification asks)."""
    ms = desk.config.microsoft
    properties: dict[str, Any] = {
        "title": draft.title,
        "description": case_description_for_azure(draft),
        "serviceId": draft.service_id,
        "problemClassificationId": draft.problem_classification_id,
        "severity": draft.severity,
        "advancedDiagnosticConsent": "Yes" if draft.advanced_diagnostic_consent else "No",
        "require24X7Response": draft.severity in ("critical", "highestcriticalimpact"),
        "contactDetails": {
            "firstName": ms.contact_first_name,
            "lastName": ms.contact_last_name,
            "preferredContactMethod": "email",
            "primaryEmailAddress": ms.contact_email or desk.config.partner.support_email,
            "preferredTimeZone": ms.contact_time_zone,
            "country": contact_country(desk, draft),
            "preferredSupportLanguage": ms.support_language,
        },
    }
    asked = consents_asked(desk, draft)
    if asked:
        answer = "Yes" if draft.secondary_consent else "No"
        properties["secondaryConsent"] = [{"userConsent": answer, "type": a["type"]} for a in asked]
    return properties


def submit(desk: Desk, draft: Draft, case_number: str | None = None) -> dict[str, Any]:
    """Record the escalation (and its delivery, for the API path); the ticket waits on Microsoft.

    Refused with :class:`~console.store.StaleVersion` when the ticket changed since the draft was made.
    Returns the stored escalation."""
    desk.authorize("ticket.escalate")
    case_number = case_number.strip() if case_number else None
    draft.another_reason = " ".join(draft.another_reason.split())
    refuse_second_case(desk, draft)
    validate(desk, draft, case_number)
    ticket = desk.ws.ticket(draft.ticket_id)
    if ticket is None:
        raise LookupError(f"no ticket {draft.ticket_id}")
    ticket = {**ticket, "version": draft.ticket_version}
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
            "payload": azure_properties(desk, draft),
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
    try:
        _, escalation_id = desk.ws.open_escalation(
            ticket, escalation, outbox, agent=desk.agent, event_text=text, another_reason=draft.another_reason or None
        )
    except CaseAlreadyOpen as exc:
        raise TicketInputError("another", f"{exc} (CLI: --another REASON)") from None
    stored = desk.ws.escalation(escalation_id)
    assert stored is not None
    return stored


def record_case_number(desk: Desk, escalation_id: int, case_number: str) -> dict[str, Any]:
    """The Microsoft case number of a handed-off escalation."""
    desk.authorize("ticket.escalate")
    case_number = case_number.strip()
    if not CASE_NUMBER_RE.match(case_number):
        raise TicketInputError("case_number", f"{case_number!r} does not look like a Microsoft case number.")
    esc = desk.ws.escalation(escalation_id)
    if esc is None:
        raise LookupError(f"no escalation {escalation_id}")
    if esc["delivery"] == DELIVERY_AZURE_API and esc["state"] == "pending":
        raise TicketInputError(
            "case_number",
            "This case is still being created through the Azure Support API; its number comes from there.",
        )
    return desk.ws.record_case_number(escalation_id, case_number, desk.agent)


def send_message(desk: Desk, escalation_id: int, text: str) -> int:
    """A note to Microsoft on an escalated case, delivered through the outbox (exactly once)."""
    desk.authorize("ticket.escalate")
    text = text.strip()
    if not text:
        raise TicketInputError("text", "The message is empty.")
    esc = desk.ws.escalation(escalation_id)
    if esc is None:
        raise LookupError(f"no escalation {escalation_id}")
    if esc["state"] in ("closed", "failed"):
        raise TicketInputError("escalation", f"The case is {esc['state']}; nothing can be sent to it.")
    if esc["delivery"] == DELIVERY_HANDOFF and not esc["microsoftCaseId"]:
        raise TicketInputError("escalation", "Record the Microsoft case number first.")
    payload = {"text": text, "subject": f"Update from {desk.config.partner.name}"}
    if esc["delivery"] == DELIVERY_AZURE_API:
        # CommunicationDetailsProperties.sender: "Email address of the sender" (the agent's, never a login).
        record = desk.ws.agent(desk.agent) or {}
        email = str(record.get("email") or "").strip()
        if "@" not in email:
            raise TicketInputError(
                "sender",
                f"Microsoft needs the sender's email address and agent {desk.agent} has none on record: "
                "add it with csp-console agents.",
            )
        payload["sender"] = email
    item = {"kind": "note", "name": f"note-{uuid.uuid4().hex[:16]}", "requestId": str(uuid.uuid4()), "payload": payload}
    return desk.ws.enqueue_message(escalation_id, item, desk.agent, f"Message to Microsoft queued: {text[:200]}")
