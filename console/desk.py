"""The desk: one agent's handle on the workspace, the plugins and the clock. The console's screens call it
(in workers) and so can any other front end; every rule lives in the core modules it calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console import ticket_ops
from console.account import Account, load_account
from console.config import Config
from console.plugins import PluginHost
from console.store import Workspace
from console.triage import Triage, TriageResult


@dataclass
class TicketDetails:
    """Everything the ticket screen shows."""

    ticket: dict[str, Any]
    timeline: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    escalations: list[dict[str, Any]] = field(default_factory=list)


class Desk:
    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        host: PluginHost,
        agent: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.ws = workspace
        self.config = config
        self.host = host
        self.agent = agent
        self.clock = clock
        self.triage = Triage(workspace, host, config.partner, clock)

    def close(self) -> None:
        self.triage.close()

    @property
    def services(self) -> set[str]:
        return set(self.host.services)

    # -- reading -------------------------------------------------------------------------------
    def details(self, ticket_id: str) -> TicketDetails:
        ticket = self.ws.ticket(ticket_id)
        if ticket is None:
            raise LookupError(f"no ticket {ticket_id}")
        return TicketDetails(
            ticket=ticket,
            timeline=self.ws.timeline(ticket["seq"]),
            findings=self.ws.findings(ticket["seq"]),
            escalations=[
                e for e in self.ws.escalations_of(ticket["customerId"], open_only=False) if e["ticketId"] == ticket_id
            ],
        )

    def account(self, customer_id: str) -> Account:
        account = load_account(self.ws, customer_id, self.clock())
        account.opportunities = [(p, f) for _, p, f in self.triage.opportunities(customer_id)]
        return account

    def check(self, ticket_id: str) -> TriageResult:
        """Run the plugins' checks on the ticket and store the findings."""
        return self.triage.triage_ticket(ticket_id)

    # -- acting --------------------------------------------------------------------------------
    def _fresh(self, ticket: dict[str, Any] | str) -> dict[str, Any]:
        if isinstance(ticket, dict):
            return ticket
        row = self.ws.ticket(ticket)
        if row is None:
            raise LookupError(f"no ticket {ticket}")
        return row

    def log_ticket(self, new: ticket_ops.NewTicket) -> str:
        return ticket_ops.log_ticket(self.ws, new, self.agent, self.clock(), self.services)

    def claim(self, ticket: dict[str, Any] | str) -> dict[str, Any]:
        return ticket_ops.claim(self.ws, self._fresh(ticket), self.agent)

    def assign(self, ticket: dict[str, Any] | str, assignee: str | None) -> dict[str, Any]:
        return ticket_ops.assign(self.ws, self._fresh(ticket), assignee, self.agent)

    def classify(self, ticket: dict[str, Any] | str, **fields: str | None) -> dict[str, Any]:
        return ticket_ops.classify(self.ws, self._fresh(ticket), self.agent, self.services, **fields)

    def note(self, ticket: dict[str, Any] | str, text: str, *, reply: bool = False) -> dict[str, Any]:
        return ticket_ops.add_note(self.ws, self._fresh(ticket), text, self.agent, self.clock(), reply=reply)

    def set_status(
        self, ticket: dict[str, Any] | str, status: str, resolution_code: str | None = None
    ) -> dict[str, Any]:
        return ticket_ops.set_status(self.ws, self._fresh(ticket), status, self.agent, self.clock(), resolution_code)
