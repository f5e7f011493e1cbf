"""The Azure Support API's services and problem classifications as the sandbox serves them (a small,
realistic subset; the real lists have hundreds of entries and are read from the API, never hard-coded in
the console)."""

from __future__ import annotations

import uuid
from typing import Any

_NS = uuid.UUID("6f1c8a52-7d1e-4c55-9a3b-2c4f0e9d1a77")

SERVICES: dict[str, list[str]] = {
    "Virtual Machine running Windows": ["Cannot connect to my VM", "VM start, stop or restart issue", "VM performance"],
    "Virtual Machine running Linux": ["Cannot connect to my VM", "VM boot failure", "VM performance"],
    "SQL Database": ["Performance and query tuning", "Connectivity", "Backup and restore"],
    "Kubernetes Service (AKS)": ["Cluster creation failure", "Node pool issues", "Networking"],
    "Storage Account Management": ["Access keys and SAS", "Data loss or corruption", "Performance"],
    "Virtual Network": ["Connectivity between networks", "DNS", "Network security groups"],
    "App Service (Web Apps)": ["Availability and performance", "Deployment", "Custom domains and certificates"],
    "Backup": ["Backup failure", "Restore failure"],
    "Cost Management": ["Budgets and alerts", "Cost analysis"],
    "Reservations": ["Exchange or refund a reservation", "Reservation not applied"],
    "Azure Databricks": ["Cluster creation or start failure", "Job failures"],
}

#: Problem classifications that ask for a secondary consent (ProblemClassificationProperties.
#: secondaryConsentEnabled); the type and text are those of the spec's ListProblemClassifications.json.
SECONDARY_CONSENT: dict[tuple[str, str], list[dict[str, str]]] = {
    ("Azure Databricks", "Cluster creation or start failure"): [
        {
            "description": "For faster resolution, allow Microsoft and Databricks to temporarily have read and "
            "write access to your Databricks workspace.",
            "type": "DatabricksConsent",
        }
    ]
}


def service_name(display: str) -> str:
    return str(uuid.uuid5(_NS, display))


def problem_name(display: str, problem: str) -> str:
    return str(uuid.uuid5(_NS, f"{display}/{problem}"))


def services() -> list[dict[str, object]]:
    return [
        {
            "id": f"/providers/Microsoft.Support/services/{service_name(d)}",
            "name": service_name(d),
            "type": "Microsoft.Support/services",
            "properties": {"displayName": d, "resourceTypes": []},
        }
        for d in SERVICES
    ]


def problem_classifications() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for display, problems in SERVICES.items():
        name = service_name(display)
        out[name] = [
            {
                "id": f"/providers/Microsoft.Support/services/{name}/problemClassifications/{problem_name(display, p)}",
                "name": problem_name(display, p),
                "type": "Microsoft.Support/problemClassifications",
                "properties": {
                    "displayName": p,
                    **(
                        {"secondaryConsentEnabled": SECONDARY_CONSENT[(display, p)]}
                        if (display, p) in SECONDARY_CONSENT
                        else {}
                    ),
                },
            }
            for p in problems
        ]
    return out
