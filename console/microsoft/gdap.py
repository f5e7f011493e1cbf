"""GDAP: which customers the desk may act in, with which Microsoft Entra roles, until when.

Granular delegated admin privileges replaced blanket delegated admin rights: each customer approves a
relationship that grants the partner named Entra roles for a limited time, and the partner assigns those
roles to its own security groups (access assignments). The desk can diagnose or open a case in a customer's
tenant only through an **active** relationship whose roles, **assigned** to the desk, allow the task.

Sources: learn.microsoft.com, "Granular delegated admin privileges (GDAP) introduction" and "GDAP role
guidance" (partner-center/gdap-least-privileged-roles-by-task: support requests for Microsoft 365 and
Dynamics 365 need a role with ``microsoft.office365.supportTickets/allEntities/allTasks`` such as Service
Support Administrator; Azure support requests need any GDAP Entra role, such as Directory Readers, plus an
Azure RBAC role with ``Microsoft.Support/supportTickets/write`` such as Support Request Contributor); the role
template ids from "Microsoft Entra built-in roles" (MicrosoftDocs/entra-docs,
docs/identity/role-based-access-control/permissions-reference.md); the relationship and assignment fields
and status values from Microsoft Graph v1.0 (see console/microsoft/graph.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from console.shared.clock import parse_iso
from console.store import Workspace

#: Microsoft Entra built-in role template ids -> names ("Microsoft Entra built-in roles", All roles).
ROLE_NAMES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
    "9360feb5-f418-4baa-8175-e2a00bac4301": "Directory Writers",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "f023fd81-a637-4b56-95fd-791ac0226033": "Service Support Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "fdd7a751-b60b-444a-984c-02652fe8fa1c": "Groups Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "31392ffb-586c-42d1-9346-e59415a2cc4e": "Exchange Recipient Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
    "baf37b3a-610e-45da-9e62-d9d1e5e8914b": "Teams Communications Administrator",
    "f70938a0-fc10-4177-9e90-2178f8765737": "Teams Communications Support Engineer",
    "fcf91098-03e3-41a9-b5ba-6f0ec8188a12": "Teams Communications Support Specialist",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    "7698a772-787b-4ac8-901f-60d6b08affd2": "Cloud Device Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f": "Security Operator",
    "5d6b6bb7-de71-4623-b4af-96380a352509": "Security Reader",
    "4a5d8f65-41da-4de4-8968-e035b65339cf": "Reports Reader",
    "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b": "Message Center Reader",
    "2b745bdf-0803-4d80-aa65-822c4493daac": "Office Apps Administrator",
    "44367163-eba1-44c3-98af-f5787879f96a": "Dynamics 365 Administrator",
    "11648597-926c-4cf3-9c36-bcebb0ba8dcc": "Power Platform Administrator",
    "17315797-102d-40b4-93e0-432062caca18": "Compliance Administrator",
    "8329153b-31d0-4727-b945-745eb3bc5f31": "Domain Name Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
    "11451d60-acb2-45eb-a7d6-43d0f0125c13": "Windows 365 Administrator",
}
_BY_NAME = {name.casefold(): role_id for role_id, name in ROLE_NAMES.items()}

ANY_ROLE = "*"
#: The default: which roles allow each desk task (Microsoft's "GDAP role guidance"). ``*``: any Entra role
#: through an active relationship (Azure support also needs an Azure RBAC role, which Graph does not show).
SUPPORT_TICKET_ROLES = (
    "Service Support Administrator",
    "Helpdesk Administrator",
    "User Administrator",
    "Exchange Administrator",
    "SharePoint Administrator",
    "Teams Administrator",
    "Billing Administrator",
    "Global Administrator",
)
DEFAULT_TASK_ROLES: dict[str, tuple[str, ...]] = {
    "diagnose": (
        "Global Reader",
        "Directory Readers",
        "Service Support Administrator",
        "Helpdesk Administrator",
        "Reports Reader",
        "Security Reader",
        "Global Administrator",
    ),
    "escalate": SUPPORT_TICKET_ROLES,
    "escalate_microsoft365": SUPPORT_TICKET_ROLES,
    "escalate_azure": (ANY_ROLE,),
}
TASK_TEXT = {
    "diagnose": "diagnose in the customer's tenant",
    "escalate": "open a Microsoft support request for the customer",
    "escalate_microsoft365": "open a Microsoft 365 / Dynamics 365 support request for the customer",
    "escalate_azure": "open an Azure support request in the customer's tenant",
}
EXPIRY_WARNING_DAYS = 30
#: Statuses with access in force (Graph's delegatedAdminRelationshipStatus; ``expiring`` still grants).
ACTIVE_STATUSES = frozenset({"active", "expiring"})


def role_name(role_id: str) -> str:
    return ROLE_NAMES.get(role_id.lower(), role_id)


def role_id_of(value: str, where: str = "[microsoft] gdap_task_roles") -> str:
    """A role template id from a name ("Global Reader") or an id; ``*`` stays."""
    value = value.strip()
    if value == ANY_ROLE:
        return value
    if value.lower() in ROLE_NAMES or (len(value) == 36 and value.count("-") == 4):
        return value.lower()
    found = _BY_NAME.get(value.casefold())
    if found is None:
        raise ValueError(f"{where}: {value!r} is neither a Microsoft Entra built-in role name nor a template id")
    return found


def task_roles(configured: Mapping[str, Sequence[str]] | None = None) -> dict[str, frozenset[str]]:
    """Role template ids per task: the defaults, with the config's tasks replacing theirs."""
    merged: dict[str, Sequence[str]] = {**DEFAULT_TASK_ROLES, **dict(configured or {})}
    return {
        task: frozenset(role_id_of(r, f"[microsoft] gdap_task_roles.{task}") for r in roles)
        for task, roles in merged.items()
    }


