"""The queue: a window over SQLite drawn with Textual's Line API.

Only the visible rows are ever rendered. Rows come in pages of :data:`PAGE` from the store, loaded in a
thread worker by keyset (from a neighbouring page's first or last key), from the end for the last page, or
by offset as a fallback for a jump into the middle; a small LRU cache keeps recent pages.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from rich.segment import Segment
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.desk.roles import RoleDenied
from console.store import Interruptible, is_interrupted
from console.tickets.queue_query import QueueQuery, QueueRow
from console.widgets.cells import fit
from console.widgets.fault_notice import notify_fault
from console.widgets.queue_marking import MarkKeys
from console.widgets.queue_marks import Marks
from console.widgets.queue_plugins import PluginColumns
from console.widgets.queue_rows import Column, RowStyles, columns_for, header_text, row_segments

if TYPE_CHECKING:
    from console.desk.roles import QueueReads

PAGE = 60
CACHE_PAGES = 24
INLINE_SECONDS = 0.02
"""How long the screen's thread may read a page or a count itself before it hands the read to a worker."""

T = TypeVar("T")


class QueueTable(ScrollView, can_focus=True):
    """The ticket queue; ``query`` decides what it shows."""

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="queue.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="queue.up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="queue.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="queue.page_up"),
        Binding("home,g", "first", "First", show=False, id="queue.first"),
        Binding("end,G", "last", "Last", show=False, id="queue.last"),
        Binding("space", "mark", "Mark or unmark, then down", show=False, id="queue.mark"),
        Binding("V", "mark_range", "Mark a range: move, then V or space", show=False, id="queue.mark_range"),
        Binding("M", "clear_marks", "Clear every mark", show=False, id="queue.clear_marks"),
    ]

    COMPONENT_CLASSES = {f"queue--{c}" for c in ("cursor", "breached", "critical", "loading", "header", "marked")}

    DEFAULT_CSS = """
    QueueTable { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }
    QueueTable > .queue--cursor { background: $accent 40%; text-style: bold; }
    QueueTable:focus > .queue--cursor { background: $accent; color: $text; }
    QueueTable > .queue--breached { color: $error; text-style: bold; }
    QueueTable > .queue--critical { color: $warning; }
    QueueTable > .queue--loading { color: $text-muted; }
    QueueTable > .queue--header { color: $text-muted; text-style: bold; }
    QueueTable > .queue--marked { background: $secondary 35%; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class CountChanged(Message):
        """The number of tickets in the view changed."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class MarksChanged(Message):
        """Tickets were marked or unmarked, or a range is being marked."""

    class FirstPageShown(Message):
        """The view's first page is read and about to be painted (after every reload)."""

    class Read(Message):
        """A read for the view of ``generation`` ended: ``page`` (``None``: the count) with its ``value``, or
        the ``error`` that stopped it. Posted by the reading worker; handled on the table's thread."""

        def __init__(self, generation: int, page: int | None, value: object, error: BaseException | None) -> None:
            super().__init__()
            self.generation = generation
            self.page = page
            self.value = value
            self.error = error

    def __init__(
        self,
        reads: QueueReads,
        clock: Callable[[], datetime],
        query: QueueQuery | None = None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.reads = reads  # every read goes through the desk's door (ticket.view)
        self.denied: str | None = None  # why the agent may not see the queue, shown instead of tickets
        self.clock = clock
        self.query_ = query or QueueQuery()
        self.count: int | None = None
        self.count_exact = False
        self._queries: dict[tuple[int, str], Interruptible] = {}
        self._pages: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self._loading: set[int] = set()
        self._generation = 0
        self.marks = Marks()  # by ticket id: they outlive pages, refreshes and views
        self.marking = MarkKeys(self)
        self.configured: tuple[str, ...] | None = None  # the view's own columns (config), else the default
        self._columns: tuple[object, list[Column]] | None = None
        self.plugins = PluginColumns(self)  # the plugins' columns, once the plugins are loaded

    # -- data ----------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.reload(count_after_paint=True)

    def set_query(self, query: QueueQuery) -> None:
        self.query_ = query
        self.marks.anchor = None  # a range is of one view's rows; the marks are by id and stay
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.reload()

    def reload(self, *, keep_cursor: bool = False, count_after_paint: bool = False) -> None:
        """Forget cached pages and read the view again: the first page, then the count.

        Each is read inline when it takes at most :data:`INLINE_SECONDS` (most views: a few milliseconds through
        the sort order's index), so the next frame shows it without a round trip through a worker thread that
        would wait for the interpreter while the screen is drawn; a slower read is stopped and handed to a
        worker. Queries of an older generation (a superseded search keystroke) are interrupted and their
        results dropped. ``count_after_paint`` leaves the count until the rows are painted (at start-up).
        """
        self._generation += 1
        generation, query = self._generation, self.query_
        for (gen, _), conn in list(self._queries.items()):
            if gen < generation:
                conn.interrupt()
        self._pages.clear()
        self._loading.clear()
        self.count_exact = False
        if not keep_cursor:
            self.count = None
        if self._refused():
            return
        reads = self.reads
        rows = self._inline(lambda: reads.queue_page(query, limit=PAGE))
        if rows is None:
            self._count(generation, query)
            self._request_page(0)
            return
        self._page_loaded(0, rows)
        if self.count_exact:  # a short first page is the count
            return
        if count_after_paint:
            self.call_after_refresh(self._count, generation, query)
        else:
            self._count(generation, query, inline=True)

    def _inline(self, read: Callable[[], T]) -> T | None:
        """``read()`` on the screen's thread if quick, else ``None`` (a worker reads it and reports failures)."""
        return self.reads.within(INLINE_SECONDS, read)

    def _refused(self) -> bool:
        """When the agent may not view tickets: no read, an empty queue and the refusal in its place."""
        try:
            self.reads.authorize_view()
        except RoleDenied as exc:
            self.denied = str(exc)
            self._set_count(0, exact=True)
            self.post_message(self.FirstPageShown())
            return True
        self.denied = None
        return False

    def _count(self, generation: int, query: QueueQuery, *, inline: bool = False) -> None:
        if generation != self._generation:
            return  # the view changed before this count was due
        count = self._inline(lambda: self.reads.queue_count(query)) if inline else None
        if count is not None:
            self._set_count(count, exact=True)
        else:
            self._run(generation, None, lambda: self.reads.queue_count(query))

    def _run(self, generation: int, page: int | None, fn: Callable[[], object]) -> None:
        """Read in a worker thread; the result (or the error) comes back as a :class:`Read` message."""
        key = (generation, "count" if page is None else f"page-{page}")

        def work() -> None:
            self._queries[key] = self.reads.connection
            try:
                value = fn()
            except Exception as exc:  # posted back: the table decides (a superseded read, an interrupt, a notice)
                self.post_message(self.Read(generation, page, None, exc))
            else:
                self.post_message(self.Read(generation, page, value, None))
            finally:
                self._queries.pop(key, None)

        group = "queue-count" if page is None else "queue-pages"
        self.run_worker(work, thread=True, group=group, exit_on_error=False, name=f"queue {key[1]}")

    def on_queue_table_read(self, message: Read) -> None:
        message.stop()
        generation, page = message.generation, message.page
        if message.error is not None:
            if generation != self._generation:
                return  # a superseded query (possibly interrupted on purpose)
            if page is not None:
                self._loading.discard(page)
            if is_interrupted(message.error):
                # A query of this generation caught an interrupt aimed at an older one: run it again.
                if page is None:
                    self._count(generation, self.query_)
                else:
                    self._request_page(page)
                return
            if not notify_fault(self.app, message.error, "The queue could not be read"):  # damaged, unreadable
                self.app.notify(f"The queue could not be read: {message.error}", severity="error", markup=False)
            return
        if generation != self._generation or message.value is None:
            return
        if page is None:
            assert isinstance(message.value, int)
            self._set_count(message.value, exact=True)
        else:
            assert isinstance(message.value, list)
            self._page_loaded(page, message.value)

    def _page_loaded(self, page: int, rows: list[QueueRow]) -> None:
        self._loading.discard(page)
        self._pages[page] = rows
        self._pages.move_to_end(page)
        while len(self._pages) > CACHE_PAGES:
            self._pages.popitem(last=False)
        # The first page is on screen before the count is known; a short page is the count. A refresh keeps
        # the count it had until the new one comes (the cursor stays where the agent left it).
        if page == 0 and not self.count_exact and (len(rows) < PAGE or self.count is None):
            self._set_count(len(rows), exact=len(rows) < PAGE)
        self.refresh()
        if page == 0:
            self.post_message(self.FirstPageShown())

    def _set_count(self, count: int, *, exact: bool) -> None:
        self.count = count
        self.count_exact = exact
        # Rows always fit the width (columns shrink), so there is nothing to scroll sideways: a virtual width
        # wider than the viewport would bring up a horizontal scrollbar over the last row.
        self.virtual_size = Size(1, count + 1)  # + the sticky column header
        self.cursor = min(self.cursor, max(0, count - 1))
        if exact:
            self.post_message(self.CountChanged(count))
        self.refresh()

    def _request_page(self, page: int) -> None:
        if page in self._loading:
            return
        self._loading.add(page)
        generation, query, count = self._generation, self.query_, self.count
        prev_rows = self._pages.get(page - 1)
        next_rows = self._pages.get(page + 1)
        last_page = (count - 1) // PAGE if count and self.count_exact else None

        def load() -> list[QueueRow]:
            ws = self.reads
            if page == 0:
                return ws.queue_page(query, limit=PAGE)
            if prev_rows:
                tail = prev_rows[-1]
                return ws.queue_page(query, limit=PAGE, after=(tail.sort_value, tail.seq))
            if page == last_page and count is not None:
                return ws.queue_page(query, limit=count - page * PAGE, from_end=True)
            if next_rows:
                head = next_rows[0]
                return ws.queue_page(query, limit=PAGE, before=(head.sort_value, head.seq))
            return ws.queue_page(query, limit=PAGE, offset=page * PAGE)

        self._run(generation, page, load)

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
    @property
    def rows_visible(self) -> int:
        """Ticket rows on screen: the widget's height less the column header."""
        return max(1, self.size.height - 1)

    def columns(self) -> list[Column]:
        """The columns at this width for this view (or the view's own from the config)."""
        key = (self.content_width, self.query_, self.configured, self.plugins.key())
        if self._columns is None or self._columns[0] != key:
            extra = self.plugins.columns(self.query_)
            self._columns = (key, columns_for(self.content_width, self.query_, self.configured, extra))
        return self._columns[1]

    def render_line(self, y: int) -> Strip:
        width = self.content_width
        if y == 0:
            return Strip(
                [Segment(header_text(self.columns()), self.get_component_rich_style("queue--header"))]
            ).adjust_cell_length(width, self.rich_style)
        index = self.scroll_offset.y + y - 1
        if self.denied is not None:
            text = f"  {self.denied}" if index == 0 else ""
            return Strip([Segment(fit(text, width), self.get_component_rich_style("queue--loading"))], width)
        if self.count is None or index >= self.count:
            return Strip.blank(width, self.rich_style)
        row = self.row_at(index)
        if row is None:
            self._request_page(index // PAGE)
            style = self.get_component_rich_style("queue--loading")
            return Strip([Segment(fit("  …", width), style)], width)
        base = self.rich_style
        if index == self.cursor:
            base = base + self.get_component_rich_style("queue--cursor")
        marked_style, breached = (self.get_component_rich_style(f"queue--{c}") for c in ("marked", "breached"))
        critical = self.get_component_rich_style("queue--critical", partial=True)  # keeps the cursor bar
        styles = RowStyles(base, marked_style, breached, critical)
        marked = self.marks.shows(row.id, index, self.cursor)
        cells = self.plugins.cells(row)  # (computed for the rows in sight, a page of them at a time)
        segments = row_segments(row, self.columns(), self.clock(), styles, marked=marked, plugins=cells)
        return Strip(segments).adjust_cell_length(width, base)

    @property
    def content_width(self) -> int:
        """Columns available to rows: the widget less its scrollbar."""
        return self.scrollable_content_region.width

    def on_resize(self) -> None:
        if self.count is not None:
            self.virtual_size = Size(1, self.count + 1)

    # -- cursor --------------------------------------------------------------------------------
    def watch_cursor(self) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        if self.marks.anchor is not None:
            self.post_message(self.MarksChanged())

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_offset.y
        height = self.rows_visible
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
        self._move(max(1, self.rows_visible - 1))

    def action_page_up(self) -> None:
        self._move(-max(1, self.rows_visible - 1))

    def action_first(self) -> None:
        self._move(-(self.count or 0))

    def action_last(self) -> None:
        self._move(self.count or 0)

    # -- marks (console/widgets/queue_marking.py) ------------------------------------------------
    def action_mark(self) -> None:
        self.marking.mark()

    def action_mark_range(self) -> None:
        self.marking.mark_range()

    def action_clear_marks(self) -> None:
        self.marking.clear()
