"""Notices in the console: a toast in every console of the agent concerned within a poll, the list of recent
notices (N on the queue) where Enter opens the ticket and marks it seen, the unseen count in the queue's title,
and the "changed since you looked" marker on the queue's rows."""

from __future__ import annotations

import time
from pathlib import Path

from textual.pilot import Pilot

from console.app import CspConsoleApp
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.screens.notices import NoticesScreen
from console.screens.ticket import TicketScreen
from console.settings.config import Config
from console.store import Workspace
from console.widgets.queue_rows import CHANGED_MARK
from tests.conftest import NOW
from tests.ui import make_app, settle, table

OTHER = "li.wei"


def other_desk(path: Path) -> Desk:
    """Another agent's console, as its own process has it: its own connection."""
    return Desk(Workspace.open(path), Config(), load_plugins(), OTHER, lambda: NOW)


def toasts(app: CspConsoleApp, title: str) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == title]


async def wait_for(pilot: Pilot[None], check: object, seconds: float = 15.0) -> None:
    """Until ``check()`` holds: a few polls (the app polls every half second), by the clock on a loaded machine."""
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("not within a few polls")
        await pilot.pause(0.05)


def row_of(pilot: Pilot[None], ticket_id: str) -> str:
    """The queue's line of ``ticket_id`` as drawn."""
    queue = table(pilot)
    for y in range(1, queue.size.height):
        line = "".join(s.text for s in queue.render_line(y))
        if ticket_id in line:
            return line
    raise AssertionError(f"{ticket_id} not on screen")


async def test_a_takeover_is_a_toast_in_every_console_of_the_agent_within_a_poll(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    first = make_app(demo_ws, tmp_path)
    async with first.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first.settle()
        ticket_id = table(pilot).current_row.id  # type: ignore[union-attr]
        first.desk.claim(ticket_id, takeover=True)
        other_ws = Workspace.open(demo_ws.locator)  # the same agent's second console
        second = make_app(other_ws, tmp_path)
        async with second.run_test(size=(80, 24)) as second_pilot:
            await settle(second_pilot)
            second.settle()
            await settle(second_pilot)
            taker = other_desk(demo_ws.locator)
            taker.claim(ticket_id, takeover=True)
            said = f"{ticket_id} taken over by {OTHER}"
            await wait_for(pilot, lambda: any(said in t for t in toasts(first, "Taken over")))
            await wait_for(second_pilot, lambda: any(said in t for t in toasts(second, "Taken over")))
            taker.ws.close()
            taker.close()
        other_ws.close()
        # The count of unseen notices is in the queue's title, in sight at 80 columns.
        await wait_for(pilot, lambda: "1 new notice (N)" in str(pilot.app.screen.query_one("#queue-title").render()))


async def test_the_list_opens_the_ticket_and_marks_the_notice_seen(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
        ticket_id = table(pilot).current_row.id  # type: ignore[union-attr]
        app.desk.claim(ticket_id, takeover=True)
        taker = other_desk(demo_ws.locator)
        taker.claim(ticket_id, takeover=True)
        await wait_for(pilot, lambda: toasts(app, "Taken over"))
        await pilot.press("N")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NoticesScreen)
        assert [n.ticketId for n in screen.notices] == [ticket_id] and screen.notices[0].seenAt is None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == ticket_id
        assert app.desk.notices.unseen_count() == 0
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, NoticesScreen)
        await wait_for(pilot, lambda: app.screen.notices and app.screen.notices[0].seenAt is not None)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        await wait_for(pilot, lambda: "new notice" not in str(pilot.app.screen.query_one("#queue-title").render()))
        taker.ws.close()
        taker.close()


async def test_the_changed_marker_follows_another_agents_note_and_goes_when_opened(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
        ticket_id = table(pilot).current_row.id  # type: ignore[union-attr]
        await pilot.press("enter")  # opened: what the agent saw is recorded
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert CHANGED_MARK not in row_of(pilot, ticket_id)
        other = other_desk(demo_ws.locator)
        other.note(ticket_id, "Customer called: still down.")
        await wait_for(pilot, lambda: CHANGED_MARK in row_of(pilot, ticket_id))
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await wait_for(pilot, lambda: CHANGED_MARK not in row_of(pilot, ticket_id))
        other.ws.close()
        other.close()


async def test_a_console_started_later_counts_the_unseen_and_toasts_only_what_is_new(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    first, second = free_tickets(demo_ws, 2)
    mine = Desk(demo_ws, Config(), load_plugins(), "aiko.tanaka", lambda: NOW)
    taker = other_desk(demo_ws.locator)
    for ticket_id in (first, second):
        mine.claim(ticket_id)
        taker.claim(ticket_id, takeover=True)  # two notices while aiko had no console open
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
        await wait_for(pilot, lambda: toasts(app, "Notices"))
        assert toasts(app, "Notices") == ["2 unseen notices: N on the queue lists them."]
        assert toasts(app, "Taken over") == []  # said once as a count, not replayed
        await wait_for(pilot, lambda: "2 new notices (N)" in str(pilot.app.screen.query_one("#queue-title").render()))
        (third,) = [t for t in free_tickets(demo_ws, 3) if t not in (first, second)][:1]
        app.desk.claim(third)
        taker.claim(third, takeover=True)
        await wait_for(pilot, lambda: toasts(app, "Taken over"))
        assert len(toasts(app, "Taken over")) == 1 and third in toasts(app, "Taken over")[0]
        severities = [n.severity for n in app._notifications if n.title == "Taken over"]
        assert severities == ["warning"]
    taker.ws.close()
    taker.close()
    mine.close()


def free_tickets(ws: Workspace, count: int) -> list[str]:
    free = [r["id"] for b in ws.tickets.iter_tickets() for r in b if r["assignee"] is None and r["status"] != "new"]
    return free[:count]


async def test_a_notice_about_the_ticket_in_front_still_toasts_and_counts_as_seen(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
        (ticket_id,) = free_tickets(demo_ws, 1)
        app.desk.claim(ticket_id)
        app.open_ticket(ticket_id)
        await settle(pilot)
        taker = other_desk(demo_ws.locator)
        taker.claim(ticket_id, takeover=True)
        await wait_for(pilot, lambda: any(ticket_id in t for t in toasts(app, "Taken over")))
        await wait_for(pilot, lambda: app.desk.notices.unseen_count() == 0)  # the agent is looking at it
        taker.ws.close()
        taker.close()
