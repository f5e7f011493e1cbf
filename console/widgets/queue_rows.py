"""What a queue row shows: its columns at a width, and each cell's text (short codes, ages, SLA time left, the
time left on a claim). Pure formatting, no Textual: ``queue_table`` draws it, for the visible rows only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from console.shared.clock import humanize_delta, parse_iso
from console.tickets.queue_query import QueueRow
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
#: Before the title of a ticket someone else changed since the agent last opened it (a character, not a colour:
#: NO_COLOR shows it too).
CHANGED_MARK = "•"
SEVERITY_SHORT = {"critical": "A", "moderate": "B", "minimal": "C", "unknown": "-"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # 0: takes the remaining width


def columns_for(width: int) -> list[Column]:
    """The queue's columns at a given width; the title takes what is left."""
    wide = width >= 120
    cols = [
        Column("id", "Ticket", 10),
        Column("age", "Age", 4),
        Column("sla", "SLA", 5),
        Column("severity", "S", 1),
        Column("service", "Svc", 4),
        Column("category", "Cat", 4),
        Column("customer", "Customer", 24 if wide else 12),
        Column("title", "Title", 0),
        Column("assignee", "Assignee", 14 if wide else 8),
        Column("status", "Status", 9),
    ]
    fixed = sum(c.width for c in cols) + len(cols) - 1
    title = max(8, width - fixed)
    return [Column(c.key, c.label, title) if c.width == 0 else c for c in cols]


def _assignee(row: QueueRow, now: datetime) -> str:
    """The assignee, and the time left on a claim: ``aiko.tanaka 25m`` (the name is cut first)."""
    if not row.assignee:
        return "—"
    if not row.claimedUntil:
        return row.assignee
    left = max(0, int((parse_iso(row.claimedUntil) - now).total_seconds() // 60))
    return f"{row.assignee}\t{left}m"


def cell_values(row: QueueRow, now: datetime) -> dict[str, str]:
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
        "title": f"{CHANGED_MARK} {row.title}" if row.changed else row.title,
        "assignee": _assignee(row, now),
        "status": STATUS_SHORT.get(row.status, row.status),
    }


def header_text(width: int) -> str:
    return " ".join(fit(c.label, c.width) for c in columns_for(width))
