"""Notices written by the desk's own ticket actions, inside the action's transaction (``write_update``'s
``also``): the holder of a ticket taken from them hears of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from console.notices import kinds
from console.notices.kinds import Kind

if TYPE_CHECKING:
    from console.store import Workspace


def taken_over(ws: Workspace, current: dict[str, Any], by: str, to: str | None) -> None:
    """``current`` (the ticket as stored before the change) held by someone other than ``by`` and ``to`` now
    goes to ``to``: that someone hears who took it (a takeover, or a lead's reassignment or unassignment)."""
    previous = current["assignee"]
    if previous is None or previous in (by, to):
        return
    text = kinds.taken_over(current["id"], by, to, current["title"])
    ws.notices.add(previous, Kind.TAKEOVER.value, text, ticket_id=current["id"], customer_id=current["customerId"])
