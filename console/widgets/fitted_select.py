"""A dropdown that opens inside the form it belongs to.

Textual's ``Select`` draws its list as an overlay kept inside the *screen* only: in a dialog at 80x24 a list
opened near the foot ran over the dialog's border and the key bar. :class:`FittedSelect` measures the room in
the visible part of its scrolling form (or its dialog) below and above it, opens where the list fits (downwards
when it can, else upwards when there is more room there), and makes the list no taller than that room; a longer
list scrolls inside it.
"""

from __future__ import annotations

from typing import Any

from textual.containers import ScrollableContainer
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Select
from textual.widgets._select import SelectCurrent, SelectOverlay

#: Textual's own cap on the list's height (Select's DEFAULT_CSS: max-height 12).
LIST_MAX = 12


class FittedSelect(Select[Any]):
    """A :class:`~textual.widgets.Select` whose list stays inside the visible part of its form."""

    def watch_expanded(self, expanded: bool) -> None:
        if expanded:
            self.fit_overlay()

    def bounds(self) -> Region:
        """The room the list may take: the visible content of the nearest scrolling ancestor, else the screen."""
        node: Widget | None = self.parent if isinstance(self.parent, Widget) else None
        while node is not None:
            if isinstance(node, ScrollableContainer):
                return node.scrollable_content_region
            node = node.parent if isinstance(node.parent, Widget) else None
        return self.screen.region

    def fit_overlay(self) -> None:
        overlay = self.query_one(SelectOverlay)
        current = self.query_one(SelectCurrent)
        bounds, here = self.bounds(), current.region
        wanted = min(overlay.option_count, LIST_MAX) + overlay.styles.gutter.height
        below = bounds.bottom - here.bottom
        above = here.y - bounds.y
        if wanted <= below or below >= above:
            overlay.styles.offset = (0, 0)
            overlay.styles.max_height = max(1, min(wanted, below))
        else:
            height = max(1, min(wanted, above))
            overlay.styles.max_height = height
            overlay.styles.offset = (0, -(height + here.height))
