"""Notices' marks in the console (issue 19, "Notifications", review): the ticket screen opens while another
writer holds the workspace and records what the agent saw once it can; a breach warning swept by a console in
another zone is said in this desk's zone, labelled; "A" marks every notice seen, not only the listed ones; a
console back from a pause counts all that is new."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

from console.desk.door import Desk
from console.notices.kinds import Kind
from console.plugins.host import load_plugins
from console.screens.notices import TOAST_AT_MOST, NoticesScreen
from console.screens.ticket import TicketScreen
from console.settings.config import Config
from console.settings.local_time import short
from console.store import Workspace
from tests.conftest import NOW
from tests.test_notices_marks import a_ticket, breach_for, many_notices, write_lock
from tests.test_ui_notices import toasts, wait_for
from tests.ui import AGENT, make_app, settle

OTHER = "li.wei"


def other_desk(path: Path) -> Desk:
    """Another agent's console (its own process: its own connection), built while the desk's time zone was still
    the default, UTC (``make_app`` then writes the demo desk's rules: Asia/Tokyo)."""
    return Desk(Workspace.open(path), Config(), load_plugins(), OTHER, lambda: NOW)


def errors(pilot: Pilot[None]) -> list[str]:
    return [str(n.message) for n in pilot.app._notifications if n.severity == "error"]


async def test_the_ticket_opens_while_another_writer_holds_the_lock_and_is_marked_seen_after(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
        await settle(pilot)
        ticket_id = a_ticket(demo_ws)
        app.desk.notices.see_ticket(ticket_id)
        other = other_desk(demo_ws.locator)
        other.note(ticket_id, "Customer called: still down.")
        assert app.desk.notices.changed([ticket_id]) == {ticket_id}
        await settle(pilot)
        with write_lock(demo_ws.locator):
            app.open_ticket(ticket_id)
            screen = app.screen
            assert isinstance(screen, TicketScreen)
            await wait_for(pilot, lambda: screen.details is not None, seconds=3.0)  # read while locked
            assert errors(pilot) == []
            assert app.desk.notices.changed([ticket_id]) == {ticket_id}  # not written yet: the lock is theirs
        # The writer is done (it changed nothing, so nothing reloads the screen): the marker is tried again.
        await wait_for(pilot, lambda: app.desk.notices.changed([ticket_id]) == set(), seconds=5.0)
        assert errors(pilot) == []
        other.ws.close()
        other.close()


def listed(pilot: Pilot[None]) -> str:
    listing = pilot.app.screen.query_one(OptionList)
    return "\n".join("".join(s.text for s in listing.render_line(y)) for y in range(listing.size.height))


async def test_a_breach_swept_in_utc_is_said_in_this_desks_zone(demo_ws: Workspace, tmp_path: Path) -> None:
    ticket_id, due = breach_for(demo_ws, AGENT)
    sweeper = other_desk(demo_ws.locator)
    assert sweeper.notices.warn_breaching() == 1  # a console on UTC swept first
    app = make_app(demo_ws, tmp_path)  # the demo desk: Asia/Tokyo
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, NoticesScreen)
        tokyo = short(due, "Asia/Tokyo", label=True)
        assert tokyo.endswith(" JST")
        assert f"{ticket_id} first response due {tokyo}" in listed(pilot) or f"resolution due {tokyo}" in listed(pilot)
        assert short(due, "UTC") not in listed(pilot)
    # A console in front when the warning comes toasts it in its own zone too.
    demo_ws.conn.execute("UPDATE tickets SET slaDueDate = ? WHERE id = ?", ("2026-11-23T03:40:00Z", ticket_id))
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
        await settle(pilot)
        assert sweeper.notices.warn_breaching() == 1
        await wait_for(pilot, lambda: toasts(app, "About to breach"))
        assert "due 11-23 12:40 JST: " in toasts(app, "About to breach")[-1]
    sweeper.ws.close()
    sweeper.close()


async def test_mark_all_seen_marks_the_notices_past_the_list_too(demo_ws: Workspace, tmp_path: Path) -> None:
    many_notices(demo_ws, 250)  # more than the list shows (200)
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        title = str(app.screen.query_one("#notices-title").render())
        assert "200 recent · 250 unseen" in title  # the count is of all, not of the list
        await pilot.press("A")
        await settle(pilot)
        assert app.desk.notices.unseen_count() == 0
        assert "200 recent · 0 unseen" in str(app.screen.query_one("#notices-title").render())


async def test_a_console_back_from_a_pause_counts_all_that_is_new(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settle()
        await wait_for(pilot, lambda: app.notice_feed.after is not None)
        ids = many_notices(demo_ws, 120)
        await wait_for(pilot, lambda: toasts(app, "Notices"))
        await settle(pilot)
        assert toasts(app, "Notices") == [f"{120 - TOAST_AT_MOST} more new notices: N on the queue lists them."]
        said = toasts(app, "Taken over")
        assert [s.split()[0] for s in said] == [f"CSP-{n:06d}" for n in range(116, 121)]  # the newest few
        assert app.notice_feed.after == ids[-1]
        assert app.notice_feed.unseen == 120
        with demo_ws.transaction():  # one more change: nothing of the 120 comes again
            demo_ws.notices.add(OTHER, Kind.TAKEOVER.value, "someone else's")
        await pilot.pause(1.2)
        await settle(pilot)
        assert len(toasts(app, "Notices")) == 1 and len(toasts(app, "Taken over")) == TOAST_AT_MOST
