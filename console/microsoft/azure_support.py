"""Azure Support API client: the services and problem classifications lists, support tickets (an
idempotent PUT by ticket name) and their communications."""

from __future__ import annotations

from typing import Any

from console.microsoft.credentials import ARM, TokenSource
from console.microsoft.http import MicrosoftApi

DEFAULT_URL = "https://management.azure.com"
API_VERSION = "2024-04-01"
SEVERITIES = ("minimal", "moderate", "critical", "highestcriticalimpact")


class AzureSupport(MicrosoftApi):
    name = "Azure Support API"
    audience = ARM

    def auxiliary(self, tenant: str | None) -> TokenSource | None:
        """In a CSP customer's tenant the primary token is the customer tenant's and the partner tenant's ARM
        token rides along in ``x-ms-authorization-auxiliary`` ("Authenticate requests across tenants")."""
        if tenant is None or tenant == self.credentials.partner_tenant:
            return None
        return self.credentials.source(ARM, None)

    def _list(self, path: str, operation: str, tenant: str | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        url: str | None = f"{path}?api-version={API_VERSION}"
        while url:
            body = self.request("GET", url, operation, tenant=tenant).json()
            out += body.get("value") or []
            url = body.get("nextLink")
        return out

    def services(self) -> list[dict[str, Any]]:
        """``[{id, name, properties: {displayName, resourceTypes}}]``."""
        return self._list("/providers/Microsoft.Support/services", "list support services")

    def problem_classifications(self, service_name: str) -> list[dict[str, Any]]:
        return self._list(
            f"/providers/Microsoft.Support/services/{service_name}/problemClassifications",
            f"list problem classifications of service {service_name}",
        )

    @staticmethod
    def ticket_path(subscription_id: str, ticket_name: str) -> str:
        return f"/subscriptions/{subscription_id}/providers/Microsoft.Support/supportTickets/{ticket_name}"

    def create_ticket(
        self, subscription_id: str, ticket_name: str, properties: dict[str, Any], *, request_id: str, tenant: str | None
    ) -> dict[str, Any]:
        """Create the ticket ``ticket_name``; the same name again returns the same ticket (idempotent)."""
        return self.request(
            "PUT",
            f"{self.ticket_path(subscription_id, ticket_name)}?api-version={API_VERSION}",
            f"create support ticket {ticket_name}",
            json={"properties": properties},
            request_id=request_id,
            tenant=tenant,
        ).json()

    def ticket(self, subscription_id: str, ticket_name: str, *, tenant: str | None) -> dict[str, Any]:
        return self.request(
            "GET",
            f"{self.ticket_path(subscription_id, ticket_name)}?api-version={API_VERSION}",
            f"read support ticket {ticket_name}",
            tenant=tenant,
        ).json()

    def communications(self, subscription_id: str, ticket_name: str, *, tenant: str | None) -> list[dict[str, Any]]:
        return self._list(
            f"{self.ticket_path(subscription_id, ticket_name)}/communications",
            f"list communications of support ticket {ticket_name}",
            tenant,
        )

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
        """Add a message to the ticket; the same ``name`` again adds nothing (idempotent)."""
        return self.request(
            "PUT",
            f"{self.ticket_path(subscription_id, ticket_name)}/communications/{name}?api-version={API_VERSION}",
            f"add a message to support ticket {ticket_name}",
            json={"properties": {"subject": subject, "body": body, "sender": sender}},
            request_id=request_id,
            tenant=tenant,
        ).json()
