"""What a queue row shows: its columns at a width for a view, and each cell's text (short codes, ages, SLA time
left, the time left on a claim). Pure formatting, no Textual: ``queue_table`` draws it, for the visible rows only.

Every row starts with a two-cell gutter: the first cell is the bulk mark (:data:`MARK`), the second says the
ticket changed since the agent looked (:data:`CHANGED_MARK`, from ``QueueRow.changed``). Then the columns: a
view's own (``[views."NAME"] columns`` in the config file) or the default ones less what the view makes
redundant (no Assignee in a view of one agent's tickets, no Svc in a view of one service, ...). Below 120
columns the widths shrink and the status is a code; while the title would get fewer than :data:`TITLE_MIN`
cells, the columns that matter least give way, in :data:`DROP_ORDER` (as k9s does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style

from console.shared.clock import humanize_delta, parse_iso
from console.tickets.queue_query import QueueQuery, QueueRow
from console.widgets.cells import fit

SERVICE_SHORT = {"azure": "AZ", "office365": "M365", "dynamics365": "D365"}
CATEGORY_SHORT = {"billing": "BILL", "subscription": "SUBS", "technical": "TECH"}
STATUS_SHORT = {
    "new": "new",
    "triaged": "triaged",
    "in_progress": "working",
    "waiting_customer": "wait cust",
    "waiting_microsoft": "wait MS",
    "resolved": "resolved",
    "closed": "closed",
}
#: The status in four cells, below 120 columns.
STATUS_CODE = {
    "new": "new",
    "triaged": "tri",
    "in_progress": "work",
    "waiting_customer": "wCus",
    "waiting_microsoft": "wMS",
    "resolved": "res",
    "closed": "clsd",
}
SEVERITY_SHORT = {"critical": "A", "moderate": "B", "minimal": "C", "unknown": "-"}

GUTTER = 2
MARK = "●"  # a marked row (a glyph, so it shows without colour too)
#: In the gutter's second cell of a ticket someone else changed since the agent last opened it (a character,
#: not a colour: NO_COLOR shows it too).
CHANGED_MARK = "•"
WIDE = 120
TITLE_MIN = 24  # below this the default columns give way
TITLE_FLOOR = 10  # a view's own columns give way only below this

DEFAULT_COLUMNS = ("id", "age", "sla", "severity", "service", "category", "customer", "title", "assignee", "status")
#: Which of the columns gives way first when the title lacks room.
DROP_ORDER = ("age", "category", "service", "claim", "assignee", "severity", "status", "customer")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # 0: takes the remaining width


#: key -> (label, width at 120 columns and more, label and width below)
_SPECS: dict[str, tuple[str, int, str, int]] = {
    "id": ("Ticket", 10, "Ticket", 10),
    "age": ("Age", 4, "Age", 4),
    "sla": ("SLA", 5, "SLA", 5),
    "severity": ("S", 1, "S", 1),
    "service": ("Svc", 4, "Svc", 4),
    "category": ("Cat", 4, "Cat", 4),
    "customer": ("Customer", 24, "Customer", 12),
    "title": ("Title", 0, "Title", 0),
    "assignee": ("Assignee", 14, "Assignee", 9),
    "claim": ("Claim", 5, "Clm", 4),
    "status": ("Status", 9, "St", 4),
}


def view_columns(query: QueueQuery | None) -> tuple[str, ...]:
    """The default columns less what ``query`` makes redundant: one agent's tickets need no Assignee (the claim's
    minutes left instead), unassigned ones none at all; one service, category, severity, status or customer
    needs no column saying it."""
    keys = list(DEFAULT_COLUMNS)
    if query is None:
        return tuple(keys)
    if query.assignee == "":
        keys.remove("assignee")
    elif query.assignee:
        keys[keys.index("assignee")] = "claim"
    for key, values in (
        ("service", query.services),
        ("category", query.categories),
        ("severity", query.severities),
        ("status", query.statuses),
    ):
        if len(values) == 1:
            keys.remove(key)
    if query.customer_id:
        keys.remove("customer")
    return tuple(keys)


def columns_for(
    width: int,
    query: QueueQuery | None = None,
    configured: Sequence[str] | None = None,
    plugins: Sequence[Column] = (),
) -> list[Column]:
    """The queue's columns at ``width`` (the gutter's cells included) for the view of ``query``, or the view's own
    ``configured`` ones, then the ``plugins``' columns; the title takes what is left. Short of room, the plugins'
    columns give way after the built-in ones of :data:`DROP_ORDER` but before the customer (the last first)."""
    wide = width >= WIDE
    keys = list(configured) if configured else list(view_columns(query))
    target = TITLE_FLOOR if configured else TITLE_MIN
    room = width - GUTTER

    def spec(key: str) -> Column:
        label, wide_width, narrow_label, narrow_width = _SPECS[key]
        return Column(key, label, wide_width) if wide else Column(key, narrow_label, narrow_width)

    def left(cols: list[Column]) -> int:  # the title's room: the rest less one space between columns
        return room - sum(c.width for c in cols) - (len(cols) - 1)

    cols = [*(spec(k) for k in keys), *plugins]
    for key in (*DROP_ORDER[:-1], *(c.key for c in reversed(plugins)), DROP_ORDER[-1]):
        short = left(cols) < target if any(c.key == "title" for c in cols) else left(cols) < 0
        if not short:
            break
        if len(cols) > 2:
            cols = [c for c in cols if c.key != key]
    title = max(TITLE_FLOOR, left(cols))
    return [Column(c.key, c.label, title) if c.width == 0 else c for c in cols]


def _minutes_left(row: QueueRow, now: datetime) -> str:
    return f"{max(0, int((parse_iso(row.claimedUntil) - now).total_seconds() // 60))}m" if row.claimedUntil else ""


def _assignee(row: QueueRow, now: datetime) -> str:
    """The assignee, and the time left on a claim: ``aiko.tanaka 25m`` (the name is cut first)."""
    if not row.assignee:
        return "—"
    left = _minutes_left(row, now)
    return f"{row.assignee}\t{left}" if left else row.assignee


def cell_values(row: QueueRow, now: datetime, *, narrow: bool = False) -> dict[str, str]:
    if row.slaDueDate.startswith("9999"):
        sla = "—"
    else:
        sla = humanize_delta(parse_iso(row.slaDueDate) - now)
    return {
        "id": row.id,
        "age": humanize_delta(now - parse_iso(row.createdDate)),
        "sla": sla,
        "severity": SEVERITY_SHORT.get(row.severity, "?"),
        "service": SERVICE_SHORT.get(row.service or "", row.service or "?"),
        "category": CATEGORY_SHORT.get(row.category or "", row.category or "?"),
        "customer": row.companyName,
        "title": row.title,  # (changed since the agent looked: the gutter says it, the title keeps its room)
        "assignee": _assignee(row, now),
        "claim": _minutes_left(row, now) or "—",
        "status": (STATUS_CODE if narrow else STATUS_SHORT).get(row.status, row.status),
    }


def gutter(marked: bool, changed: bool = False) -> str:
    """The row's first two cells: its bulk mark, and whether it changed since the agent looked."""
    return (MARK if marked else " ") + (CHANGED_MARK if changed else " ")


