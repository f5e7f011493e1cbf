"""Pick a customer: type part of its name or domain, or an email address (its customer is found by its domain),
as in the customer directory (``desk.reads.directory``); enter picks the highlighted one, escape cancels."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.desk.directory import CustomerHit, Found
from console.screens.base import CoreCalls
from console.screens.directory import customer_lines
from console.shared.safe_text import clean_line
from console.widgets.key_bar import KeyBar


class CustomerPicker(CoreCalls, ModalScreen[CustomerHit | None]):
    """A customer found as you type; dismissed with it (:class:`CustomerHit`), or ``None`` on escape."""

    DEFAULT_CSS = """
    CustomerPicker #picker-list { height: auto; max-height: 12; border: none; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Next customer", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Previous customer", show=False, id="picker.up"),
    ]

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.initial = text
        self.found: Found | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(clean_line(self.title_text), style="bold"))
            yield Input(self.initial, id="picker-find", compact=True, select_on_focus=False)
            yield OptionList(id="picker-list")
            yield Static(Text("type a name, domain or email · enter choose · escape cancel", style="dim"))
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#picker-find", Input).focus()
        self._find(self.initial)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._find(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose()

    def _find(self, text: str) -> None:
        directory = self.app.desk.reads.directory  # type: ignore[attr-defined]
        self.call_core(lambda: directory.find(text), self._show, group="picker", exclusive=True)

    def _show(self, found: Found) -> None:
        if found.text != self.query_one("#picker-find", Input).value.strip():
            return  # typed on since: that search's answer follows
        self.found = found
        options = self.query_one("#picker-list", OptionList)
        options.clear_options()
        width = max(20, (options.size.width or 72) - 2)
        for hit in found.customers:
            options.add_option(Option(customer_lines(hit, width), id=hit.id))
        if found.customers:
            options.highlighted = 0
        else:
            nothing = Text(f"No customer matches “{clean_line(found.text)}”.", style="dim")
            options.add_option(Option(nothing, disabled=True))

    @property
    def current(self) -> CustomerHit | None:
        options = self.query_one("#picker-list", OptionList)
        if self.found is None or options.highlighted is None or options.highlighted >= len(self.found.customers):
            return None
        return self.found.customers[options.highlighted]

    def action_move(self, delta: int) -> None:
        options = self.query_one("#picker-list", OptionList)
        if self.found and self.found.customers:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self.found.customers) - 1, current + delta))

    def _choose(self) -> None:
        if (hit := self.current) is not None:
            self.dismiss(hit)

    def action_cancel(self) -> None:
        self.dismiss(None)
