"""Escalating to Microsoft: the vehicles a partner may use (Premier, Advanced, Signature, Commercial) and why,
the :class:`CaseDraft` a handler builds, how it is delivered, and the description Microsoft reads.

Part of the public plugin API: plugins import these names from :mod:`console.plugin_api`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from console.plugins.findings import Audience, Family, Finding
from console.plugins.views import CheckContext
from console.settings.config import Partner
from console.shared.model import SEVERITY_LETTER, Severity, Vehicle


@dataclass(frozen=True, kw_only=True)
class Eligibility:
    eligible: bool
    reason: str


DELIVERY_AZURE_API = "azure_support_api"
"""The case is created through the Azure Support API (Azure technical cases)."""
DELIVERY_HANDOFF = "handoff"
"""No create API (Microsoft 365, Dynamics 365, commercial cases since August 2020): the agent opens the case
at ``handoff_url`` with the prepared text and records Microsoft's case number."""

HANDOFF_URLS: Mapping[str, str] = MappingProxyType(
    {
        "commercial": "https://partner.microsoft.com/dashboard/v2/customers/{customer_id}/servicemanagement",
        "azure": "https://portal.azure.com/#view/Microsoft_Azure_Support/HelpAndSupportBlade",
        "office365": "https://admin.microsoft.com/Adminportal/Home#/support",
        "dynamics365": "https://admin.powerplatform.microsoft.com/support",
    }
)
"""Where a handed-off case is opened, by vehicle ``commercial`` or by service; ``{customer_id}`` and
``{tenant_domain}`` are filled in."""


@dataclass(frozen=True, kw_only=True)
class CaseDraft:
    """The case a handler would open with Microsoft; the agent previews and edits it before submitting.

    ``delivery`` is :data:`DELIVERY_AZURE_API` or :data:`DELIVERY_HANDOFF` (then ``handoff_url`` says where).
    ``service_hint`` is matched against the Azure Support API's service names to preselect one;
    ``azure_subscription_id`` is the customer's Azure subscription the case is opened under.
    """

    vehicle: Vehicle
    service: str
    title: str
    description: str
    severity: Severity
    support_topic: str
    problem_classification: str | None = None
    delivery: str = DELIVERY_HANDOFF
    handoff_url: str = ""
    service_hint: str = ""
    azure_subscription_id: str | None = None

    @property
    def severity_letter(self) -> str:
        """Microsoft's Sev A / B / C."""
        return SEVERITY_LETTER[self.severity]


@dataclass(frozen=True, kw_only=True)
class EscalationHandler:
    """How a plugin escalates its service's tickets through one vehicle."""

    vehicle: Vehicle
    service: str
    eligibility: Callable[[CheckContext], Eligibility]
    build_case: Callable[[CheckContext, Sequence[Finding]], CaseDraft]


SIGNATURE_INCIDENTS = {"gold": 10, "silver": 5}
"""Signature Cloud Support incidents a year for non-cloud competencies (cloud competencies: unlimited)."""


def technical_vehicles(partner: Partner, service: str, incidents_used: int = 0) -> list[tuple[Vehicle, Eligibility]]:
    """The technical vehicles, best first, with whether ``partner`` may use them for ``service``.

    Premier Support for Partners and Advanced Support for Partners come with a paid contract; Signature
    Cloud Support with a Gold or Silver competency (unlimited incidents for cloud competencies, 5 Silver /
    10 Gold for others, counted with ``incidents_used`` over the last 365 days). Dynamics 365 incidents on
    behalf of a CSP customer need ASfP or higher.
    """
    contracts = partner.contracts
    out = [
        (
            Vehicle.PREMIER,
            Eligibility(eligible=True, reason="Premier Support for Partners contract")
            if contracts.premier_support
            else Eligibility(eligible=False, reason="no Premier Support for Partners contract in the partner profile"),
        ),
        (
            Vehicle.ADVANCED,
            Eligibility(eligible=True, reason="Advanced Support for Partners contract")
            if contracts.advanced_support
            else Eligibility(eligible=False, reason="no Advanced Support for Partners contract in the partner profile"),
        ),
    ]
    if service == "dynamics365":
        out.append((Vehicle.SIGNATURE, Eligibility(eligible=False, reason="Dynamics 365 incidents need ASfP or PSfP")))
    elif partner.competencies:
        cloud = any(c.cloud for c in partner.competencies)
        gold = any(c.level == "gold" for c in partner.competencies)
        allowed = SIGNATURE_INCIDENTS["gold" if gold else "silver"]
        if cloud:
            out.append(
                (
                    Vehicle.SIGNATURE,
                    Eligibility(eligible=True, reason="Signature Cloud Support (cloud competency: unlimited)"),
                )
            )
        elif incidents_used >= allowed:
            reason = f"all {allowed} Signature Cloud Support incidents of the last 365 days are used"
            out.append((Vehicle.SIGNATURE, Eligibility(eligible=False, reason=reason)))
        else:
            left = f"{allowed - incidents_used} of {allowed} incidents left this year"
            out.append((Vehicle.SIGNATURE, Eligibility(eligible=True, reason=f"Signature Cloud Support ({left})")))
    else:
        out.append(
            (
                Vehicle.SIGNATURE,
                Eligibility(eligible=False, reason="no Gold or Silver competency in the partner profile"),
            )
        )
    return out


def best_technical_vehicle(partner: Partner, service: str) -> Vehicle | None:
    """The first technical vehicle the partner may use for ``service``, or ``None``."""
    return next((v for v, e in technical_vehicles(partner, service) if e.eligible), None)


def for_microsoft(finding: Finding) -> bool:
    """Whether a finding belongs in a case to Microsoft: the partner's technical diagnostics for the agent.
    Billing and subscription findings (collections stage, budgets, spend, refunds, prices) and sales
    opportunities are the partner's business with its customer, never Microsoft's."""
    return finding.family == Family.TECHNICAL and finding.audience == Audience.AGENT


def case_description(ctx: CheckContext, findings: Sequence[Finding], limit: int = 4000) -> str:
    """A case description Microsoft can act on: the customer, the request, and the partner's technical
    diagnostics (only those: see :func:`for_microsoft`)."""
    findings = [f for f in findings if for_microsoft(f)]
    ticket = ctx.ticket
    lines = [
        f"CSP customer: {ctx.customer.company_name} (tenant domain {ctx.customer.domain}, id {ctx.customer.id})",
    ]
    if ticket is not None:
        lines += [
            f"Partner ticket: {ticket.id}, opened {ticket.created:%Y-%m-%d %H:%M} UTC via {ticket.channel}",
            f"Reported by: {ticket.contact_name or 'customer contact'}",
            "",
            "Problem as reported:",
            ticket.body[:limit],
        ]
    subs = [s for s in ctx.subscriptions if ticket is None or s.service == ticket.service]
    if subs:
        lines += ["", "Subscriptions:"]
        lines += [f"- {s.offer_name} ({s.id}), {s.quantity} seats, status {s.status}" for s in subs[:10]]
    if findings:
        lines += ["", "Partner diagnostics:"]
        lines += [f"- [{f.level.value}] {f.title}: {f.explanation}" for f in findings[:20]]
    return "\n".join(lines)