# -- reading Graph into the workspace ----------------------------------------------------------------------
class GraphSource(Protocol):
    def relationships(self) -> Any: ...

    def access_assignments(self, relationship_id: str) -> list[dict[str, Any]]: ...


@dataclass
class GdapReport:
    relationships: int = 0
    active: int = 0
    skipped: list[str] = field(default_factory=list)


def _roles(body: Mapping[str, Any]) -> list[str]:
    details = body.get("accessDetails")
    roles = details.get("unifiedRoles") if isinstance(details, Mapping) else None
    out = []
    for role in roles if isinstance(roles, list) else []:
        if isinstance(role, Mapping) and role.get("roleDefinitionId"):
            out.append(str(role["roleDefinitionId"]).lower())
    return out


def read_relationship(body: Mapping[str, Any], assignments: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One relationship as the store keeps it; ``ValueError`` names what is missing."""
    rel_id = str(body.get("id") or "")
    customer = body.get("customer")
    tenant = str(customer.get("tenantId") or "") if isinstance(customer, Mapping) else ""
    if not rel_id:
        raise ValueError("a relationship without an id")
    if not tenant:
        raise ValueError(f"relationship {rel_id} names no customer tenantId")
    granted = _roles(body)
    assigned = {r for a in assignments if str(a.get("status") or "") == "active" for r in _roles(a)}
    roles = [(r, True, r in assigned) for r in granted] + [(r, False, True) for r in sorted(assigned - set(granted))]
    return {
        "id": rel_id,
        "customerTenantId": tenant.lower(),
        "customerName": str(customer.get("displayName") or "") if isinstance(customer, Mapping) else "",
        "displayName": str(body.get("displayName") or ""),
        "status": str(body.get("status") or "unknown"),  # kept as it came: new values appear
        "duration": body.get("duration"),
        "autoExtendDuration": body.get("autoExtendDuration"),
        "activatedDateTime": body.get("activatedDateTime"),
        "endDateTime": body.get("endDateTime"),
        "roles": roles,
    }


def sync(ws: Workspace, graph: GraphSource) -> GdapReport:
    """Read every relationship (and the access assignments of those in force) and replace the stored ones in
    one transaction; a relationship that cannot be read is reported with its id and skipped."""
    from console.microsoft.http import ApiError  # httpx loads when Microsoft is reached, not with the account

    report = GdapReport()
    rows = []
    for body in graph.relationships():
        status = str(body.get("status") or "")
        try:
            in_force = status in ACTIVE_STATUSES and body.get("id")
            assignments = graph.access_assignments(str(body["id"])) if in_force else []
            rows.append(read_relationship(body, assignments))
        except (ValueError, KeyError, TypeError, ApiError) as exc:  # this relationship alone
            report.skipped.append(f"{body.get('id') or '(no id)'}: {exc}")
            continue
        report.active += status in ACTIVE_STATUSES
    report.relationships = ws.gdap.replace_gdap(rows)
    return report


# -- what the desk may do --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Readiness:
    ok: bool
    message: str
    known: bool = True  # False: the relationships were never read (csp-console gdap sync)


def _end(rel: Mapping[str, Any]) -> datetime | None:
    value = rel.get("endDateTime")
    try:
        return parse_iso(str(value)) if value else None
    except ValueError:
        return None


def in_force(rel: Mapping[str, Any], now: datetime) -> bool:
    end = _end(rel)
    return rel["status"] in ACTIVE_STATUSES and (end is None or end > now)


def expiry_warning(rel: Mapping[str, Any], now: datetime, days: int = EXPIRY_WARNING_DAYS) -> str:
    """A warning when a relationship in force ends within ``days`` and does not extend itself."""
    end = _end(rel)
    if end is None or not in_force(rel, now) or end - now > timedelta(days=days):
        return ""
    if str(rel.get("autoExtendDuration") or "PT0S") not in ("PT0S", "P0D"):
        return ""
    left = max(0, (end - now).days)
    return (
        f"GDAP relationship {rel['displayName'] or rel['id']} ends {end:%Y-%m-%d} ({left} days): ask the customer "
        "to approve a new one before then"
    )


def readiness(
    ws: Workspace,
    customer_id: str,
    task: str,
    now: datetime,
    roles: Mapping[str, frozenset[str]] | None = None,
) -> Readiness:
    """Whether the desk's GDAP access allows ``task`` (``diagnose``, ``escalate``, ``escalate_microsoft365``,
    ``escalate_azure``) in the customer's tenant, and a sentence for the agent either way."""
    roles = roles if roles is not None else task_roles()
    if task not in roles:
        raise ValueError(f"unknown GDAP task {task!r}; one of: {', '.join(sorted(roles))}")
    what = TASK_TEXT.get(task, task)
    tenant = ws.gdap.customer_tenant(customer_id)
    if tenant is None:
        return Readiness(False, f"No customer {customer_id} in the workspace.")
    if ws.gdap.gdap_synced_date() is None:
        return Readiness(
            False,
            "The desk's GDAP relationships have not been read yet (`csp-console gdap sync`): it is not known "
            f"whether the desk may {what}.",
            known=False,
        )
    rels = ws.gdap.gdap_relationships(tenant.lower())
    live = [r for r in rels if in_force(r, now)]
    if not live:
        return _none_in_force(rels, now, what)
    allowed = roles[task]
    for rel in live:
        usable = [x["roleDefinitionId"] for x in rel["roles"] if x["granted"] and x["assigned"]]
        match = usable if ANY_ROLE in allowed else [x for x in usable if x in allowed]
        if match:
            return _allowed(rel, match[0], task, now)
    return _not_allowed(live, allowed, what)


