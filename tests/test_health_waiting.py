"""The board's "Waiting on Microsoft" and the backlog's "waiting on Microsoft" are one figure (issue 19,
item 10): open tickets in ``waiting_microsoft``, by the vehicle and state of their latest case, never a count
of escalation records (a case closed long ago, a case still open on a ticket back in progress, a ticket set
waiting by hand with no case recorded)."""

from __future__ import annotations

import pytest

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
    said = {f[0]: f[1] for f in figures(h, {}, {})["backlog"]}  # (in the console's words, not the stored value)
    assert said["status.waiting_microsoft"] == "  waiting on Microsoft"
    assert said["status.waiting_customer"] == "  waiting on customer" and said["status.in_progress"] == "  in progress"


def test_a_ticket_set_waiting_by_hand_is_counted_with_no_case(small_ws: Workspace) -> None:  # noqa: F811
    h = HealthBoard(small_ws, "UTC").compute(NOW)  # CSP-000004 waits on Microsoft; no case was recorded
    assert h.escalations["waiting"] == h.backlog["byStatus"]["waiting_microsoft"] == 1
    assert h.escalations["byVehicle"] == {"none": {"no case recorded": 1}}
    assert h.escalations["oldestWaiting"]["ticket"] == "CSP-000004"


#: The board's figures as a direct count over the tickets (what the rollup replaces: a read per waiting ticket).
_DIRECT_COUNT = (
    "SELECT e.vehicle, e.state, count(*) FROM tickets t "
    "LEFT JOIN escalations e ON e.id = (SELECT max(x.id) FROM escalations x WHERE x.ticketSeq = t.seq) "
    "WHERE t.status = 'waiting_microsoft' AND t.isOpen = 1 GROUP BY 1, 2"
)
_DIRECT_OLDEST = (
    "SELECT t.id, coalesce((SELECT max(l.createdDate) FROM timeline l WHERE l.ticketSeq = t.seq "
    "AND l.kind = 'status_change' AND l.toValue = 'waiting_microsoft'), t.lastModifiedDate) AS since, "
    "e.vehicle, e.microsoftCaseId FROM tickets t "
    "LEFT JOIN escalations e ON e.id = (SELECT max(x.id) FROM escalations x WHERE x.ticketSeq = t.seq) "
    "WHERE t.status = 'waiting_microsoft' AND t.isOpen = 1 ORDER BY since, t.seq LIMIT 1"
)


def _assert_rollup_is_the_direct_count(ws: Workspace) -> None:
    direct = [tuple(r) for r in ws.conn.execute(_DIRECT_COUNT)]
    assert sorted(ws.health.health_waiting_microsoft(), key=str) == sorted(direct, key=str)
    oldest = ws.conn.execute(_DIRECT_OLDEST).fetchone()
    assert ws.health.health_oldest_waiting() == (dict(oldest) if oldest else None)


def _move(ws: Workspace, ticket_id: str, status: str, when: str | None = None) -> None:
    current = ws.tickets.ticket(ticket_id)
    assert current is not None
    event = {"kind": "status_change", "fromValue": current["status"], "toValue": status}
    if when is not None:
        event["createdDate"] = when
    changes: dict[str, object] = {"status": status}
    if status == "resolved":
        changes.update(resolvedDate=at(0 * H), resolutionCode="fixed")
    ws.tickets.update_ticket(ticket_id, expected_version=None, changes=changes, events=[event], agent="t", action="t")


