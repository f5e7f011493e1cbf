"""One day count for an overdue invoice everywhere (issue 19, item 7): the account view and the collections
screen both count in the desk's day (``time_zone``, Asia/Tokyo in the demo), so near midnight they never say 16
and 17 days of the same invoice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from console.billing.account import days_overdue, desk_day
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.settings.config import DEMO_POLICY, load_config, write_demo_config
from console.store import Workspace
from tests.conftest import NOW, set_policy

#: 2026-11-23 23:30 UTC is already 2026-11-24 08:30 in Tokyo.
LATE_UTC = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
#: 2026-11-23 15:30 UTC is 2026-11-24 00:30 in Tokyo, half an hour into the desk's new day.
PAST_MIDNIGHT_TOKYO = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def test_the_day_is_the_desks() -> None:
    assert desk_day(PAST_MIDNIGHT_TOKYO, "Asia/Tokyo") == date(2026, 11, 24)
    assert desk_day(PAST_MIDNIGHT_TOKYO, "UTC") == date(2026, 11, 23)
    assert days_overdue("2026-11-07", date(2026, 11, 24)) == 17 == days_overdue(date(2026, 11, 7), date(2026, 11, 24))


@pytest.mark.parametrize("now", [PAST_MIDNIGHT_TOKYO, LATE_UTC, NOW])
def test_the_account_and_the_collections_count_the_same_days(demo_ws: Workspace, tmp_path: Path, now: datetime) -> None:
    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    set_policy(demo_ws, DEMO_POLICY)  # the demo desk's day: Asia/Tokyo
    desk = Desk(demo_ws, load_config(path), load_plugins(), "tom.becker", lambda: now)
    try:
        report = desk.billing.collections()
        overdue = [c for c in report.customers if c.days_overdue > 0]
        assert overdue
        for standing in overdue:
            account = desk.account(standing.customer_id)
            counted = [line.days_overdue for line in account.receivables if line.receivable.status != "disputed"]
            assert max(counted) == standing.days_overdue, standing.company
        today = desk_day(now, "Asia/Tokyo")
        line = next(line for line in desk.account(overdue[0].customer_id).receivables if line.days_overdue > 0)
        assert line.days_overdue == (today - line.receivable.due_date).days
    finally:
        desk.close()
