"""A running console follows the desk's policy: a Global admin's ``policy set`` in another process holds in the
console at its next look at the workspace (the poll of SQLite's data_version), without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli.main import main
from console.store import Workspace
from tests.ui import make_app, settle, until

HELPDESK, ADMIN = "maria.garcia", "kenji.sato"


async def test_a_running_console_acts_under_a_policy_set_elsewhere(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_ws, tmp_path, agent=HELPDESK)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue_door = pilot.app.screen.reads.door  # the queue's own door, built before the desk
        assert queue_door.may("ticket.view")
        desk = app.desk
        assert desk.may("ticket.claim") and app.config.claim_minutes == 30
        monkeypatch.setenv("CSP_CONSOLE_AGENT", ADMIN)
        db = ["--db", str(demo_ws.locator)]
        assert main(["policy", "set", "roles.ticket.claim", "global_admin", *db]) == 0  # another process would do
        assert main(["policy", "set", "claim_minutes", "50", *db]) == 0
        assert main(["policy", "set", "roles.ticket.view", "global_admin,helpdesk_agent", *db]) == 0
        await until(pilot, lambda: not desk.may("ticket.claim"), "the new rule")
        assert app.config.claim_minutes == 50 and desk.config.claim_minutes == 50
        assert desk.lease.total_seconds() == 50 * 60
        assert queue_door.role_map.map["ticket.view"] == {"global_admin", "helpdesk_agent"}
        assert app.desk is desk  # the same desk, no restart
