"""Dialogs: a line or a text to type, a choice to pick, a yes or no."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.screens.base import UnsavedInput
from console.screens.external_editor import edit_in_editor, editor_binding
from console.shared.safe_text import clean_line
from console.widgets.key_bar import KeyBar


class TextPrompt(UnsavedInput, ModalScreen[str | None]):
    """Ask for a line (``multiline=False``) or a text. ctrl+s saves, escape cancels; in a text (a note, a reply,
    a message to Microsoft) ctrl+o edits it in $EDITOR."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="dialog.save"),
        editor_binding("dialog.editor"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(
        self,
        title: str,
        *,
        multiline: bool = False,
        value: str = "",
        hint: str = "",
        cursor: tuple[int, int] | None = None,
        on_leave: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.on_leave = on_leave  # given the text when escape leaves a text changed from ``value``
        self.cursor = cursor  # where the typing starts in a multi-line text (row, column); None: its start
        self.title_text = title
        self.multiline = multiline
        self.initial = value
        self.hint = hint
        self.form_name = f"“{title}”"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text, style="bold"))
            if self.multiline:
                from textual.widgets import TextArea  # a heavy import the queue's start-up does without

                yield TextArea(self.initial, id="text", soft_wrap=True, tab_behavior="focus")
            else:
                yield Input(self.initial, id="text", compact=True, select_on_focus=False)
            yield Static(
                Text(
                    self.hint
                    or (
                        "ctrl+s save · ctrl+o edit in $EDITOR · escape cancel"
                        if self.multiline
                        else "enter save · escape cancel"
                    ),
                    style="dim",
                )
            )
        yield KeyBar()

    def on_mount(self) -> None:
        widget = self.query_one("#text")
        widget.focus()
        if self.cursor is not None and self.multiline:
            from textual.widgets import TextArea

            if isinstance(widget, TextArea):
                widget.move_cursor(self.cursor)

    def on_input_submitted(self) -> None:
        self.action_save()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.multiline if action == "editor" else True

    def action_editor(self) -> None:
        from textual.widgets import TextArea

        edit_in_editor(self, self.query_one("#text", TextArea), self.title_text)

    def action_save(self) -> None:
        widget = self.query_one("#text")
        value = widget.value if isinstance(widget, Input) else widget.text  # type: ignore[attr-defined]
        self.dismiss(value)

    def action_cancel(self) -> None:
        widget = self.query_one("#text")
        text = widget.value if isinstance(widget, Input) else widget.text  # type: ignore[attr-defined]
        if self.on_leave is not None and text.strip() and text != self.initial:
            self.on_leave(text)
        self.dismiss(None)


class ChoicePrompt(ModalScreen[Any]):
    """Pick one of ``choices`` (value, label); enter picks, escape cancels (returns ``None``)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("j", "down", "Down", show=False, id="dialog.down"),
        Binding("k", "up", "Up", show=False, id="dialog.up"),
        Binding("g", "first", "First", show=False, id="dialog.first"),
        Binding("G", "last", "Last", show=False, id="dialog.last"),
    ]

    def __init__(self, title: str, choices: list[tuple[Any, str]], current: Any = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text, style="bold"))
            yield OptionList(
                *[Option(Text(clean_line(label)), id=str(i)) for i, (_, label) in enumerate(self.choices)],
                id="choices",
            )
            yield Static(Text("enter choose · escape cancel", style="dim"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        values = [value for value, _ in self.choices]
        options.highlighted = values.index(self.current) if self.current in values else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)][0])

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_first(self) -> None:
        self.query_one(OptionList).action_first()

    def action_last(self) -> None:
        self.query_one(OptionList).action_last()

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question: y confirms, n or escape declines."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(clean_line(self.question)))
            yield Static(Text("y yes · n no", style="dim"))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class TypedConfirm(ModalScreen[str | None]):
    """A question that cannot be answered by reflex: the agent types ``expected`` (a ticket number) and enter;
    dismissed with what was typed (the caller compares), or ``None`` on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, question: str, expected: str) -> None:
        super().__init__()
        self.title_text = clean_line(title, 300)
        self.question = clean_line(question, 600)
        self.expected = expected

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.question))
            yield Input(id="text", compact=True, select_on_focus=False)
            yield Static(Text(f"type {clean_line(self.expected, 40)}, then enter · escape cancel", style="dim"))
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#text").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
