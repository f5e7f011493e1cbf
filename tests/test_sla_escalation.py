"""An escalated ticket's SLA clocks (issue 19, item 1): with ``pause_on_microsoft`` the resolution clock stands
still from the escalation until the ticket leaves ``waiting_microsoft``, whatever Microsoft's case says
meanwhile, and runs again from there; an upgraded workspace's stored clocks end the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from tests.conftest import NOW

AGENT = "aiko.tanaka"
FAR = "9999-12-31T23:59:59Z"


class Clock:
    """The desk's and the store's clock, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)  # the demo's tickets are fresh


@pytest.fixture
def desk(demo_ws: Workspace, tmp_path: Path, clock: Clock) -> Iterator[Desk]:
    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    demo_ws.clock = clock  # the store's clock is the desk's
    d = Desk(demo_ws, load_config(path), load_plugins(), AGENT, clock)
    yield d
    d.close()


def pick(ws: Workspace, service: str, title: str) -> str:
    row = ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND service = ? AND category = 'technical' "
        "AND status NOT IN ('waiting_microsoft', 'waiting_customer') AND title LIKE ? ORDER BY seq LIMIT 1",
        (service, title),
    ).fetchone()
    assert row is not None
    return str(row[0])


def resolution(desk: Desk, ticket_id: str) -> tuple[dict, object]:
    row = desk.ws.tickets.ticket(ticket_id)
    assert row is not None
    return row, desk.clocks.state(desk.ws, row).resolution


def escalate(desk: Desk, ticket_id: str, vehicle: str) -> dict:
    draft = desk.escalation_draft(ticket_id, vehicle)
    if draft.via_api and draft.service_id is None:
        draft.service_id = desk.escalation_services()[0]["id"]
        draft.problem_classification_id = desk.escalation_problems(draft.service_id)[0]["id"]
    return desk.escalate(draft)


def assert_paused_since(desk: Desk, ticket_id: str, since: datetime, used: float) -> None:
    row, res = resolution(desk, ticket_id)
    assert row["status"] == "waiting_microsoft"
    assert res.paused_since == since and res.due is None and round(res.used) == round(used)  # type: ignore[attr-defined]
    assert row["slaPausedSince"] is not None and row["resolutionDueDate"] is None and row["slaDueDate"] == FAR


def test_the_resolution_clock_stands_still_while_an_azure_case_is_with_microsoft(
    sandbox: Sandbox, desk: Desk, clock: Clock
) -> None:
    ticket_id = pick(desk.ws, "azure", "Production VMs%")
    clock.advance(hours=1)
    _, before = resolution(desk, ticket_id)
    escalated_at = clock.now
    stored = escalate(desk, ticket_id, "advanced")
    desk.microsoft_sync()
    case = desk.ws.escalations.escalation(stored["id"])["microsoftCaseId"]  # type: ignore[index]
    clock.advance(days=2)  # Microsoft works; its answer arrives, the case stays open
    sandbox.state.respond(case, "We are looking into it.", author="Engineer Sato")
    desk.microsoft_sync()
    assert_paused_since(desk, ticket_id, escalated_at, before.used)  # type: ignore[attr-defined]
    desk.record_breaches()
    row, _ = resolution(desk, ticket_id)
    assert row["resolutionBreachedDate"] is None
    clock.advance(days=1)
    sandbox.state.respond(case, "Fixed by the product group.", status="Closed")
    desk.microsoft_sync()
    row, res = resolution(desk, ticket_id)
    assert row["status"] == "in_progress" and res.paused_since is None and res.met is None  # type: ignore[attr-defined]
    assert round(res.used) == round(before.used) and res.due is not None  # type: ignore[attr-defined]
    assert row["resolutionDueDate"] is not None and row["slaDueDate"] != FAR
    clock.advance(days=1)  # and it runs again
    _, later = resolution(desk, ticket_id)
    assert later.used > res.used  # type: ignore[attr-defined]


