"""The sandbox's Azure Support API (``Microsoft.Support`` 2024-04-01) as Microsoft documents it in
Azure/azure-rest-api-specs ``specification/support/resource-manager/Microsoft.Support/stable/2024-04-01/
support.json`` and its ``examples/``, not as our client would like it:

- ``PUT supportTickets/{name}`` "creates a new support ticket" and ``checkNameAvailability`` checks "the
  uniqueness of the name": a PUT of a name already in use (or still being created) is refused with
  **409 Conflict** (the spec documents no replay semantics; CheckNameAvailabilityWithSubscription.json
  answers such a name with ``nameAvailable: false``, "Name is already in use"). It never returns the old
  ticket as if it had been created.
- Create and add-communication answer **202 Accepted without a body**, with ``Azure-AsyncOperation``
  (``.../operationsStatus/{id}``) and ``Location`` (``.../operationResults/{id}``) headers, as
  CreateTechnicalSupportTicketForSubscription.json and CreateSupportTicketCommunication.json show. The
  operation reads ``InProgress`` then ``Succeeded`` ("Track asynchronous Azure operations"); the resource can
  be read once it succeeded. ``state.azure_async = False`` switches to the documented 200 with the body.
- ``PATCH supportTickets/{name}`` (UpdateSupportTicket): severity, status ``open``/``closed``, contact details.
- ContactProfile: ``country`` ISO 3166-1 alpha-3, ``preferredTimeZone`` a Windows time-zone id (see
  :mod:`console.microsoft.contact`); ``advancedDiagnosticConsent`` required (``Yes`` | ``No``).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from console.microsoft.azure_support import API_VERSION, COMMUNICATION_TYPE, SEVERITIES, TICKET_TYPE
from console.microsoft.contact import country_alpha3, is_windows_time_zone
from console.sandbox import auth
from console.sandbox.errors import Answer
from console.sandbox.errors import error as _error
from console.sandbox.state import SandboxState, now_iso

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
CONSENTS = ("Yes", "No")
_PROVIDER = r"/subscriptions/([^/]+)/providers/Microsoft\.Support"


def route(box: Sandbox, method: str, path: str, headers: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
    s = box.state
    settle(s)
    if method == "GET" and path == "/providers/Microsoft.Support/services":
        return 200, {"value": s.services}, {}
    m = re.fullmatch(r"/providers/Microsoft.Support/services/([^/]+)/problemClassifications", path)
    if m and method == "GET":
        if m.group(1) not in s.problems:
            raise _error(404, "ServiceNotFound", f"service {m.group(1)} not found")
        return 200, {"value": s.problems[m.group(1)]}, {}
    m = re.fullmatch(_PROVIDER + r"/(checkNameAvailability|operationsStatus/[^/]+|operationResults/[^/]+)", path)
    if m:
        return _provider_call(box, method, m.group(1), m.group(2), headers, body)
    m = re.fullmatch(
        _PROVIDER + r"/supportTickets/([^/]+)(/checkNameAvailability|/communications(?:/([^/]+))?)?",
        path,
    )
    if not m:
        raise _error(404, "NotFound", f"no such Azure endpoint: {method} {path}")
    return _ticket_call(box, method, m, headers, body)


def _provider_call(
    box: Sandbox, method: str, subscription: str, what: str, headers: Any, body: Any
) -> tuple[int, Any, dict[str, str]]:
    """The subscription's ``checkNameAvailability`` (POST) and its long-running operations (GET)."""
    _subscription(box, subscription, headers)
    if what == "checkNameAvailability" and method == "POST":
        name = _name_input(body, TICKET_TYPE)
        return 200, _availability(not ticket_name_taken(box.state, name)), {}
    if method == "GET":
        return _operation(box, subscription, what)
    raise _error(405, "MethodNotAllowed", method)