def test_the_waiting_rollup_equals_the_direct_count_whatever_the_writes(demo_ws: Workspace) -> None:
    """Escalations recorded, moved on by Microsoft, given a case number and deleted; tickets set waiting and back,
    resolved, reopened, deleted; status changes back-dated; then a bulk load of more waiting tickets with cases:
    after each, the rollup the board reads equals the count over the tickets."""
    ws = demo_ws
    _assert_rollup_is_the_direct_count(ws)  # the demo, written in bulk
    ids = [r[0] for r in ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 1 ORDER BY seq LIMIT 24")]
    for n, ticket_id in enumerate(ids):
        if n % 3 == 0:
            escalation(ws, ticket_id, ("signature", "advanced", "premier")[n % 9 // 3], "pending", at(-n * H))
        _move(ws, ticket_id, "waiting_microsoft", at(-(30 - n) * H) if n % 4 == 0 else None)
        _assert_rollup_is_the_direct_count(ws)
    with ws.transaction():
        ws.conn.execute("UPDATE escalations SET state = 'open', microsoftCaseId = '2611230000' || id WHERE id % 2 = 0")
        seq = ws.tickets.ticket(ids[3])["seq"]  # type: ignore[index]
        ws.conn.execute("DELETE FROM escalations WHERE ticketSeq = ?", (seq,))
    _assert_rollup_is_the_direct_count(ws)
    escalation(ws, ids[6], "advanced", "open", at(-2 * H))  # a newer case on a ticket already waiting
    _assert_rollup_is_the_direct_count(ws)
    for n, ticket_id in enumerate(ids[:8]):
        _move(ws, ticket_id, ("in_progress", "resolved", "waiting_customer", "waiting_microsoft")[n % 4])
        _assert_rollup_is_the_direct_count(ws)
    _move(ws, ids[1], "triaged")  # reopened
    _move(ws, ids[1], "waiting_microsoft", at(-100 * H))  # and waiting since long ago: now the oldest
    _assert_rollup_is_the_direct_count(ws)
    with ws.transaction():
        seq = ws.tickets.ticket(ids[9])["seq"]  # type: ignore[index]
        for table in ("timeline", "findings", "escalations"):
            ws.conn.execute(f"DELETE FROM {table} WHERE ticketSeq = ?", (seq,))
        ws.conn.execute("DELETE FROM ticket_search WHERE rowid = ?", (seq,))
        ws.conn.execute("DELETE FROM tickets WHERE seq = ?", (seq,))
        ws.conn.execute(
            "UPDATE timeline SET createdDate = ? WHERE kind = 'status_change' AND toValue = 'waiting_microsoft' "
            "AND ticketSeq = (SELECT seq FROM tickets WHERE id = ?)",
            (at(-200 * H), ids[12]),
        )
    _assert_rollup_is_the_direct_count(ws)
    with ws.bulk_load():
        top = ws.conn.execute("SELECT max(seq) FROM tickets").fetchone()[0]
        columns = _ticket_columns(ws)
        for k in range(1, 6):
            ws.conn.execute(
                f"INSERT INTO tickets (seq, id, {', '.join(columns)}) SELECT ?, ?, {', '.join(columns)} "
                "FROM tickets WHERE id = ?",
                (top + k, f"CSP-{top + k:06d}", ids[15]),
            )
            ws.conn.execute("UPDATE tickets SET status = 'waiting_microsoft', isOpen = 1 WHERE seq = ?", (top + k,))
            if k % 2:
                escalation(ws, f"CSP-{top + k:06d}", "signature", "open", at(-k * H))
    _assert_rollup_is_the_direct_count(ws)
    assert ws.health.health_waiting_microsoft()  # something is waiting, with and without cases
    _move(ws, f"CSP-{top + 1:06d}", "in_progress")  # the triggers are back after the bulk load
    _assert_rollup_is_the_direct_count(ws)


def _ticket_columns(ws: Workspace) -> list[str]:
    """The tickets table's columns but its keys (the names a row gives, on either engine)."""
    names: list[str] = ws.conn.execute("SELECT * FROM tickets LIMIT 1").fetchone().keys()  # (a row's names)
    return [c for c in names if c not in ("seq", "id")]


def _steps(ws: Workspace) -> int:
    """SQLite's virtual-machine steps to read the board's "Waiting on Microsoft" figures."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    ws.conn.set_progress_handler(count, 1)
    try:
        ws.health.health_waiting_microsoft()
        ws.health.health_oldest_waiting()
    finally:
        ws.conn.set_progress_handler(None, 1)
    return steps[0]


@pytest.mark.sqlite_only("it counts SQLite's virtual-machine steps (a progress handler); PostgreSQL has none")
def test_waiting_on_microsoft_costs_the_same_with_many_more_waiting_tickets(demo_ws: Workspace) -> None:
    """The regression of bench/RESULTS-quick.md (health board 0.31x, was 0.04x): the figure read every waiting
    ticket's latest case and timeline. From the rollup it reads the same few rows at 3,000 more waiting tickets."""
    ws = demo_ws
    before = _steps(ws)
    with ws.bulk_load():
        top = ws.conn.execute("SELECT max(seq) FROM tickets").fetchone()[0]
        columns = _ticket_columns(ws)
        source = ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 1 LIMIT 1").fetchone()[0]
        for k in range(1, 3001):
            ws.conn.execute(
                f"INSERT INTO tickets (seq, id, {', '.join(columns)}) SELECT ?, ?, {', '.join(columns)} "
                "FROM tickets WHERE id = ?",
                (top + k, f"CSP-{top + k:06d}", source),
            )
        ws.conn.execute("UPDATE tickets SET status = 'waiting_microsoft', isOpen = 1 WHERE seq > ?", (top,))
        ws.conn.execute(
            "INSERT INTO escalations (ticketSeq, vehicle, state, createdBy, createdDate, lastModifiedDate) "
            "SELECT seq, 'advanced', 'open', 'li', createdDate, createdDate FROM tickets WHERE seq > ? AND seq % 2 = 0",
            (top,),
        )
    waiting = sum(n for _, _, n in ws.health.health_waiting_microsoft())
    assert waiting >= 3000
    assert _steps(ws) <= before + 50, (before, _steps(ws))
