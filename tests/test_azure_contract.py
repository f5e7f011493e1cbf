"""Evidence from Microsoft's side for the Azure Support API: every body our client sends is checked against
``azure-mgmt-support`` (Microsoft's SDK generated from Azure/azure-rest-api-specs Microsoft.Support 2024-04-01),
every body the sandbox answers is read with the same models, and the spec's own example payloads
(tests/fixtures/azure_support/, sources in SOURCES.md there) are read by the console's client code.

The SDK's models carry the definition: ``_attribute_map`` (the wire names, flattened ``properties.*``, the
types), ``_validation`` (``required``, ``readonly``) and, in each class's docstring, the enum of an attribute
(``:vartype severity: str or ~azure.mgmt.support.models.SeverityLevel``). :func:`refusals` applies them all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.support import models

from console.desk.door import Desk
from console.escalation.courier import Courier
from console.microsoft.azure_support import body_of
from console.microsoft.connect import connect
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from tests.conftest import NOW

FIXTURES = Path(__file__).parent / "fixtures" / "azure_support"
AGENT = "aiko.tanaka"


def example(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# -- the definition, from the SDK's models ----------------------------------------------------------
def _enum_of(cls: type, attr: str) -> type[Enum] | None:
    found = re.search(rf":vartype {attr}: str or ~azure\.mgmt\.support\.models\.(\w+)", cls.__doc__ or "")
    return getattr(models, found.group(1)) if found else None


def _split(key: str) -> list[str]:
    return [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", key)]


def _value_refusals(cls: type, attr: str, value: Any, name: str, *, request: bool) -> list[str]:
    """What the definition refuses in one attribute's value (``None`` when the body has none)."""
    rules = cls._validation.get(attr, {})  # type: ignore[attr-defined]
    if value is None:
        return [f"{name}: required by {cls.__name__}"] if rules.get("required") else []
    out = []
    if request and rules.get("readonly"):
        out.append(f"{name}: read-only in {cls.__name__}, never sent")
    enum = _enum_of(cls, attr)
    if enum is not None and value not in {e.value for e in enum}:
        out.append(f"{name}: {value!r} is not one of {enum.__name__} {[e.value for e in enum]}")
    kind = cls._attribute_map[attr]["type"]  # type: ignore[attr-defined]
    inner = getattr(models, kind.strip("[]"), None)
    if isinstance(inner, type) and hasattr(inner, "_attribute_map"):
        items = value if kind.startswith("[") else [value]
        for n, item in enumerate(items if isinstance(items, list) else [items]):
            at = f"{name}[{n}]." if kind.startswith("[") else f"{name}."
            out += refusals(inner, item, request=request, where=at)
    return out


def refusals(cls: type, body: Any, *, request: bool, where: str = "") -> list[str]:
    """What the definition refuses in ``body`` for model ``cls``: unknown keys, missing required values,
    read-only values in a request, enum values the SDK does not list, and a body the SDK cannot read."""
    if not isinstance(body, dict):
        return [f"{where or cls.__name__}: not an object"]
    out: list[str] = []
    attribute_map: dict[str, dict[str, str]] = cls._attribute_map  # type: ignore[attr-defined]
    known: dict[tuple[str, ...], str] = {tuple(_split(d["key"])): a for a, d in attribute_map.items()}
    prefixes = {path[:i] for path in known for i in range(1, len(path))}

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        for key, value in node.items():
            here = (*path, key)
            if here in known:
                continue
            if here in prefixes and isinstance(value, dict):
                walk(value, here)
            else:
                out.append(f"{where}{'.'.join(here)}: not in {cls.__name__}")

    walk(body, ())
    for path, attr in known.items():
        value: Any = body
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        out += _value_refusals(cls, attr, value, f"{where}{'.'.join(path)}", request=request)
    if not where:
        try:
            cls.deserialize(body)  # type: ignore[attr-defined]
        except Exception as exc:
            out.append(f"{cls.__name__} cannot read it: {exc}")
    return out


