"""The queue's views bar and the view picker's lines, measured in terminal columns: a long (or Japanese) saved
view's name is cut with ``…`` by cell width, and when the views do not all fit, the bar shows a window around
the current view, ``…`` standing for the views left out on either side."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from console.shared.safe_text import clean_line
from console.tickets.views import View
from console.widgets.palette import ALARM, ALARM_CURRENT, CURRENT

NARROW_NAME = 12  # cells of a view's name in the bar below 120 columns
WIDE_NAME = 24
PICKER_NAME = 40  # cells of a view's name in the picker (a 76-column dialog)
MORE = "…"


def cut(text: str, cells: int) -> str:
    """``text`` made safe and cut to at most ``cells`` terminal columns, ending in ``…`` when cut."""
    value = clean_line(text, limit=max(cells * 2, 16))
    if cell_len(value) <= cells:
        return value
    return set_cell_size(value, cells - 1).rstrip() + MORE


def _count(count: int | None) -> str:
    return MORE if count is None else f"{count:,}"


def _breached(view: View, count: int | None, breach: str) -> bool:
    return view.short == breach and bool(count)


def view_label(n: int, view: View, count: int | None, width: int, *, breach: str = "Breach") -> str:
    """`` 8 Tokyo Sev … 12 ``: the key, the name (the short one below 120 columns), the live count; breaching
    tickets are said in text too (`` 3 Breach 20! ``), not by colour alone."""
    name = view.name if width >= 120 else (view.short if not view.saved else view.name)
    mark = "!" if _breached(view, count, breach) else ""
    return f" {n + 1} {cut(name, WIDE_NAME if width >= 120 else NARROW_NAME)} {_count(count)}{mark} "


def _window(widths: Sequence[int], current: int, width: int) -> tuple[int, int]:
    """The first and last label shown: as many as fit in ``width`` with the current one among them."""
    first, last = 0, len(widths) - 1

    def span(i: int, j: int) -> int:
        return sum(widths[i : j + 1]) + (i > 0) + (j < len(widths) - 1)

    if span(first, last) <= width:
        return first, last
    last = current
    while first < current and span(first, last) > width:
        first += 1
    while last + 1 < len(widths) and span(first, last + 1) <= width:
        last += 1
    return first, last


def views_bar(
    views: Sequence[View], counts: Sequence[int | None], current: int | None, width: int, *, breach: str = "Breach"
) -> Text:
    """The bar of the first nine views (keys ``1``…``9``) in ``width`` columns; the current view reversed and always
    in sight, breaching tickets in the alarm style."""
    shown = list(views[:9])
    labels = [
        view_label(n, v, counts[n] if n < len(counts) else None, width, breach=breach) for n, v in enumerate(shown)
    ]
    if not labels:
        return Text()
    here = current if current is not None and current < len(labels) else 0
    first, last = _window([cell_len(label) for label in labels], here, width)
    bar = Text(no_wrap=True, overflow="ellipsis")
    if first > 0:
        bar.append(MORE, style="dim")
    for n in range(first, last + 1):
        count = counts[n] if n < len(counts) else None
        current_one, breached = n == current, _breached(shown[n], count, breach)
        style = (ALARM_CURRENT if current_one else ALARM) if breached else (CURRENT if current_one else "")
        bar.append(labels[n], style=style)
    if last < len(labels) - 1:
        bar.append(MORE, style="dim")
    return bar


def picker_label(n: int, view: View, count: int | None) -> str:
    """A line of the view picker: ``8 Tokyo severity A and B… (12)``, the name cut by cell width."""
    key = str(n + 1) if n < 9 else " "
    return f"{key} {cut(view.name, PICKER_NAME)} ({_count(count)})"
