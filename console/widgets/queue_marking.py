"""The queue's marking keys: space marks or unmarks the row under the cursor and moves down; ``V`` starts a range
at the cursor, moving extends it, and ``V`` again (or space) marks every row of it; ``M`` clears every mark.
The marks themselves are :class:`console.widgets.queue_marks.Marks`, by ticket id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from console.widgets.queue_marks import MAX_MARKS

if TYPE_CHECKING:
    from console.widgets.queue_table import QueueTable


class MarkKeys:
    def __init__(self, table: QueueTable) -> None:
        self.table = table

    def mark(self) -> None:
        """Mark or unmark the ticket under the cursor and move down; while a range is being marked, end it."""
        table = self.table
        if table.marks.anchor is not None:
            self.mark_range()
            return
        if (row := table.current_row) is None:
            return
        if not table.marks.toggle(row.id) and len(table.marks) >= MAX_MARKS:
            table.app.notify(f"At most {MAX_MARKS:,} tickets are marked at once.", severity="warning")
        table.action_cursor_down()
        self.changed()

    def mark_range(self) -> None:
        """Start a range at the cursor (moving extends it); pressed again, mark every row of it."""
        table = self.table
        if not table.count:
            return
        span = table.marks.span(table.cursor)
        if span is None:
            table.marks.anchor = table.cursor
            self.changed()
            return
        table.marks.anchor = None
        first, last = span
        rows = [table.row_at(i) for i in range(first, last + 1)]
        if all(r is not None for r in rows):
            self._range_read([r.id for r in rows if r is not None])
            return
        reads, query = table.reads, table.query_  # rows not read yet: their ids in one read, off this thread

        def read() -> None:
            ids = [r.id for r in reads.queue_page(query, limit=last - first + 1, offset=first)]
            table.app.call_from_thread(self._range_read, ids)

        table.run_worker(read, thread=True, group="queue-range", exit_on_error=False, name="queue range")

    def _range_read(self, ids: Sequence[str]) -> None:
        over = self.table.marks.add(ids)
        if over:
            self.table.app.notify(
                f"{over:,} of the range not marked: at most {MAX_MARKS:,} tickets at once.", severity="warning"
            )
        self.changed()

    def clear(self) -> None:
        self.table.marks.clear()
        self.changed()

    def unmark(self, ticket_ids: Sequence[str]) -> None:
        self.table.marks.discard(ticket_ids)
        self.changed()

    def changed(self) -> None:
        self.table.refresh()
        self.table.post_message(self.table.MarksChanged())