# -- the checker itself refuses what the definition refuses -----------------------------------------
def test_the_checker_accepts_microsofts_examples_and_refuses_bad_bodies() -> None:
    create = example("CreateTechnicalSupportTicketForSubscription.json")["parameters"]["createSupportTicketParameters"]
    assert refusals(models.SupportTicketDetails, create, request=True) == []
    bad = json.loads(json.dumps(create))
    del bad["properties"]["advancedDiagnosticConsent"]
    bad["properties"]["severity"] = "urgent"
    bad["properties"]["status"] = "Open"
    bad["properties"]["contactDetails"]["preferredContactMethod"] = "fax"
    bad["properties"]["customerCollections"] = "dunning"
    found = "\n".join(refusals(models.SupportTicketDetails, bad, request=True))
    assert "properties.advancedDiagnosticConsent: required" in found
    assert "'urgent' is not one of SeverityLevel" in found
    assert "properties.status: read-only" in found
    assert "'fax' is not one of PreferredContactMethod" in found
    assert "properties.customerCollections: not in SupportTicketDetails" in found
    assert refusals(models.CheckNameAvailabilityInput, {"name": "x", "type": "tickets"}, request=True)
    assert refusals(models.CommunicationDetails, {"properties": {"subject": "s"}}, request=True)


# -- what our client sends and what the sandbox answers ------------------------------------------------
REQUEST_MODELS: list[tuple[str, str, type]] = [
    ("POST", r"/checkNameAvailability$", models.CheckNameAvailabilityInput),
    ("PUT", r"/supportTickets/[^/]+/communications/[^/]+$", models.CommunicationDetails),
    ("PUT", r"/supportTickets/[^/]+$", models.SupportTicketDetails),
    ("PATCH", r"/supportTickets/[^/]+$", models.UpdateSupportTicket),
]
RESPONSE_MODELS: list[tuple[str, str, type]] = [
    ("POST", r"/checkNameAvailability$", models.CheckNameAvailabilityOutput),
    ("GET", r"/providers/Microsoft\.Support/services$", models.ServicesListResult),
    ("GET", r"/problemClassifications$", models.ProblemClassificationsListResult),
    ("GET", r"/communications$", models.CommunicationsListResult),
    ("GET", r"/communications/[^/]+$", models.CommunicationDetails),
    ("PUT", r"/communications/[^/]+$", models.CommunicationDetails),
    ("GET", r"/supportTickets/[^/]+$", models.SupportTicketDetails),
    ("PUT", r"/supportTickets/[^/]+$", models.SupportTicketDetails),
    ("PATCH", r"/supportTickets/[^/]+$", models.SupportTicketDetails),
    ("GET", r"/operationResults/[^/]+$", models.SupportTicketDetails),
]


def model_for(table: list[tuple[str, str, type]], method: str, path: str) -> type | None:
    path = path.split("?", 1)[0]
    return next((cls for m, pattern, cls in table if m == method and re.search(pattern, path)), None)


@pytest.fixture
def desk(sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path) -> Iterator[Desk]:
    path = tmp_path / "config.toml"
    write_demo_config(path)
    d = Desk(demo_ws, load_config(path), load_plugins(), AGENT, lambda: NOW)
    yield d
    d.close()


def azure_ticket(ws: Workspace) -> str:
    row = ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND service = 'azure' AND category = 'technical' "
        "AND status != 'waiting_microsoft' AND title LIKE 'Production VMs%' ORDER BY seq LIMIT 1"
    ).fetchone()
    return str(row[0])


