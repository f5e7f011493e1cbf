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

from console.notices.desk import News
from console.notices.kinds import TITLES, Kind, Notice
from console.screens.base import ConsoleScreen
from console.screens.queue import QueueScreen
from console.settings.local_time import short
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
    Kind.AUDIT.value: "error",
}
#: More new notices than this at once are said in one toast (a console back from a long pause).
TOAST_AT_MOST = 5
UNSEEN_MARK = "●"
TITLE_WIDTH = max(cell_len(t) for t in TITLES.values())


class NoticeFeed:
    """The toasts of one console: on each change of the workspace, this agent's notices past the last one it
    showed (indexed reads, in a worker, one read at a time), the newest few as toasts and the rest counted;
    the unseen count goes to the queue's title."""

    def __init__(self, app: CspConsoleApp) -> None:
        self.app = app
        self.after: int | None = None  # the last notice shown here (None: not started)
        self.unseen = 0
        self._started = False
        self._reading = False  # a read is under way: a change meanwhile is read after it (_again)
        self._again = False

    def start(self) -> None:
        """After the desk is set up: the notices before this console started are counted, not toasted."""
        notices, self._started = self.app.desk.notices, True

        def read() -> tuple[News, int]:
            return News(notices.last_id(), 0, []), notices.unseen_count()

        self._read(read)

    def check(self) -> None:
        """The workspace changed: toast what is new for this agent."""
        if self._reading:
            self._again = True
            return
        if self.after is None:  # not started yet, or the first read failed: (again) once the desk is set up
            if self._started:
                self.start()
            return
        notices, after = self.app.desk.notices, self.after

        def read() -> tuple[News, int]:
            return notices.news(after, TOAST_AT_MOST), notices.unseen_count()

        self._read(read)

    def _read(self, read: Callable[[], tuple[News, int]]) -> None:
        self._reading = True

        def work() -> None:
            try:
                result: tuple[News, int] | None = read()
            except Exception:  # (a failed read is tried again on the next change)
                result = None
            if self.app.is_running:
                self.app.call_from_thread(self._done, result)

        self.app.run_worker(work, thread=True, group="notices", exit_on_error=False)

    def _done(self, result: tuple[News, int] | None) -> None:
        first = self.after is None
        self._reading = False
        if result is not None:
            self._show(*result)
        if self.after is not None and (first or self._again):  # what came while the read was under way
            self._again = False
            self.check()

    def _show(self, news: News, unseen: int) -> None:
        first, zone = self.after is None, self.app.config.time_zone
        self.after = max(news.last, self.after or 0)
        self.unseen = unseen
        if first and unseen:
            word = "notice" if unseen == 1 else "notices"
            self.app.notify(f"{unseen} unseen {word}: N on the queue lists them.", title="Notices", markup=False)
        for notice in news.newest:
            self.app.notify(
                clean_line(notice.says(zone), 300),
                title=notice.title,
                severity=SEVERITY.get(notice.kind, "information"),
                markup=False,
                timeout=12,
            )
        if news.count > len(news.newest):
            more = news.count - len(news.newest)
            self.app.notify(f"{more} more new notices: N on the queue lists them.", title="Notices", markup=False)
        queue = self.app.screen_stack[0] if self.app.screen_stack else None
        if isinstance(queue, QueueScreen):  # the count of unseen, in the queue's title
            queue.show_unseen(unseen)


def notice_line(notice: Notice, zone: str) -> Table:
    """One notice in the list: unseen mark, time (the desk's zone), kind, then what happened (literal text, a
    due time in it in the desk's zone, labelled), wrapped in its own column so every notice's lines stay to
    the right of its time and kind."""
    unseen = notice.seenAt is None
    style = "" if unseen else "dim"
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=1, no_wrap=True)
    grid.add_column(width=11, no_wrap=True)
    grid.add_column(width=TITLE_WIDTH, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(
        Text(UNSEEN_MARK if unseen else " ", style="bold"),
        Text(short(notice.createdAt, zone), style=style),
        Text(notice.title, style="bold" if unseen else "dim"),
        Text(clean_line(notice.says(zone), 500), style=style),
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
        self.call_core(
            lambda: (notices.recent(), notices.unseen_count()), self._show, group="notices-list", exclusive=True
        )

    def _show(self, loaded: tuple[list[Notice], int]) -> None:
        (notices, unseen), listing, zone = loaded, self.listing, self.console.config.time_zone
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
        """Every notice up to the newest listed seen, also those older than the list shows (one statement); one
        that came since the list was drawn stays news."""
        if not self.notices:
            return
        newest, notices = self.notices[0].id, self.console.desk.notices
        self.call_core(lambda: notices.mark_all_seen(newest), lambda _: self.load())
