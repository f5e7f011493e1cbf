"""The queue: a window over SQLite drawn with Textual's Line API.

Only the visible rows are ever rendered. Rows come in pages of :data:`PAGE` from the store, loaded in a
thread worker by keyset (from a neighbouring page's first or last key), from the end for the last page, or
by offset as a fallback for a jump into the middle; a small LRU cache keeps recent pages.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState

from console.clock import humanize_delta, parse_iso
from console.queue_query import QueueQuery, QueueRow
from console.store import Workspace
from console.widgets.cells import fit

PAGE = 60
CACHE_PAGES = 24

SERVICE_SHORT = {"azure": "AZ", "office365": "M365", "dynamics365": "D365"}
CATEGORY_SHORT = {"billing": "BILL", "subscription": "SUBS", "technical": "TECH"}
STATUS_SHORT = {
    "new": "new",
    "triaged": "triaged",
    "in_progress": "working",
    "waiting_customer": "wait cust",
    "waiting_microsoft": "wait MS",
    "resolved": "resolved",
    "closed": "closed",
}
SEVERITY_SHORT = {"critical": "A", "moderate": "B", "minimal": "C", "unknown": "-"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # 0: takes the remaining width


def columns_for(width: int) -> list[Column]:
    """The queue's columns at a given width; the title takes what is left."""
    wide = width >= 120
    cols = [
        Column("id", "Ticket", 10),
        Column("age", "Age", 4),
        Column("sla", "SLA", 5),
        Column("severity", "S", 1),
        Column("service", "Svc", 4),
        Column("category", "Cat", 4),
        Column("customer", "Customer", 24 if wide else 12),
        Column("title", "Title", 0),
        Column("assignee", "Assignee", 14 if wide else 8),
        Column("status", "Status", 9),
    ]
    fixed = sum(c.width for c in cols) + len(cols) - 1
    title = max(8, width - fixed)
    return [Column(c.key, c.label, title) if c.width == 0 else c for c in cols]


def cell_values(row: QueueRow, now: datetime) -> dict[str, str]:
    if row.slaDueDate.startswith("9999"):
        sla = "—"
    else:
        sla = humanize_delta(parse_iso(row.slaDueDate) - now)
    return {
        "id": row.id,
        "age": humanize_delta(now - parse_iso(row.createdDate)),
        "sla": sla,
        "severity": SEVERITY_SHORT.get(row.severity, "?"),
        "service": SERVICE_SHORT.get(row.service or "", row.service or "?"),
        "category": CATEGORY_SHORT.get(row.category or "", row.category or "?"),
        "customer": row.companyName,
        "title": row.title,
        "assignee": row.assignee or "—",
        "status": STATUS_SHORT.get(row.status, row.status),
    }


def header_text(width: int) -> str:
    return " ".join(fit(c.label, c.width) for c in columns_for(width))


