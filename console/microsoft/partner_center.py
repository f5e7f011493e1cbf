"""Partner Center REST client: customers, subscriptions (PATCH with ``If-Match``) and service requests.

Headers as the Partner Center REST headers page documents them (learn.microsoft.com/partner-center/developer/
headers): ``MS-Contract-Version`` is required ("usually api-version: v1"), ``MS-RequestId`` makes a call idempotent
(a retry after a timeout carries the same value), ``If-Match`` carries the resource's etag for concurrency control.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from console.microsoft.credentials import PARTNER_CENTER, app_only
from console.microsoft.http import MicrosoftApi, StaleEtag

DEFAULT_URL = "https://api.partnercenter.microsoft.com"
CONTRACT_VERSION = "v1"


def if_match(etag: str) -> str:
    """An etag as an ``If-Match`` value: in double quotes (RFC 9110 entity-tag), unless already quoted or weak."""
    etag = etag.strip()
    if etag.startswith('"') or etag.startswith('W/"'):
        return etag
    return f'"{etag}"'


@dataclass(frozen=True)
class Page:
    """One page of a Partner Center collection and the link to the next (``None`` on the last page)."""

    items: list[dict[str, Any]]
    next: dict[str, Any] | None
    total: int | None = None


class SubscriptionChanged(Exception):
    """The subscription no longer is what the change was based on; nothing was sent. ``current`` is the
    subscription as read."""

    def __init__(self, message: str, current: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.current = dict(current)


#: Called with the subscription as read and the ``MS-RequestId`` of the PATCH about to be sent, before it is sent.
BeforeSend = Callable[[Mapping[str, Any], str], None]


class PartnerCenter(MicrosoftApi):
    name = "Partner Center"
    audience = PARTNER_CENTER

    def extra_headers(self, tenant: str | None) -> dict[str, str]:
        return {"MS-Contract-Version": CONTRACT_VERSION}

    def app_only_token(self) -> bool | None:
        """Whether the desk's Partner Center token is app-only (``None``: it cannot be told)."""
        return app_only(self.credentials.source(self.audience).get())

    # -- paging ----------------------------------------------------------------------------------
    def page(self, link: Mapping[str, Any] | None, first: str, operation: str) -> Page:
        """The page at ``link`` (a ``links.next`` object: ``uri`` plus continuation ``headers``), or the
        first page at ``first`` when ``link`` is ``None``."""
        headers: dict[str, str] = {}
        url = first
        if link:
            uri = str(link.get("uri", ""))
            url = (
                uri
                if uri.startswith(("http://", "https://", "/v1/"))
                else "/v1" + (uri if uri.startswith("/") else "/" + uri)
            )
            self._same_origin(url, operation)
            for header in link.get("headers") or []:
                headers[str(header["key"])] = str(header["value"])
        body = self.request_json("GET", url, operation, headers=headers)
        links = body.get("links") or {}
        return Page(list(body.get("items") or []), links.get("next"), body.get("totalCount"))

    def all_items(self, first: str, operation: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        link: Mapping[str, Any] | None = None
        while True:
            page = self.page(link, first, operation)
            items += page.items
            if not page.next:
                return items
            link = page.next

    # -- customers and subscriptions -----------------------------------------------------------------
    def customers_page(self, link: Mapping[str, Any] | None = None, size: int = 100) -> Page:
        return self.page(link, f"/v1/customers?size={size}", "list customers")

    def customer(self, customer_id: str) -> dict[str, Any]:
        return self.request_json("GET", f"/v1/customers/{customer_id}", f"read customer {customer_id}")

    def subscriptions(self, customer_id: str) -> list[dict[str, Any]]:
        return self.all_items(f"/v1/customers/{customer_id}/subscriptions", f"list subscriptions of {customer_id}")

    def azure_entitlements(self, customer_id: str, subscription_id: str) -> list[dict[str, Any]]:
        """The Azure subscriptions of Azure plan ``subscription_id`` (``GET /v1/customers/{customer-id}/
        subscriptions/{subscription-id}/azureEntitlements``; .NET SDK IAzureEntitlementCollection): each
        entitlement's ``subscriptionId`` is the Azure subscription id."""
        return self.all_items(
            f"/v1/customers/{customer_id}/subscriptions/{subscription_id}/azureEntitlements",
            f"list the Azure subscriptions of plan {subscription_id}",
        )

    def subscription(self, customer_id: str, subscription_id: str) -> dict[str, Any]:
        return self.request_json(
            "GET",
            f"/v1/customers/{customer_id}/subscriptions/{subscription_id}",
            f"read subscription {subscription_id}",
        )

    def update_subscription(
        self,
        customer_id: str,
        subscription_id: str,
        changes: Mapping[str, Any],
        *,
        expected: Mapping[str, Any] | None = None,
        attempts: int = 3,
        current: Mapping[str, Any] | None = None,
        before_send: BeforeSend | None = None,
    ) -> dict[str, Any]:
        """PATCH the full subscription with ``changes`` applied and ``If-Match: "<etag>"``.

        ``current`` is the subscription as just read (read here when not given). On a stale etag (412, or 400
        with code 2055) the subscription is read again, ``expected`` (the values the change was based on)
        checked, and the change re-applied as a new request; :class:`SubscriptionChanged` reports a subscription
        that moved away from ``expected`` (nothing sent), :class:`StaleEtag` one that keeps changing.
        ``before_send`` sees each read and the ``MS-RequestId`` of the PATCH that follows it, before it is sent.
        """
        for attempt in range(1, attempts + 1):
            if current is None:
                current = self.subscription(customer_id, subscription_id)
            different = {k: current.get(k) for k, v in (expected or {}).items() if current.get(k) != v}
            if different:
                raise SubscriptionChanged(
                    f"Partner Center: subscription {subscription_id} changed: "
                    + ", ".join(f"{k} is now {v!r}, expected {expected[k]!r}" for k, v in different.items())  # type: ignore[index]
                    + ". Nothing was sent.",
                    current,
                )
            request_id = str(uuid.uuid4())
            if before_send is not None:
                before_send(current, request_id)
            try:
                return self.send_update(customer_id, subscription_id, current, changes, request_id)
            except StaleEtag:
                if attempt == attempts:
                    raise
                current = None
        raise AssertionError("unreachable")

    def send_update(
        self,
        customer_id: str,
        subscription_id: str,
        current: Mapping[str, Any],
        changes: Mapping[str, Any],
        request_id: str,
    ) -> dict[str, Any]:
        """One PATCH of ``current`` with ``changes`` applied, under ``current``'s etag and ``request_id``.
        Sent again with the same ``request_id`` and the same ``current``, it asks Partner Center whether it
        already carried that request out (the headers page: a retry carries the same ``MS-RequestId``)."""
        etag = str((current.get("attributes") or {}).get("etag", ""))
        return self.request_json(
            "PATCH",
            f"/v1/customers/{customer_id}/subscriptions/{subscription_id}",
            f"update subscription {subscription_id}",
            json={**current, **changes},
            headers={"If-Match": if_match(etag)},
            request_id=request_id,
        )

    # -- the partner's invoices -------------------------------------------------------------------
    def invoices_page(self, link: Mapping[str, Any] | None = None, size: int = 100) -> Page:
        """A page of the partner's own Microsoft invoices (``GET /v1/invoices``)."""
        return self.page(link, f"/v1/invoices?size={size}&offset=0", "list the partner's invoices")

    # -- service requests ------------------------------------------------------------------------
    def service_requests(self, customer_id: str) -> list[dict[str, Any]]:
        return self.all_items(f"/v1/customers/{customer_id}/servicerequests", f"list service requests of {customer_id}")

    def service_request(self, request_id: str) -> dict[str, Any]:
        return self.request_json("GET", f"/v1/servicerequests/{request_id}", f"read service request {request_id}")

    def add_note(self, service_request_id: str, text: str, *, request_id: str | None = None) -> dict[str, Any]:
        """Add a note to a service request; a retry with the same ``request_id`` adds it once."""
        return self.request_json(
            "PATCH",
            f"/v1/servicerequests/{service_request_id}",
            f"add a note to service request {service_request_id}",
            json={"NewNote": {"Text": text}},
            request_id=request_id,
        )


Factory = Callable[[], PartnerCenter]
