"""The queue's claims: ``c`` claims the ticket under the cursor (asking first when another agent holds it);
``t`` takes the next one: the first open, unassigned ticket of the view on screen, in its order, claimed and
opened at once, with the queue's cursor put on it for the way back. Of two agents pressing ``t`` together each
gets another ticket (the desk picks and claims it in one write: :func:`console.tickets.ops.claim_next`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from console.screens.dialogs import Confirm
from console.screens.ticket_steps import loaded_index
from console.shared.safe_text import clean_line


class QueueClaims:
    """Mixin for the queue screen (it has ``table``, ``console``, ``call_core`` and ``action_refresh``)."""

    table: Any
    console: Any
    app: Any

    if TYPE_CHECKING:  # the screen's own (console.screens.base.ConsoleScreen, QueueScreen)

        def call_core(self, fn: Callable[[], Any], then: Callable[[Any], object] | None = None, **kw: Any) -> Any: ...
        def action_refresh(self) -> None: ...

    def action_claim(self) -> None:
        row = self.table.current_row
        if row is None:
            return
        if row.assignee and row.assignee != self.console.agent:
            question = f"{row.id} is held by {row.assignee}. Take it over?"
            self.app.push_screen(Confirm(question), lambda yes: self._claim(row.id, takeover=True) if yes else None)
        else:
            self._claim(row.id)

    def _claim(self, ticket_id: str, *, takeover: bool = False) -> None:
        def done(ticket: dict[str, object]) -> None:
            self.app.notify(f"{ticket['id']} is yours.", markup=False)
            self.action_refresh()

        claim = partial(self.console.desk.claim, ticket_id, takeover=takeover)  # a fault: `c` again retries
        self.call_core(claim, done, on_stale=lambda _: self.action_refresh(), title=f"{ticket_id} not claimed")

    def action_take_next(self) -> None:
        def done(ticket: dict[str, Any] | None) -> None:
            if ticket is None:
                self.app.notify("Nothing to take: no open, unassigned ticket in this view.", markup=False)
                return
            self.app.notify(f"{ticket['id']} is yours: {clean_line(str(ticket['title']), 60)}", markup=False)
            at = loaded_index(self.table, str(ticket["id"]))
            if at is not None:  # back from it, the cursor is on it (or, when the view lets it go, where it was)
                self.table.cursor = at
            self.action_refresh()
            self.console.open_ticket(str(ticket["id"]))

        take = partial(self.console.desk.claim_next, self.table.query_)  # a fault: `t` again retries
        self.call_core(take, done, title="No ticket taken")