class QueueTable(ScrollView, can_focus=True):
    """The ticket queue; ``query`` decides what it shows."""

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="queue.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="queue.up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="queue.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="queue.page_up"),
        Binding("home,g", "first", "First", show=False, id="queue.first"),
        Binding("end,G", "last", "Last", show=False, id="queue.last"),
    ]

    COMPONENT_CLASSES = {
        "queue--cursor",
        "queue--breached",
        "queue--critical",
        "queue--loading",
    }

    DEFAULT_CSS = """
    QueueTable { height: 1fr; scrollbar-size-vertical: 1; }
    QueueTable > .queue--cursor { background: $accent 40%; text-style: bold; }
    QueueTable:focus > .queue--cursor { background: $accent; color: $text; }
    QueueTable > .queue--breached { color: $error; text-style: bold; }
    QueueTable > .queue--critical { color: $warning; }
    QueueTable > .queue--loading { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class CountChanged(Message):
        """The number of tickets in the view changed."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class Resized(Message):
        """The width rows are drawn at changed (the screen redraws the column header)."""

        def __init__(self, width: int) -> None:
            super().__init__()
            self.width = width

    def __init__(
        self,
        workspace: Workspace,
        clock: Callable[[], datetime],
        query: QueueQuery | None = None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.workspace = workspace
        self.clock = clock
        self.query_ = query or QueueQuery()
        self.count: int | None = None
        self._pages: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self._loading: set[int] = set()
        self._generation = 0

    # -- data ----------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.reload()

    def set_query(self, query: QueueQuery) -> None:
        self.query_ = query
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.reload()

    def reload(self) -> None:
        """Forget cached pages and count the view again (in a worker)."""
        self._generation += 1
        self._pages.clear()
        self._loading.clear()
        generation, query = self._generation, self.query_
        self.run_worker(
            lambda: (generation, self.workspace.queue_count(query)),
            thread=True,
            group="queue-count",
            exclusive=True,
            exit_on_error=False,
            name="count",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self.app.notify(f"The queue could not be read: {worker.error}", severity="error", markup=False)
            return
        if event.state != WorkerState.SUCCESS or worker.result is None:
            return
        if worker.name == "count":
            generation, count = worker.result
            if generation == self._generation:
                self.count = count
                self.virtual_size = Size(self.content_width, count)
                self.cursor = min(self.cursor, max(0, count - 1))
                self.post_message(self.CountChanged(count))
                self.refresh()
        elif worker.name.startswith("page"):
            generation, page, rows = worker.result
            self._loading.discard(page)
            if generation == self._generation:
                self._pages[page] = rows
                self._pages.move_to_end(page)
                while len(self._pages) > CACHE_PAGES:
                    self._pages.popitem(last=False)
                self.refresh()

    def _request_page(self, page: int) -> None:
        if page in self._loading or self.count is None:
            return
        self._loading.add(page)
        generation, query, count = self._generation, self.query_, self.count
        prev_rows = self._pages.get(page - 1)
        next_rows = self._pages.get(page + 1)
        last_page = (count - 1) // PAGE

        def load() -> tuple[int, int, list[QueueRow]]:
            ws = self.workspace
            if page == 0:
                rows = ws.queue_page(query, limit=PAGE)
            elif prev_rows:
                tail = prev_rows[-1]
                rows = ws.queue_page(query, limit=PAGE, after=(tail.sort_value, tail.seq))
            elif page == last_page:
                rows = ws.queue_page(query, limit=count - page * PAGE, from_end=True)
            elif next_rows:
                head = next_rows[0]
                rows = ws.queue_page(query, limit=PAGE, before=(head.sort_value, head.seq))
            else:
                rows = ws.queue_page(query, limit=PAGE, offset=page * PAGE)
            return generation, page, rows

        self.run_worker(load, thread=True, group="queue-pages", exit_on_error=False, name=f"page-{page}")

    def row_at(self, index: int) -> QueueRow | None:
        rows = self._pages.get(index // PAGE)
        if rows is None:
            return None
        offset = index % PAGE
        return rows[offset] if offset < len(rows) else None

    @property
    def current_row(self) -> QueueRow | None:
        return self.row_at(self.cursor) if self.count else None

    # -- drawing -------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.content_width
        if self.count is None or index >= self.count:
            return Strip.blank(width, self.rich_style)
        row = self.row_at(index)
        if row is None:
            self._request_page(index // PAGE)
            style = self.get_component_rich_style("queue--loading")
            return Strip([Segment(fit("  …", width), style)], width)
        now = self.clock()
        values = cell_values(row, now)
        base = self.rich_style
        if index == self.cursor:
            base = base + self.get_component_rich_style("queue--cursor")
        segments: list[Segment] = []
        for n, column in enumerate(columns_for(width)):
            style: Style = base
            if column.key == "sla" and values["sla"].startswith("-"):
                style = base + self.get_component_rich_style("queue--breached")
            elif column.key == "severity" and row.severity == "critical":
                style = base + self.get_component_rich_style("queue--critical")
            if n:
                segments.append(Segment(" ", base))
            segments.append(Segment(fit(values[column.key], column.width), style))
        return Strip(segments).adjust_cell_length(width, base)

    @property
    def content_width(self) -> int:
        """Columns available to rows: the widget less its scrollbar."""
        return self.scrollable_content_region.width

    def on_resize(self) -> None:
        if self.count is not None:
            self.virtual_size = Size(self.content_width, self.count)
        self.post_message(self.Resized(self.content_width))

    # -- cursor --------------------------------------------------------------------------------
    def watch_cursor(self) -> None:
        self._scroll_cursor_into_view()
        self.refresh()

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def _move(self, delta: int) -> None:
        if not self.count:
            return
        self.cursor = max(0, min(self.count - 1, self.cursor + delta))

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height - 1))

    def action_first(self) -> None:
        self._move(-(self.count or 0))

    def action_last(self) -> None:
        self._move(self.count or 0)