def test_every_request_body_we_send_is_one_the_definition_accepts(sandbox: Sandbox, desk: Desk) -> None:
    ticket_id = azure_ticket(desk.ws)
    draft = desk.escalation_draft(ticket_id, "advanced")
    service = next(s for s in desk.escalation_services() if s["displayName"] == "Azure Databricks")
    draft.service_id = service["id"]
    draft.problem_classification_id = next(
        p["id"] for p in desk.escalation_problems(service["id"]) if p["details"].get("secondaryConsentEnabled")
    )
    draft.secondary_consent = True
    stored = desk.escalate(draft)
    assert desk.microsoft_sync(poll=False).delivered
    desk.message_microsoft(stored["id"], "The cluster logs are attached to our ticket.")
    desk.classify(desk.ws.tickets.ticket(ticket_id), severity="moderate")  # type: ignore[arg-type]
    desk.set_status(ticket_id, "resolved", "fixed_by_microsoft")
    report = desk.microsoft_sync(poll=False)
    assert len(report.delivered) == 3 and report.ok, report  # the note, the severity, the close

    sent = [r for r in sandbox.state.requests if "/providers/Microsoft.Support/" in r["path"] and r["body"]]
    checked = {"POST": 0, "PUT": 0, "PATCH": 0}
    for r in sent:
        cls = model_for(REQUEST_MODELS, r["method"], r["path"])
        assert cls is not None, r["path"]
        assert refusals(cls, r["body"], request=True) == [], (r["method"], r["path"], r["body"])
        checked[r["method"]] += 1
    assert checked["POST"] >= 2 and checked["PUT"] == 2 and checked["PATCH"] == 2
    create = next(r["body"] for r in sent if r["method"] == "PUT" and "/communications/" not in r["path"])
    props = create["properties"]
    assert props["secondaryConsent"] == [{"userConsent": "Yes", "type": "DatabricksConsent"}]
    assert props["advancedDiagnosticConsent"] == "No"
    assert props["contactDetails"]["country"] == "JPN"
    assert props["contactDetails"]["preferredTimeZone"] == "Tokyo Standard Time"
    assert f"Azure subscription: {draft.azure_subscription_id}" in props["description"]
    patches = [r["body"] for r in sent if r["method"] == "PATCH"]
    assert patches == [{"severity": "moderate"}, {"status": "closed"}]
    (ticket,) = sandbox.state.tickets.values()
    assert ticket["properties"]["severity"] == "moderate" and ticket["properties"]["status"] == "Closed"


def test_a_request_the_definition_refuses_is_caught(sandbox: Sandbox, desk: Desk) -> None:
    """The same check fails on a body the definition refuses (a read-only status, an unknown severity)."""
    ticket_id = azure_ticket(desk.ws)
    stored = desk.escalate(desk.escalation_draft(ticket_id, "advanced"))
    desk.microsoft_sync(poll=False)
    clients = connect(desk.config.microsoft)
    try:
        clients.azure.request(
            "PATCH",
            f"{clients.azure.ticket_path(stored['azureSubscriptionId'], stored['ticketName'])}?api-version=2024-04-01",
            "bad update",
            json={"severity": "urgent", "supportTicketId": "1"},
            tenant=desk.ws.escalations.escalation(stored["id"])["customerTenantId"],  # type: ignore[index]
            ok=(200, 400),
        )
    finally:
        clients.close()
    bad = next(r for r in sandbox.state.requests if r["method"] == "PATCH")
    found = refusals(models.UpdateSupportTicket, bad["body"], request=True)
    assert any("'urgent' is not one of SeverityLevel" in f for f in found)
    assert any("supportTicketId: not in UpdateSupportTicket" in f for f in found)


def test_every_answer_of_the_sandbox_is_readable_by_the_models(sandbox: Sandbox, desk: Desk) -> None:
    test_every_request_body_we_send_is_one_the_definition_accepts(sandbox, desk)
    desk.microsoft_sync()  # polls too: GET ticket, GET communications
    answered = 0
    for r in sandbox.state.requests:
        if "/providers/Microsoft.Support/" not in r["path"] or r.get("answer") is None:
            continue
        status = r.get("status", 0)
        if status >= 400:
            assert refusals(models.ErrorResponse, r["answer"], request=False) == [], r
            continue
        if "/operationsStatus/" in r["path"]:
            # ARM's operation resource ("Track asynchronous Azure operations"): no SDK model; its status is one
            # of the documented values or a provider's own "still running" value.
            assert r["answer"]["status"] in ("InProgress", "Succeeded", "Failed", "Canceled"), r
            continue
        cls = model_for(RESPONSE_MODELS, r["method"], r["path"])
        assert cls is not None, r["path"]
        assert refusals(cls, r["answer"], request=False) == [], (r["path"], r["answer"])
        answered += 1
    assert answered >= 8
    creates = [r for r in sandbox.state.requests if r["method"] == "PUT"]
    assert all(r["status"] == 202 and r["answer"] is None for r in creates)  # 202 without a body, as documented


