"""Who may do what. The role-to-action map is data: a default drawn from Microsoft's partner-center
articles (which disagree in places), overridable by the desk's policy in the workspace (``roles.ACTION``,
:mod:`console.desk.policy`), never by an agent's config file. Every action the
console or the command line performs is checked here, in the core."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from console.shared.model import Role

if TYPE_CHECKING:
    from datetime import datetime

    from console.desk.directory import DirectoryReads
    from console.desk.door import Desk
    from console.store import Interruptible, Workspace
    from console.tickets.queue_query import QueueQuery, QueueRow
    from console.tickets.views import View

GA, UA, HD, BA, SA, AA = (
    Role.GLOBAL_ADMIN,
    Role.USER_ADMIN,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
    Role.SALES_AGENT,
    Role.ADMIN_AGENT,
)
ALL = tuple(Role)

#: action -> roles allowed. Sales agents read tickets and escalate; billing admins and user admins work
#: billing questions; helpdesk and admin agents work every ticket; only global admins manage agents.
DEFAULT_ROLE_MAP: dict[str, tuple[Role, ...]] = {
    "ticket.view": ALL,
    "ticket.create": (GA, UA, HD, BA, AA),
    "ticket.claim": (GA, UA, HD, BA, AA),
    "ticket.release": (GA, UA, HD, BA, AA),
    "ticket.note": (GA, UA, HD, BA, SA, AA),
    # Running a plugin's ticket action (console.desk.reach), and the note it adds to the timeline: whoever may
    # add a note.
    "ticket.plugin_action": (GA, UA, HD, BA, SA, AA),
    "ticket.reply": (GA, UA, HD, BA, AA),
    "ticket.status": (GA, UA, HD, BA, AA),
    "ticket.resolve": (GA, UA, HD, BA, AA),
    "ticket.classify": (GA, HD, BA, AA),
    "ticket.assign": (GA, HD, AA),
    "ticket.takeover": (GA, HD, AA),
    "ticket.escalate": (GA, HD, SA, AA),
    "ticket.time": (GA, UA, HD, BA, AA),
    # Running the plugins' checks and storing their findings: whoever works tickets (a Sales agent reads the
    # findings others stored, and its escalations run the checks without storing them).
    "ticket.triage": (GA, UA, HD, BA, AA),
    # An agent's own saved queue views (save, replace, delete): every agent, Sales agents included.
    "view.save": ALL,
    "billing.view": (GA, UA, HD, BA, SA, AA),
    "billing.manage": (GA, BA),  # record payments, act on dunning steps
    "offer.manage": (GA, BA),  # support offers and holiday calendars
    # Suspension for non-payment: the articles disagree on who may; by default the billing owners only.
    "subscription.suspend": (GA, BA),
    "subscription.reactivate": (GA, BA),
    "audit.view": (GA, BA),
    # Acknowledging a break in the audit chain (audited, naming the break): Global admins.
    "audit.acknowledge": (GA,),
    "agents.manage": (GA,),
    # The desk's policy (console.desk.policy): the role map itself, claim time, SLA defaults.
    "policy.set": (GA,),
    # Reading Partner Center and GDAP into the workspace (`sync`, `gdap sync`) decides nothing: every agent.
    "microsoft.sync": ALL,
    # Import and export: a Global admin restores or bulk-changes records; the billing owners also take exports
    # (the whole book of customers and receivables). An import that overwrites newer changes needs both
    # records.import and records.overwrite (``--force``).
    "records.import": (GA,),
    "records.export": (GA, BA),
    "records.overwrite": (GA,),
    # Mail (console/mail): reading the desk's mailbox into tickets and sending the replies agents wrote decides
    # nothing new (every agent's console may be the runner); saying whose an unknown sender is, whoever logs
    # tickets; sending again a reply that may have gone out already, the leads.
    "mail.run": ALL,
    "mail.assign": (GA, UA, HD, BA, AA),
    "mail.resend": (GA, HD, AA),
}
ACTIONS = tuple(DEFAULT_ROLE_MAP)


class RoleDenied(PermissionError):
    """The agent lacks a role the action needs; the message names the roles that would allow it."""

    def __init__(self, agent: str, roles: Iterable[str], action: str, allowed: Iterable[str]) -> None:
        held = ", ".join(sorted(roles)) or "no role"
        needs = " or ".join(sorted(allowed)) or "a role the configuration does not grant to anyone"
        super().__init__(f"{agent} ({held}) may not {action}: it needs {needs}.")
        self.action = action


class RoleMap:
    def __init__(self, overrides: Mapping[str, Iterable[str]] | None = None) -> None:
        self.map: dict[str, frozenset[str]] = {
            a: frozenset(r.value for r in roles) for a, roles in DEFAULT_ROLE_MAP.items()
        }
        for action, roles in (overrides or {}).items():
            if action not in self.map:
                raise ValueError(f"unknown action {action!r} in the role map; expected one of {', '.join(ACTIONS)}")
            values = frozenset(roles)
            unknown = values - {r.value for r in Role}
            if unknown:
                raise ValueError(f"roles.{action}: unknown role {sorted(unknown)[0]!r}; expected {', '.join(Role)}")
            self.map[action] = values

    def allowed(self, roles: Iterable[str], action: str) -> bool:
        return bool(self.map[action] & set(roles))

    def check(self, agent: str, roles: Iterable[str], action: str) -> None:
        roles = set(roles)
        if not self.allowed(roles, action):
            raise RoleDenied(agent, roles, action, self.map[action])


class AgentSource(Protocol):
    def agent(self, login: str) -> dict[str, Any] | None: ...

    def agent_count(self) -> int: ...


class Door:
    """One agent's authorization: who acts, with which roles, under which map. The desk holds one; so does the
    queue before the desk is built (it needs no plugins), so both check the same way."""

    def __init__(self, agent: str, roles: Iterable[str], role_map: RoleMap, *, owner: bool = False) -> None:
        self.agent = agent
        self.roles = sorted(set(roles))
        self.role_map = role_map
        self.owner = owner  #: the workspace has no agent yet: whoever holds the file sets it up

    @classmethod
    def for_agent(
        cls,
        agents: AgentSource,
        overrides: Mapping[str, Iterable[str]] | None,
        agent: str,
        *,
        path: object = None,
        owner_if_empty: bool = False,
    ) -> Door:
        """The door of ``agent`` in a workspace; :class:`~console.desk.identity.UnknownAgent` unless it is an agent.
        With ``owner_if_empty`` a workspace with no agent at all (before its first ``agents add``) lets its
        owner act as a Global admin, the same bootstrap as ``agents add``."""
        from console.desk.identity import UnknownAgent

        role_map = RoleMap(overrides)
        record = agents.agent(agent)
        if record is not None:
            return cls(agent, record["roles"], role_map)
        if owner_if_empty and agents.agent_count() == 0:
            return cls(agent, [GA.value], role_map, owner=True)
        raise UnknownAgent(agent, path)

    def may(self, action: str) -> bool:
        return self.role_map.allowed(self.roles, action)

    def authorize(self, action: str) -> None:
        """Raise :class:`RoleDenied` (naming the roles needed) unless the agent may do ``action``."""
        self.role_map.check(self.agent, self.roles, action)


T = TypeVar("T")


class QueueReads:
    """The queue's reads, each authorized ``ticket.view`` (one in-memory check, no query): the desk's
    (:attr:`console.desk.door.Desk.reads`), and the queue screen's before the desk is built (it needs no plugins,
    so it lives here, on the first painted queue's path). A page is still one query from SQLite. Also the
    agent's saved views: read with the queue, saved and deleted with ``view.save``, audited."""

    def __init__(self, ws: Workspace, door: Door | Desk) -> None:
        self.ws = ws
        self.door = door
        #: Pages carry each ticket's plugin intake fields (while the queue shows a plugin's column).
        self.with_fields = False

    @property
    def may_view(self) -> bool:
        return self.door.may("ticket.view")

    def authorize_view(self) -> None:
        self.door.authorize("ticket.view")

    def within(self, seconds: float, read: Callable[[], T]) -> T | None:
        """``read()`` (one of these reads) if it succeeds within ``seconds`` on this thread, else ``None``."""
        return self.ws.within(seconds, read)

    @property
    def connection(self) -> Interruptible:
        """This thread's connection, to interrupt a superseded read."""
        return self.ws.conn

    @cached_property
    def directory(self) -> DirectoryReads:
        """The customer directory: customers and their callers by name, domain, email or phone (``ticket.view``)."""
        from console.desk.directory import DirectoryReads

        return DirectoryReads(self.ws, self.door)

    def queue_page(self, query: QueueQuery, **page: Any) -> list[QueueRow]:
        """A page of the queue, each row marked ``changed`` when someone else changed it since this agent
        opened it (one more query, over the page's ids only), and with :attr:`with_fields` its tickets' plugin
        intake fields (one more, over the page's tickets)."""
        self.door.authorize("ticket.view")
        rows = self.ws.queue.queue_page(query, **page)
        changed = self.ws.notices.changed_among(self.door.agent, [r.id for r in rows])
        fields = self.ws.tickets.fields_among([r.seq for r in rows]) if self.with_fields and rows else {}
        if not changed and not fields:
            return rows
        return [replace(r, changed=r.id in changed, fields=fields.get(r.seq, ())) for r in rows]

    def queue_count(self, query: QueueQuery) -> int:
        self.door.authorize("ticket.view")
        return self.ws.queue.queue_count(query)

    def view_counts(self, queries: list[QueueQuery]) -> list[int]:
        self.door.authorize("ticket.view")
        return self.ws.queue.view_counts(queries)

    def in_view(self, query: QueueQuery, ids: list[str]) -> set[str]:
        """Which of the marked tickets ``ids`` the view holds now (the rest are marked elsewhere)."""
        self.door.authorize("ticket.view")
        return self.ws.queue.in_view(query, ids)

    # -- views -----------------------------------------------------------------------------------
    def views(self, now: datetime) -> list[View]:
        """The built-in views, then the ones this agent saved."""
        from console.tickets.queue_query import QueueQuery
        from console.tickets.views import View, builtin_views

        self.door.authorize("ticket.view")
        agent = self.door.agent
        saved = [
            View(name, name[:12], QueueQuery.from_json(q), saved=True) for name, q in self.ws.queue.saved_views(agent)
        ]
        return builtin_views(agent, now) + saved

    def save_view(self, name: str, query: QueueQuery) -> None:
        """Save (or replace) this agent's view ``name``."""
        self.door.authorize("view.save")
        with self.ws.transaction():
            self.ws.queue.save_view(self.door.agent, name, query.to_json())
            self.ws.audit(self.door.agent, "view.save", "view", name, {"query": query.to_json()})

    def delete_view(self, name: str) -> bool:
        """Delete this agent's view ``name``; whether there was one."""
        self.door.authorize("view.save")
        with self.ws.transaction():
            deleted = self.ws.queue.delete_view(self.door.agent, name)
            if deleted:
                self.ws.audit(self.door.agent, "view.delete", "view", name, {})
        return deleted
