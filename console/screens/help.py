"""The ``?`` help screen: the console's own keys (never Textual's focus, scrolling or palette internals), grouped
by screen: the screen in front first, then the keys that work everywhere, then the other screens'. Each row
has its binding id (for the ``[keys]`` table of the config file); a key remapped there is shown as remapped."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from console.screens.reach import help_rows

#: A row: the keys (as shown), what they do, the binding id.
Row = tuple[str, str, str]
REMAPPED = "*"


TITLES = {
    "IntakeScreen": "New ticket",
    "HealthScreen": "Health board",
    "BoardScreen": "Health board, read-only",
    "CollectionsScreen": "Collections (billing)",
}
_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<n>\d+)$")


def screen_title(screen: type[DOMNode] | DOMNode) -> str:
    cls = screen if isinstance(screen, type) else type(screen)
    return TITLES.get(cls.__name__) or cls.__name__.removesuffix("Screen")


def folded(rows: list[Row]) -> list[Row]:
    """Numbered bindings in a row (``1`` View 1 … ``9`` View 9) as one line: ``1…9  View 1…9  queue.view1…9``."""
    out: list[Row] = []
    run: list[Row] = []

    def flush() -> None:
        if len(run) > 2:
            (k0, w0, i0), (k1, w1, i1) = run[0], run[-1]
            last = _NUMBERED.match(i1)
            out.append((f"{k0}…{k1}", f"{w0}…{w1.rsplit(' ', 1)[-1]}", f"{i0}…{last['n'] if last else i1}"))
        else:
            out.extend(run)
        run.clear()

    for row in rows:
        m, prev = _NUMBERED.match(row[2]), _NUMBERED.match(run[-1][2]) if run else None
        if m and prev and m["stem"] == prev["stem"] and int(m["n"]) == int(prev["n"]) + 1:
            run.append(row)
            continue
        flush()
        (run if m else out).append(row)
    flush()
    return out


def _main_screens() -> list[type[Screen[None]]]:
    from console.screens.account import AccountScreen
    from console.screens.collections import CollectionsScreen
    from console.screens.health import HealthScreen
    from console.screens.intake import IntakeScreen
    from console.screens.notices import NoticesScreen
    from console.screens.queue import QueueScreen
    from console.screens.ticket import TicketScreen

    return [QueueScreen, TicketScreen, AccountScreen, IntakeScreen, NoticesScreen, HealthScreen, CollectionsScreen]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="help.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="help.up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="help.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="help.page_up"),
    ]

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self.target = target
        #: The rows of the screen in front (its own keys and those of its widgets and of the whole console).
        self.rows: list[Row] = []
        #: (heading, rows): the screen in front, everywhere, then each other screen.
        self.groups: list[tuple[str, list[Row]]] = []

    def _keymap(self) -> dict[str, str]:
        return dict(getattr(self.app, "_keymap", {}) or {})

    def _keys(self, binding: Binding) -> str:
        """The keys of ``binding`` as shown, its keymap's when remapped (the keymap overrides every key)."""
        keys = [self.app.get_key_display(Binding(k.strip(), binding.action)) for k in binding.key.split(",")]
        shown = " ".join(dict.fromkeys(keys))
        return shown + (f" {REMAPPED}" if binding.id in self._keymap() else "")

    def _front(self) -> tuple[list[Row], list[Row]]:
        """The screen in front's rows and the everywhere rows, as its active bindings have them now."""
        mine: dict[str, tuple[list[str], str]] = {}
        everywhere: dict[str, tuple[list[str], str]] = {}
        for active in self.target.active_bindings.values():
            binding = active.binding
            if not binding.id:  # Textual's own (focus, scrolling, palette, copy): not ours to explain
                continue
            rows = everywhere if active.node is self.app else mine
            keys, _ = rows.setdefault(binding.id, ([], binding.description or binding.action))
            display = self.app.get_key_display(binding)
            if display not in keys:
                keys.append(display)
        remapped = self._keymap()

        def rows_of(found: dict[str, tuple[list[str], str]]) -> list[Row]:
            return [
                (" ".join(keys) + (f" {REMAPPED}" if bid in remapped else ""), what, bid)
                for bid, (keys, what) in found.items()
            ]

        return rows_of(mine), rows_of(everywhere)

    def _screen_rows(self, cls: type[DOMNode]) -> list[Row]:
        bindings: Iterable[Binding] = (b for b in cls.BINDINGS if isinstance(b, Binding) and b.id)
        keymap = self._keymap()
        rows: list[Row] = []
        for b in bindings:
            binding = Binding(keymap.get(b.id or "", b.key), b.action, b.description, id=b.id)
            rows.append((self._keys(binding), b.description or b.action, b.id or ""))
        return rows

    def compose(self) -> ComposeResult:
        mine, everywhere = self._front()
        # An app that refuses some keys (the read-only board) lists only what works in it: no refused key, no
        # other screen, no plugin action.
        refused = frozenset(getattr(self.app, "REFUSED_BINDINGS", ()))
        mine, everywhere = ([row for row in rows if row[2] not in refused] for rows in (mine, everywhere))
        self.rows = mine + everywhere
        front = screen_title(self.target)
        self.groups = [(f"{front} (this screen)", mine), ("Everywhere", everywhere)]
        if not refused:
            plugin_rows = help_rows(self.app, [row[2] for row in self.rows])  # type: ignore[arg-type]
            self.groups.append(("The plugins' actions", plugin_rows))  # other screens' (the front's: above)
            for cls in _main_screens():
                if not isinstance(self.target, cls):
                    self.groups.append((screen_title(cls), self._screen_rows(cls)))
        parts: list[Text | Table] = []
        for heading, rows in self.groups:
            if not rows:
                continue
            parts.append(Text(heading, style="bold reverse"))
            table = Table(box=None, padding=(0, 1), expand=True, show_header=False)
            table.add_column("key", no_wrap=True, style="bold")
            table.add_column("action", ratio=1, overflow="ellipsis", no_wrap=True)
            table.add_column("binding id", style="dim", no_wrap=True)
            for row in folded(rows):
                table.add_row(*(Text(cell) for cell in row))
            parts.append(table)
        title = Text.assemble(("Keys", "bold"), "  ctrl+p command palette · escape close · j/k scroll")
        legend = Text(f"{REMAPPED} remapped in the config file's [keys] (by binding id)", style="dim")
        with VerticalScroll(classes="dialog help"):
            yield Static(title)
            yield Static(Group(*parts), id="help-table")
            if self._keymap():
                yield Static(legend)

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_page(self, direction: int) -> None:
        body = self.query_one(VerticalScroll)
        body.scroll_relative(y=direction * max(1, body.size.height - 2), animate=False)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
