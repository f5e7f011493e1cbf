"""Microsoft Graph's GDAP API: the partner's granular delegated admin relationships and their access assignments.

Microsoft Graph v1.0 (learn.microsoft.com, "List delegatedAdminRelationships", "List accessAssignments",
"delegatedAdminRelationship resource type", "delegatedAdminAccessAssignment resource type"):
``GET /v1.0/tenantRelationships/delegatedAdminRelationships`` and
``GET /v1.0/tenantRelationships/delegatedAdminRelationships/{id}/accessAssignments``, each a collection in
``value`` paged with ``@odata.nextLink``; permission ``DelegatedAdminRelationship.Read.All`` (delegated or
application), a token from the partner's own tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from console.microsoft.credentials import GRAPH
from console.microsoft.http import ApiError, MicrosoftApi

RELATIONSHIPS = "/v1.0/tenantRelationships/delegatedAdminRelationships"


class GraphClient(MicrosoftApi):
    name = "Microsoft Graph"
    audience = GRAPH

    def _pages(self, url: str, operation: str) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink`` (only to this client's own host)."""
        seen: set[str] = set()
        while url:
            if url in seen:
                raise ApiError(self.name, operation, "@odata.nextLink repeats a page already read")
            seen.add(url)
            body = self.request_json("GET", url, operation)
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise ApiError(self.name, operation, "the answer has no 'value' collection")
            for item in body["value"]:
                if isinstance(item, dict):
                    yield item
            url = str(body.get("@odata.nextLink") or "")
            if url:
                self._same_origin(url, operation)

    def relationships(self) -> Iterator[dict[str, Any]]:
        return self._pages(RELATIONSHIPS, "list GDAP relationships")

    def access_assignments(self, relationship_id: str) -> list[dict[str, Any]]:
        url = f"{RELATIONSHIPS}/{relationship_id}/accessAssignments"
        return list(self._pages(url, f"list access assignments of {relationship_id}"))
