"""Notices in the console: each new one a toast in every console of its agent (:class:`NoticeFeed`, driven by
the app's live poll), and the list of recent ones (:class:`NoticesScreen`, ``N`` on the queue) where Enter
opens the ticket (or the account) and marks the notice seen."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.notices.kinds import TITLES, Kind, Notice, local_time
from console.screens.base import ConsoleScreen
from console.screens.queue import QueueScreen
from console.shared.safe_text import clean_line
from console.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from console.app import CspConsoleApp

#: How a toast of each kind stands out: a breach is the most urgent (red also without colour: its title says it).
SEVERITY: dict[str, SeverityLevel] = {
    Kind.MICROSOFT.value: "information",
    Kind.BREACH.value: "error",
    Kind.TAKEOVER.value: "warning",
    Kind.SUSPENSION.value: "warning",
}
#: More new notices than this at once are said in one toast (a console back from a long pause).
TOAST_AT_MOST = 5
UNSEEN_MARK = "●"
TITLE_WIDTH = max(cell_len(t) for t in TITLES.values())


class NoticeFeed:
    """The toasts of one console: on each change of the workspace, this agent's notices past the last one it
    showed (one indexed read, in a worker), each as a toast; the unseen count goes to the queue's title."""

    def __init__(self, app: CspConsoleApp) -> None:
        self.app = app
        self.after: int | None = None  # the last notice shown here (None: not started)
        self.unseen = 0

    def start(self) -> None:
        """After the desk is set up: the notices before this console started are counted, not toasted."""
        notices = self.app.desk.notices

        def read() -> tuple[int, list[Notice], int]:
            return notices.last_id(), [], notices.unseen_count()

        self._read(read)

    def check(self) -> None:
        """The workspace changed: toast what is new for this agent."""
        if self.after is None:
            return
        notices, after = self.app.desk.notices, self.after

        def read() -> tuple[int, list[Notice], int]:
            fresh = notices.since(after)
            return (fresh[-1].id if fresh else after), fresh, notices.unseen_count()

        self._read(read)

    def _read(self, read: Callable[[], tuple[int, list[Notice], int]]) -> None:
        def work() -> None:
            result = read()
            if self.app.is_running:
                self.app.call_from_thread(self._show, *result)

        self.app.run_worker(work, thread=True, group="notices", exclusive=True, exit_on_error=False)

    def _show(self, after: int, fresh: list[Notice], unseen: int) -> None:
        first, shown = self.after is None, self.after or 0
        fresh = [n for n in fresh if n.id > shown]  # two reads that overlapped toast each notice once
        self.after = max(after, shown)
        self.unseen = unseen
        if first and unseen:
            word = "notice" if unseen == 1 else "notices"
            self.app.notify(f"{unseen} unseen {word}: N on the queue lists them.", title="Notices", markup=False)
        for notice in fresh[:TOAST_AT_MOST]:
            self.app.notify(
                clean_line(notice.text, 300),
                title=notice.title,
                severity=SEVERITY.get(notice.kind, "information"),
                markup=False,
                timeout=12,
            )
        if len(fresh) > TOAST_AT_MOST:
            more = len(fresh) - TOAST_AT_MOST
            self.app.notify(f"{more} more new notices: N on the queue lists them.", title="Notices", markup=False)
        if first:  # what came while the first read was under way
            self.check()
        queue = self.app.screen_stack[0] if self.app.screen_stack else None
        if isinstance(queue, QueueScreen):  # the count of unseen, in the queue's title
            queue.show_unseen(unseen)


def notice_line(notice: Notice, zone: str) -> Table:
    """One notice in the list: unseen mark, time (the desk's zone), kind, then what happened (literal text),
    wrapped in its own column so every notice's lines stay to the right of its time and kind."""
    unseen = notice.seenAt is None
    style = "" if unseen else "dim"
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=1, no_wrap=True)
    grid.add_column(width=11, no_wrap=True)
    grid.add_column(width=TITLE_WIDTH, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(
        Text(UNSEEN_MARK if unseen else " ", style="bold"),
        Text(local_time(notice.createdAt, zone), style=style),
        Text(notice.title, style="bold" if unseen else "dim"),
        Text(clean_line(notice.text, 500), style=style),
    )
    return grid


class NoticesScreen(ConsoleScreen):
    """The agent's recent notices, newest first; Enter opens the ticket (or the account) and marks it seen."""

    BINDINGS = [
        Binding("escape,backspace,q", "back", "Back", id="notices.back"),
        Binding("enter", "open_notice", "Open", id="notices.open"),
        Binding("A", "seen_all", "Mark all seen", id="notices.seen_all"),
        Binding("j", "cursor(1)", "Down", show=False, id="notices.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="notices.up"),
    ]

    DEFAULT_CSS = """
    NoticesScreen #notices-title { height: 1; background: $panel; padding: 0 1; }
    NoticesScreen #notices-list { height: 1fr; border: none; padding: 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.notices: list[Notice] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Notices …", style="bold"), id="notices-title")
        yield OptionList(id="notices-list")
        yield KeyBar()

    @property
    def listing(self) -> OptionList:
        return self.query_one("#notices-list", OptionList)

    def on_mount(self) -> None:
        self.listing.focus()
        self.load()

    def load(self) -> None:
        notices = self.console.desk.notices
        self.call_core(notices.recent, self._show, group="notices-list", exclusive=True)

    def _show(self, notices: list[Notice]) -> None:
        listing, zone = self.listing, self.console.config.time_zone
        keep = listing.highlighted
        chosen = self.notices[keep].id if keep is not None and keep < len(self.notices) else None
        self.notices = notices
        listing.clear_options()
        if not notices:
            listing.add_option(Option(Text("  No notices yet.", style="dim"), disabled=True))
        listing.add_options([Option(notice_line(n, zone), id=str(n.id)) for n in notices])
        ids = [n.id for n in notices]
        if notices:
            listing.highlighted = ids.index(chosen) if chosen in ids else 0
        unseen = sum(1 for n in notices if n.seenAt is None)
        title = Text.assemble(("Notices", "bold"), f" · {len(notices)} recent · {unseen} unseen")
        title.append("  (enter: open and mark seen · A: mark all seen)", style="dim")
        title.no_wrap, title.overflow = True, "ellipsis"
        self.query_one("#notices-title", Static).update(title)

    def on_workspace_changed(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_cursor(self, step: int) -> None:
        (self.listing.action_cursor_down if step > 0 else self.listing.action_cursor_up)()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open_notice()

    def action_open_notice(self) -> None:
        index = self.listing.highlighted
        if index is None or index >= len(self.notices):
            return
        notice, notices = self.notices[index], self.console.desk.notices
        self.call_core(lambda: notices.mark_seen([notice.id]))
        if notice.ticketId:
            self.console.open_ticket(notice.ticketId)
        elif notice.customerId:
            self.console.open_account(notice.customerId)

    def action_seen_all(self) -> None:
        ids = [n.id for n in self.notices if n.seenAt is None]
        notices = self.console.desk.notices
        self.call_core(lambda: notices.mark_seen(ids), lambda _: self.load())
