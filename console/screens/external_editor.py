"""ctrl+o in a long-text field: the text in the agent's ``$EDITOR`` (console/shared/external_editor.py), with the
console suspended (``App.suspend``) so that the editor has the terminal, then back into the field.

What comes back is the agent's file, but shown as untrusted text is: control characters and escape sequences
become visible symbols (``␛``), tabs spaces (``console.shared.safe_text.clean_block``); a TextArea would send
them to the terminal as they are. It comes back as one edit, so ctrl+z brings back the text from before.

Headless (``App.run_test``, what the tests drive) Textual cannot suspend (``SuspendNotSupported``): there is no
terminal to hand over either, nothing is drawn, so the editor runs as it is, with no input; the tests use real
editor programs that need none. A terminal that cannot be handed over (Textual web) gets a notice, no editor.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from textual.app import SuspendNotSupported
from textual.binding import Binding
from textual.screen import Screen

from console.shared import external_editor
from console.shared.safe_text import clean_block

if TYPE_CHECKING:
    from textual.widgets import TextArea  # a heavy import the queue's start-up does without

#: The key, on every long-text field (ctrl+e stays Textual's end of line in an Input and a TextArea).
EDITOR_KEY = "ctrl+o"


def editor_binding(binding_id: str) -> Binding:
    return Binding(EDITOR_KEY, "editor", "$EDITOR", priority=True, id=binding_id)


def edit_in_editor(screen: Screen[Any], area: TextArea, label: str) -> bool:
    """Edit ``area``'s text in the editor; True when the editor's text replaced it (notices say the rest)."""
    app = screen.app
    around = contextlib.nullcontext if app.is_headless else app.suspend
    try:
        outcome = external_editor.edit(area.text, label, around=around, headless=app.is_headless)
    except external_editor.NoEditor as exc:
        app.notify(str(exc), title=exc.title, severity="warning", markup=False, timeout=10)
        return False
    except SuspendNotSupported:
        app.notify(
            "This terminal cannot be handed to an editor (the console cannot suspend here): edit in the console.",
            title="No editor",
            severity="warning",
            markup=False,
        )
        return False
    area.focus()
    if outcome.text is None:
        app.notify(outcome.notice, title="Editor", severity="warning", markup=False)
        return False
    area.replace(clean_block(outcome.text), (0, 0), area.document.end)
    app.notify("The text is back from the editor (ctrl+z brings back what it was).", title="Editor", markup=False)
    return True
