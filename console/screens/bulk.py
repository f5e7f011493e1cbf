"""Working the marked tickets from the queue: assign, change status, resolve or note them, each in one confirmed
action. The choice (agent, status, code, text) comes first, then one confirmation saying how many tickets and
what will happen, then the changes in a worker (each through the desk, :mod:`console.desk.bulk`) with their
progress, and a summary of what changed and what was refused, and why. The changed tickets are unmarked; the
refused stay marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.desk import bulk
from console.screens.dialogs import ChoicePrompt, TextPrompt
from console.shared import model
from console.shared.safe_text import clean_line
from console.widgets.render import STATUS_TEXT

if TYPE_CHECKING:
    from console.app import CspConsoleApp
    from console.screens.queue import QueueScreen

IDS_SHOWN = 24  # ticket ids listed in the confirmation; the rest are counted


def _tickets(n: int) -> str:
    return f"{n:,} ticket{'' if n == 1 else 's'}"


class BulkConfirm(ModalScreen[bool]):
    """The one question before a bulk change: how many tickets, which, and what will happen to each."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, op: bulk.BulkOp, ids: list[str], elsewhere: int) -> None:
        super().__init__(id="bulk-confirm")
        self.op, self.ids, self.elsewhere = op, ids, elsewhere

    def compose(self) -> ComposeResult:
        op, ids = self.op, self.ids
        shown = " ".join(ids[:IDS_SHOWN]) + (f" and {len(ids) - IDS_SHOWN:,} more" if len(ids) > IDS_SHOWN else "")
        lines = [
            Text.assemble((f"{op.verb.capitalize()} {_tickets(len(ids))}", "bold"), f": {clean_line(op.describe)}"),
            Text(shown),
        ]
        if self.elsewhere:
            lines.append(Text(f"{self.elsewhere:,} of them not in this view (marked in another).", style="bold"))
        if op.respects_claims:
            lines.append(Text("A ticket another agent holds by a live claim is left alone (refused)."))
        lines.append(Text("Each ticket is changed on its own: roles, version and audit as for one."))
        with Vertical(classes="dialog"):
            for line in lines:
                yield Static(line)
            yield Static(Text("y yes · n no", style="dim"))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class BulkOutcome(ModalScreen[None]):
    """The changes' progress while they run, then what changed and what was refused (each refused id, why)."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="bulk.close")]
    DEFAULT_CSS = """
    BulkOutcome #bulk-refused { height: auto; max-height: 14; }
    """

    def __init__(self, op: bulk.BulkOp, total: int) -> None:
        super().__init__(id="bulk-outcome")
        self.op, self.total = op, total
        self.result: bulk.BulkResult | None = None
        self.closed = False  # closed by the agent, maybe before the changes ended
        self.stopped = ""  # the unexpected failure that stopped the changes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._heading(f"working… 0 of {self.total:,}"), id="bulk-summary")
            with VerticalScroll(id="bulk-refused"):
                yield Static(id="bulk-refused-list")
            yield Static(
                Text("escape: back to the queue while this goes on (a notice says the outcome)", style="dim"),
                id="bulk-hint",
            )

    def _heading(self, what: str) -> Text:
        return Text.assemble((f"{self.op.verb.capitalize()} {_tickets(self.total)}", "bold"), f": {what}")

    def progress(self, done: int, total: int) -> None:
        if self.result is None and self.showing:
            self.query_one("#bulk-summary", Static).update(self._heading(f"working… {done:,} of {total:,}"))

    def on_mount(self) -> None:
        if self.result is not None:  # the changes ended before this dialog was up (a few tickets)
            self._paint()

    def show(self, result: bulk.BulkResult) -> None:
        self.result = result
        if self.showing:
            self._paint()

    def failed(self, error: BaseException) -> bool:
        """The run stopped on an unexpected failure: say so (the console's one handler notifies the details)."""
        self.stopped = clean_line(error, 300)
        self.show(bulk.BulkResult(self.op))
        return False

    def _paint(self) -> None:
        result = self.result
        assert result is not None
        what = f"stopped: {self.stopped}" if self.stopped else clean_line(result.summary(), 400)
        self.query_one("#bulk-summary", Static).update(self._heading(what))
        listed = Text()
        if result.refused:
            listed.append("Refused (still marked):\n", style="bold")
            for r in result.refused:
                detail = r.detail.removeprefix(f"{r.ticket_id} ")  # the id is said once, in front
                listed.append(f"  {r.ticket_id}  ", style="bold")
                listed.append(clean_line(detail, 300) + "\n")
        self.query_one("#bulk-refused-list", Static).update(listed)
        self.query_one("#bulk-hint", Static).update(Text("enter or escape close", style="dim"))

    @property
    def showing(self) -> bool:
        """Up on screen: mounted (not before: a few tickets can be done first) and not closed."""
        return self.is_mounted and not self.closed

    def action_close(self) -> None:
        self.closed = True
        self.dismiss(None)


class BulkFlow:
    """The queue screen's bulk actions, on the marked tickets (or, with none marked, the one under the cursor)."""

    def __init__(self, screen: QueueScreen) -> None:
        self.screen = screen

    @property
    def app(self) -> CspConsoleApp:
        return self.screen.console

    def _targets(self) -> list[str]:
        table = self.screen.table
        if len(table.marks):
            return table.marks.ids
        row = table.current_row
        return [row.id] if row is not None else []

    def assign(self) -> None:
        if not self._targets():
            return
        choices: list[tuple[str, str]] = [("", "unassigned"), *[(a, a) for a in self.screen.console.agents]]
        self.app.push_screen(
            ChoicePrompt(f"Assign {_tickets(len(self._targets()))} to", choices),
            lambda who: self.confirm(bulk.assign(who or None)) if who is not None else None,
        )

    def status(self) -> None:
        if not self._targets():
            return
        choices = [(s.value, STATUS_TEXT[s.value]) for s in model.TicketStatus]

        def chosen(status: str | None) -> None:
            if status in ("resolved", "closed"):
                self.resolve(status)
            elif status is not None:
                self.confirm(bulk.set_status(status))

        self.app.push_screen(ChoicePrompt(f"Status of {_tickets(len(self._targets()))}", choices), chosen)

    def resolve(self, status: str = "resolved") -> None:
        if not self._targets():
            return
        codes = list(model.RESOLUTION_CODES.items())
        self.app.push_screen(
            ChoicePrompt(f"Resolve {_tickets(len(self._targets()))}: resolution code", codes),
            lambda code: self.confirm(bulk.set_status(status, code)) if code is not None else None,
        )

    def note(self) -> None:
        if not self._targets():
            return
        self.app.push_screen(
            TextPrompt(f"Internal note on {_tickets(len(self._targets()))}", multiline=True),
            lambda text: self.confirm(bulk.note(text)) if text and text.strip() else None,
        )

    def confirm(self, op: bulk.BulkOp) -> None:
        ids = self._targets()
        if not ids:
            return
        screen = self.screen
        reads, query = screen.reads, screen.table.query_

        def ask(in_view: set[str]) -> None:
            elsewhere = sum(1 for i in ids if i not in in_view)
            self.app.push_screen(BulkConfirm(op, ids, elsewhere), lambda yes: self.run(op, ids) if yes else None)

        screen.call_core(lambda: reads.in_view(query, ids), ask)

    def run(self, op: bulk.BulkOp, ids: list[str]) -> None:
        screen, desk = self.screen, self.screen.console.desk
        outcome = BulkOutcome(op, len(ids))
        self.app.push_screen(outcome)

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(outcome.progress, done, total)

        def done(result: bulk.BulkResult) -> None:
            screen.table.marking.unmark(result.done)
            screen.action_refresh()
            if not outcome.closed:
                outcome.show(result)
                return
            refused = f" Refused: {', '.join(r.ticket_id for r in result.refused)}." if result.refused else ""
            self.app.notify(  # closed while it ran: the outcome as a notice
                f"{result.summary()}.{refused}",
                title=op.verb.capitalize(),
                severity="warning" if result.refused else "information",
                markup=False,
                timeout=15,
            )

        screen.call_core(
            lambda: bulk.apply_each(desk, ids, op, progress=progress), done, group="bulk", on_error=outcome.failed
        )
