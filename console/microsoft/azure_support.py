"""Azure Support API client (``Microsoft.Support``, api-version 2024-04-01), as Microsoft defines it in
Azure/azure-rest-api-specs ``specification/support/resource-manager/Microsoft.Support/stable/2024-04-01/
support.json``:

- ``PUT supportTickets/{name}`` (SupportTickets_Create) "creates a new support ticket": it is **not** a safe
  replay. ``checkNameAvailability`` (SupportTickets_CheckNameAvailability) "should be used to check the
  uniqueness of the name for support ticket creation"; after a lost answer the ticket is looked up by name
  before anything is sent again.
- Create and ``PUT .../communications/{name}`` (Communications_Create) are long-running: 200 with the
  resource, or 202 Accepted, often without a body, with ``Azure-AsyncOperation`` and ``Location`` headers
  (``x-ms-long-running-operation-options: final-state-via: azure-async-operation``). The operation is read
  until its ``status`` is ``Succeeded``, ``Failed`` or ``Canceled`` (learn.microsoft.com, "Track asynchronous
  Azure operations": any other value means still running; ``Retry-After`` says when to look again), then the
  resource itself is read.
- ``PATCH supportTickets/{name}`` (SupportTickets_Update, body UpdateSupportTicket): severity, status
  (``open`` | ``closed``), contact details, consents.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from console.microsoft.credentials import ARM, TokenSource
from console.microsoft.http import AnswerLost, ApiError, MicrosoftApi, NotFound, retry_after_seconds

DEFAULT_URL = "https://management.azure.com"
API_VERSION = "2024-04-01"
SEVERITIES = ("minimal", "moderate", "critical", "highestcriticalimpact")
TICKET_TYPE = "Microsoft.Support/supportTickets"
COMMUNICATION_TYPE = "Microsoft.Support/communications"
#: The terminal states of an Azure asynchronous operation ("Track asynchronous Azure operations").
TERMINAL = ("succeeded", "failed", "canceled")
#: How long an asynchronous operation is followed before the delivery is left for the next run.
POLL_LIMIT_SECONDS = 120.0
#: The wait between two reads of an operation when Microsoft sends no ``Retry-After``.
DEFAULT_POLL_SECONDS = 2.0


class OperationFailed(ApiError):
    """The asynchronous operation ended ``Failed`` or ``Canceled``: Microsoft did not create the resource."""

    @property
    def retryable(self) -> bool:
        return False


class StillCreating(ApiError):
    """The name is taken but the resource cannot be read yet: Microsoft is still creating it (or the answer to
    our create was lost while it did). Nothing is sent again; the next delivery looks again."""

    @property
    def retryable(self) -> bool:
        return True


def body_of(response: httpx.Response) -> dict[str, Any] | None:
    """The JSON object of an answer, or ``None`` for an empty body (a 202 often has none)."""
    if not response.content or not response.content.strip():
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class AzureSupport(MicrosoftApi):
    name = "Azure Support API"
    audience = ARM
    poll_limit = POLL_LIMIT_SECONDS

    def auxiliary(self, tenant: str | None) -> TokenSource | None:
        """In a CSP customer's tenant the primary token is the customer tenant's and the partner tenant's ARM
        token rides along in ``x-ms-authorization-auxiliary`` ("Authenticate requests across tenants")."""
        if self.credentials.is_partner_tenant(tenant):
            return None
        return self.credentials.source(ARM, None)

    def _get(self, url: str, operation: str, tenant: str | None = None) -> dict[str, Any]:
        return body_of(self.request("GET", url, operation, tenant=tenant)) or {}

    def _list(self, path: str, operation: str, tenant: str | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        url: str | None = f"{path}?api-version={API_VERSION}"
        while url:
            self._same_origin(url, operation)
            body = self._get(url, operation, tenant)
            out += [v for v in body.get("value") or [] if isinstance(v, dict)]
            url = body.get("nextLink") or None
        return out

    # -- the catalogue ---------------------------------------------------------------------------
    def services(self) -> list[dict[str, Any]]:
        """``[{id, name, properties: {displayName, resourceTypes}}]`` (Services_List)."""
        return self._list("/providers/Microsoft.Support/services", "list support services")

    def problem_classifications(self, service_name: str) -> list[dict[str, Any]]:
        """``[{id, name, properties: {displayName, secondaryConsentEnabled: [{description, type}]}}]``."""
        return self._list(
            f"/providers/Microsoft.Support/services/{service_name}/problemClassifications",
            f"list problem classifications of service {service_name}",
        )

    # -- support tickets ---------------------------------------------------------------------------
    @staticmethod
    def ticket_path(subscription_id: str, ticket_name: str) -> str:
        return f"/subscriptions/{subscription_id}/providers/Microsoft.Support/supportTickets/{ticket_name}"

    def ticket_name_available(self, subscription_id: str, ticket_name: str, *, tenant: str | None) -> bool:
        """SupportTickets_CheckNameAvailability: whether no ticket of the subscription has this name."""
        return self._name_available(
            f"/subscriptions/{subscription_id}/providers/Microsoft.Support/checkNameAvailability",
            ticket_name,
            TICKET_TYPE,
            f"check the name of support ticket {ticket_name}",
            tenant,
        )

    def communication_name_available(
        self, subscription_id: str, ticket_name: str, name: str, *, tenant: str | None
    ) -> bool:
        """Communications_CheckNameAvailability: whether the ticket has no message of this name."""
        return self._name_available(
            f"{self.ticket_path(subscription_id, ticket_name)}/checkNameAvailability",
            name,
            COMMUNICATION_TYPE,
            f"check the name of message {name} of support ticket {ticket_name}",
            tenant,
        )

    def _name_available(self, path: str, name: str, kind: str, operation: str, tenant: str | None) -> bool:
        body = body_of(
            self.request(
                "POST",
                f"{path}?api-version={API_VERSION}",
                operation,
                json={"name": name, "type": kind},
                tenant=tenant,
            )
        )
        return bool((body or {}).get("nameAvailable"))

    def ticket(self, subscription_id: str, ticket_name: str, *, tenant: str | None) -> dict[str, Any]:
        return self._get(
            f"{self.ticket_path(subscription_id, ticket_name)}?api-version={API_VERSION}",
            f"read support ticket {ticket_name}",
            tenant,
        )

    def find_ticket(self, subscription_id: str, ticket_name: str, *, tenant: str | None) -> dict[str, Any] | None:
        try:
            return self.ticket(subscription_id, ticket_name, tenant=tenant)
        except NotFound:
            return None

    def create_ticket(
        self, subscription_id: str, ticket_name: str, properties: dict[str, Any], *, request_id: str, tenant: str | None
    ) -> dict[str, Any]:
        """Create ticket ``ticket_name`` exactly once, whatever was sent before (by this run or one that died):
        a ticket of that name is looked up first; only a free name is sent, and a lost answer is looked up
        again instead of sent again."""
        url = f"{self.ticket_path(subscription_id, ticket_name)}?api-version={API_VERSION}"
        return self._create_once(
            url,
            f"create support ticket {ticket_name}",
            {"properties": properties},
            request_id=request_id,
            tenant=tenant,
            available=lambda: self.ticket_name_available(subscription_id, ticket_name, tenant=tenant),
            find=lambda: self.find_ticket(subscription_id, ticket_name, tenant=tenant),
        )

    def update_ticket(
        self, subscription_id: str, ticket_name: str, changes: dict[str, Any], *, request_id: str, tenant: str | None
    ) -> dict[str, Any]:
        """SupportTickets_Update: ``changes`` is an UpdateSupportTicket (``severity``, ``status``,
        ``contactDetails``, ...). Setting a value twice leaves it as it is, so a retry is harmless."""
        response = self.request(
            "PATCH",
            f"{self.ticket_path(subscription_id, ticket_name)}?api-version={API_VERSION}",
            f"update support ticket {ticket_name}",
            json=changes,
            request_id=request_id,
            tenant=tenant,
        )
        return body_of(response) or self.ticket(subscription_id, ticket_name, tenant=tenant)

    # -- communications ----------------------------------------------------------------------------
    def communications(self, subscription_id: str, ticket_name: str, *, tenant: str | None) -> list[dict[str, Any]]:
        return self._list(
            f"{self.ticket_path(subscription_id, ticket_name)}/communications",
            f"list communications of support ticket {ticket_name}",
            tenant,
        )

    def find_communication(
        self, subscription_id: str, ticket_name: str, name: str, *, tenant: str | None
    ) -> dict[str, Any] | None:
        try:
            return self._get(
                f"{self.ticket_path(subscription_id, ticket_name)}/communications/{name}?api-version={API_VERSION}",
                f"read message {name} of support ticket {ticket_name}",
                tenant,
            )
        except NotFound:
            return None

    def add_communication(
        self,
        subscription_id: str,
        ticket_name: str,
        name: str,
        subject: str,
        body: str,
        sender: str,
        *,
        request_id: str,
        tenant: str | None,
    ) -> dict[str, Any]:
        """Add message ``name`` to the ticket exactly once (looked up by name, as a ticket is). ``sender`` is
        an email address (CommunicationDetailsProperties.sender: "Email address of the sender")."""
        path = f"{self.ticket_path(subscription_id, ticket_name)}/communications/{name}?api-version={API_VERSION}"
        return self._create_once(
            path,
            f"add message {name} to support ticket {ticket_name}",
            {"properties": {"subject": subject, "body": body, "sender": sender}},
            request_id=request_id,
            tenant=tenant,
            available=lambda: self.communication_name_available(subscription_id, ticket_name, name, tenant=tenant),
            find=lambda: self.find_communication(subscription_id, ticket_name, name, tenant=tenant),
        )

    # -- creating exactly once -----------------------------------------------------------------------
    def _create_once(
        self,
        url: str,
        operation: str,
        payload: dict[str, Any],
        *,
        request_id: str,
        tenant: str | None,
        available: Any,
        find: Any,
    ) -> dict[str, Any]:
        lost: AnswerLost | None = None
        for _ in range(max(1, self.policy.attempts)):
            if not available():
                found = self._look_again(find)
                if found:
                    return found
                raise StillCreating(
                    self.name,
                    operation,
                    "the name is taken but the resource cannot be read yet (Microsoft is still creating it); "
                    "nothing was sent again, the next delivery looks again",
                )
            try:
                response = self.request(
                    "PUT",
                    url,
                    operation,
                    json=payload,
                    request_id=request_id,
                    tenant=tenant,
                    ok=(200, 201, 202),
                    idempotent=False,
                )
            except AnswerLost as exc:
                lost = exc
                found = find()
                if found:
                    return found
                continue  # the lookup says nothing was created: the name is checked and the create sent again
            except ApiError as exc:
                if exc.status != 409:
                    raise
                # Taken between the name check and the PUT (an earlier create Microsoft carried out late): the
                # case exists; it is ours to read, not a refusal.
                found = self._look_again(find)
                if found:
                    return found
                raise StillCreating(
                    self.name, operation, "409: the name was taken meanwhile; the next delivery looks again"
                ) from None
            return self._finish(response, url, operation, tenant, find)
        reason = str(lost).split(": ", 2)[-1] if lost else "no answer"
        raise ApiError(
            self.name,
            operation,
            f"{reason}, after {self.policy.attempts} tries (each looked up first: nothing was created twice)",
            lost.status if lost else None,
            lost.code if lost else "",
        )

    def _look_again(self, find: Any) -> dict[str, Any] | None:
        """A taken name whose resource cannot be read yet: Microsoft may still be creating it; look a few
        times, with the retry policy's backoff, before leaving it for the next delivery."""
        attempts = max(1, self.policy.attempts)
        for attempt in range(1, attempts + 1):
            found = find()
            if found:
                return found
            if attempt < attempts:
                self.sleep(self.policy.backoff(attempt))
        return None

    def _finish(
        self, response: httpx.Response, url: str, operation: str, tenant: str | None, find: Any
    ) -> dict[str, Any]:
        """The created resource: the answer's body (200/201), or the end of the asynchronous operation (202,
        or a 201 that names an operation), then the resource read by name."""
        monitor = response.headers.get("Azure-AsyncOperation") or ""
        location = response.headers.get("Location") or ""
        body = body_of(response)
        if response.status_code != 202 and not monitor and body is not None:
            return body
        if monitor:
            self._follow_operation(monitor, response, operation, tenant)
        elif location:
            self._follow_location(location, response, operation, tenant)
        found = find()
        if found:
            return found
        if body is not None:
            return body
        raise StillCreating(self.name, operation, "the operation ended but the resource cannot be read yet")

    def _wait(self, response: httpx.Response, started: float, operation: str) -> None:
        if time.monotonic() - started > self.poll_limit:
            raise StillCreating(
                self.name, operation, f"still running after {self.poll_limit:g} s; the next delivery looks again"
            )
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        wait = DEFAULT_POLL_SECONDS if asked is None else asked
        self.sleep(min(wait, self.policy.max_retry_after))

    def _follow_operation(self, url: str, first: httpx.Response, operation: str, tenant: str | None) -> None:
        """Read ``Azure-AsyncOperation`` until a terminal status; Failed or Canceled raise OperationFailed."""
        self._same_origin(url, operation)
        started, last = time.monotonic(), first
        while True:
            self._wait(last, started, operation)
            last = self.request("GET", url, f"{operation} (operation status)", tenant=tenant)
            status_body = body_of(last) or {}
            status = str(status_body.get("status") or "")
            if status.casefold() not in TERMINAL:
                continue
            if status.casefold() == "succeeded":
                return
            found = status_body.get("error")
            error: dict[str, Any] = found if isinstance(found, dict) else {}
            detail = ": ".join(str(x) for x in (error.get("code"), error.get("message")) if x)
            raise OperationFailed(
                self.name, operation, f"Microsoft's operation ended {status}" + (f" ({detail})" if detail else "")
            )

    def _follow_location(self, url: str, first: httpx.Response, operation: str, tenant: str | None) -> None:
        """Without ``Azure-AsyncOperation``: the ``Location`` URL answers 202 while running, 200/204 when done."""
        self._same_origin(url, operation)
        started, last = time.monotonic(), first
        while True:
            self._wait(last, started, operation)
            last = self.request("GET", url, f"{operation} (operation result)", tenant=tenant)
            if last.status_code != 202:
                return
