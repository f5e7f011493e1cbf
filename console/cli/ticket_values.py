"""The values ``csp-console ticket`` takes: a status in the console's own words too, and what each action needs
as its VALUE."""

from __future__ import annotations

from console.cli.options import one_of
from console.shared.model import RESOLUTION_CODES, TicketStatus

#: The statuses as the console shows them (the queue's column and the ticket screen), also accepted.
STATUS_WORDS = {
    "waiting on customer": "waiting_customer",
    "wait cust": "waiting_customer",
    "waiting on Microsoft": "waiting_microsoft",
    "wait MS": "waiting_microsoft",
    "working": "in_progress",
}
status_of = one_of([s.value for s in TicketStatus], "status", plural="statuses", aliases=STATUS_WORDS)


#: What each action of ``ticket`` needs as its VALUE: without one, the command line is wrong (exit 2).
NEEDS_VALUE = {
    "assign": "the login of the agent to assign it to",
    "note": "the note's text",
    "reply": "the reply's text",
    "status": f"a status: {', '.join(s.value for s in TicketStatus)}",
    "resolve": f"a resolution code: {', '.join(RESOLUTION_CODES)}",
}