# -- Microsoft's examples, read by our client code ------------------------------------------------------
def test_microsofts_example_answers_are_readable_by_the_models() -> None:
    for name, cls in (
        ("CreateTechnicalSupportTicketForSubscription.json", models.SupportTicketDetails),
        ("CreateSupportTicketCommunication.json", models.CommunicationDetails),
        ("CheckNameAvailabilityWithSubscription.json", models.CheckNameAvailabilityOutput),
        ("UpdateSeverityOfSupportTicketForSubscription.json", models.SupportTicketDetails),
        ("UpdateStatusOfSupportTicketForSubscription.json", models.SupportTicketDetails),
        ("UpdateContactDetailsOfSupportTicketForSubscription.json", models.SupportTicketDetails),
        ("GetSubscriptionSupportTicketDetails.json", models.SupportTicketDetails),
        ("ListServices.json", models.ServicesListResult),
        ("ListProblemClassifications.json", models.ProblemClassificationsListResult),
        ("ListCommunicationsForSubscriptionSupportTicket.json", models.CommunicationsListResult),
        ("GetCommunicationDetailsForSubscriptionSupportTicket.json", models.CommunicationDetails),
    ):
        assert refusals(cls, example(name)["responses"]["200"]["body"], request=False) == [], name
    for name in (
        "UpdateSeverityOfSupportTicketForSubscription.json",
        "UpdateStatusOfSupportTicketForSubscription.json",
    ):
        body = example(name)["parameters"]["updateSupportTicket"]
        assert refusals(models.UpdateSupportTicket, body, request=True) == [], name


def test_microsofts_examples_are_read_by_the_courier(sandbox: Sandbox, desk: Desk) -> None:
    """The sandbox serves the spec's example bodies verbatim; the courier reads the catalogue (with the
    secondary consent), a ticket's status and its messages from them."""
    s = sandbox.state
    # A case already open at Microsoft, as GetSubscriptionSupportTicketDetails.json shows it.
    ticket_id = azure_ticket(desk.ws)
    stored = desk.escalate(desk.escalation_draft(ticket_id, "advanced"))
    name, sub = stored["ticketName"], stored["azureSubscriptionId"]
    s.azure_async = False
    desk.microsoft_sync(poll=False)
    shown = example("GetSubscriptionSupportTicketDetails.json")["responses"]["200"]["body"]
    shown["id"] = f"/subscriptions/{sub}/providers/Microsoft.Support/supportTickets/{name}"
    s.tickets[name] = shown
    s.communications[name] = example("ListCommunicationsForSubscriptionSupportTicket.json")["responses"]["200"]["body"][
        "value"
    ]
    s.services = example("ListServices.json")["responses"]["200"]["body"]["value"]
    s.problems = {"service_guid_6": example("ListProblemClassifications.json")["responses"]["200"]["body"]["value"]}
    courier = Courier(desk.ws, desk.clients, lambda: NOW)
    services = courier.services(refresh=True)
    assert [x["displayName"] for x in services][:2] == ["Billing", "Data Explorer"]  # sorted by name
    problems = courier.problems("service_guid_6")
    assert len(problems) == 4
    assert problems[0]["details"]["secondaryConsentEnabled"][0]["type"] == "DatabricksConsent"

    report = courier.poll()
    assert report.ok, report
    esc = desk.ws.escalations.escalation(stored["id"])
    assert esc is not None and esc["microsoftState"] == "Open"
    copied = [e["text"] for e in desk.details(ticket_id).timeline if e["kind"] == "microsoft"]
    assert "this is a test message" not in copied  # "outbound": the customer side's own messages
    closed = example("UpdateStatusOfSupportTicketForSubscription.json")["responses"]["200"]["body"]
    shown["properties"]["status"] = closed["properties"]["status"]
    courier.poll()
    assert desk.ws.escalations.escalation(stored["id"])["state"] == "closed"  # type: ignore[index]


def test_an_empty_202_is_never_parsed_as_json() -> None:
    import httpx

    assert body_of(httpx.Response(202, content=b"")) is None
    assert body_of(httpx.Response(202, content=b"  ")) is None
    assert body_of(httpx.Response(200, json={"nameAvailable": True})) == {"nameAvailable": True}
