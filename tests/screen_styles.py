"""What the terminal is sent, cell by cell: the screen's rows as the compositor renders them (line filters such as
NO_COLOR's monochrome included), and the style of the text at a place. For tests of colour, emphasis and contrast."""

from __future__ import annotations

from dataclasses import dataclass

from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.app import App


@dataclass(frozen=True)
class Cell:
    """A run of text on one row, with its style."""

    x: int
    text: str
    style: Style


def screen_rows(app: App[object]) -> list[list[Cell]]:
    """Every row of the screen in front, as it is drawn (background screens, filters and all)."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    rows: list[list[Cell]] = []
    for line in update.strips:  # type: ignore[attr-defined]
        cells: list[Cell] = []
        x = 0
        for strip in line:
            for segment in strip:
                text, style, control = segment
                if control:
                    continue
                cells.append(Cell(x, text, style or Style.null()))
                x += Segment(text).cell_length
        rows.append(cells)
    return rows


def row_text(row: list[Cell]) -> str:
    return "".join(c.text for c in row)


def find_row(rows: list[list[Cell]], needle: str) -> int:
    for y, row in enumerate(rows):
        if needle in row_text(row):
            return y
    raise AssertionError(f"{needle!r} is not on screen:\n" + "\n".join(row_text(r) for r in rows))


def styles_of(row: list[Cell], needle: str) -> list[Style]:
    """The styles of the cells that draw ``needle`` (its first occurrence on the row)."""
    text = row_text(row)
    start = text.index(needle)
    end = start + len(needle)
    found, offset = [], 0
    for cell in row:
        if offset < end and offset + len(cell.text) > start and cell.text.strip():
            found.append(cell.style)
        offset += len(cell.text)
    return found


def style_of(rows: list[list[Cell]], needle: str) -> Style:
    """The one style that draws ``needle`` (asserting it is drawn in one style)."""
    styles = styles_of(rows[find_row(rows, needle)], needle)
    assert len(set(styles)) == 1, f"{needle!r} is drawn in several styles: {styles}"
    return styles[0]


def seen(style: Style, system: ColorSystem = ColorSystem.TRUECOLOR) -> tuple[object, object, bool, bool, bool]:
    """What a terminal of ``system`` shows for ``style``: (foreground, background, bold, underline, reversed)
    with reverse applied, colours downgraded as Textual's driver downgrades them."""
    fg = _downgraded(style.color, system)
    bg = _downgraded(style.bgcolor, system)
    if style.reverse:
        fg, bg = bg, fg
    return fg, bg, bool(style.bold), bool(style.underline), bool(style.reverse)


def _downgraded(color: RichColor | None, system: ColorSystem) -> object:
    if color is None:
        return None
    down = color.downgrade(system)
    return down.number if system != ColorSystem.TRUECOLOR and down.number is not None else down.get_truecolor()


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(style: Style) -> float:
    """The WCAG contrast ratio of the text drawn in ``style`` on its background (reverse and dim applied: dim
    text is drawn half-way to its background, as terminals and Rich's SVG export do)."""
    assert style.color is not None and style.bgcolor is not None, f"{style} leaves a colour to the terminal"
    fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
    if style.reverse:
        fg, bg = bg, fg
    if style.dim:
        fg = type(fg)(*((f + b) // 2 for f, b in zip(fg, bg, strict=True)))
    hi, lo = sorted((luminance(tuple(fg)), luminance(tuple(bg))), reverse=True)  # type: ignore[arg-type]
    return (hi + 0.05) / (lo + 0.05)
