"""The queue's columns fitted to the view and the width (console/widgets/queue_rows.py), and a view's own columns
from the config file (``[views."NAME"] columns``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.style import Style

from console.settings.config import ConfigError, load_config, write_demo_config
from console.store import Workspace
from console.tickets.queue_query import QueueQuery, QueueRow
from console.widgets.queue_rows import GUTTER, TITLE_MIN, RowStyles, columns_for, header_text, row_segments
from tests.conftest import NOW
from tests.ui import make_app, settle, table


def keys(width: int, query: QueueQuery | None = None, configured: tuple[str, ...] | None = None) -> list[str]:
    return [c.key for c in columns_for(width, query, configured)]


def used(width: int, query: QueueQuery | None = None, configured: tuple[str, ...] | None = None) -> int:
    cols = columns_for(width, query, configured)
    return GUTTER + sum(c.width for c in cols) + len(cols) - 1


@pytest.mark.parametrize("width", [79, 99, 119, 159, 200])
def test_the_title_has_room_and_the_row_fills_the_width(width: int) -> None:
    for query in (None, QueueQuery(), QueueQuery(assignee="aiko.tanaka"), QueueQuery(services=("azure",))):
        title = next(c for c in columns_for(width, query) if c.key == "title")
        assert title.width >= TITLE_MIN
        assert used(width, query) == width


def test_at_80_columns_what_matters_least_gives_way() -> None:
    assert keys(79) == ["id", "sla", "severity", "service", "customer", "title", "assignee", "status"]
    assert keys(159) == [
        "id",
        "age",
        "sla",
        "severity",
        "service",
        "category",
        "customer",
        "title",
        "assignee",
        "status",
    ]
    status = next(c for c in columns_for(79) if c.key == "status")
    assert status.width == 4  # a code: "wMS", "wCus"


def test_a_view_drops_the_columns_it_makes_redundant() -> None:
    mine = keys(159, QueueQuery(assignee="aiko.tanaka"))
    assert "assignee" not in mine and "claim" in mine  # one agent's tickets: the claim's minutes left instead
    assert "assignee" not in keys(159, QueueQuery(assignee="")) and "claim" not in keys(159, QueueQuery(assignee=""))
    assert "service" not in keys(159, QueueQuery(services=("azure",)))
    assert "service" in keys(159, QueueQuery(services=("azure", "office365")))
    assert "category" not in keys(159, QueueQuery(categories=("billing",)))
    assert "status" not in keys(159, QueueQuery(statuses=("waiting_microsoft",)))
    assert "customer" not in keys(159, QueueQuery(customer_id="c1"))


def test_a_views_own_columns_are_kept_in_their_order() -> None:
    configured = ("id", "sla", "customer", "title")
    assert keys(79, configured=configured) == list(configured)
    assert keys(79, QueueQuery(customer_id="c1"), configured) == list(configured)  # as written, nothing dropped
    assert used(79, configured=configured) == 79
    crowded = (
        "id",
        "age",
        "sla",
        "severity",
        "service",
        "category",
        "customer",
        "assignee",
        "claim",
        "status",
        "title",
    )
    assert used(79, configured=crowded) <= 79  # too many for 80 columns: the least useful give way


def _row(**over: object) -> QueueRow:
    base = dict(
        seq=1,
        id="CSP-000001",
        createdDate="2026-11-22T03:00:00Z",
        slaDueDate="2026-11-23T02:00:00Z",
        firstResponseDate=None,
        severity="critical",
        service="azure",
        category="billing",
        customerId="c1",
        companyName="株式会社さくら商事ホールディングス",
        title="請求書の金額が契約と違います（11月分）",
        assignee="kenji.sato",
        status="waiting_microsoft",
        claimedUntil="2026-11-23T03:25:00Z",
        sort_value="x",
    )
    return QueueRow(**{**base, **over})  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [79, 159])
def test_japanese_text_is_cut_by_cells_so_columns_line_up(width: int) -> None:
    cols = columns_for(width)
    styles = RowStyles(Style(), Style(), Style(), Style())
    for marked in (False, True):
        segments = row_segments(_row(), cols, NOW, styles, marked=marked)
        cells = [s.text for s in segments]
        assert cells[0] == ("● " if marked else "  ")
        assert [cell_len(c) for c in cells[1::2]] == [c.width for c in cols]
        assert cell_len("".join(cells)) == width
    assert cell_len(header_text(cols)) == width
    narrow = [s.text for s in row_segments(_row(), columns_for(79), NOW, styles, marked=False)]
    assert "wMS " in narrow and "-1h" in "".join(narrow)


def test_the_changed_hook_shows_in_the_gutters_second_cell() -> None:
    styles = RowStyles(Style(), Style(), Style(), Style())
    assert row_segments(_row(changed=True), columns_for(79), NOW, styles, marked=True)[0].text == "●•"


def _config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def test_view_columns_are_read_from_the_config(tmp_path: Path) -> None:
    path = _config(tmp_path, '\n[views."Breaching soon"]\ncolumns = ["id", "sla", "customer", "title"]\n')
    config = load_config(path)
    assert config.views == {"Breaching soon": ("id", "sla", "customer", "title")}
    assert "Breaching soon" in config.to_toml()


@pytest.mark.parametrize(
    ("columns", "words"),
    [
        ('["id", "titel"]', "unknown column 'titel'"),
        ('["id", "id"]', "'id' is named twice"),
        ("[]", "name at least one column"),
        ('"id"', "expected a list, got str"),
    ],
)
def test_a_bad_column_list_names_file_line_and_key(tmp_path: Path, columns: str, words: str) -> None:
    path = _config(tmp_path, f'\n[views."Breaching soon"]\n\ncolumns = {columns}\n')
    line = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: views.Breaching soon.columns")
    assert words in message


async def test_the_queue_shows_a_views_own_columns(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    _config(tmp_path, '\n[views."Breaching soon"]\ncolumns = ["id", "sla", "customer", "title"]\n')
    app.config = load_config(tmp_path / "config.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Assignee" in table(pilot).render_line(0).text
        await pilot.press("3")  # Breaching soon
        await settle(pilot)
        header = table(pilot).render_line(0).text.split()
        assert header == ["Ticket", "SLA", "Customer", "Title"]
        await pilot.press("1")  # My queue: the default less what it makes redundant
        await settle(pilot)
        header = table(pilot).render_line(0).text
        assert "Assignee" not in header and "Clm" in header
