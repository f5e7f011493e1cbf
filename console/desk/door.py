"""The desk: one agent's handle on the workspace, the plugins and the clock. The console's screens call it
(in workers) and so can any other front end; every rule lives in the core modules it calls."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from console.desk.details import TicketDetails
from console.desk.parts import DeskParts
from console.desk.roles import Door, QueueReads
from console.shared.clock import to_iso
from console.shared.model import Vehicle
from console.tickets import ops as ticket_ops

if TYPE_CHECKING:  # httpx is imported when Microsoft is first reached, the rest when the desk is built
    from console.background.leases import Lease
    from console.billing.account import Account
    from console.billing.desk import BillingDesk
    from console.desk.mail import MailDesk
    from console.desk.policy import DeskPolicy
    from console.escalation import cases as escalation
    from console.escalation.courier import Courier, CourierReport
    from console.health.board import HealthBoard
    from console.microsoft.connect import Clients
    from console.offers.desk import OfferDesk
    from console.plugin_api import CustomerView, Finding
    from console.plugins.host import PluginHost
    from console.settings.config import Config
    from console.sla.clocks import TicketSla
    from console.store import Workspace
    from console.tickets.queue_query import QueueQuery
    from console.tickets.triage import TriageResult


class Desk(DeskParts):
    """Every action checks the agent's roles (see :mod:`console.desk.roles`) before it touches the workspace."""

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        host: PluginHost,
        agent: str,
        clock: Callable[[], datetime],
        *,
        owner_if_empty: bool = False,
        session: str | None = None,
    ) -> None:
        """``owner_if_empty``: in a workspace with no agent yet, the one at the keyboard acts as its owner (a
        Global admin), as for the first ``agents add`` (import and export of a new workspace).
        ``session``: the console session this desk acts in (:func:`console.desk.identity.new_session`); the
        claims it takes are that session's, released by :meth:`leave`. ``None`` (the command line): its claims
        belong to no console and last until their lease ends or they are released."""
        from console.billing.collections import load_policy, policy_path
        from console.desk.audit_mirror import attach
        from console.desk.policy import applied, read_policy
        from console.sla.clocks import keep_clocks
        from console.tickets.triage import Triage

        self.ws = attach(workspace, config)  # the syslog mirror of the audit rows, when the config asks for one
        self.file_config = config  # the agent's own file; ``config`` adds the desk's rules from the workspace
        self.desk_policy = read_policy(workspace)
        config = self.config = applied(config, self.desk_policy)
        self.host = host
        self.agent = agent
        self.session = session
        self.clock = clock
        self.clocks = keep_clocks(workspace, config, clock)
        self.door = Door.for_agent(
            workspace.agents, config.roles, agent, path=workspace.location, owner_if_empty=owner_if_empty
        )
        self.roles = self.door.roles
        self.role_map = self.door.role_map
        self.reads = QueueReads(workspace, self)
        self.lease = timedelta(minutes=config.claim_minutes)
        self.policy = load_policy(policy_path(config.path, config.collections_policy))
        self.triage = Triage(workspace, host, config.partner, clock, dunning_stages=self.policy.thresholds)
        self._clients: Clients | None = None
        self._billing: BillingDesk | None = None

    def use_policy(self, policy: DeskPolicy) -> None:
        """Act under the desk's policy ``policy`` from now on (it changed in the workspace): the role map, the
        claim time, the time zone and the SLA defaults."""
        from console.desk.policy import applied
        from console.desk.roles import RoleMap

        self.desk_policy = policy
        self.config = self.clocks.config = applied(self.file_config, policy)
        self.door.role_map = self.role_map = RoleMap(policy.roles)
        self.lease = timedelta(minutes=policy.claim_minutes)

    def close(self) -> None:
        self.triage.close()
        if self._clients is not None:
            self._clients.close()

    # -- Microsoft -----------------------------------------------------------------------------
    @property
    def clients(self) -> Clients:
        if self._clients is None:
            from console.microsoft.connect import connect

            self._clients = connect(self.config.microsoft, allow_http=self.desk_policy.allow_http)
        return self._clients

    @property
    def microsoft_configured(self) -> bool:
        from console.microsoft.credentials import credentials_available

        return credentials_available(self.config.microsoft)

    @property
    def billing(self) -> BillingDesk:
        """Collections, suspension, payments, Microsoft invoices and time against offers."""
        from console.billing.desk import BillingDesk

        if self._billing is None:
            self._billing = BillingDesk(self)
        return self._billing

    @property
    def offers(self) -> OfferDesk:
        """Support offers and holiday calendars."""
        from console.offers.desk import OfferDesk

        return OfferDesk(self)

    def courier(self) -> Courier:
        from console.escalation.courier import Courier

        return Courier(self.ws, self.clients, self.clock, agent=self.agent)

    def escalation_options(self, ticket_id: str) -> tuple[dict[str, Any], list[escalation.VehicleOption]]:
        self.authorize("ticket.escalate")
        ticket = self._fresh(ticket_id)
        from console.escalation import cases as escalation

        return ticket, escalation.options(self, ticket)

    def escalation_draft(self, ticket_id: str, vehicle: Vehicle | str) -> escalation.Draft:
        """The plugin's case for ``vehicle`` (see :func:`console.desk.microsoft.draft`)."""
        from console.desk import microsoft

        return microsoft.draft(self, ticket_id, Vehicle(vehicle))

    def escalation_services(self) -> list[dict[str, Any]]:
        return self.courier().services()

    def escalation_problems(self, service_id: str) -> list[dict[str, Any]]:
        service = next((s for s in self.ws.microsoft.catalog("service") if s["id"] == service_id), None)
        if service is None:
            raise LookupError(f"unknown Azure support service {service_id}")
        return self.courier().problems(service["name"])

    def escalate(self, draft: escalation.Draft, case_number: str | None = None) -> dict[str, Any]:
        from console.escalation import cases as escalation

        return escalation.submit(self, draft, case_number)

    def record_case_number(self, escalation_id: int, case_number: str) -> dict[str, Any]:
        from console.escalation import cases as escalation

        return escalation.record_case_number(self, escalation_id, case_number)

    def message_microsoft(self, escalation_id: int, text: str) -> int:
        from console.escalation import cases as escalation

        return escalation.send_message(self, escalation_id, text)

    @cached_property
    def mail(self) -> MailDesk:
        """The desk's mail: the mailbox, replies by mail, unknown senders (:mod:`console.desk.mail`)."""
        from console.desk.mail import MailDesk

        return MailDesk(self)

    @cached_property
    def microsoft_lease(self) -> Lease:
        """The workspace's Microsoft lease as this desk holds it (or waits for it): one process talks to
        Microsoft at a time. It lives three poll intervals and is renewed each run; on the wall clock, not on
        ``self.clock`` (see :mod:`console.background.leases`)."""
        from console.background.leases import MICROSOFT, Lease

        return Lease(self.ws, MICROSOFT, timedelta(seconds=3 * self.config.microsoft.poll_seconds), agent=self.agent)

    def microsoft_sync(self, *, force: bool = False, poll: bool = True, keep: bool = False) -> CourierReport:
        """Deliver the outbox (and poll open cases) under the Microsoft lease: see
        :func:`console.desk.microsoft.sync`."""
        from console.desk import microsoft

        return microsoft.sync(self, force=force, poll=poll, keep=keep)

    def authorize(self, action: str) -> None:
        """Raise :class:`RoleDenied` (naming the roles needed) unless the agent may do ``action``."""
        self.role_map.check(self.agent, self.roles, action)

    def may(self, action: str) -> bool:
        return self.role_map.allowed(self.roles, action)

    def session_claims(self) -> list[str]:
        """The live claims taken in this desk's session (none without a session)."""
        if self.session is None:
            return []
        return self.ws.tickets.session_claims(self.agent, self.session)

    def leave(self) -> list[str]:
        """On leaving a console: the claims taken in its session go back to the pool, each released and audited
        (``ticket.release``, its detail naming the session). The agent's claims in other consoles, and those
        taken from the command line, stay; a console that never left (killed, its SSH link gone) loses its
        claims when their lease ends (:meth:`expire_claims`). Returns the tickets released."""
        claims = self.session_claims()
        if claims:  # (an agent who may not claim has nothing to leave)
            self.authorize("ticket.release")
        released: list[str] = []
        for ticket_id in claims:
            with contextlib.suppress(LookupError, ticket_ops.ClaimedByOther):  # taken over, or claimed elsewhere
                ticket_ops.release(self.ws, self._fresh(ticket_id), self.agent, session=self.session)
                released.append(ticket_id)
        return released

    def renew(self, ticket_ids: list[str]) -> int:
        """Activity on a ticket keeps the agent's claim on it alive."""
        return self.ws.tickets.renew_claims(self.agent, ticket_ids, to_iso(self.clock() + self.lease))

    def expire_claims(self) -> list[str]:
        return self.ws.tickets.release_expired_claims(to_iso(self.clock()))

    def record_breaches(self) -> int:
        """Mark the SLA targets that passed unmet since the last look, with the time they passed."""
        return self.ws.sla.record_breaches(to_iso(self.clock()))

    @property
    def services(self) -> set[str]:
        return set(self.host.services)

    # -- reading -------------------------------------------------------------------------------
    def details(self, ticket_id: str) -> TicketDetails:
        """What the ticket screen shows (``ticket.view``); reads only (see ``NoticesDesk.see_ticket``)."""
        self.authorize("ticket.view")
        ticket = self.ws.tickets.ticket(ticket_id)
        if ticket is None:
            raise LookupError(f"no ticket {ticket_id}")
        return TicketDetails(
            ticket=ticket,
            timeline=self.ws.tickets.timeline(ticket["seq"]),
            findings=self.ws.tickets.findings(ticket["seq"]),
            escalations=self.ws.escalations.escalations(ticket_id=ticket["id"]),
            audit=self.ws.agents.audit_since(entity="ticket", entity_id=ticket["id"]),
            sla=self.clocks.state(self.ws, ticket),
            offer=self.billing.offer_balance(ticket["customerId"]),
            time=self.ws.billing.time_entries(ticket["seq"]),
            fields=self.ws.tickets.fields_of(ticket["seq"]),
        )

    def account(self, customer_id: str) -> Account:
        from console.billing.account import load_account

        self.authorize("billing.view")
        account = load_account(self.ws, customer_id, self.clock(), self.policy.thresholds, zone=self.config.time_zone)
        account.opportunities = [(p, f) for _, p, f in self.triage.opportunities(customer_id)]
        account.history = self.ws.agents.audit_for_account(customer_id)
        account.balance = self.billing.offer_balance(customer_id)
        return account

    def ticket(self, ticket: dict[str, Any] | str, version: int | None = None) -> dict[str, Any]:
        """The ticket as stored now (``ticket.view``); :class:`StaleVersion` unless it is at ``version``."""
        self.authorize("ticket.view")
        row = self._fresh(ticket)
        if version is not None and row["version"] != version:
            from console.shared.errors import StaleVersion

            raise StaleVersion({**row, "lastModifiedBy": self.ws.tickets.ticket_editor(row["id"])}, version)
        return row

    def find_customer(self, key: str) -> str:
        """The id of the customer with id or domain ``key`` (``billing.view``); :class:`LookupError` if none."""
        self.authorize("billing.view")
        found = self.ws.accounts.find_customer(key)
        if found is None:
            raise LookupError(f"no customer with id or domain {key!r}")
        return found

    def check(self, ticket_id: str) -> TriageResult:
        """Run the plugins' checks on the ticket and store the findings (``ticket.triage``, audited)."""
        from console.desk import findings

        return findings.check_ticket(self, ticket_id)

    def check_open(self, progress: Callable[[int], None] | None = None) -> Iterator[TriageResult]:
        """:meth:`check` for every open ticket, a batch at a time; :meth:`open_tickets` of them."""
        from console.desk import findings

        return findings.check_open(self, progress)

    def open_tickets(self) -> int:
        self.authorize("ticket.view")
        return int(self.ws.records.counts()["open tickets"])

    def opportunities(self, customer_id: str | None = None) -> list[tuple[CustomerView, str, Finding]]:
        """The plugins' account-level findings for sales (``billing.view``), for one customer or all."""
        self.authorize("billing.view")
        return self.triage.opportunities(customer_id)

    def health_board(self) -> HealthBoard:
        """The team lead's board over this workspace (``ticket.view``)."""
        from console.health.board import HealthBoard

        self.authorize("ticket.view")
        mail = self.mail.figures if self.mail.configured else None
        return HealthBoard(self.ws, self.config.time_zone, self.policy.thresholds, mail)

    def sample_health(self, now: datetime) -> bool:
        """The trend's sample (the backlog and breaches, at most every 5 minutes), the console's background work:
        it shows the agent nothing, so it needs no role."""
        from console.health.board import HealthBoard

        mail = self.mail.figures if self.mail.configured else None
        return HealthBoard(self.ws, self.config.time_zone, self.policy.thresholds, mail).sample(now)

    def escalation(self, escalation_id: int) -> dict[str, Any] | None:
        self.authorize("ticket.view")
        return self.ws.escalations.escalation(escalation_id)

    def escalations(self, states: list[str] | None = None) -> list[dict[str, Any]]:
        self.authorize("ticket.view")
        return self.ws.escalations.escalations(states=states or ())

    def sla_state(self, ticket_id: str) -> tuple[dict[str, Any], TicketSla]:
        """The ticket and its SLA clocks, as the ticket screen shows them."""
        self.authorize("ticket.view")
        ticket = self._fresh(ticket_id)
        return ticket, self.clocks.state(self.ws, ticket)

    # -- acting --------------------------------------------------------------------------------
    def retry_escalation(self, escalation_id: int) -> int:
        """Put a failed delivery back in the outbox (the store audits it); it re-sends a case to Microsoft, so it
        needs ``ticket.escalate``."""
        self.authorize("ticket.escalate")
        return self.ws.outbox.retry_escalation(escalation_id, self.agent)

    def recompute_sla(self) -> tuple[int, int]:
        """Recompute every open ticket's clocks (after offers or holidays changed), then record the breaches."""
        from console.sla.clocks import recompute_open

        self.authorize("offer.manage")
        return recompute_open(self.ws, self.clocks), self.record_breaches()

    def _fresh(self, ticket: dict[str, Any] | str) -> dict[str, Any]:
        if isinstance(ticket, dict):
            return ticket
        row = self.ws.tickets.ticket(ticket)
        if row is None:
            raise LookupError(f"no ticket {ticket}")
        return row

    def log_ticket(self, new: ticket_ops.NewTicket) -> str:
        self.authorize("ticket.create")
        fields = self.reach.checked_fields(new)  # the plugins' intake fields, each checked (a bad one is named)
        return ticket_ops.log_ticket(self.ws, new, self.agent, self.clock(), self.services, fields)

    def claim(self, ticket: dict[str, Any] | str, *, takeover: bool = False) -> dict[str, Any]:
        # (authorized from a read, and again from the row as locked should it be another's by then)
        claim = partial(ticket_ops.claim, takeover=takeover, session=self.session, authorize=self.authorize)
        return claim(self.ws, ticket, self.agent, self.clock(), self.lease)

    def claim_next(self, view: QueueQuery) -> dict[str, Any] | None:
        self.authorize("ticket.claim")  # the next open, unassigned ticket of the view (None: none left in it)
        return ticket_ops.claim_next(self.ws, view, self.agent, self.clock(), self.lease, session=self.session)

    def release(self, ticket: dict[str, Any] | str) -> dict[str, Any]:
        self.authorize("ticket.release")
        return ticket_ops.release(self.ws, self._fresh(ticket), self.agent)

    def assign(self, ticket: dict[str, Any] | str, assignee: str | None) -> dict[str, Any]:
        self.authorize("ticket.assign")
        if assignee is not None and self.ws.agents.agent(assignee) is None:
            raise ticket_ops.TicketInputError("assignee", f"'{assignee}' is not an agent of this workspace.")
        if assignee is not None and not self.agents.may_work(assignee):
            raise ticket_ops.TicketInputError("assignee", f"'{assignee}' has no role that may work tickets.")
        return ticket_ops.assign(self.ws, self._fresh(ticket), assignee, self.agent)

    def classify(self, ticket: dict[str, Any] | str, **fields: str | None) -> dict[str, Any]:
        self.authorize("ticket.classify")
        return ticket_ops.classify(self.ws, self._fresh(ticket), self.agent, self.services, **fields)

    def note(self, ticket: dict[str, Any] | str, text: str, *, reply: bool = False) -> dict[str, Any]:
        self.authorize("ticket.reply" if reply else "ticket.note")
        return ticket_ops.add_note(self.ws, self._fresh(ticket), text, self.agent, self.clock(), reply=reply)

    def set_status(
        self, ticket: dict[str, Any] | str, status: str, resolution_code: str | None = None
    ) -> dict[str, Any]:
        self.authorize("ticket.resolve" if status in ("resolved", "closed") else "ticket.status")
        return ticket_ops.set_status(self.ws, self._fresh(ticket), status, self.agent, self.clock(), resolution_code)