def _ticket_call(
    box: Sandbox, method: str, m: re.Match[str], headers: Any, body: Any
) -> tuple[int, Any, dict[str, str]]:
    """A support ticket (GET, PATCH; PUT creates it) and its communications."""
    s = box.state
    subscription, name, rest, comm_name = m.groups()
    _subscription(box, subscription, headers)
    ticket = s.tickets.get(name)
    mine = ticket is not None and ticket["id"].startswith(f"/subscriptions/{subscription}/")
    if (rest or method in ("GET", "PATCH")) and not mine:
        raise _error(404, "SupportTicketNotFound", f"support ticket {name} not found")
    if rest:
        return _communications(box, subscription, name, rest, comm_name, method, body)
    if method == "GET":
        return 200, ticket, {}
    if method == "PATCH":
        return 200, _update(ticket, body), {}  # type: ignore[arg-type]
    if method != "PUT":
        raise _error(405, "MethodNotAllowed", method)
    if ticket_name_taken(s, name):
        raise _error(
            409,
            "Conflict",
            f"A support ticket named '{name}' already exists: a PUT creates a new ticket; use "
            "checkNameAvailability before creating one.",
        )
    props = valid_ticket(box, body)
    resource = _new_ticket(s, subscription, name, props)
    if not s.azure_async:
        _commit_ticket(s, resource)
        return 200, resource, {}
    return _accepted(box, subscription, {"kind": "ticket", "name": name, "resource": resource})


