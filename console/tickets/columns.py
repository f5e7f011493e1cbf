"""The queue's columns by name, as a view's ``columns`` in the config file names them (``[views."Breaching
soon"] columns = ["id", "sla", "customer", "title"]``); what each shows is drawn by the console's queue."""

from __future__ import annotations

from collections.abc import Sequence

#: Each column's name and what it shows, in the default order.
COLUMNS: dict[str, str] = {
    "id": "the ticket number",
    "age": "time since the ticket was logged",
    "sla": "time left to the SLA target (negative: breached)",
    "severity": "severity: A critical, B moderate, C minimal",
    "service": "AZ, M365 or D365",
    "category": "BILL, SUBS or TECH",
    "customer": "the customer's company name",
    "title": "the title (takes the room that is left)",
    "assignee": "who has the ticket, and the minutes left on a claim",
    "claim": "the minutes left on a claim (for a view of one agent's tickets)",
    "status": "the status",
}


def column_problem(names: Sequence[str]) -> str | None:
    """Why ``names`` is not a list of columns (unknown, repeated, none), or ``None``."""
    if not names:
        return 'name at least one column, e.g. ["id", "sla", "title"]'
    for name in names:
        if name not in COLUMNS:
            return f"unknown column {name!r}; the columns are {', '.join(COLUMNS)}"
    repeated = sorted({n for n in names if list(names).count(n) > 1})
    if repeated:
        return f"column {repeated[0]!r} is named twice"
    return None
