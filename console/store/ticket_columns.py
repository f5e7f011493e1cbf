"""A ticket's derived columns, and which columns a change really changes (part of the store)."""

from __future__ import annotations

from typing import Any

from console.shared import model

FAR_FUTURE = "9999-12-31T23:59:59Z"
_OPEN_VALUES = frozenset(s.value for s in model.OPEN_STATUSES)


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
