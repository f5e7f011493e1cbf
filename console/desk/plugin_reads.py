"""What a plugin's command may read, as the agent running it: account contexts, read-only (``ticket.view``:
every role of the desk may look at an account)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.plugins.views import CheckContext

if TYPE_CHECKING:
    from console.desk.door import Desk


def account(desk: Desk, customer_id: str) -> CheckContext:
    """The customer's check context (``ticket`` is ``None``); :class:`LookupError` for an unknown customer."""
    desk.authorize("ticket.view")
    return desk.triage.context(customer_id)


def customer_ids(desk: Desk) -> list[str]:
    """Every customer of the workspace, by id."""
    desk.authorize("ticket.view")
    return desk.ws.accounts.customer_ids()