def _subscription(box: Sandbox, subscription: str, headers: Any) -> None:
    s = box.state
    if subscription not in s.azure_subscriptions:
        raise _error(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")
    auth.arm_subscription(headers, s.tenant_of(s.azure_subscriptions[subscription]), s.partner_tenant)


def _name_input(body: Any, kind: str) -> str:
    """CheckNameAvailabilityInput: ``name`` and ``type`` required, ``type`` one of the two resource types."""
    if not isinstance(body, dict) or not body.get("name") or not body.get("type"):
        raise _error(400, "BadRequest", "checkNameAvailabilityInput needs name and type")
    if body["type"] not in (TICKET_TYPE, COMMUNICATION_TYPE):
        raise _error(400, "BadRequest", f"type must be {TICKET_TYPE} or {COMMUNICATION_TYPE}")
    if body["type"] != kind:
        raise _error(400, "BadRequest", f"type must be {kind} here")
    return str(body["name"])


def _availability(available: bool) -> dict[str, Any]:
    if available:
        return {"nameAvailable": True}
    return {"nameAvailable": False, "reason": "Name is already in use", "message": "Name not available"}


def ticket_name_taken(s: SandboxState, name: str) -> bool:
    return name in s.tickets or any(op["kind"] == "ticket" and op["name"] == name for op in s.azure_operations.values())


def _communication_taken(s: SandboxState, ticket: str, name: str) -> bool:
    return any(c["name"] == name for c in s.communications.get(ticket, [])) or any(
        op["kind"] == "communication" and op["ticket"] == ticket and op["name"] == name
        for op in s.azure_operations.values()
    )


# -- long-running operations ------------------------------------------------------------------------
def _accepted(box: Sandbox, subscription: str, op: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
    s = box.state
    op_id = str(uuid.uuid4())
    op.update(
        id=op_id,
        status="InProgress",
        startTime=now_iso(),
        polls=0,
        ready_at=time.monotonic() + s.azure_settle_seconds,
    )
    s.azure_operations[op_id] = op
    base = f"{box.url}/subscriptions/{subscription}/providers/Microsoft.Support"
    headers = {
        "Azure-AsyncOperation": f"{base}/operationsStatus/{op_id}?api-version={API_VERSION}",
        "Location": f"{base}/operationResults/{op_id}?api-version={API_VERSION}",
        "Retry-After": f"{s.azure_retry_after:g}",
    }
    raise Answer(202, None, headers)


def settle(s: SandboxState, op_id: str | None = None) -> None:
    """Finish the operations whose time has come (or ``op_id``, polled once already): the resource appears."""
    now = time.monotonic()
    for key, op in list(s.azure_operations.items()):
        if op["status"] != "InProgress":
            continue
        if now < op["ready_at"] and not (key == op_id and op["polls"] >= 1):
            continue
        if op["kind"] == "ticket" and op["name"] in s.azure_fail:
            op.update(status="Failed", error=s.azure_fail[op["name"]], endTime=now_iso())
            continue
        if op["kind"] == "ticket":
            _commit_ticket(s, op["resource"])
        else:
            s.communications.setdefault(op["ticket"], []).append(op["resource"])
        op["status"] = "Succeeded"
        op["endTime"] = now_iso()
    for key, op in list(s.azure_operations.items()):
        if op["status"] != "InProgress" and key != op_id and op.get("reported"):
            del s.azure_operations[key]  # once the client saw the end, the name check relies on the resource


def _operation(box: Sandbox, subscription: str, what: str) -> tuple[int, Any, dict[str, str]]:
    s = box.state
    kind, op_id = what.split("/", 1)
    op = s.azure_operations.get(op_id)
    if op is None:
        raise _error(404, "OperationNotFound", f"operation {op_id} not found")
    settle(s, op_id)
    op["polls"] += 1
    retry = {"Retry-After": f"{s.azure_retry_after:g}"}
    if kind == "operationResults":
        if op["status"] == "InProgress":
            return 202, None, retry
        op["reported"] = True
        return 200, op["resource"], {}
    body = {"id": f"/subscriptions/{subscription}/providers/Microsoft.Support/operationsStatus/{op_id}"}
    body.update(name=op_id, status=op["status"], startTime=op["startTime"])
    if op["status"] == "InProgress":
        return 200, body, retry
    op["reported"] = True
    if op["status"] == "Failed":
        body["error"] = op["error"]
    return 200, {**body, "endTime": op.get("endTime")}, {}


# -- tickets ---------------------------------------------------------------------------------------
def _new_ticket(s: SandboxState, subscription: str, name: str, props: dict[str, Any]) -> dict[str, Any]:
    stamp = now_iso()
    number = f"{2611230010000000 + len(s.tickets) + len(s.azure_operations) + 1}"
    return {
        "id": f"/subscriptions/{subscription}/providers/Microsoft.Support/supportTickets/{name}",
        "name": name,
        "type": TICKET_TYPE,
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


def _commit_ticket(s: SandboxState, resource: dict[str, Any]) -> None:
    name = resource["name"]
    s.tickets[name] = resource
    number = resource["properties"]["supportTicketId"]
    s.add_message(
        name,
        "welcome",
        "Case received",
        f"Case {number} was received; an engineer will contact you.",
        "Microsoft Support",
        "inbound",
    )


def _update(ticket: dict[str, Any], body: Any) -> dict[str, Any]:
    """UpdateSupportTicket: ``severity``, ``status`` (``open`` | ``closed``), ``contactDetails`` (any of the
    ContactProfile fields), ``advancedDiagnosticConsent``."""
    if not isinstance(body, dict) or not body:
        raise _error(400, "BadRequest", "the body must be an UpdateSupportTicket object")
    unknown = set(body) - {"severity", "status", "contactDetails", "advancedDiagnosticConsent", "secondaryConsent"}
    if unknown:
        raise _error(400, "BadRequest", f"unknown property {sorted(unknown)[0]}")
    props = ticket["properties"]
    if "severity" in body:
        if body["severity"] not in SEVERITIES:
            raise _error(400, "BadRequest", f"severity must be one of {', '.join(SEVERITIES)}")
        props["severity"] = body["severity"]
    if "status" in body:
        if body["status"] not in ("open", "closed"):
            raise _error(400, "BadRequest", "status must be open or closed")
        props["status"] = body["status"].capitalize()
    if "advancedDiagnosticConsent" in body:
        if body["advancedDiagnosticConsent"] not in CONSENTS:
            raise _error(400, "BadRequest", "advancedDiagnosticConsent must be Yes or No")
        props["advancedDiagnosticConsent"] = body["advancedDiagnosticConsent"]
    if "contactDetails" in body:
        contact = body["contactDetails"]
        if not isinstance(contact, dict):
            raise _error(400, "BadRequest", "contactDetails must be an object")
        _check_contact(contact, partial=True)
        props["contactDetails"] = {**props.get("contactDetails", {}), **contact}
    props["modifiedDate"] = now_iso()
    return ticket


def valid_ticket(box: Sandbox, body: Any) -> dict[str, Any]:
    """SupportTicketDetailsProperties' required fields and enums, the service's problem classification, the
    contact profile and the secondary consents the classification asks for."""
    props = (body or {}).get("properties")
    if not isinstance(props, dict):
        raise _error(400, "BadRequest", "properties is required")
    for key in ("title", "description", "serviceId", "problemClassificationId", "severity", "contactDetails"):
        if not props.get(key):
            raise _error(400, "BadRequest", f"properties.{key} is required")
    if props["severity"] not in SEVERITIES:
        raise _error(400, "BadRequest", f"properties.severity must be one of {', '.join(SEVERITIES)}")
    if props.get("advancedDiagnosticConsent") not in CONSENTS:
        raise _error(400, "BadRequest", "properties.advancedDiagnosticConsent is required: Yes or No")
    service = str(props["serviceId"]).rsplit("/", 1)[-1]
    if service not in box.state.problems:
        raise _error(400, "InvalidServiceId", f"service {service} does not exist")
    problem = next((p for p in box.state.problems[service] if p["id"] == props["problemClassificationId"]), None)
    if problem is None:
        raise _error(
            400, "InvalidProblemClassificationId", "the problem classification is not one of the service's (retired?)"
        )
    contact = props["contactDetails"]
    if not isinstance(contact, dict):
        raise _error(400, "BadRequest", "properties.contactDetails must be an object")
    _check_contact(contact, partial=False)
    asked = {c["type"] for c in problem["properties"].get("secondaryConsentEnabled") or []}
    given = props.get("secondaryConsent") or []
    for consent in given:
        if consent.get("type") not in asked or consent.get("userConsent") not in CONSENTS:
            raise _error(400, "InvalidSecondaryConsent", f"secondaryConsent {consent!r} is not asked for or not Yes/No")
    missing = asked - {c.get("type") for c in given}
    if missing:
        raise _error(400, "SecondaryConsentRequired", f"properties.secondaryConsent must answer {sorted(missing)[0]}")
    return props


def _check_contact(contact: dict[str, Any], *, partial: bool) -> None:
    missing = [f for f in CONTACT_FIELDS if not contact.get(f)]
    if missing and not partial:
        raise _error(400, "BadRequest", f"properties.contactDetails.{missing[0]} is required")
    if "preferredContactMethod" in contact and contact["preferredContactMethod"] not in ("email", "phone"):
        raise _error(400, "BadRequest", "contactDetails.preferredContactMethod must be email or phone")
    if "country" in contact and country_alpha3(contact["country"]) != str(contact["country"]).upper():
        raise _error(400, "InvalidCountry", "contactDetails.country must be an ISO 3166-1 alpha-3 code (e.g. JPN)")
    if "preferredTimeZone" in contact and not is_windows_time_zone(str(contact["preferredTimeZone"])):
        raise _error(
            400,
            "InvalidTimeZone",
            "contactDetails.preferredTimeZone must be a Microsoft time zone name (e.g. Tokyo Standard Time)",
        )


# -- communications ----------------------------------------------------------------------------------
def _communications(
    box: Sandbox, subscription: str, name: str, rest: str, comm_name: str | None, method: str, body: Any
) -> tuple[int, Any, dict[str, str]]:
    s = box.state
    if rest == "/checkNameAvailability":
        if method != "POST":
            raise _error(405, "MethodNotAllowed", method)
        wanted = _name_input(body, COMMUNICATION_TYPE)
        return 200, _availability(not _communication_taken(s, name, wanted)), {}
    if method == "GET" and comm_name is None:
        return 200, {"value": s.communications.get(name, [])}, {}
    if method == "GET":
        found = next((c for c in s.communications.get(name, []) if c["name"] == comm_name), None)
        if found is None:
            raise _error(404, "CommunicationNotFound", f"communication {comm_name} not found")
        return 200, found, {}
    if method != "PUT" or not comm_name:
        raise _error(405, "MethodNotAllowed", method)
    if _communication_taken(s, name, comm_name):
        raise _error(409, "Conflict", f"A communication named '{comm_name}' already exists on ticket {name}.")
    props = (body or {}).get("properties") or {}
    if not props.get("subject") or not props.get("body"):
        raise _error(400, "BadRequest", "properties.subject and properties.body are required")
    sender = str(props.get("sender") or "")
    if sender and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", sender):
        raise _error(400, "BadRequest", "properties.sender must be an email address")
    parent = s.tickets[name]["id"]
    # The customer's own message comes back "outbound" (CreateSupportTicketCommunication.json).
    message = {
        "id": f"{parent}/communications/{comm_name}",
        "name": comm_name,
        "type": COMMUNICATION_TYPE,
        "properties": {
            "communicationType": "web",
            "communicationDirection": "outbound",
            "sender": sender,
            "subject": props["subject"],
            "body": props["body"],
            "createdDate": now_iso(),
        },
    }
    if not s.azure_async:
        s.communications.setdefault(name, []).append(message)
        return 200, message, {}
    return _accepted(
        box, subscription, {"kind": "communication", "ticket": name, "name": comm_name, "resource": message}
    )
