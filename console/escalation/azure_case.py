"""An Azure technical case as the Azure Support API takes it: the checks before it is queued (the customer's
Azure subscription, the service and problem classification from the API's catalogue, Microsoft's contact) and the
``properties`` of SupportTickets_Create."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.escalation import support_match
from console.escalation.drafts import DESCRIPTION_MAX, NO_SUBSCRIPTION, Draft
from console.microsoft.contact import country_alpha3, is_windows_time_zone
from console.tickets.ops import TicketInputError

if TYPE_CHECKING:
    from console.desk.door import Desk


def preselect(draft: Draft, services: list[dict[str, Any]], problems_of: Callable[[str], list[dict[str, Any]]]) -> None:
    """Preselect the service and problem classification the ticket's words match best (see support_match):
    the few services whose names match, each with its best problem. Of two that tie, the one the plugin's hint
    names; nothing when no service matches or the tie stays (the agent chooses); the service alone when none
    of its problems matches. ``problems_of(service_id)`` lists a service's problem classifications."""
    ticket = support_match.TicketWords.of(draft.ticket_title, draft.ticket_body)
    scored: list[tuple[int, bool, dict[str, Any], str | None]] = []
    for service_score, service in support_match.rank_services(ticket, services, draft.service_hint):
        ranked = support_match.rank_problems(ticket, service["displayName"], problems_of(service["id"]))
        best = support_match.best_problem(ticket, service["displayName"], [p for _, p in ranked])
        total = service_score + (ranked[0][0] if ranked else 0)
        scored.append((total, service["displayName"] == draft.service_hint, service, best))
    scored.sort(key=lambda row: (-row[0], not row[1]))
    if not scored or (len(scored) > 1 and scored[1][:2] == scored[0][:2]):
        return
    draft.service_id = scored[0][2]["id"]
    draft.problem_classification_id = scored[0][3]


def validate(desk: Desk, draft: Draft) -> None:
    """Refuse an Azure case Microsoft would refuse, naming the field."""
    known = {e["azureSubscriptionId"] for e in desk.ws.microsoft.azure_entitlements(draft.customer_id)}
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
    services = {r["id"]: r for r in desk.ws.microsoft.catalog("service")}
    if draft.service_id not in services:
        raise TicketInputError("service", "Choose a service from the Azure Support API's list.")
    problems = {r["id"] for r in desk.ws.microsoft.catalog("problem", services[draft.service_id]["name"])}
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
    account = desk.ws.accounts.account_rows(draft.customer_id)
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
    services = {r["id"]: r for r in desk.ws.microsoft.catalog("service")}
    service = services.get(draft.service_id or "")
    if service is None:
        return None
    return next(
        (
            p
            for p in desk.ws.microsoft.catalog("problem", service["name"])
            if p["id"] == draft.problem_classification_id
        ),
        None,
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
