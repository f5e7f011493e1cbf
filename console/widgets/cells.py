"""Fixed-width cells measured in terminal columns, so double-width (Japanese) text lines up."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

from console.shared.safe_text import clean_line


def fit(text: object, width: int) -> str:
    """``text`` made safe, then cropped or padded to exactly ``width`` terminal columns.

    Cropped text ends in ``…``; a double-width character that would straddle the edge becomes a space.
    """
    if width <= 0:
        return ""
    value = clean_line(text, limit=max(width * 2, 16))
    if cell_len(value) <= width:
        return set_cell_size(value, width)
    return set_cell_size(value, width - 1) + "…"
