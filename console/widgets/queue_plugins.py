"""The plugins' columns of the queue table (:mod:`console.plugins.columns`): after the built-in columns, each cut
to its width in terminal cells like every cell (:func:`console.widgets.cells.fit`), computed for the rows in
sight only. Attached once the plugins are loaded (the first queue is painted before them); a column hidden for
the session is said in a notice naming the plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.shared.safe_text import clean_line
from console.tickets.queue_query import QueueQuery, QueueRow
from console.widgets.queue_rows import Column

if TYPE_CHECKING:
    from console.plugins.columns import ColumnCells
    from console.widgets.queue_table import QueueTable

PREFIX = "plugin:"


class PluginColumns:
    """The table's plugin columns (none until :meth:`attach`)."""

    def __init__(self, table: QueueTable) -> None:
        self.table = table
        self.source: ColumnCells | None = None

    def attach(self, source: ColumnCells) -> None:
        """Show ``source``'s columns from now on: the view is read again, with the tickets' intake fields."""
        self.source = source
        if source.columns:
            self.table.reads.with_fields = True
            self.table.reload(keep_cursor=True)

    def key(self) -> tuple[str, ...]:
        """What the columns depend on (the table's column cache is keyed by it)."""
        return () if self.source is None else tuple(c.item.id for c in self.source.shown())

    def columns(self, query: QueueQuery) -> list[Column]:
        """The columns shown for the view of ``query``: a column of services the view excludes is left out."""
        if self.source is None:
            return []
        return [
            Column(PREFIX + c.item.id, c.item.title, c.item.width)
            for c in self.source.shown()
            if not (query.services and c.item.services and not set(query.services) & set(c.item.services))
        ]

    def cells(self, row: QueueRow) -> dict[str, str]:
        """The plugins' cells of ``row``, by column key; those of the rows in sight are computed together."""
        source = self.source
        if source is None or not source.columns:
            return {}
        found = source.cells(row)
        if found is None:
            self._compute_in_sight(source, row)
            found = source.cells(row) or {}
        return {PREFIX + k: clean_line(v, 200) for k, v in found.items()}

    def _compute_in_sight(self, source: ColumnCells, row: QueueRow) -> None:
        table = self.table
        top = table.scroll_offset.y
        rows = [r for i in range(top, top + table.rows_visible) if (r := table.row_at(i)) is not None]
        hidden = source.compute(rows if row in rows else [row, *rows])
        for column in hidden:
            table.app.notify(
                clean_line(column.sentence(), 600),
                title=clean_line(f"Plugin {column.plugin}"),
                severity="warning",
                markup=False,
                timeout=15,
            )
        if hidden:
            table.refresh()
