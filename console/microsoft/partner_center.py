"""Partner Center REST client: customers, subscriptions (PATCH with ``If-Match``) and service requests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from console.microsoft.http import MicrosoftApi, StaleEtag

DEFAULT_URL = "https://api.partnercenter.microsoft.com"


@dataclass(frozen=True)
class Page:
    """One page of a Partner Center collection and the link to the next (``None`` on the last page)."""

    items: list[dict[str, Any]]
    next: dict[str, Any] | None
    total: int | None = None


class SubscriptionChanged(Exception):
    """The subscription no longer is what the change was based on; nothing was sent."""


class PartnerCenter(MicrosoftApi):
    name = "Partner Center"

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
            for header in link.get("headers") or []:
                headers[str(header["key"])] = str(header["value"])
        body = self.request("GET", url, operation, headers=headers).json()
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
        return self.request("GET", f"/v1/customers/{customer_id}", f"read customer {customer_id}").json()

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
        return self.request(
            "GET",
            f"/v1/customers/{customer_id}/subscriptions/{subscription_id}",
            f"read subscription {subscription_id}",
        ).json()

    def update_subscription(
        self,
        customer_id: str,
        subscription_id: str,
        changes: Mapping[str, Any],
        *,
        expected: Mapping[str, Any] | None = None,
        attempts: int = 3,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """PATCH the full subscription with ``changes`` applied and ``If-Match: <etag>``.

        On 412 (someone changed it meanwhile) the subscription is read again, ``expected`` (the values the
        change was based on) checked, and the change re-applied; :class:`SubscriptionChanged` reports a
        subscription that moved away from ``expected``, :class:`StaleEtag` one that keeps changing.
        """
        operation = f"update subscription {subscription_id}"
        for attempt in range(1, attempts + 1):
            current = self.subscription(customer_id, subscription_id)
            different = {k: current.get(k) for k, v in (expected or {}).items() if current.get(k) != v}
            if different:
                raise SubscriptionChanged(
                    f"Partner Center: subscription {subscription_id} changed: "
                    + ", ".join(f"{k} is now {v!r}, expected {expected[k]!r}" for k, v in different.items())  # type: ignore[index]
                    + ". Nothing was sent."
                )
            etag = str((current.get("attributes") or {}).get("etag", ""))
            try:
                return self.request(
                    "PATCH",
                    f"/v1/customers/{customer_id}/subscriptions/{subscription_id}",
                    operation,
                    json={**current, **changes},
                    headers={"If-Match": etag},
                    request_id=request_id,
                ).json()
            except StaleEtag:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    # -- the partner's invoices -------------------------------------------------------------------
    def invoices_page(self, link: Mapping[str, Any] | None = None, size: int = 100) -> Page:
        """A page of the partner's own Microsoft invoices (``GET /v1/invoices``)."""
        return self.page(link, f"/v1/invoices?size={size}&offset=0", "list the partner's invoices")

    # -- service requests ------------------------------------------------------------------------
    def service_requests(self, customer_id: str) -> list[dict[str, Any]]:
        return self.all_items(f"/v1/customers/{customer_id}/servicerequests", f"list service requests of {customer_id}")

    def service_request(self, request_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/servicerequests/{request_id}", f"read service request {request_id}").json()

    def add_note(self, service_request_id: str, text: str, *, request_id: str | None = None) -> dict[str, Any]:
        """Add a note to a service request; a retry with the same ``request_id`` adds it once."""
        return self.request(
            "PATCH",
            f"/v1/servicerequests/{service_request_id}",
            f"add a note to service request {service_request_id}",
            json={"NewNote": {"Text": text}},
            request_id=request_id,
        ).json()


Factory = Callable[[], PartnerCenter]
