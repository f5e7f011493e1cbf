"""The board's "Waiting on Microsoft" and the backlog's "waiting on Microsoft" are one figure (issue 19,
item 10): open tickets in ``waiting_microsoft``, by the vehicle and state of their latest case, never a count
of escalation records (a case closed long ago, a case still open on a ticket back in progress, a ticket set
waiting by hand with no case recorded)."""

from __future__ import annotations

from console.health.board import HealthBoard, figures
from console.store import Workspace
from tests.conftest import NOW
from tests.test_health import H, at, small_ws  # noqa: F401  (the fixture)


def escalation(ws: Workspace, ticket_id: str, vehicle: str, state: str, created: str) -> None:
    seq = ws.tickets.ticket(ticket_id)["seq"]  # type: ignore[index]
    ws.conn.execute(
        "INSERT INTO escalations (ticketSeq, vehicle, state, createdBy, createdDate, lastModifiedDate) "
        "VALUES (?, ?, ?, 'li', ?, ?)",
        (seq, vehicle, state, created, created),
    )


def test_the_panel_counts_the_tickets_the_backlog_counts(small_ws: Workspace) -> None:  # noqa: F811
    ws = small_ws
    with ws.transaction():
        escalation(ws, "CSP-000002", "advanced", "open", at(-1.5 * H))  # open case, ticket back in progress
        escalation(ws, "CSP-000007", "signature", "closed", at(-150 * H))  # long closed
        escalation(ws, "CSP-000004", "signature", "closed", at(-99 * H))  # an old case, then a new one
        escalation(ws, "CSP-000004", "advanced", "open", at(-80 * H))
    h = HealthBoard(ws, "UTC").compute(NOW)
    waiting = h.backlog["byStatus"]["waiting_microsoft"]
    assert waiting == 1 == ws.queue.queue_count(h.queries["escalations.waiting"])
    assert h.escalations["waiting"] == waiting
    assert h.escalations["byVehicle"] == {"advanced": {"open": 1}}
    assert h.escalations["oldestWaiting"]["ticket"] == "CSP-000004"
    shown = {f[0]: f[2] for f in figures(h, {}, {})["escalations"]}
    assert shown["escalations.total"] == "1" and shown["escalation.advanced.open"] == "1"
    assert "escalation.signature.closed" not in shown


def test_a_ticket_set_waiting_by_hand_is_counted_with_no_case(small_ws: Workspace) -> None:  # noqa: F811
    h = HealthBoard(small_ws, "UTC").compute(NOW)  # CSP-000004 waits on Microsoft; no case was recorded
    assert h.escalations["waiting"] == h.backlog["byStatus"]["waiting_microsoft"] == 1
    assert h.escalations["byVehicle"] == {"none": {"no case recorded": 1}}
    assert h.escalations["oldestWaiting"]["ticket"] == "CSP-000004"