def header_text(columns: Sequence[Column]) -> str:
    return " " * GUTTER + " ".join(fit(c.label, c.width) for c in columns)


@dataclass(frozen=True)
class RowStyles:
    """The styles a row is drawn with: its base (the cursor's, on the cursor row), and those layered on it."""

    base: Style
    marked: Style
    breached: Style
    critical: Style


def row_segments(
    row: QueueRow,
    columns: Sequence[Column],
    now: datetime,
    styles: RowStyles,
    *,
    marked: bool,
    plugins: Mapping[str, str] | None = None,
) -> list[Segment]:
    """The segments of one row: the gutter, then each column's cell cut to its width in terminal cells (the
    plugins' cells are ``plugins``, by column key; a column without one shows an empty cell)."""
    base = styles.base + styles.marked if marked else styles.base
    values = cell_values(row, now, narrow=any(c.key == "status" and c.width < 9 for c in columns))
    values.update(plugins or {})
    segments = [Segment(gutter(marked, row.changed), base + Style(bold=True) if marked else base)]
    for n, column in enumerate(columns):
        style = base
        if column.key == "sla" and values["sla"].startswith("-"):
            style = base + styles.breached
        elif column.key == "severity" and row.severity == "critical":
            style = base + styles.critical
        if n:
            segments.append(Segment(" ", base))
        value = values.get(column.key, "")
        if "\t" in value:  # a name and a suffix that must stay visible: cut the name
            name, suffix = value.split("\t", 1)
            value = fit(name, max(1, column.width - len(suffix) - 1)) + " " + suffix
        segments.append(Segment(fit(value, column.width), style))
    return segments
