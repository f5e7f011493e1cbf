"""The key bar: one line at the foot of a screen naming the keys that work there now.

One widget drawing one line of text (Textual's ``Footer`` mounts a widget per key and mounts them all again
whenever the focus moves, which was a quarter of the console's start-up). At 80 columns the keys that do not
fit give way to ``…`` while Help and the command palette stay on the right, so ``?`` is always in sight.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

# Shown at the right end whatever the width: the way to every other key.
PINNED_ACTIONS = ("help", "app.help", "command_palette", "app.command_palette")


@dataclass(frozen=True)
class KeyItem:
    key: str  # what a press sends (for a click)
    display: str  # what the bar shows, e.g. "⏎" or "^p"
    description: str
    enabled: bool


class KeyBar(Widget):
    """The keys of the screen in front, with what they do: ``binding.show`` ones, one per action."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        .key-bar--key { color: $footer-key-foreground; text-style: bold; }
        .key-bar--description { color: $footer-description-foreground; }
        .key-bar--disabled { text-style: dim; }
    }
    KeyBar:light > .key-bar--key { color: $text-primary; }  /* the footer's blue is 2.9:1 on a light footer */
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, str]] = []  # (first column, end column, key) for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def items(self) -> tuple[list[KeyItem], list[KeyItem]]:
        """The keys to show, in binding order: (the rest, the pinned ones for the right end)."""
        seen: set[str] = set()
        left: list[KeyItem] = []
        right: list[KeyItem] = []
        for active in self.screen.active_bindings.values():
            binding: Binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            item = KeyItem(binding.key, self.app.get_key_display(binding), binding.description, active.enabled)
            (right if binding.action in PINNED_ACTIONS else left).append(item)
        if self.app.ENABLE_COMMAND_PALETTE and "command_palette" not in seen:
            palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                binding = palette.binding
                right.append(KeyItem(binding.key, self.app.get_key_display(binding), "palette", palette.enabled))
        return left, right

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        text_style = self.get_component_rich_style("key-bar--description", partial=True)
        dim = self.get_component_rich_style("key-bar--disabled", partial=True)
        width = self.size.width
        left, right = self.items()
        right_width = sum(_width(item) for item in right)
        room = width - right_width
        shown: list[KeyItem] = []
        used = 0
        for n, item in enumerate(left):
            rest = 0 if n == len(left) - 1 else 1  # room for "…" unless this is the last
            if used + _width(item) + rest > room:
                break
            shown.append(item)
            used += _width(item)
        cut = len(shown) < len(left)

        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []

        def add(item: KeyItem) -> None:
            start = line.cell_len
            extra = Style() if item.enabled else dim
            key_part, text_part = _parts(item)
            line.append(key_part, key_style + extra)
            line.append(text_part, text_style + extra)
            self._spans.append((start, line.cell_len, item.key))

        for item in shown:
            add(item)
        if cut:
            line.append("…", text_style)
        line.append(" " * max(0, width - line.cell_len - right_width))
        for item in right:
            add(item)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return


def _parts(item: KeyItem) -> tuple[str, str]:
    """What the bar shows for ``item``: the key, then what it does."""
    return f" {item.display} ", f"{item.description} " if item.description else ""


def _width(item: KeyItem) -> int:
    return sum(cell_len(part) for part in _parts(item))
