"""A ticket's derived columns, and which columns a change really changes (part of the store)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from console.shared import model

FAR_FUTURE = "9999-12-31T23:59:59Z"
_OPEN_VALUES = frozenset(s.value for s in model.OPEN_STATUSES)
#: A change to any of these moves a ticket's SLA clocks.
CLOCK_FIELDS = frozenset({"status", "severity", "firstResponseDate", "resolvedDate", "createdDate", "customerId"})
#: What the SLA clocks of a stored ticket row are recomputed by (``console.sla.clocks.keep_clocks`` sets it).
#: ``keeper(row, pending)``: the SLA fields of a ticket ``row``, its status history as stored plus ``pending``
#: ``(when, to, from)``, the status changes its change is about to add.
ClockKeeper = Callable[[dict[str, Any], Sequence[tuple[str, str, str | None]]], dict[str, Any]]


def ticket_columns(rec: dict[str, Any], now: str) -> dict[str, Any]:
    """Derived columns of a ticket record: sequence number, severity rank, open flag, next SLA due."""
    is_open = rec["status"] in _OPEN_VALUES
    if not is_open:
        due = None
    elif rec.get("firstResponseDate") is None:
        due = rec.get("firstResponseDueDate") or rec.get("resolutionDueDate")
    else:
        due = rec.get("resolutionDueDate")
    return {
        "severityRank": model.SEVERITY_RANK[model.Severity(rec["severity"])],
        "isOpen": int(is_open),
        "slaDueDate": due or FAR_FUTURE,
        "lastModifiedDate": now,
    }


def changed_columns(stored: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The ``values`` that differ from the ``stored`` row. An UPDATE names only these: SQLite rewrites the
    entry of every index (and fires every ``UPDATE OF`` trigger) whose columns the SET clause names, changed
    or not, and a claim that named every derived column rewrote most of the 22 indexes of the tickets table,
    whose pages are cold in a large workspace (issue 23: the claim cost grew with the workspace)."""
    return {column: value for column, value in values.items() if stored.get(column) != value}


def as_changed(
    current: dict[str, Any],
    changes: dict[str, Any],
    events: Sequence[dict[str, Any]],
    now: str,
    keeper: ClockKeeper | None,
) -> dict[str, Any]:
    """The ticket ``current`` as ``changes`` and ``events`` will store it: its derived columns and, where the
    change moves a clock, the SLA fields ``keeper`` computes from the status history as stored plus the change's
    own status events. Read before the change's first write, so outside a claim's turn to write (the ticket's
    row is locked: no other change adds to its history meanwhile); one UPDATE then stores the lot."""
    row = {**current, **changes}
    row.update(ticket_columns(row, now))
    if keeper is not None and CLOCK_FIELDS & set(changes):
        pending = [
            (e.get("createdDate", now), e["toValue"], e.get("fromValue"))
            for e in events
            if e["kind"] == "status_change"
        ]
        row.update(keeper(row, pending))
    return row
