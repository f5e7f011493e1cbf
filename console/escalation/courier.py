"""Delivering the escalation outbox to Microsoft and bringing Microsoft's answers back.

Delivery is exactly-once by construction: every outbox row carries the Azure ticket (or message) name and
the ``MS-RequestId`` it was written with. Creating a ticket or a message is not a safe replay (the Azure
Support API's PUT "creates a new support ticket"), so the client checks the name first
(``checkNameAvailability``) and looks a taken name up instead of sending again (see
:mod:`console.microsoft.azure_support`). A row is marked delivered only after Microsoft said so; a process
killed at any point leaves it pending, and the next run finds what was already created.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from console.microsoft.connect import Clients
from console.microsoft.credentials import MissingToken
from console.microsoft.http import ApiError
from console.plugin_api import DELIVERY_AZURE_API
from console.shared.clock import parse_iso, to_iso
from console.shared.model import SERVICE_REQUEST_STATUS_FROM_INT, from_code
from console.store import Workspace

SYNC_AGENT = "microsoft-sync"
#: The Services and ProblemClassifications lists are read again when older than this (support.json:
#: "Always call the Services and ProblemClassifications API to get the most recent set").
CATALOG_MAX_AGE = timedelta(days=1)


def refused_classification(exc: ApiError) -> bool:
    """Microsoft refused the create for its service or problem classification (unknown or retired)."""
    text = f"{exc.code} {exc}".casefold()
    return exc.status in (400, 404) and ("problemclassification" in text or "serviceid" in text)


@dataclass
class CourierReport:
    delivered: list[str] = field(default_factory=list)  # "escalation 3: case 2611..."
    pending: list[str] = field(default_factory=list)  # will be tried again
    failed: list[str] = field(default_factory=list)  # gave up: the agent must act
    updates: int = 0  # new timeline events from Microsoft
    polled: int = 0
    poll_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.pending or self.failed or self.poll_errors)


def retry_delay(attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
    """When the background delivery tries again: 30 s, 1, 2, 4 … minutes, up to an hour, each moved at
    random by up to a fifth either way (:func:`console.background.leases.jittered`), so that the deliveries one outage
    held back do not all go again at the same moment."""
    from console.background.leases import jittered

    return timedelta(seconds=round(jittered(min(3600, 30 * 2 ** max(0, attempts)), rng=rng)))


class Courier:
    def __init__(
        self,
        ws: Workspace,
        clients: Clients,
        clock: Callable[[], datetime],
        agent: str = SYNC_AGENT,
        keep_alive: Callable[[], bool] | None = None,
    ) -> None:
        self.ws = ws
        self.clients = clients
        self.clock = clock
        self.agent = agent
        # Called before each delivery and each case read: renews the workspace's Microsoft lease; False means
        # another process took it over (this round ran too long), so the round stops: one poller at a time.
        self.keep_alive = keep_alive or (lambda: True)

    # -- the catalogue -------------------------------------------------------------------------
    def _stale(self, rows: list[dict[str, Any]]) -> bool:
        if not rows:
            return True
        oldest = min(parse_iso(r["fetchedDate"]) for r in rows)
        return self.clock() - oldest > CATALOG_MAX_AGE

    def services(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        """The support services, from the workspace while less than a day old, else read again; when Microsoft
        cannot be reached a stale list is used (the outbox still queues the case; a refused classification
        forces the re-read), an empty one is the error."""
        cached = self.ws.microsoft.catalog("service")
        if not (refresh or self._stale(cached)):
            return cached
        try:
            return self.refresh_services()
        except (ApiError, MissingToken):
            if cached and not refresh:
                return cached
            raise

    def refresh_services(self) -> list[dict[str, Any]]:
        rows = [
            {
                "id": str(s["id"]),
                "name": str(s.get("name") or str(s["id"]).rsplit("/", 1)[-1]),
                "displayName": str((s.get("properties") or {}).get("displayName") or s.get("name") or s["id"]),
            }
            for s in self.clients.azure.services()
            if s.get("id")
        ]
        self.ws.microsoft.replace_catalog("service", None, rows, to_iso(self.clock()))
        return self.ws.microsoft.catalog("service")

    def problems(self, service_name: str, *, refresh: bool = False) -> list[dict[str, Any]]:
        cached = self.ws.microsoft.catalog("problem", service_name)
        if cached and not refresh and not self._stale(cached):
            return cached
        try:
            listed = self.clients.azure.problem_classifications(service_name)
        except (ApiError, MissingToken):
            if cached and not refresh:  # stale but known: the case can still be queued while Microsoft is away
                return cached
            raise
        rows = []
        for p in listed:
            if not p.get("id"):
                continue
            props = p.get("properties") or {}
            consents = [c for c in props.get("secondaryConsentEnabled") or [] if isinstance(c, dict)]
            rows.append(
                {
                    "id": str(p["id"]),
                    "name": str(p.get("name") or str(p["id"]).rsplit("/", 1)[-1]),
                    "displayName": str(props.get("displayName") or p.get("name") or p["id"]),
                    "details": {"secondaryConsentEnabled": consents} if consents else {},
                }
            )
        self.ws.microsoft.replace_catalog("problem", service_name, rows, to_iso(self.clock()))
        return self.ws.microsoft.catalog("problem", service_name)

    def _refresh_after_refusal(self, item: dict[str, Any]) -> str:
        """A create refused for its service or problem classification: read both lists again (so a retired
        classification is gone from the form) and tell the agent to choose again."""
        service_id = str(item["payload"].get("serviceId") or "")
        try:
            services = self.refresh_services()
            service = next((s for s in services if s["id"] == service_id), None)
            if service is not None:
                self.problems(service["name"], refresh=True)
        except (ApiError, MissingToken) as exc:
            return f" (the service list could not be read again: {exc})"
        return (
            "; the service and problem lists were read again: escalate again and choose a current problem "
            "classification"
        )

    # -- delivery ------------------------------------------------------------------------------
    def deliver(self, *, force: bool = False) -> CourierReport:
        """Deliver every pending outbox row (due ones only, unless ``force``), oldest first."""
        report = CourierReport()
        now = self.clock()
        horizon = "9999-12-31T23:59:59Z" if force else to_iso(now)
        for item in self.ws.outbox.due_outbox(horizon, limit=500):
            label = f"escalation {item['escalationId']} ({item['kind']} {item['name']})"
            if not self.keep_alive():
                report.pending.append(f"{label}: left to the process that took over the Microsoft lease")
                break
            try:
                case_id, state = self._send(item)
            except MissingToken as exc:
                self.ws.outbox.outbox_failed(
                    item["id"], str(exc), to_iso(now + retry_delay(item["attempts"])), permanent=False
                )
                report.pending.append(f"{label}: {exc}")
                break  # no token: every other delivery would fail the same way
            except ApiError as exc:
                hint = (
                    self._refresh_after_refusal(item)
                    if item["kind"] == "create" and refused_classification(exc)
                    else ""
                )
                permanent = bool(hint) or not exc.retryable
                next_at = None if permanent else to_iso(now + retry_delay(item["attempts"]))
                self.ws.outbox.outbox_failed(item["id"], f"{exc}{hint}", next_at, permanent=permanent)
                (report.failed if permanent else report.pending).append(f"{label}: {exc}{hint}")
                continue
            if item["kind"] == "create":
                text = f"Microsoft opened case {case_id} (Azure support ticket {item['name']}, {state})"
            elif item["kind"] == "update":
                changed = ", ".join(f"{k} {v}" for k, v in item["payload"].items())
                text = f"Microsoft case {item['microsoftCaseId']} updated: {changed}"
            else:
                text = f"Message delivered to Microsoft case {item['microsoftCaseId']}"
            if self.ws.outbox.outbox_delivered(
                item["id"], case_id=case_id, microsoft_state=state, agent=self.agent, event_text=text
            ):
                report.delivered.append(f"{label}: {text}")
        return report

    def _send(self, item: dict[str, Any]) -> tuple[str | None, str | None]:
        payload = item["payload"]
        azure = self.clients.azure
        if item["kind"] == "create":
            ticket = azure.create_ticket(
                item["azureSubscriptionId"],
                item["name"],
                payload,
                request_id=item["requestId"],
                tenant=item["customerTenantId"],
            )
            props = ticket.get("properties") or {}
            return str(props.get("supportTicketId") or ""), props.get("status")
        if item["kind"] == "update":
            ticket = azure.update_ticket(
                item["azureSubscriptionId"],
                item["ticketName"],
                payload,
                request_id=item["requestId"],
                tenant=item["customerTenantId"],
            )
            return None, (ticket.get("properties") or {}).get("status")
        if item["delivery"] == DELIVERY_AZURE_API:
            azure.add_communication(
                item["azureSubscriptionId"],
                item["ticketName"],
                item["name"],
                payload["subject"],
                payload["text"],
                payload["sender"],
                request_id=item["requestId"],
                tenant=item["customerTenantId"],
            )
            self.ws.escalations.mark_messages_seen(item["escalationId"], [f"comm:{item['name']}"])
        else:
            self.clients.partner_center.add_note(item["microsoftCaseId"], payload["text"], request_id=item["requestId"])
            # Partner Center lists our own note among the case's notes: do not copy it back as Microsoft's.
            self.ws.escalations.mark_messages_seen(item["escalationId"], [note_key(payload["text"])])
        return None, None

    # -- polling -------------------------------------------------------------------------------
    def poll(self) -> CourierReport:
        """Read every open case at Microsoft; copy new messages and state changes onto the tickets."""
        report = CourierReport()
        for esc in self.ws.escalations.escalations(states=("open",)):
            if not esc["microsoftCaseId"]:
                continue
            if not self.keep_alive():
                report.poll_errors.append("the Microsoft lease was taken over: the other process reads the rest")
                break
            try:
                if esc["delivery"] == DELIVERY_AZURE_API:
                    state, closed, messages = self._azure_case(esc)
                else:
                    state, closed, messages = self._partner_center_case(esc)
            except MissingToken as exc:
                report.poll_errors.append(str(exc))
                break
            except ApiError as exc:
                self.ws.escalations.poll_failed(esc["id"], str(exc))
                report.poll_errors.append(f"escalation {esc['id']} (case {esc['microsoftCaseId']}): {exc}")
                continue
            report.polled += 1
            report.updates += self.ws.escalations.record_microsoft_update(
                esc["id"], microsoft_state=state, closed=closed, messages=messages, agent=self.agent
            )
        return report

    def _azure_case(self, esc: dict[str, Any]) -> tuple[str, bool, list[dict[str, str]]]:
        azure = self.clients.azure
        tenant = esc["customerTenantId"]
        ticket = azure.ticket(esc["azureSubscriptionId"], esc["ticketName"], tenant=tenant)
        status = str((ticket.get("properties") or {}).get("status") or "")
        messages = []
        for c in azure.communications(esc["azureSubscriptionId"], esc["ticketName"], tenant=tenant):
            props = c.get("properties") or {}
            # Our own messages: in the spec's examples (CreateSupportTicketCommunication.json,
            # ListCommunicationsForSubscriptionSupportTicket.json) the customer's messages come back
            # "outbound"; Microsoft's engineers' are "inbound". The names we sent are also marked seen.
            if props.get("communicationDirection") == "outbound":
                continue
            subject, body = str(props.get("subject") or ""), str(props.get("body") or "")
            messages.append(
                {
                    "key": f"comm:{c.get('name')}",
                    "author": str(props.get("sender") or "Microsoft Support"),
                    "createdDate": str(props.get("createdDate") or "") or None,
                    "text": f"{subject}\n{body}" if subject and subject not in body else body,
                }
            )
        return status, status.casefold() == "closed", messages  # type: ignore[return-value]

    def _partner_center_case(self, esc: dict[str, Any]) -> tuple[str, bool, list[dict[str, str]]]:
        sr = self.clients.partner_center.service_request(esc["microsoftCaseId"])
        status = from_code(sr.get("status"), SERVICE_REQUEST_STATUS_FROM_INT) or ""
        messages = [
            {
                "key": note_key(str(n.get("text") or "")),
                "author": str(n.get("createdByName") or "Microsoft"),
                "createdDate": str(n.get("createdDate") or "") or None,
                "text": str(n.get("text") or ""),
            }
            for n in sr.get("notes") or []
            if n.get("text")
        ]
        return status, status == "closed", messages  # type: ignore[return-value]

    def run(self, *, force: bool = False) -> CourierReport:
        """Deliver, then poll: what ``csp-console escalations sync`` and the console's background loop do."""
        report = self.deliver(force=force)
        polled = self.poll()
        report.updates, report.polled, report.poll_errors = polled.updates, polled.polled, polled.poll_errors
        return report


def note_key(text: str) -> str:
    return "note:" + hashlib.sha1(text.strip().encode()).hexdigest()[:20]
