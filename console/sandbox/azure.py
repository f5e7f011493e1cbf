"""The sandbox's Azure Support API endpoints (``Microsoft.Support``): services, problem classifications,
support tickets and their communications."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from console.microsoft.azure_support import SEVERITIES
from console.sandbox import auth
from console.sandbox.errors import error as _error
from console.sandbox.state import now_iso

if TYPE_CHECKING:
    from console.sandbox.server import Sandbox

CONTACT_FIELDS = (
    "firstName",
    "lastName",
    "preferredContactMethod",
    "primaryEmailAddress",
    "preferredTimeZone",
    "country",
    "preferredSupportLanguage",
)


def route(box: Sandbox, method: str, path: str, headers: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
    s = box.state
    if method == "GET" and path == "/providers/Microsoft.Support/services":
        return 200, {"value": s.services}, {}
    m = re.fullmatch(r"/providers/Microsoft.Support/services/([^/]+)/problemClassifications", path)
    if m and method == "GET":
        if m.group(1) not in s.problems:
            raise _error(404, "ServiceNotFound", f"service {m.group(1)} not found")
        return 200, {"value": s.problems[m.group(1)]}, {}
    m = re.fullmatch(
        r"/subscriptions/([^/]+)/providers/Microsoft.Support/supportTickets/([^/]+)(/communications(?:/([^/]+))?)?",
        path,
    )
    if not m:
        raise _error(404, "NotFound", f"no such Azure endpoint: {method} {path}")
    subscription, name, comms, comm_name = m.groups()
    if subscription not in s.azure_subscriptions:
        raise _error(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")
    auth.arm_subscription(headers, s.tenant_of(s.azure_subscriptions[subscription]), s.partner_tenant)
    ticket = s.tickets.get(name)
    if comms:
        if ticket is None or not ticket["id"].startswith(f"/subscriptions/{subscription}/"):
            raise _error(404, "SupportTicketNotFound", f"support ticket {name} not found")
        if method == "GET" and comm_name is None:
            return 200, {"value": s.communications.get(name, [])}, {}
        if method == "PUT" and comm_name:
            props = (body or {}).get("properties") or {}
            if not props.get("subject") or not props.get("body"):
                raise _error(400, "BadRequest", "properties.subject and properties.body are required")
            message = s.add_message(
                name, comm_name, props["subject"], props["body"], props.get("sender", ""), "inbound"
            )
            return 200, message, {}
        raise _error(405, "MethodNotAllowed", method)
    if method == "GET":
        if ticket is None or not ticket["id"].startswith(f"/subscriptions/{subscription}/"):
            raise _error(404, "SupportTicketNotFound", f"support ticket {name} not found")
        return 200, ticket, {}
    if method != "PUT":
        raise _error(405, "MethodNotAllowed", method)
    if ticket is not None:
        return 200, ticket, {}  # the same name again: the same ticket, nothing new
    props = valid_ticket(box, body)
    stamp = now_iso()
    number = f"{2611230010000000 + len(s.tickets) + 1}"
    ticket = {
        "id": f"/subscriptions/{subscription}/providers/Microsoft.Support/supportTickets/{name}",
        "name": name,
        "type": "Microsoft.Support/supportTickets",
        "properties": {
            **props,
            "supportTicketId": number,
            "status": "Open",
            "createdDate": stamp,
            "modifiedDate": stamp,
            "serviceLevelAgreement": {
                "startTime": stamp,
                "slaMinutes": {"critical": 60, "moderate": 240}.get(props["severity"], 480),
            },
        },
    }
    s.tickets[name] = ticket
    s.add_message(
        name,
        "welcome",
        "Case received",
        f"Case {number} was received; an engineer will contact you.",
        "Microsoft Support",
        "outbound",
    )
    return 201, ticket, {}


def valid_ticket(box: Sandbox, body: Any) -> dict[str, Any]:
    props = (body or {}).get("properties")
    if not isinstance(props, dict):
        raise _error(400, "BadRequest", "properties is required")
    for key in ("title", "description", "serviceId", "problemClassificationId", "severity", "contactDetails"):
        if not props.get(key):
            raise _error(400, "BadRequest", f"properties.{key} is required")
    if props["severity"] not in SEVERITIES:
        raise _error(400, "BadRequest", f"properties.severity must be one of {', '.join(SEVERITIES)}")
    service = str(props["serviceId"]).rsplit("/", 1)[-1]
    if service not in box.state.problems:
        raise _error(400, "InvalidServiceId", f"service {service} does not exist")
    if not any(p["id"] == props["problemClassificationId"] for p in box.state.problems[service]):
        raise _error(400, "InvalidProblemClassificationId", "the problem classification is not one of the service's")
    contact = props["contactDetails"]
    missing = [f for f in CONTACT_FIELDS if not (isinstance(contact, dict) and contact.get(f))]
    if missing:
        raise _error(400, "BadRequest", f"properties.contactDetails.{missing[0]} is required")
    return props
