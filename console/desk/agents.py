"""The desk's agents and audit trail (``desk.agents``): who works the workspace, with which roles
(``agents.manage``), and who did what (``audit.view``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from console.shared.safe_text import clean_line

if TYPE_CHECKING:
    from console.desk.audit_chain import Break, Verdict
    from console.desk.door import Desk


#: What an assignee must be allowed to do: work the ticket (claim it).
WORK_ACTION = "ticket.claim"

#: A login an agent can have: the name of an account on the host (``kenji.sato``, ``maria@corp.example`` through
#: SSSD) or of a PostgreSQL role, up to PostgreSQL's 63 bytes. No space, control or other character: ``agents add``
#: took ``" root"``, ``"a b"`` and a name with an ESC in it, agents nobody could ever be.
LOGIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._@$-]{0,62}")


class LoginError(ValueError):
    """A login no account can have."""


def check_login(login: str) -> str:
    if not LOGIN.fullmatch(login):
        raise LoginError(
            f"{clean_line(login, 80)!r} is not a login: a login is the name of an account on this host or of a "
            "database role, of letters, digits and . _ - @ $ (at most 63), starting with a letter, digit or _"
        )
    return login


class AgentsDesk:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def listing(self) -> list[dict[str, Any]]:
        """Every agent and their roles: any agent may read who works the workspace (the console's assignee
        list shows them all)."""
        return self.desk.ws.agents.agents()

    def assignable(self) -> list[dict[str, Any]]:
        """The agents a ticket may be assigned to (login, displayName, roles): those whose roles allow working it
        (``ticket.claim`` in the desk's role map: an agent whose roles were all revoked, or a Sales agent by
        default, is not offered), read now, so an agent added since the console started is there."""
        role_map = self.desk.role_map
        return [a for a in self.desk.ws.agents.agents() if role_map.allowed(a["roles"], WORK_ACTION)]

    def may_work(self, login: str) -> bool:
        record = self.desk.ws.agents.agent(login)
        return record is not None and self.desk.role_map.allowed(record["roles"], WORK_ACTION)

    def add(self, login: str, roles: list[str], name: str = "", email: str = "") -> None:
        self.desk.authorize("agents.manage")
        check_login(login)
        self.desk.ws.agents.add_agent(login, name or login, email, roles, self.desk.agent)

    def roles_of(self, login: str) -> list[str]:
        """``login``'s roles, for a Global admin about to change them; :class:`LookupError` if no agent."""
        self.desk.authorize("agents.manage")
        record = self.desk.ws.agents.agent(login)
        if record is None:
            raise LookupError(f"no agent {login!r}")
        return list(record["roles"])

    def set_roles(self, login: str, roles: list[str], action: str) -> list[str]:
        self.roles_of(login)
        return list(self.desk.ws.agents.set_roles(login, sorted(roles), self.desk.agent, action))

    def audit_trail(self, since: str | None = None, ticket: str | None = None) -> list[dict[str, Any]]:
        """The audit rows since ``since`` (ISO 8601), of one ticket or all."""
        self.desk.authorize("audit.view")
        return list(self.desk.ws.agents.audit_since(since, "ticket" if ticket else None, ticket))

    def verify_audit(self) -> Verdict:
        """Walk the audit chain and check its triggers (``audit.view``): see :mod:`console.desk.audit_chain`."""
        from console.desk import audit_chain

        self.desk.authorize("audit.view")
        return audit_chain.check(self.desk.ws)

    def acknowledge_audit(self) -> list[Break]:
        """Acknowledge the open breaks of the audit chain (``audit.acknowledge``), each audited by name."""
        from console.desk import audit_chain

        return audit_chain.acknowledge(self.desk)
