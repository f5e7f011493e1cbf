"""The plugins' queue columns (:class:`~console.plugins.reach.QueueColumn`): their cells, for the rows on screen
only, and the columns hidden for the session.

The queue pages from SQLite over a million tickets and draws only the rows in sight, so a column's ``value`` is
called for those rows and no others, once per row as it is (a row that changed is a new row), a page at a time:
the rows that came into sight together. Each column's page runs on its own thread with a budget
(:func:`console.plugins.budget.call_within`): one that raises, returns something other than text, or takes more
than :data:`PAGE_BUDGET` for the page is hidden for the rest of the session, and the reason is kept, naming the
plugin, for the agent's notice. The :class:`TicketView` of a row is built from the queue's own row (no read of
its own): its ``body`` is empty (the queue does not read descriptions) and its ``fields`` are the ticket's intake
fields, which the queue reads with the page while a plugin's column is shown.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from console.plugins.budget import call_within, failure
from console.plugins.collect import Registered
from console.plugins.reach import QueueColumn
from console.plugins.views import TicketView
from console.shared.clock import parse_iso
from console.shared.model import Severity
from console.tickets.queue_query import QueueRow

#: The most a column's values may take for one page (the rows that came into sight together).
PAGE_BUDGET = 0.05
#: How long the queue waits for a page of one column before it gives up on the column: longer than the budget
#: (the thread has to be scheduled first), short enough that a plugin that hangs freezes nothing for long.
PAGE_WAIT = 0.5
#: Rows whose cells are kept (a few screens of scrolling back and forth).
CACHE_ROWS = 2000


def ticket_view(row: QueueRow) -> TicketView:
    """The :class:`TicketView` of a queue row: everything the row holds, the body empty."""
    return TicketView(
        id=row.id,
        customer_id=row.customerId,
        channel=row.channel,
        service=row.service,
        category=row.category,
        severity=Severity(row.severity),
        status=row.status,
        assignee=row.assignee,
        created=parse_iso(row.createdDate),
        first_response=parse_iso(row.firstResponseDate) if row.firstResponseDate else None,
        title=row.title,
        body="",
        contact_name=row.contactName,
        fields=MappingProxyType(dict(row.fields)),
    )


@dataclass(frozen=True)
class Hidden:
    """A column hidden for the session, and why."""

    plugin: str
    column: str
    title: str
    reason: str

    def sentence(self) -> str:
        return (
            f"The queue column “{self.title}” ({self.column}) of plugin {self.plugin} is hidden for this session: "
            f"{self.reason}."
        )


def _page(column: QueueColumn, views: Sequence[TicketView]) -> list[str]:
    texts = []
    for view in views:
        text = column.value(view)
        if not isinstance(text, str):
            raise TypeError(f"value returned {type(text).__name__}, expected text")
        texts.append(text)
    return texts


class ColumnCells:
    """The cells of the plugins' columns, by row, computed a page of rows at a time."""

    def __init__(
        self, columns: Sequence[Registered[QueueColumn]], *, budget: float = PAGE_BUDGET, wait: float = PAGE_WAIT
    ) -> None:
        self.columns = list(columns)
        self.budget = budget
        self.wait = wait
        self.hidden: dict[str, Hidden] = {}
        self._cells: OrderedDict[QueueRow, dict[str, str]] = OrderedDict()

    def shown(self) -> list[Registered[QueueColumn]]:
        """The columns still shown (not hidden for the session)."""
        return [c for c in self.columns if c.item.id not in self.hidden]

    def cells(self, row: QueueRow) -> dict[str, str] | None:
        """The row's cells by column id (``None``: not computed yet)."""
        return self._cells.get(row)

    def compute(self, rows: Sequence[QueueRow]) -> list[Hidden]:
        """Compute the cells of ``rows`` not known yet (one page); return the columns hidden by doing so."""
        todo = [r for r in dict.fromkeys(rows) if r not in self._cells]
        if not todo:
            return []
        found: dict[QueueRow, dict[str, str]] = {r: {} for r in todo}
        views = [ticket_view(r) for r in todo]
        newly: list[Hidden] = []
        for registered in self.shown():
            column = registered.item
            services = column.services
            mine = [(r, v) for r, v in zip(todo, views, strict=True) if not services or r.service in services]
            if not mine:
                continue
            outcome = call_within(partial(_page, column, [v for _, v in mine]), self.wait, name="csp-queue-column")
            reason, limit = None, f"(the limit is {self.budget * 1000:g} ms)"
            if outcome.timed_out:
                reason = f"its values did not come within {self.wait:g} s for one page {limit}"
            elif outcome.error is not None:
                reason = f"its value raised {failure(outcome.error)}"
            elif outcome.seconds > self.budget:
                reason = f"its values took {outcome.seconds * 1000:.0f} ms for one page {limit}"
            if reason is not None:
                hidden = Hidden(registered.plugin, column.id, column.title, reason)
                self.hidden[column.id] = hidden
                newly.append(hidden)
                continue
            for (row, _), text in zip(mine, outcome.value, strict=True):
                found[row][column.id] = text
        for row, cells in found.items():
            self._cells[row] = cells
        while len(self._cells) > CACHE_ROWS:
            self._cells.popitem(last=False)
        return newly
