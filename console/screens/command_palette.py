"""What the command palette (ctrl+p) offers: the console's own actions on the screen, one entry per action with
every key that does it, and of Textual's commands those an agent at a desk wants.

Left out: the keys Textual's widgets bind for moving about (arrows, ctrl+PgUp/PgDn, which some terminals keep
for their own tabs, Focus Next/Previous): they are keys, not commands, and filled half the list; any key a
terminal over SSH never sends (super+c); and of Textual's commands all but "Theme": "Quit" (the console's own,
which asks before it loses a form or releases claims, is listed), "Screenshot" (it writes the screen, customers'
names and all, to a file in the folder the console was started in: on a shared host, nobody's to keep), "Keys"
(its panel lists the very widget keys left out here, and escape does not close it: ``?`` is the console's help)
and "Maximize"/"Minimize" (it hides the key bar, and nothing then says how to come back)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.markup import escape
from textual.screen import Screen

TEXTUAL_COMMANDS_LEFT_OUT = frozenset({"Quit", "Screenshot", "Keys", "Maximize", "Minimize"})


def palette_commands(app: App[Any], screen: Screen[object]) -> Iterable[SystemCommand]:
    """The screen's active bindings that are the console's (each has an id) or a plugin's, by description."""
    keys: dict[str, list[str]] = {}
    runs: dict[str, tuple[str, object]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.id is None or binding.action.startswith("view("):
            continue  # (Textual's own widgets' keys have no id; the views have their own bar)
        if "super+" in binding.key:  # (no terminal over SSH sends super)
            continue
        title = binding.description
        keys.setdefault(title, [])
        runs.setdefault(title, (binding.action, active.node))
        shown = app.get_key_display(binding)
        if shown not in keys[title]:
            keys[title].append(shown)
    for title, (action, node) in runs.items():

        def run(action: str = action, node: object = node) -> None:
            app.call_later(node.run_action, action)  # type: ignore[attr-defined]

        label = "key" if len(keys[title]) == 1 else "keys"
        yield SystemCommand(escape(title), escape(f"{label}: {', '.join(keys[title])}"), run)  # a plugin's words
