"""From one ticket to the next of the queue's view without going back to it: ``]`` the next, ``[`` the previous,
in the queue's filter and order (as its keyset pages read them); the queue's cursor follows, so going back lands
on the ticket last shown. At either end of the view a notice says so (no silent wrap)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from console.tickets.queue_query import QueueRow

if TYPE_CHECKING:
    from console.app import CspConsoleApp
    from console.screens.queue import QueueScreen
    from console.widgets.queue_table import QueueTable

#: Rows of the queue's loaded pages searched for the ticket shown (beyond them, one keyset read finds it).
_PAGES_SEARCHED = 24


class TicketSteps:
    """Mixin for the ticket screen (``ticket_id``, ``call_core``): next and previous ticket of the queue's view."""

    ticket_id: str
    #: The queue's row of this ticket when it was stepped to (its place in the view, even once it left it).
    queue_row: QueueRow | None = None

    @property
    def _app(self) -> CspConsoleApp:
        return cast("CspConsoleApp", self.app)  # type: ignore[attr-defined]

    def _queue(self) -> QueueScreen:
        return cast("QueueScreen", self._app.screen_stack[0])

    def action_step(self, step: int) -> None:
        queue = self._queue()
        table, reads = queue.table, queue.reads
        query, ticket = table.query_, self.ticket_id
        anchor = self.queue_row if self.queue_row is not None and self.queue_row.id == ticket else None
        anchor = anchor or _loaded_row(table, ticket)

        def read() -> tuple[QueueRow | None, QueueRow | None]:
            here = anchor
            if here is None:  # not on the queue's loaded pages: its place in the view, if it is in it
                found = reads.queue_page(query.with_(search=ticket), limit=1) if not query.search.strip() else []
                here = found[0] if found and found[0].id == ticket else None
            if here is None:
                return None, None
            key = (here.sort_value, here.seq)
            rows = reads.queue_page(query, limit=1, **({"after": key} if step > 0 else {"before": key}))
            return here, rows[0] if rows else None

        self.call_core(read, lambda result: self._stepped(step, *result), group="step", exclusive=True)  # type: ignore[attr-defined]

    def _stepped(self, step: int, here: QueueRow | None, row: QueueRow | None) -> None:
        queue = self._queue()
        view = queue.views[queue.view_index].name if queue.view_index is not None and queue.views else "this view"
        if here is None:
            self._app.notify(
                f"{self.ticket_id} is not in the queue's view ({view}): ] and [ move through that view.",
                markup=False,
            )
            return
        if row is None:
            where = "last" if step > 0 else "first"
            message = f"{self.ticket_id} is the {where} ticket of {view}."
            self._app.notify(message, title="End of the view", markup=False)
            return
        _move_cursor(queue.table, here, row, step)
        from console.screens.ticket import TicketScreen

        screen = TicketScreen(row.id)
        screen.queue_row = row
        self._app.switch_screen(screen)

    def action_yank(self) -> None:
        self._app.copy_ticket_id(self.ticket_id)


def _loaded_row(table: QueueTable, ticket: str) -> QueueRow | None:
    """This ticket's row on the queue's loaded pages, the cursor's first."""
    current = table.current_row
    if current is not None and current.id == ticket:
        return current
    return next((r for r, _ in _loaded(table) if r.id == ticket), None)


def loaded_index(table: QueueTable, ticket: str) -> int | None:
    """Where ``ticket`` is on the queue's loaded pages (``None``: not on them)."""
    return next((i for r, i in _loaded(table) if r.id == ticket), None)


def _loaded(table: QueueTable) -> list[tuple[QueueRow, int]]:
    out = []
    for index in range(min(table.count or 0, 60 * _PAGES_SEARCHED)):
        row = table.row_at(index)
        if row is not None:
            out.append((row, index))
    return out


def _move_cursor(table: QueueTable, here: QueueRow, row: QueueRow, step: int) -> None:
    """The queue's cursor onto ``row`` (on a loaded page), else one step from the ticket it was on."""
    index = next((i for r, i in _loaded(table) if r.id == row.id), None)
    if index is None:
        at = next((i for r, i in _loaded(table) if r.id == here.id), table.cursor)
        index = at + (1 if step > 0 else -1)
    if table.count:
        table.cursor = max(0, min(table.count - 1, index))
