"""The desk's part for notices (``desk.notices``): the agent's own notices and read markers, and the breach
warnings the workspace's breach sweep writes.

An agent's notices are theirs: reading them and marking them seen needs no role beyond being an agent of
the workspace (the desk is built for one). Reading a ticket (:meth:`console.desk.door.Desk.details`) writes
nothing; the ticket screen, once it has shown the ticket, records what the agent saw of it
(:meth:`NoticesDesk.see_ticket`): a read marker with no audit row (it changes nothing anyone else sees but the
"changed" marker of that agent's own queue), written only when something is new and never waiting long for
another writer. The command line's ``ticket show`` records none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from console.notices import kinds
from console.notices.kinds import Kind, Notice
from console.shared.clock import to_iso
from console.tickets.views import BREACHING_WITHIN

if TYPE_CHECKING:
    from console.desk.door import Desk

#: How long notices are kept (the list shows the latest; the ticket's timeline and the audit keep the facts).
KEEP = timedelta(days=90)


@dataclass(frozen=True)
class News:
    """What came for the agent past the last notice a console showed."""

    last: int  # the id of the latest (the one shown before when nothing came)
    count: int  # how many came, however many that is
    newest: list[Notice]  # the latest few of them, oldest first


class NoticesDesk:
    """One agent's notices, through the desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.ws = desk.ws
        self.agent = desk.agent

    # -- the agent's notices -------------------------------------------------------------------
    def news(self, after: int, newest: int) -> News:
        """What is past id ``after`` (the last one this console showed), seen or not: how many, the last id,
        and the ``newest`` latest ones. A notice about the ticket in front of the agent is marked seen as that
        screen refreshes, maybe before this console's read, and is still news."""
        count, last, rows = self.ws.notices.news(self.agent, after, newest)
        return News(last, count, [Notice(**row) for row in rows])

    def recent(self, limit: int = 200) -> list[Notice]:
        """The latest notices, newest first, seen or not."""
        return [Notice(**row) for row in self.ws.notices.recent(self.agent, limit)]

    def unseen_count(self) -> int:
        return self.ws.notices.unseen_count(self.agent)

    def last_id(self) -> int:
        return self.ws.notices.last_id(self.agent)

    def mark_seen(self, ids: Sequence[int]) -> int:
        return self.ws.notices.mark_seen(self.agent, ids)

    def mark_all_seen(self, up_to: int) -> int:
        """Every notice of the agent up to id ``up_to`` (the newest the agent was shown) seen, listed or not."""
        return self.ws.notices.mark_all_seen(self.agent, up_to)

    # -- what the agent saw of a ticket ------------------------------------------------------------
    def see_ticket(self, ticket_id: str) -> bool | None:
        """The agent was shown the ticket: its "changed" marker goes, and its notices count as seen. Best
        effort: a write only when something is new since the agent's marker, and none while another writer
        holds the workspace (a bulk import). Whether it wrote; ``None`` when it gave way to another writer
        (the screen tries again a little later, and on its next load)."""
        self.desk.authorize("ticket.view")
        return self.ws.notices.see_ticket(self.agent, ticket_id)

    def changed(self, ticket_ids: Sequence[str]) -> set[str]:
        """Of these tickets (a page of the queue), those changed by someone else since the agent opened them."""
        return self.ws.notices.changed_among(self.agent, ticket_ids)

    # -- the breach sweep's warnings --------------------------------------------------------------
    def warn_breaching(self) -> int:
        """A notice to the assignee of each open ticket whose next SLA target falls within the desk's
        "breaching soon" window (:data:`console.tickets.views.BREACHING_WITHIN`), once per ticket, agent and due
        time however many consoles sweep (a unique key); a moved due time warns again. How many were written.
        Notices older than :data:`KEEP` go in the same sweep."""
        now = self.desk.clock()
        with self.ws.transaction():
            self.ws.notices.prune(to_iso(now - KEEP))
            rows = self.ws.notices.breaching(to_iso(now), to_iso(now + BREACHING_WITHIN))
            return self.ws.notices.add_many(
                {
                    "agent": row["assignee"],
                    "kind": Kind.BREACH.value,
                    "ticketId": row["id"],
                    "customerId": row["customerId"],
                    "text": kinds.breaching(
                        row["id"], row["slaDueDate"], row["firstResponseDate"] is None, row["title"]
                    ),
                    "dueAt": row["slaDueDate"],
                    "dedupe": f"breach:{row['id']}:{row['slaDueDate']}",
                }
                for row in rows
            )
