"""Triage: build the read-only context of a ticket or a customer and run the plugins' checks. Nothing here
writes: the desk stores the findings (:mod:`console.desk.findings`, ``ticket.triage``, audited), for the
console and the command line (``csp-console triage``, ``csp-console opportunities``) alike.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.plugin_api import (
    DUNNING_STAGES,
    Audience,
    CheckContext,
    CustomerView,
    Finding,
    OfferView,
    ReceivableView,
    SubscriptionView,
    TicketView,
)
from console.plugins.host import PluginHost
from console.plugins.runner import CheckRun, CheckRunner, PluginFailure
from console.settings.config import Partner
from console.shared.clock import to_iso
from console.store import Workspace
from console.tickets.relevance import by_relevance

ACCOUNT_CACHE = 256


@dataclass
class TriageResult:
    ticket_id: str
    findings: list[tuple[str, Finding]] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)


@dataclass(frozen=True)
class _Account:
    customer: CustomerView
    subscriptions: tuple[SubscriptionView, ...]
    receivables: tuple[ReceivableView, ...]
    offer: OfferView | None


def finding_dict(plugin: str, finding: Finding) -> dict[str, Any]:
    """A finding as stored (less its time) and as ``--json`` prints it."""
    return {
        "plugin": plugin,
        "checkId": finding.check_id,
        "family": finding.family.value,
        "severity": finding.level.value,
        "title": finding.title,
        "explanation": finding.explanation,
        "suggestedAction": finding.action,
        "boundary": finding.boundary.value,
        "vehicle": finding.vehicle.value if finding.vehicle else None,
        "audience": finding.audience.value,
        "subject": finding.subject,
    }


def finding_row(plugin: str, finding: Finding, now: datetime) -> dict[str, Any]:
    return {**finding_dict(plugin, finding), "createdDate": to_iso(now)}


class Triage:
    """Runs checks against the workspace. Reuse one instance for many tickets (accounts are cached)."""

    def __init__(
        self,
        ws: Workspace,
        host: PluginHost,
        partner: Partner,
        clock: Callable[[], datetime],
        budget: float = 2.0,
        dunning_stages: tuple[tuple[int, str], ...] = DUNNING_STAGES,
    ) -> None:
        self.ws = ws
        self.dunning_stages = dunning_stages
        self.host = host
        self.partner = partner
        self.clock = clock
        self.runner = CheckRunner(host, budget=budget)
        self._services = tuple(host.services.values())  # one tuple for every context: sent to the checks once
        self._accounts: OrderedDict[str, _Account] = OrderedDict()

    def close(self) -> None:
        self.runner.close()

    def _account(self, customer_id: str) -> _Account:
        cached = self._accounts.get(customer_id)
        if cached is not None:
            self._accounts.move_to_end(customer_id)
            return cached
        rows = self.ws.accounts.account_rows(customer_id)
        if rows is None:
            raise LookupError(f"unknown customer {customer_id!r}")
        account = _Account(
            customer=CustomerView.from_row(rows["customer"]),
            subscriptions=tuple(SubscriptionView.from_row(r) for r in rows["subscriptions"]),
            receivables=tuple(ReceivableView.from_row(r) for r in rows["receivables"]),
            offer=OfferView.from_row(rows["offer"], self.ws.accounts.holidays(rows["offer"]["holidayCalendar"]))
            if rows["offer"]
            else None,
        )
        self._accounts[customer_id] = account
        if len(self._accounts) > ACCOUNT_CACHE:
            self._accounts.popitem(last=False)
        return account

    def context(self, customer_id: str, ticket: dict[str, Any] | None = None) -> CheckContext:
        account = self._account(customer_id)
        return CheckContext(
            customer=account.customer,
            subscriptions=account.subscriptions,
            receivables=account.receivables,
            offer=account.offer,
            partner=self.partner,
            now=self.clock(),
            ticket=self._ticket_view(ticket) if ticket is not None else None,
            services=self._services,
            dunning_stages=self.dunning_stages,
        )

    def _ticket_view(self, row: dict[str, Any]) -> TicketView:
        """The ticket's view, with its plugins' intake fields (a row without ``seq``, not stored: none)."""
        return TicketView.from_row(row, self.ws.tickets.fields_of(row["seq"]) if "seq" in row else None)

    def run_ticket(self, row: dict[str, Any]) -> TriageResult:
        """Run the ticket-scope checks for one ticket row (nothing stored); the findings most relevant to the
        ticket first (:mod:`console.tickets.relevance`)."""
        return self.run_tickets([row])[0]

    def run_tickets(self, rows: Sequence[dict[str, Any]]) -> list[TriageResult]:
        """:meth:`run_ticket` for each of ``rows``, the checks of all of them in one request to the check
        process (:meth:`console.plugins.runner.CheckRunner.run_each`)."""
        runs = self.runner.run_each([self.context(row["customerId"], row) for row in rows], "ticket")
        return [self._result(row, run) for row, run in zip(rows, runs, strict=True)]  # ranked as the next run

    @staticmethod
    def _result(row: dict[str, Any], run: CheckRun) -> TriageResult:
        findings = by_relevance(row, [(p, f) for p, f in run.findings if f.audience == Audience.AGENT])
        return TriageResult(row["id"], findings, run.failures)

    def opportunities(self, customer_id: str | None = None) -> list[tuple[CustomerView, str, Finding]]:
        """Account-level findings addressed to sales, for one customer or all."""
        out: list[tuple[CustomerView, str, Finding]] = []
        for cid in [customer_id] if customer_id else self.ws.accounts.customer_ids():
            ctx = self.context(cid)
            run = self.runner.run(ctx, "account")
            out += [(ctx.customer, p, f) for p, f in run.findings if f.audience == Audience.SALES]
        return out
