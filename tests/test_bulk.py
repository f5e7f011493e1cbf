"""Bulk changes through the desk (console/desk/bulk.py): each ticket its own change, checked and audited like a
single one, and a tally of what was refused and why. No Textual."""

from __future__ import annotations

from pathlib import Path

from console.desk import bulk
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW

AGENT = "aiko.tanaka"


def desk_for(ws: Workspace, tmp_path: Path, agent: str = AGENT) -> Desk:
    path = tmp_path / "config.toml"
    if not path.exists():
        write_demo_config(path, NOW.date())
    return Desk(ws, load_config(path), load_plugins(), agent, lambda: NOW)


def unclaimed(ws: Workspace, n: int) -> list[str]:
    return [r.id for r in ws.queue.queue_page(QueueQuery(assignee="", sort="id"), limit=n)]


def ticket_audit(ws: Workspace, ticket_id: str, action: str) -> list[dict]:
    return [a for a in ws.agents.audit_since(entity="ticket", entity_id=ticket_id) if a["action"] == action]


def test_bulk_resolve_changes_each_ticket_audited_and_leaves_anothers_claim_alone(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    desk = desk_for(demo_ws, tmp_path)
    ids = unclaimed(demo_ws, 5)
    desk_for(demo_ws, tmp_path, "kenji.sato").claim(ids[2])  # kenji works one of them
    held_version = demo_ws.tickets.ticket(ids[2])["version"]
    seen: list[tuple[int, int]] = []

    result = bulk.apply_each(
        desk, ids, bulk.set_status("resolved", "answered"), progress=lambda d, t: seen.append((d, t))
    )

    assert result.changed == [i for i in ids if i != ids[2]]
    assert [r.ticket_id for r in result.refused] == [ids[2]]
    assert result.summary() == "4 changed, 1 refused: 1 claimed by kenji.sato"
    assert seen == [(n, 5) for n in range(1, 6)]
    for ticket_id in result.changed:
        ticket = demo_ws.tickets.ticket(ticket_id)
        assert (ticket["status"], ticket["resolutionCode"]) == ("resolved", "answered")
        assert len(ticket_audit(demo_ws, ticket_id, "ticket.status")) == 1  # one audit row per changed ticket
    held = demo_ws.tickets.ticket(ids[2])
    assert held["status"] != "resolved" and held["version"] == held_version
    assert ticket_audit(demo_ws, ids[2], "ticket.status") == []


def test_a_ticket_already_so_is_counted_and_not_written_again(demo_ws: Workspace, tmp_path: Path) -> None:
    desk = desk_for(demo_ws, tmp_path)
    ids = unclaimed(demo_ws, 3)
    desk.set_status(ids[0], "waiting_customer")
    result = bulk.apply_each(desk, ids, bulk.set_status("waiting_customer"))
    assert (result.changed, result.unchanged) == (ids[1:], ids[:1])
    assert result.summary() == "2 changed, 1 already so"
    assert len(ticket_audit(demo_ws, ids[0], "ticket.status")) == 1  # only the single change before


def test_an_agent_who_may_not_resolve_is_refused_for_each_ticket(demo_ws: Workspace, tmp_path: Path) -> None:
    sales = desk_for(demo_ws, tmp_path, "priya.nair")  # a Sales agent: may note, may not resolve
    ids = unclaimed(demo_ws, 2)
    result = bulk.apply_each(sales, ids, bulk.set_status("resolved", "answered"))
    assert result.changed == []
    assert result.summary() == "0 changed, 2 refused: 2 you may not resolve"
    assert "needs" in result.refused[0].detail  # the desk's message, naming the roles that would allow it
    assert all(demo_ws.tickets.ticket(i)["status"] != "resolved" for i in ids)
    noted = bulk.apply_each(sales, ids, bulk.note("Customer called back: see the case."))
    assert noted.changed == ids


def test_a_change_made_meanwhile_is_refused_as_stale_and_nothing_is_overwritten(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    desk = desk_for(demo_ws, tmp_path)
    other = desk_for(demo_ws, tmp_path, "maria.garcia")
    ids = unclaimed(demo_ws, 2)

    def assign_after_another_change(d: Desk, ticket: dict) -> dict:
        if ticket["id"] == ids[0]:
            other.set_status(ticket["id"], "in_progress")  # between the desk's read and its write
        return d.assign(ticket, "li.wei")

    op = bulk.BulkOp("assign", "assign to li.wei", assign_after_another_change)
    result = bulk.apply_each(desk, ids, op)
    assert result.changed == ids[1:]
    assert result.refused[0].reason == "changed meanwhile by maria.garcia"
    first = demo_ws.tickets.ticket(ids[0])
    assert first["assignee"] is None and first["status"] == "in_progress"


def test_notes_go_on_a_ticket_another_agent_holds_and_unknown_tickets_are_named(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    desk = desk_for(demo_ws, tmp_path)
    ids = unclaimed(demo_ws, 2)
    desk_for(demo_ws, tmp_path, "kenji.sato").claim(ids[0])
    result = bulk.apply_each(desk, [*ids, "CSP-999999", ids[1]], bulk.note("Checked the invoice."))
    assert result.changed == ids  # each once, the repeated id not twice
    assert result.summary() == "2 changed, 1 refused: 1 no longer exists"
    assert len(ticket_audit(demo_ws, ids[1], "ticket.note")) == 1


def test_bulk_assign_to_an_unknown_agent_says_why(demo_ws: Workspace, tmp_path: Path) -> None:
    desk = desk_for(demo_ws, tmp_path)
    result = bulk.apply_each(desk, unclaimed(demo_ws, 1), bulk.assign("nobody.here"))
    assert result.summary() == "0 changed, 1 refused: 1 'nobody.here' is not an agent of this workspace"