def _none_in_force(rels: Sequence[Mapping[str, Any]], now: datetime, what: str) -> Readiness:
    """No relationship in force: none at all, or the first one's status (and when it ended)."""
    if not rels:
        return Readiness(
            False,
            f"No GDAP relationship with this customer: the desk cannot {what}. Ask the customer to approve "
            "one (Partner Center: Customers, Admin relationships).",
        )
    r = rels[0]
    end = _end(r)
    return Readiness(
        False,
        f"The GDAP relationship {r['displayName'] or r['id']} is {r['status']}"
        + (f" (ended {end:%Y-%m-%d})" if end and end <= now else "")
        + f": the desk cannot {what} until the customer approves a new one.",
    )


def _allowed(rel: Mapping[str, Any], role: str, task: str, now: datetime) -> Readiness:
    """``rel`` gives the desk ``role``, which allows ``task``: which, until when, and what else to know."""
    end = _end(rel)
    text = (
        f"GDAP: {rel['displayName'] or rel['id']} gives the desk {role_name(role)}"
        + (f" until {end:%Y-%m-%d}" if end else "")
        + "."
    )
    if task == "escalate_azure":
        text += " The Azure subscription also needs an Azure RBAC role such as Support Request Contributor."
    warning = expiry_warning(rel, now)
    return Readiness(True, f"{text} {warning}." if warning else text)


def _not_allowed(live: Sequence[Mapping[str, Any]], allowed: frozenset[str], what: str) -> Readiness:
    """No relationship in force gives the desk a role for the task: one granted but not assigned, or none."""
    granted = sorted({x["roleDefinitionId"] for r in live for x in r["roles"] if x["granted"]})
    unassigned = [g for g in granted if (ANY_ROLE in allowed or g in allowed)]
    if unassigned:
        return Readiness(
            False,
            f"The customer granted {role_name(unassigned[0])}, but no access assignment gives it to the desk's "
            f"security group: the desk cannot {what} until a partner admin assigns it.",
        )
    needed = ", ".join(role_name(r) for r in sorted(allowed, key=role_name)[:4])
    has = ", ".join(role_name(g) for g in granted) or "no roles"
    return Readiness(
        False,
        f"No active GDAP relationship gives a role that allows to {what} (one of: {needed}); this customer "
        f"granted {has}.",
    )


@dataclass(frozen=True)
class GdapLine:
    relationship: dict[str, Any]
    roles: list[str]  # names of the roles granted and assigned to the desk
    unassigned: list[str]  # names of roles granted but assigned to no group of the desk
    in_force: bool
    warning: str


def customer_gdap(ws: Workspace, customer_id: str, now: datetime) -> tuple[list[GdapLine], bool]:
    """The account's GDAP section: each relationship with its roles by name and a warning when it ends within
    30 days; and whether the relationships were ever read."""
    tenant = ws.gdap.customer_tenant(customer_id)
    if ws.gdap.gdap_synced_date() is None or tenant is None:
        return [], False
    lines = []
    for rel in ws.gdap.gdap_relationships(tenant.lower()):
        lines.append(
            GdapLine(
                rel,
                [role_name(x["roleDefinitionId"]) for x in rel["roles"] if x["granted"] and x["assigned"]],
                [role_name(x["roleDefinitionId"]) for x in rel["roles"] if x["granted"] and not x["assigned"]],
                in_force(rel, now),
                expiry_warning(rel, now),
            )
        )
    return lines, True


def expiring(ws: Workspace, now: datetime, days: int = EXPIRY_WARNING_DAYS) -> list[tuple[dict[str, Any], str]]:
    """Every relationship in force that ends within ``days``, with its warning."""
    out = []
    for rel in ws.gdap.gdap_relationships():
        warning = expiry_warning(rel, now, days)
        if warning:
            out.append((rel, warning))
    return out
