"""The ``?`` help screen: every key of the screen below, with what it does and its binding id (for the
``[keys]`` table of the config file)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="help.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="help.up"),
    ]

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 1), expand=True, show_header=True, header_style="bold")
        table.add_column("key", no_wrap=True)
        table.add_column("action")
        table.add_column("binding id", style="dim", no_wrap=True)
        rows: dict[tuple[str, str], tuple[list[str], str]] = {}
        for active in self.target.active_bindings.values():
            binding = active.binding
            group = (binding.id or binding.action, binding.description)
            keys, _ = rows.setdefault(group, ([], binding.id or ""))
            display = self.app.get_key_display(binding)
            if display not in keys:
                keys.append(display)
        self.rows = [
            (" ".join(keys), description or action, binding_id)
            for (action, description), (keys, binding_id) in rows.items()
        ]
        for row in self.rows:
            table.add_row(*(Text(cell) for cell in row))
        title = Text.assemble(("Keys", "bold"), "  (ctrl+p: command palette · escape: close)")
        with VerticalScroll(classes="dialog help"):
            yield Static(title)
            yield Static(table, id="help-table")

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
