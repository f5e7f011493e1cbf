"""The ticket header's clocks say what the SLA section says (issue 19, item 10): the business time left, in
the same words, not the wall-clock time to the due moment cut to whole hours ("due in 1h" beside "1h 57m")."""

from __future__ import annotations

import re
from pathlib import Path

from console.screens.ticket import TicketScreen
from console.store import Workspace
from tests.test_ui_ticket import shown
from tests.ui import make_app, settle


async def test_the_header_and_the_sla_section_give_the_same_time_left(demo_ws: Workspace, tmp_path: Path) -> None:
    row = demo_ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND slaPausedSince IS NULL AND firstResponseDate IS NULL "
        "AND firstResponseBreachedDate IS NULL AND resolutionDueDate > '2026-11-24' ORDER BY seq LIMIT 1"
    ).fetchone()
    assert row is not None
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.open_ticket(row[0])
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        header = " ".join(shown(screen.query_one("#ticket-header")).split())
        sla = " ".join(shown(screen.query_one("#sla")).split())
        for name, label in (("first response", "First response"), ("resolution", "Resolution")):
            found = re.search(rf"{name}: due [^(]*\(.*?, (\S+(?: \S+)?) left\)", sla)
            assert found, sla
            assert f"{label}: {found.group(1)} left" in header, (header, sla)
        assert "due in" not in header