def test_a_handed_off_case_closed_by_microsoft_starts_the_clock_again(
    sandbox: Sandbox, desk: Desk, clock: Clock
) -> None:
    """Partner Center's service requests say ``closed``, a word that is also a ticket status: the case's state
    on the timeline is not the ticket's (the clock stopped for good, as if the ticket were closed)."""
    ticket_id = pick(desk.ws, "office365", "%")
    clock.advance(hours=1)
    _, before = resolution(desk, ticket_id)
    escalated_at = clock.now
    stored = escalate(desk, ticket_id, "signature")
    customer = desk.ws.tickets.ticket(ticket_id)["customerId"]  # type: ignore[index]
    sr = sandbox.state.add_service_request(customer, "Mail flow", "Mail flow stopped")
    desk.record_case_number(stored["id"], sr["id"])
    clock.advance(days=2)
    desk.microsoft_sync()
    assert_paused_since(desk, ticket_id, escalated_at, before.used)  # type: ignore[attr-defined]
    sandbox.state.respond(sr["id"], "Restored.", status="closed")
    desk.microsoft_sync()
    row, res = resolution(desk, ticket_id)
    assert desk.ws.escalations.escalation(stored["id"])["state"] == "closed"  # type: ignore[index]
    assert row["status"] == "in_progress" and res.met is None and res.paused_since is None  # type: ignore[attr-defined]
    assert res.due is not None and row["resolutionDueDate"] is not None and row["slaDueDate"] != FAR  # type: ignore[attr-defined]
    clock.advance(days=1)
    _, later = resolution(desk, ticket_id)
    assert later.used > res.used  # type: ignore[attr-defined]


def test_migration_22_rewrites_old_escalation_events_and_recomputes_the_clocks(
    sandbox: Sandbox, desk: Desk, clock: Clock
) -> None:
    """A workspace from before migration 22: the escalation's move was an ``escalation`` event with the
    statuses, and the stored clocks of a ticket whose case Microsoft closed stood paused for good. After the
    upgrade and its recompute they are what a ticket escalated today has."""
    ticket_id = pick(desk.ws, "office365", "%")
    clock.advance(hours=1)
    stored = escalate(desk, ticket_id, "signature")
    customer = desk.ws.tickets.ticket(ticket_id)["customerId"]  # type: ignore[index]
    sr = sandbox.state.add_service_request(customer, "Mail flow", "Mail flow stopped")
    desk.record_case_number(stored["id"], sr["id"])
    clock.advance(days=1)
    sandbox.state.respond(sr["id"], "Restored.", status="closed")
    desk.microsoft_sync()
    right = desk.ws.tickets.ticket(ticket_id)
    assert right is not None and right["resolutionDueDate"] is not None
    seq, conn = right["seq"], desk.ws.conn
    shown = desk.ws.tickets.timeline(seq)
    # As the earlier release wrote it: one escalation event carrying the statuses, and the clocks it stored.
    (case_text,) = conn.execute(
        "SELECT id, text FROM timeline WHERE ticketSeq = ? AND kind = 'escalation' AND fromValue IS NULL "
        "ORDER BY id LIMIT 1",
        (seq,),
    ).fetchall()
    conn.execute("DELETE FROM timeline WHERE id = ?", (case_text[0],))
    conn.execute(
        "UPDATE timeline SET kind = 'escalation', text = ? WHERE ticketSeq = ? AND kind = 'status_change' "
        "AND toValue = 'waiting_microsoft'",
        (case_text[1], seq),
    )
    paused = right["lastModifiedDate"]
    conn.execute(
        "UPDATE tickets SET slaPausedSince = ?, resolutionDueDate = NULL, slaDueDate = ? WHERE seq = ?",
        (paused, FAR, seq),
    )
    conn.execute("UPDATE sync_state SET state = 'done' WHERE name = 'sla_clocks'")
    conn.execute("DELETE FROM schema_migrations WHERE version >= 22")  # a workspace of the release before 22
    for table in ("notices", "ticket_seen"):  # m023's, applied again after 22
        conn.execute(f"DROP TABLE {table}")
    from console.sla.clocks import recompute_open, recompute_pending
    from console.store import migrations

    assert migrations.migrate(conn) == ["m022_escalation_status_changes", "m023_notices"]
    assert recompute_pending(desk.ws)

    def events(timeline: list[dict]) -> list[tuple]:
        return sorted((e["kind"], e["text"], e["fromValue"], e["toValue"]) for e in timeline)

    assert events(desk.ws.tickets.timeline(seq)) == events(shown)
    assert recompute_open(desk.ws, desk.clocks) >= 1 and not recompute_pending(desk.ws)
    after = desk.ws.tickets.ticket(ticket_id)
    assert after is not None
    assert {k: after[k] for k in ("slaPausedSince", "resolutionDueDate", "slaDueDate")} == {
        k: right[k] for k in ("slaPausedSince", "resolutionDueDate", "slaDueDate")
    }
