"""The plugins' fields of the intake form (:class:`~console.plugins.reach.IntakeField`): shown while the service
chosen is the field's, each with its error beside it (under it, at 80 columns) when saving refused it. What was
typed in a field stays while the agent tries another service and comes back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from console.shared.safe_text import clean_line
from console.widgets.palette import ALARM, styled

if TYPE_CHECKING:
    from console.plugins.collect import Registered
    from console.plugins.reach import IntakeField


class PluginFields(Vertical):
    """The fields of the service chosen; widget ids ``plugin-field-N`` (a field's id has dots)."""

    DEFAULT_CSS = """
    PluginFields { height: auto; }
    PluginFields .plugin-field-error { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fields: list[Registered[IntakeField]] = []
        self.kept: dict[str, str] = {}  # what was typed, by field id (across changes of service)

    def widget_id(self, field_id: str) -> str | None:
        """The form widget's id of the field ``field_id`` shown now."""
        ids = [f.item.id for f in self.fields]
        return f"plugin-field-{ids.index(field_id)}" if field_id in ids else None

    async def show(self, fields: list[Registered[IntakeField]]) -> None:
        """Show ``fields`` (those of the service chosen) in place of the ones shown."""
        self.kept.update(self.values())
        await self.remove_children()
        self.fields = list(fields)
        widgets: list[Widget] = []
        for n, registered in enumerate(self.fields):
            widgets += list(self._field(n, registered))
        if widgets:
            await self.mount_all(widgets)

    def _field(self, n: int, registered: Registered[IntakeField]) -> ComposeResult:
        field = registered.item
        need = " (required)" if field.required else ""
        yield Label(Text.assemble(clean_line(field.label, 200), need, (f"  plugin {registered.plugin}", "dim")))
        kept = self.kept.get(field.id, "")
        if field.choices:
            options = [(Text(clean_line(c, 200)), c) for c in field.choices]
            value = kept if kept in field.choices else Select.NULL
            yield Select(options, value=value, prompt="choose…", allow_blank=True, id=f"plugin-field-{n}", compact=True)
        else:
            yield Input(kept, id=f"plugin-field-{n}", compact=True, select_on_focus=False, max_length=field.max_length)
        error = Static(id=f"plugin-field-{n}-error", classes="plugin-field-error")
        error.display = False
        yield error

    def values(self) -> dict[str, str]:
        """The value of each field shown, by field id (a list's blank: empty)."""
        out: dict[str, str] = {}
        for n, registered in enumerate(self.fields):
            widget = self.query(f"#plugin-field-{n}")
            if not widget:
                continue
            found = widget.first()
            value = found.value if isinstance(found, (Input, Select)) else ""
            out[registered.item.id] = value if isinstance(value, str) else ""
        return out

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each field's error beside it (the others' cleared)."""
        for n, registered in enumerate(self.fields):
            line = self.query_one(f"#plugin-field-{n}-error", Static)
            error = errors.get(registered.item.id)
            line.display = error is not None
            line.update(styled(f" {clean_line(error, 300)} ", ALARM) if error is not None else "")

    def reveal(self, field_id: str) -> None:
        """Scroll the field to the middle of the form, its error under it in sight (once the errors shown have
        been laid out: where focusing it scrolls to, without waiting for that animation)."""
        widget = self.widget_id(field_id)
        if widget is not None:
            field = self.query_one(f"#{widget}")
            self.call_after_refresh(self.screen.scroll_to_center, field, animate=False, origin_visible=True)

    def clear_errors(self) -> None:
        self.show_errors({})
