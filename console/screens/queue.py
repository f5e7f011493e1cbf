"""The queue screen: the triage queue, the console's default screen."""

from __future__ import annotations

from functools import cached_property

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from console.desk.roles import Door, QueueReads
from console.screens.base import ConsoleScreen
from console.screens.bulk import BulkFlow
from console.screens.dialogs import ChoicePrompt, Confirm, TextPrompt
from console.screens.filters import FilterDialog
from console.screens.queue_claims import QueueClaims
from console.screens.queue_live import QueueLive
from console.screens.reach import QueuePluginActions
from console.screens.unmatched import QueueMailKeys
from console.shared.safe_text import clean_line
from console.tickets import views as view_defs
from console.tickets.queue_query import SORT_KEYS, QueueQuery
from console.tickets.views import View
from console.widgets.key_bar import KeyBar
from console.widgets.queue_table import QueueTable
from console.widgets.views_bar import cut, picker_label, views_bar

BULK_KEYS = ("x", " resolve ", "A", " assign ", "S", " status ", "I", " note")  # in the title while marked
COUNT_REFRESH_SECONDS = 60.0  # counts follow every change at once (the poll); this moves only "Breaching soon"


class QueueScreen(QueueClaims, QueueLive, QueueMailKeys, QueuePluginActions, ConsoleScreen):
    """Open tickets, most urgent SLA first; views, filters, search and sort."""

    BINDINGS = [
        Binding("enter", "open_ticket", "Open", id="queue.open"),
        Binding("slash", "search", "Search", id="queue.search"),
        Binding("f", "filter", "Filter", id="queue.filter"),
        Binding("s", "sort", "Sort", id="queue.sort"),
        Binding("r", "reverse", "Reverse order", show=False, id="queue.reverse"),
        Binding("n", "new_ticket", "New", id="queue.new"),
        Binding("h", "health", "Health", id="queue.health"),
        Binding("N", "notices", "Notices", id="queue.notices"),
        Binding("b", "collections", "Collections (billing)", show=False, id="queue.collections"),
        Binding("c", "claim", "Claim", id="queue.claim"),
        Binding("t", "take_next", "Take the next unassigned", show=False, id="queue.take_next"),
        Binding("a", "account", "Account", show=False, id="queue.account"),
        Binding("u", "this_customer", "This customer only", show=False, id="queue.customer"),
        Binding("C", "app.open_directory", "Customers and callers", show=False, id="queue.directory"),
        Binding("e", "unmatched_mail", "Unmatched mail", show=False, id="queue.unmatched_mail"),
        Binding("y", "yank", "Copy id", show=False, id="queue.yank"),
        Binding("v", "choose_view", "Views", show=False, id="queue.views"),
        Binding("w", "save_view", "Save view", show=False, id="queue.save_view"),
        Binding("D", "delete_view", "Delete saved view", show=False, id="queue.delete_view"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="queue.refresh"),
        Binding("A", "bulk('assign')", "Assign the marked (or this) ticket", show=False, id="queue.bulk_assign"),
        Binding("S", "bulk('status')", "Status of the marked (or this)", show=False, id="queue.bulk_status"),
        Binding("x", "bulk('resolve')", "Resolve the marked (or this)", show=False, id="queue.bulk_resolve"),
        Binding("I", "bulk('note')", "Internal note on the marked (or this)", show=False, id="queue.bulk_note"),
        Binding("q", "app.quit", "Quit", id="app.quit"),  # the id a keymap names it by
        *[Binding(str(n), f"view({n - 1})", f"View {n}", show=False, id=f"queue.view{n}") for n in range(1, 10)],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.views: list[View] = []
        self.counts: list[int | None] = []
        self.view_index: int | None = 5  # All open
        self._searched_in: int | None = None  # the view a search was typed in: its name again once cleared
        self._clearing = False  # the search box emptied by the screen, its Input.Changed still to come
        self._resumed_before = False
        self._shown: dict[str, Text] = {}  # what each one-line Static shows now
        self.bulk = BulkFlow(self)
        self._elsewhere: int | None = None  # marked tickets not in this view (None: not counted yet)
        self._elsewhere_of: tuple[object, ...] | None = None  # the marks and view it was counted for
        self.unseen_notices = 0  # the agent's unseen notices (console.screens.notices.NoticeFeed)

    def compose(self) -> ComposeResult:
        yield Static(id="views-bar")
        yield Static(id="queue-title")
        table = QueueTable(self.reads, self.console.clock, QueueQuery(), id="queue")
        table.configured = self.console.config.views.get("All open")  # the first view's own columns, if any
        yield table
        yield KeyBar()

    @cached_property
    def reads(self) -> QueueReads:
        """The queue's reads through the desk's door (``ticket.view``): the desk's own once it is built, else
        the same check on the agent's roles without the plugins (the first queue is painted before them)."""
        app = self.console
        desk = app.__dict__.get("desk")
        if desk is not None:
            return desk.reads
        door = Door.for_agent(app.workspace.agents, app.config.roles, app.agent, path=app.workspace.path)
        return QueueReads(app.workspace, door)

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def on_mount(self) -> None:
        self.views = view_defs.builtin_views(self.console.agent, self.console.clock())
        self.counts = [None] * len(self.views)
        self._load_views()
        self._show_title()
        self.table.focus()
        self.set_interval(COUNT_REFRESH_SECONDS, self._refresh_counts)

    def on_screen_resume(self) -> None:
        if self._resumed_before:  # back from a ticket or a dialog: show what changed meanwhile
            self.table.reload(keep_cursor=True)
            self._refresh_counts()
        self._resumed_before = True

    # -- views and their live counts -------------------------------------------------------------
    def _load_views(self) -> None:
        reads, now = self.reads, self.console.clock()
        if not reads.may_view:
            return  # the queue says why; only the built-in views are listed
        self.call_core(lambda: reads.views(now), self._views_loaded, group="views")

    def _views_loaded(self, views: list[View]) -> None:
        self.views, self.counts = views, [None] * len(views)
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        reads, agent, now = self.reads, self.console.agent, self.console.clock()
        if not reads.may_view:
            return  # the queue says why; the views bar shows no counts
        names = [v.name for v in self.views]

        def count() -> tuple[list[str], list[int]]:
            fresh = {v.name: v for v in view_defs.builtin_views(agent, now)}
            queries = [fresh[v.name].query if v.name in fresh and not v.saved else v.query for v in self.views]
            return names, reads.view_counts(queries)

        self.call_core(count, self._counts_loaded, group="counts", exclusive=True)

    def _counts_loaded(self, result: tuple[list[str], list[int]]) -> None:
        names, counts = result
        if names == [v.name for v in self.views]:
            self.counts = list(counts)
            self._show_views_bar()

    def _show_views_bar(self) -> None:
        self._update("#views-bar", views_bar(self.views, self.counts, self.view_index, self.size.width or 80))

    def _update(self, selector: str, text: Text) -> None:
        """Show ``text`` in a one-line Static, repainting only when it changed."""
        if self._shown.get(selector) != text:
            self._shown[selector] = text
            self.query_one(selector, Static).update(text, layout=False)

    def _show_title(self, count: int | None = None) -> None:
        name = self.views[self.view_index].name if self.view_index is not None and self.views else "Custom view"
        total = "counting…" if count is None else f"{count:,} ticket{'' if count == 1 else 's'}"
        summary = view_defs.describe(self.table.query_, self.zone)
        title = Text.assemble((name, "bold"), f" · {total} · ", self._marks_text())
        if self.unseen_notices:  # before the filters: in sight at 80 columns
            title.append(f"{self.unseen_notices} new notice{'' if self.unseen_notices == 1 else 's'} (N)", "bold")
            title.append(" · ")
        title.append(clean_line(summary), "dim")
        title.no_wrap = True
        title.overflow = "ellipsis"
        self._update("#queue-title", title)
        self._show_views_bar()

    def show_unseen(self, count: int) -> None:
        if count != self.unseen_notices:
            self.unseen_notices = count
            self._show_title(self.table.count if self.table.count_exact else None)

    def action_notices(self) -> None:
        from console.screens.notices import NoticesScreen

        self.app.push_screen(NoticesScreen())

    def on_queue_table_count_changed(self, event: QueueTable.CountChanged) -> None:
        self._show_title(event.count)
        self._elsewhere_of = None  # the view was read again: which marks are in it may have changed
        self.on_queue_table_marks_changed()

    # -- marks: shown in the title, counted against the view -------------------------------------
    def _marks_text(self) -> Text:
        marks, table = self.table.marks, self.table
        if (span := marks.span(table.cursor)) is not None:
            return Text.assemble((f" ● range of {span[1] - span[0] + 1:,} (V or space ends) ", "bold reverse"), " · ")
        if not len(marks):
            return Text()
        elsewhere = f" ({self._elsewhere:,} not in view)" if self._elsewhere else ""
        keys = [(k, "bold") if n % 2 == 0 else k for n, k in enumerate(BULK_KEYS)]
        return Text.assemble((f" ● {len(marks):,} marked{elsewhere} ", "bold reverse"), " ", *keys, " · ")

    def on_queue_table_marks_changed(self) -> None:
        ids, reads, query = self.table.marks.ids, self.reads, self.table.query_
        count = self.table.count if self.table.count_exact else None
        self._show_title(count)
        if not ids or not reads.may_view:
            self._elsewhere, self._elsewhere_of = None, None
            return
        key = (tuple(ids), query)
        if key == self._elsewhere_of:
            return  # counted already (a range being drawn moves only the cursor)

        def counted(in_view: set[str]) -> None:
            if ids == self.table.marks.ids and query == self.table.query_:
                self._elsewhere, self._elsewhere_of = sum(1 for i in ids if i not in in_view), key
                self._show_title(self.table.count if self.table.count_exact else None)

        self.call_core(lambda: reads.in_view(query, ids), counted, group="marks", exclusive=True)

    def action_bulk(self, what: str) -> None:
        getattr(self.bulk, what)()  # assign, status, resolve, note

    def on_queue_table_first_page_shown(self) -> None:
        self.app.call_after_refresh(self.console.settle)  # the rest of the set-up, once the queue is painted

    def action_health(self) -> None:
        self.console.open_health()

    def action_collections(self) -> None:
        self.console.open_collections()

    def catch_up_on_resume(self) -> None:
        """The workspace changed while another screen was in front: reload when this one comes back."""
        self._resumed_before = True

    def show_query(self, query: QueueQuery, view_index: int | None = None) -> None:
        """Show ``query`` (the view at ``view_index``, or a filter of the agent's own)."""
        self.view_index, self._searched_in = view_index, None
        named = self.views[view_index].name if view_index is not None and view_index < len(self.views) else None
        self.table.configured = self.console.config.views.get(named) if named else None
        self.table.set_query(query)
        self._show_title(self.table.count if self.table.count_exact else None)  # often counted already

    def action_view(self, index: int) -> None:
        if index < len(self.views):
            query = self.views[index].query
            if not self.views[index].saved:  # built-in views move with the clock ("breaching soon")
                fresh = view_defs.builtin_views(self.console.agent, self.console.clock())
                query = fresh[index].query
            self._close_search(for_view=True)
            self.show_query(query, index)

    def action_choose_view(self) -> None:
        counts = [*self.counts, *[None] * len(self.views)]
        choices = [(n, picker_label(n, v, counts[n])) for n, v in enumerate(self.views)]
        self.app.push_screen(
            ChoicePrompt("Views", choices, self.view_index), lambda n: self.action_view(n) if n is not None else None
        )

    def action_save_view(self) -> None:
        def save(name: str | None) -> None:
            if not name or not name.strip():
                return
            name = " ".join(name.split())[:40]
            if any(v.name == name and not v.saved for v in self.views):
                self.app.notify(f"“{name}” is a built-in view; choose another name.", severity="warning", markup=False)
                return
            reads, query = self.reads, self.table.query_

            def done(_: object) -> None:
                self.app.notify(f"Saved the view “{name}”.", markup=False)
                self._load_views()

            self.call_core(lambda: reads.save_view(name, query), done)

        self.app.push_screen(TextPrompt("Save this view as"), save)

    def action_delete_view(self) -> None:
        if self.view_index is None or not self.views[self.view_index].saved:
            self.app.notify("Only a saved view can be deleted: choose one first (v).", markup=False)
            return
        name, reads = self.views[self.view_index].name, self.reads

        def done(_: object) -> None:
            self.app.notify(f"Deleted the view “{name}”.", markup=False)
            self.view_index = 5
            self._load_views()
            self.action_view(5)

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_core(lambda: reads.delete_view(name), done)

        question = f"Delete the saved view “{cut(name, 60)}”? Its filters are lost."
        self.app.push_screen(Confirm(question, id="delete-view"), answered)

    # -- search, filter, sort --------------------------------------------------------------------
    @property
    def search_box(self) -> Input | None:
        """The search line, mounted the first time ``/`` is pressed (the first paint does without it)."""
        found = self.query("#search")
        return found.first(Input) if found else None

    async def action_search(self) -> None:
        search = self.search_box
        if search is None:
            search = Input(
                placeholder="search title, body, notes or a ticket number (enter: to the list · escape: clear)",
                id="search",
                select_on_focus=False,  # back to the search: one key does not replace the words
            )
            await self.mount(search)
        search.display = True
        search.focus()

    def _close_search(self, *, for_view: bool = False) -> bool:
        """Clear and hide the search line; whether it was open. ``for_view``: a view is being chosen, whose query
        (with its own search, if any) replaces the search's."""
        search = self.search_box
        if search is None or not search.display:
            return False
        # The box says it was emptied later, after the view a key chose meanwhile: that message is not the
        # agent's, and must not take the chosen view's own search away (on_input_changed).
        self._clearing = for_view and bool(search.value)
        search.value, search.display = "", False
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            if self._clearing:
                self._clearing = False
                if not event.value:
                    return
            if event.value:
                self._searched_in = self.view_index if self.view_index is not None else self._searched_in
                self.view_index = None
            elif self._searched_in is not None and self._searched_in < len(self.views):
                if not self.views[self._searched_in].query.search:
                    self.view_index = self._searched_in  # cleared: that view's query again, and its name
                self._searched_in = None
            self.table.set_query(self.table.query_.with_(search=event.value))
            self._show_title()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self.table.focus()

    def key_escape(self) -> None:
        if self._close_search():
            self.table.focus()
        elif self.table.marks.anchor is not None:  # a range being marked: dropped, the marks before it kept
            self.table.marks.anchor = None
            self.table.marking.changed()

    def action_filter(self) -> None:
        def apply(query: QueueQuery | None) -> None:
            if query is not None:
                self.show_query(query)

        agents = self.console.agents
        self.app.push_screen(
            FilterDialog(self.table.query_, self.console.agent, agents, self.console.service_names), apply
        )

    def action_sort(self) -> None:
        current = self.table.query_
        choices = [(key, key) for key in SORT_KEYS]

        def apply(key: str | None) -> None:
            if key is not None:
                self.show_query(current.with_(sort=key, descending=False), self.view_index)

        self.app.push_screen(ChoicePrompt("Sort by", choices, current.sort), apply)

    def action_reverse(self) -> None:
        current = self.table.query_
        self.show_query(current.with_(descending=not current.descending), self.view_index)

    def action_this_customer(self) -> None:
        current = self.table.query_
        if current.customer_id:
            self.show_query(current.with_(customer_id=None))
        elif (row := self.table.current_row) is not None:
            self.show_query(current.with_(customer_id=row.customerId))

    def action_refresh(self) -> None:
        self.table.reload(keep_cursor=True)
        self._refresh_counts()

    # -- tickets ---------------------------------------------------------------------------------
    def action_open_ticket(self) -> None:
        if (row := self.table.current_row) is not None:
            self.console.open_ticket(row.id)

    def action_account(self) -> None:
        if (row := self.table.current_row) is not None:
            self.console.open_account(row.customerId)

    def action_yank(self) -> None:
        if (row := self.table.current_row) is not None:
            self.console.copy_ticket_id(row.id)

    def action_new_ticket(self) -> None:
        self.console.open_intake()
