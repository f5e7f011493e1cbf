"""A claim belongs to the session that took it: leaving a console releases only that console's claims, never
the agent's claims in another console or from the command line; a crashed console's claims end with their lease."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from console.cli.main import main
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.settings.config import Config
from console.store import Workspace
from tests.conftest import NOW
from tests.ui import AGENT, make_app, settle, table


def free_tickets(ws: Workspace, count: int) -> list[str]:
    free = [r["id"] for b in ws.tickets.iter_tickets() for r in b if r["assignee"] is None and r["status"] != "new"]
    return free[:count]


def session_desk(path: Path, session: str | None, *, at: timedelta = timedelta(0)) -> Desk:
    """One console's desk as its own process has it: its own connection to the workspace file."""
    return Desk(Workspace.open(path), Config(), load_plugins(), AGENT, lambda: NOW + at, session=session)


def holder(ws: Workspace, ticket_id: str) -> tuple[str | None, str | None]:
    row = ws.tickets.ticket(ticket_id)
    assert row is not None
    return row["assignee"], row["claimSession"]


def test_leaving_one_session_keeps_the_agents_claims_in_another(demo_ws: Workspace) -> None:
    main_console, second_window = session_desk(demo_ws.locator, "A"), session_desk(demo_ws.locator, "B")
    kept, freed = free_tickets(demo_ws, 2)
    main_console.claim(kept)
    second_window.claim(freed)
    assert holder(demo_ws, kept) == (AGENT, "A") and holder(demo_ws, freed) == (AGENT, "B")
    assert second_window.session_claims() == [freed]
    assert second_window.leave() == [freed]
    assert holder(demo_ws, kept) == (AGENT, "A")
    assert holder(demo_ws, freed) == (None, None)
    release = demo_ws.agents.audit_since(entity="ticket", entity_id=freed)[-1]
    assert (release["agent"], release["action"]) == (AGENT, "ticket.release")
    before = {"assignee": AGENT, "claimedUntil": "2026-11-23T03:30:00Z", "claimSession": "B"}
    assert release["detail"]["before"] == before
    assert main_console.leave() == [kept]
    assert holder(demo_ws, kept) == (None, None)


def test_claiming_again_moves_the_claim_to_the_session_that_claimed(demo_ws: Workspace) -> None:
    a, b = session_desk(demo_ws.locator, "A"), session_desk(demo_ws.locator, "B")
    (ticket_id,) = free_tickets(demo_ws, 1)
    a.claim(ticket_id)
    b.claim(ticket_id)  # the agent took it again in the other window: it is that window's now
    assert a.leave() == []
    assert holder(demo_ws, ticket_id) == (AGENT, "B")


def test_a_command_line_claim_belongs_to_no_console(demo_ws: Workspace) -> None:
    cli, console = session_desk(demo_ws.locator, None), session_desk(demo_ws.locator, "A")
    (ticket_id,) = free_tickets(demo_ws, 1)
    cli.claim(ticket_id)
    assert holder(demo_ws, ticket_id) == (AGENT, None)
    assert console.leave() == []
    assert cli.leave() == []  # nothing to leave: it is kept until its lease ends or it is released
    assert holder(demo_ws, ticket_id) == (AGENT, None)
    cli.release(ticket_id)
    assert holder(demo_ws, ticket_id) == (None, None)


def test_a_crashed_sessions_claims_still_expire_by_their_lease(demo_ws: Workspace) -> None:
    crashed = session_desk(demo_ws.locator, "A")  # never leaves: killed, or its SSH link dropped
    (ticket_id,) = free_tickets(demo_ws, 1)
    crashed.claim(ticket_id)
    later = session_desk(demo_ws.locator, "B", at=timedelta(minutes=31))
    assert ticket_id in later.expire_claims()
    assert holder(demo_ws, ticket_id) == (None, None)


async def test_quitting_a_second_console_keeps_the_first_consoles_claim(demo_ws: Workspace, tmp_path: Path) -> None:
    first = make_app(demo_ws, tmp_path)
    async with first.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # unassigned
        await settle(pilot)
        ticket_id = table(pilot).current_row.id
        await pilot.press("c")
        await settle(pilot)
        assert demo_ws.tickets.ticket(ticket_id)["assignee"] == AGENT
        other = Workspace.open(demo_ws.locator)  # the second window: its own process, its own connection
        second = make_app(other, tmp_path, start_screen="health")
        async with second.run_test(size=(80, 24)) as second_pilot:
            await settle(second_pilot)
            second.settle()  # its desk is set up: it has something to release on leaving
        other.close()
        assert demo_ws.tickets.ticket(ticket_id)["assignee"] == AGENT  # still the first console's
        assert second.desk.session != first.desk.session
    # Quitting the first console releases its own claim, through the desk, audited.
    assert demo_ws.tickets.ticket(ticket_id)["assignee"] is None
    last = demo_ws.agents.audit_since(entity="ticket", entity_id=ticket_id)[-1]
    assert (last["agent"], last["action"]) == (AGENT, "ticket.release")
    assert last["detail"]["before"]["claimSession"] == first.desk.session


async def test_quitting_a_console_keeps_a_command_line_claim(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (ticket_id,) = free_tickets(demo_ws, 1)
    monkeypatch.setenv("CSP_CONSOLE_AGENT", AGENT)
    assert main(["ticket", "claim", ticket_id, "--db", str(demo_ws.locator)]) == 0
    until = demo_ws.tickets.ticket(ticket_id)["claimedUntil"]
    from console.settings.local_time import stamp

    # In the desk's time (no config file here: UTC), as every time the command line says.
    assert f"held until {stamp(until, 'UTC')} or 'ticket release'" in capsys.readouterr().out
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
    assert demo_ws.tickets.ticket(ticket_id)["assignee"] == AGENT
    assert holder(demo_ws, ticket_id) == (AGENT, None)


def test_the_claim_commands_help_says_how_long_a_claim_lasts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ticket", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "a claim from the command line belongs to no console" in said
    assert "until its lease ends" in said


def test_a_claim_handed_to_another_agent_is_no_longer_the_consoles(demo_ws: Workspace) -> None:
    console = session_desk(demo_ws.locator, "A")
    (ticket_id,) = free_tickets(demo_ws, 1)
    console.claim(ticket_id)
    console.assign(ticket_id, "li.wei")
    assert holder(demo_ws, ticket_id) == ("li.wei", None)
    assert console.leave() == []
    assert holder(demo_ws, ticket_id) == ("li.wei", None)
