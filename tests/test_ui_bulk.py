"""Working many tickets from the queue: marks (space, a V range, M), kept by ticket id across a live refresh and a
change of view; a bulk resolve in one confirmation, each ticket through the desk, and the summary of the refused."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len

from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.screens.bulk import BulkConfirm, BulkOutcome
from console.screens.dialogs import ChoicePrompt
from console.screens.queue import QueueScreen
from console.settings.config import load_config
from console.store import Workspace
from tests.conftest import NOW
from tests.ui import make_app, settle, table


def ids_at(pilot: object, *indexes: int) -> list[str]:
    t = table(pilot)  # type: ignore[arg-type]
    return [t.row_at(i).id for i in indexes]  # type: ignore[union-attr]


def title(pilot: object) -> str:
    return str(pilot.app.screen.query_one("#queue-title").render())  # type: ignore[attr-defined]


async def outcome_shown(pilot: object) -> BulkOutcome:
    """The outcome dialog once its changes have ended (their result comes back after the worker's end)."""
    for _ in range(500):
        await settle(pilot)  # type: ignore[arg-type]
        screen = pilot.app.screen  # type: ignore[attr-defined]
        if isinstance(screen, BulkOutcome) and screen.result is not None:
            return screen
    screen = pilot.app.screen  # type: ignore[attr-defined]
    notes = [n.message for n in pilot.app._notifications]  # type: ignore[attr-defined]
    raise AssertionError(f"the bulk change never ended: {screen!r} {notes}")


def gutter_of(pilot: object, y: int) -> str:
    return table(pilot).render_line(y).text[:2]  # type: ignore[arg-type]


async def test_space_marks_and_moves_down_a_range_marks_between_and_M_clears(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        t = table(pilot)
        await pilot.press("space", "space", "space")
        assert t.marks.ids == ids_at(pilot, 0, 1, 2) and t.cursor == 3
        await pilot.press("k", "space")  # unmark the third
        assert t.marks.ids == ids_at(pilot, 0, 1)
        await pilot.press("j", "V", "j", "j")
        assert "range of 3" in title(pilot)
        assert [gutter_of(pilot, y) for y in range(1, 8)] == ["● ", "● ", "  ", "  ", "● ", "● ", "● "]
        await pilot.press("V")
        await settle(pilot)
        assert t.marks.ids == ids_at(pilot, 0, 1, 4, 5, 6)
        assert "● 5 marked" in title(pilot)
        await pilot.press("j", "V", "j", "space")  # space also ends a range, without moving
        assert t.marks.ids == ids_at(pilot, 0, 1, 4, 5, 6, 7, 8) and t.cursor == 8
        await pilot.press("M")
        assert t.marks.ids == [] and "marked" not in title(pilot)
        await pilot.press("space", "V", "j", "escape")  # escape drops the range, not the marks before it
        assert t.marks.ids == ids_at(pilot, 8) and "range" not in title(pilot)


async def test_a_range_over_rows_not_read_yet_marks_them_all(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        t = table(pilot)
        await pilot.press("V", "G")  # to the last row: the pages between were never read
        await pilot.press("V")
        await settle(pilot)
        assert len(t.marks) == t.count


async def test_marks_survive_a_live_refresh_and_a_change_of_view_and_say_how_many_are_elsewhere(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        t = table(pilot)
        await pilot.press("space", "space", "space")
        marked = list(t.marks.ids)
        # Another session changes the first marked ticket (it moves down the queue): the marks stay by id.
        other = Workspace.open(demo_ws.locator, clock=lambda: NOW)
        other.tickets.update_ticket(
            marked[0],
            expected_version=None,
            changes={"severity": "minimal"},
            events=[],
            agent="kenji.sato",
            action="ticket.classify",
        )
        other.close()
        app._poll()
        await settle(pilot)
        assert t.marks.ids == marked
        shown = {t.row_at(i).id for i in range(t.count or 0) if t.row_at(i) is not None}
        for index in range(20):
            row = t.row_at(index)
            assert (gutter_of(pilot, index + 1)[0] == "●") == (row.id in marked)
        assert marked[1] in shown
        await pilot.press("2")  # Unassigned: which of the marked are there decides the count
        await settle(pilot)
        assert t.marks.ids == marked
        in_view = demo_ws.queue.in_view(t.query_, marked)
        elsewhere = len(marked) - len(in_view)
        assert (f"({elsewhere} not in view)" in title(pilot)) == bool(elsewhere)


async def test_bulk_resolve_one_confirmation_each_through_the_desk_with_the_refused_counted(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # Unassigned
        await settle(pilot)
        t = table(pilot)
        await pilot.press("space", "space", "V", "j", "j", "V")
        await settle(pilot)
        ids = list(t.marks.ids)
        assert len(ids) == 5
        kenji = Desk(demo_ws, load_config(tmp_path / "config.toml"), load_plugins(), "kenji.sato", lambda: NOW)
        kenji.claim(ids[3])  # someone else takes one meanwhile
        before = {i: demo_ws.tickets.ticket(i) for i in ids}

        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("enter")  # the first resolution code: "Question answered"
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, BulkConfirm)
        text = " ".join(str(s.render()) for s in confirm.query("Static"))
        assert "Resolve 5 tickets: status → resolved (Question answered)" in text
        assert all(i in text for i in ids)
        assert len(app.screen_stack) == 2  # the code chosen, one question over the queue
        await pilot.press("y")
        outcome = await outcome_shown(pilot)
        summary = str(outcome.query_one("#bulk-summary").render())
        assert "4 changed, 1 refused: 1 claimed by kenji.sato" in summary
        assert ids[3] in str(outcome.query_one("#bulk-refused-list").render())

        for ticket_id in ids:
            audit = [
                a
                for a in demo_ws.agents.audit_since(entity="ticket", entity_id=ticket_id)
                if a["action"] == "ticket.status"
            ]
            ticket = demo_ws.tickets.ticket(ticket_id)
            if ticket_id == ids[3]:
                assert audit == [] and ticket["status"] == before[ticket_id]["status"]
            else:
                assert len(audit) == 1 and audit[0]["agent"] == "aiko.tanaka"
                assert ticket["status"] == "resolved" and ticket["version"] == before[ticket_id]["version"] + 1
        assert t.marks.ids == [ids[3]]  # the changed unmarked; the refused stays marked
        await pilot.press("enter")
        assert isinstance(app.screen, QueueScreen)


async def test_with_nothing_marked_the_action_is_on_the_ticket_under_the_cursor(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        current = table(pilot).current_row.id  # type: ignore[union-attr]
        await pilot.press("A")
        await settle(pilot)
        options = app.screen.query_one("OptionList")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        await pilot.press(*["down"] * labels.index("li.wei"), "enter")
        await settle(pilot)
        assert isinstance(app.screen, BulkConfirm)
        await pilot.press("y")
        outcome = await outcome_shown(pilot)
        assert "1 changed" in str(outcome.query_one("#bulk-summary").render())
        assert demo_ws.tickets.ticket(current)["assignee"] == "li.wei"


async def test_at_80_columns_the_title_has_room_and_japanese_cells_line_up(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        t = table(pilot)
        header = t.render_line(0).text
        cols = {c.key: c for c in t.columns()}
        assert cols["title"].width >= 24
        assert "Title" in header and "Age" not in header
        starts = [cell_len(t.render_line(y).text) for y in range(1, t.rows_visible + 1)]
        assert set(starts) == {t.content_width}
        # Each row's title starts at the header's "Title", Japanese customer names or not.
        at = header.index("Title")
        for y in range(1, t.rows_visible + 1):
            line = t.render_line(y).text
            row = t.row_at(t.scroll_offset.y + y - 1)
            prefix_cells = 0
            for n, ch in enumerate(line):
                if prefix_cells == at:
                    assert line[n:].startswith(row.title[:3]) or row.title[:1] == "", (line, row.title)  # type: ignore[union-attr]
                    break
                prefix_cells += cell_len(ch)


async def test_the_outcome_closed_while_it_runs_comes_as_a_notice(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: object
) -> None:
    import threading

    from console.desk import bulk

    release = threading.Event()
    real = bulk.apply_each

    def slow(*args: object, **kwargs: object) -> bulk.BulkResult:
        release.wait(10)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk, "apply_each", slow)  # type: ignore[attr-defined]
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("space", "space", "I")
        await settle(pilot)
        await pilot.press(*"Called the customer", "ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause(0.1)
        assert isinstance(app.screen, BulkOutcome)
        assert "working… 0 of 2" in str(app.screen.query_one("#bulk-summary").render())
        await pilot.press("escape")  # back to the queue while it runs
        assert isinstance(app.screen, QueueScreen)
        release.set()
        for _ in range(100):
            await settle(pilot)
            if any("2 changed" in n.message for n in app._notifications):
                break
        assert any("2 changed" in n.message for n in app._notifications)
        assert table(pilot).marks.ids == []
