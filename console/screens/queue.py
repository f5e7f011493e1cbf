"""The queue screen: the triage queue, the console's default screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from console.widgets.queue_table import QueueTable, header_text


class QueueScreen(Screen[None]):
    """Open tickets, most urgent SLA first."""

    def compose(self) -> ComposeResult:
        yield Static(id="queue-title")
        yield Static(id="queue-header")
        yield QueueTable(self.app.workspace, self.app.clock, id="queue")  # type: ignore[attr-defined]
        yield Footer()

    def on_mount(self) -> None:
        self._show_title(None)
        self.query_one(QueueTable).focus()

    def on_queue_table_resized(self, event: QueueTable.Resized) -> None:
        self.query_one("#queue-header", Static).update(Text(header_text(event.width)))

    def on_queue_table_count_changed(self, event: QueueTable.CountChanged) -> None:
        self._show_title(event.count)

    def _show_title(self, count: int | None) -> None:
        partner = self.app.config.partner.name  # type: ignore[attr-defined]
        counted = "counting…" if count is None else f"{count:,} open tickets"
        title = Text.assemble(("All open", "bold"), f" · {counted} · ", partner)
        self.query_one("#queue-title", Static).update(title)
