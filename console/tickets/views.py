"""Queue views: the built-in ones every agent has, and the ones an agent saves (read, saved and deleted through
the desk's :class:`~console.desk.roles.QueueReads`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from console.shared.clock import to_iso
from console.tickets.queue_query import QueueQuery

BREACHING_WITHIN = timedelta(minutes=60)


@dataclass(frozen=True)
class View:
    name: str
    short: str  # for the views bar at 80 columns
    query: QueueQuery
    saved: bool = False


def builtin_views(agent: str, now: datetime) -> list[View]:
    """My queue, Unassigned, Breaching soon (SLA due within the hour, or breached), Waiting on Microsoft,
    Billing, All open."""
    return [
        View("My queue", "Mine", QueueQuery(assignee=agent)),
        View("Unassigned", "Unasg", QueueQuery(assignee="")),
        View("Breaching soon", "Breach", QueueQuery(due_before=to_iso(now + BREACHING_WITHIN))),
        View("Waiting on Microsoft", "Wait MS", QueueQuery(statuses=("waiting_microsoft",))),
        View("Billing", "Bill", QueueQuery(categories=("billing",))),
        View("All open", "Open", QueueQuery()),
    ]


def describe(query: QueueQuery, zone: str = "UTC") -> str:
    """A one-line summary of a query's filters, for the queue's title line (a due time in the desk's ``zone``)."""
    parts = []
    if query.statuses and set(query.statuses) != set(QueueQuery().statuses):
        parts.append("status " + "/".join(query.statuses))
    elif not query.statuses:
        parts.append("any status")
    for label, values in (("service", query.services), ("category", query.categories), ("severity", query.severities)):
        if values:
            parts.append(f"{label} {'/'.join(values)}")
    if query.assignee == "":
        parts.append("unassigned")
    elif query.assignee:
        parts.append(f"assignee {query.assignee}")
    if query.customer_id:
        parts.append("one customer")
    if query.due_before:
        from console.settings.local_time import clock_time

        parts.append(f"due before {clock_time(query.due_before, zone)}")
    if query.search:
        parts.append(f"search “{query.search}”")
    order = f"by {query.sort}{' ↓' if query.descending else ''}"
    return ", ".join([*parts, order])
