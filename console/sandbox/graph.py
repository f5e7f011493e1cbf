"""The sandbox's Microsoft Graph: the partner's GDAP relationships and their access assignments.

Shapes from Microsoft Graph v1.0 (learn.microsoft.com, "delegatedAdminRelationship resource type",
"delegatedAdminAccessAssignment resource type", "delegatedAdminAccessContainer resource type", "List
delegatedAdminRelationships", "List accessAssignments"; microsoftgraph/microsoft-graph-docs-contrib
api-reference/v1.0):

- ``GET /v1.0/tenantRelationships/delegatedAdminRelationships``: ``value`` of relationships ``id``,
  ``displayName``, ``duration`` (ISO 8601, P1D..P2Y), ``customer {tenantId, displayName}``,
  ``accessDetails {unifiedRoles [{roleDefinitionId}]}``, ``status`` (``activating``, ``active``,
  ``approvalPending``, ``approved``, ``created``, ``expired``, ``expiring``, ``terminated``, ``terminating``,
  ``terminationRequested``, ``unknownFutureValue``), ``autoExtendDuration`` (``PT0S``, ``P180D``),
  ``createdDateTime``, ``activatedDateTime``, ``lastModifiedDateTime``, ``endDateTime``; paged with
  ``@odata.nextLink``.
- ``GET .../delegatedAdminRelationships/{id}/accessAssignments``: ``id``, ``status`` (``pending``, ``active``,
  ``deleting``, ``deleted``, ``error``), ``accessContainer {accessContainerId, accessContainerType:
  securityGroup}``, ``accessDetails {unifiedRoles}``, ``createdDateTime``, ``lastModifiedDateTime``.

Tokens: a Graph token from the partner's tenant (``console.sandbox.auth.graph``); permission
``DelegatedAdminRelationship.Read.All``.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from console.sandbox import auth
from console.sandbox.errors import error

if TYPE_CHECKING:
    from console.sandbox.state import SandboxState

PREFIX = "/v1.0/tenantRelationships/delegatedAdminRelationships"
#: Roles the sandbox's relationships grant (Microsoft Entra built-in role template ids).
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
SERVICE_SUPPORT_ADMINISTRATOR = "f023fd81-a637-4b56-95fd-791ac0226033"
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
DEFAULT_ROLES = (DIRECTORY_READERS, GLOBAL_READER, SERVICE_SUPPORT_ADMINISTRATOR, HELPDESK_ADMINISTRATOR)
SUPPORT_GROUP = "0b9f2a1c-7d3e-4f5a-8b6c-1d2e3f4a5b6c"  # the desk's security group in the partner's tenant


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class GraphState:
    relationships: list[dict[str, Any]] = field(default_factory=list)
    assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # relationship id -> assignments
    page_size: int = 50
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def for_customers(cls, state: SandboxState, now: datetime | None = None) -> GraphState:
        """One active two-year relationship per customer with the desk's roles, all assigned to its group."""
        graph = cls()
        now = now or datetime.now(UTC)
        with state.lock:
            customers = list(state.customers)
        for index, c in enumerate(customers):
            graph.add_relationship(
                str(c["companyProfile"]["tenantId"]),
                str(c["companyProfile"]["companyName"]),
                activated=now - timedelta(days=30 + index),
            )
        return graph

    def add_relationship(
        self,
        tenant_id: str,
        customer_name: str,
        *,
        roles: tuple[str, ...] = DEFAULT_ROLES,
        status: str = "active",
        activated: datetime | None = None,
        duration_days: int = 730,
        end: datetime | None = None,
        assigned_roles: tuple[str, ...] | None = None,
        display_name: str = "",
    ) -> dict[str, Any]:
        activated = activated or datetime.now(UTC)
        end = end or activated + timedelta(days=duration_days)
        rel_id = f"{uuid.uuid4()}-{uuid.uuid4()}"
        relationship = {
            "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
            "id": rel_id,
            "displayName": display_name or f"Support {customer_name}"[:50],
            "duration": f"P{duration_days}D",
            "customer": {"tenantId": tenant_id, "displayName": customer_name},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in roles]},
            "status": status,
            "autoExtendDuration": "PT0S",
            "createdDateTime": _stamp(activated - timedelta(days=1)),
            "activatedDateTime": _stamp(activated),
            "lastModifiedDateTime": _stamp(activated),
            "endDateTime": _stamp(end),
        }
        assignment = {
            "@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment",
            "id": str(uuid.uuid4()),
            "status": "active",
            "createdDateTime": _stamp(activated),
            "lastModifiedDateTime": _stamp(activated),
            "accessContainer": {"accessContainerId": SUPPORT_GROUP, "accessContainerType": "securityGroup"},
            "accessDetails": {
                "unifiedRoles": [{"roleDefinitionId": r} for r in (roles if assigned_roles is None else assigned_roles)]
            },
        }
        with self.lock:
            self.relationships.append(relationship)
            self.assignments[rel_id] = [assignment]
        return relationship

    def remove_customer(self, tenant_id: str) -> None:
        with self.lock:
            gone = [r["id"] for r in self.relationships if r["customer"]["tenantId"] == tenant_id]
            self.relationships = [r for r in self.relationships if r["id"] not in gone]
            for rel_id in gone:
                self.assignments.pop(rel_id, None)

    def of_customer(self, tenant_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.relationships if r["customer"]["tenantId"] == tenant_id]

    def has_active_relationship(self, tenant_id: str) -> bool:
        return any(r["status"] == "active" for r in self.of_customer(tenant_id))

    # -- the API -----------------------------------------------------------------------------------------
    def route(self, base_url: str, method: str, raw_path: str, headers: Any, partner_tenant: str) -> Any:
        auth.graph(headers, partner_tenant)
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        if method != "GET":
            raise error(405, "Request_BadRequest", f"{method} is not served by the sandbox's Graph")
        rest = path.removeprefix(PREFIX).strip("/")
        with self.lock:
            if not rest:
                items = list(self.relationships)
            elif rest.endswith("/accessAssignments") and rest.count("/") == 1:
                rel_id = rest.split("/", 1)[0]
                if rel_id not in self.assignments:
                    raise error(404, "ResourceNotFound", f"Relationship '{rel_id}' was not found.")
                items = list(self.assignments[rel_id])
            elif "/" not in rest:
                found = next((r for r in self.relationships if r["id"] == rest), None)
                if found is None:
                    raise error(404, "ResourceNotFound", f"Relationship '{rest}' was not found.")
                return found
            else:
                raise error(400, "Request_BadRequest", f"no such Graph endpoint: {path}")
        top = int((query.get("$top") or [str(self.page_size)])[0])
        skip = int((query.get("$skiptoken") or ["0"])[0])
        body: dict[str, Any] = {
            "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#{path.removeprefix('/v1.0/')}",
            "value": items[skip : skip + top],
        }
        if skip + top < len(items):
            body["@odata.nextLink"] = f"{base_url}{path}?$top={top}&$skiptoken={skip + top}"
        return body
