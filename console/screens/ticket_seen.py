"""What the agent saw of the ticket in front of them, recorded by the ticket screen after each load, on its own:
reading a ticket never writes (it never waits for another writer's lock, and never wakes the other consoles);
this best-effort write follows, only when something is new since the agent's marker, and gives way to another
writer (a bulk import holding the workspace) to be tried again a little later and on the next load."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.timer import Timer

    from console.screens.ticket import TicketScreen

#: How soon the seen marker is tried again when another writer held the workspace.
RETRY_SECONDS = 2.0


class SeenMarker:
    """The ticket screen's seen marker: :meth:`record` after each load."""

    def __init__(self, screen: TicketScreen) -> None:
        self.screen = screen
        self._retry: Timer | None = None

    def record(self) -> None:
        screen = self.screen
        notices, ticket_id = screen.console.desk.notices, screen.ticket_id

        def done(wrote: bool | None) -> None:
            if self._retry is not None:
                self._retry.stop()
            gave_way = wrote is None and screen.is_attached
            self._retry = screen.set_timer(RETRY_SECONDS, self.record) if gave_way else None

        screen.call_core(lambda: notices.see_ticket(ticket_id), done, group="ticket-seen", exclusive=True)
