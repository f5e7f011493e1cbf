"""What a search keystroke costs in counts, on both engines: the queue's first page plans by how many tickets the
search matches, which only needs to know whether they are more than ``SEARCH_DRIVES_UP_TO``, so it counts no
further; the view's count is the one full count of a press. On PostgreSQL a common word's full count over the
``tsvector`` index is the slow part of a keystroke at 1,000,000 tickets (bench/RESULTS-postgresql.md), and
before this it ran twice a press. The statements are the ones each engine's connection was sent (sqlite3's
trace callback; console.store.pg_conn's, which passes on what goes to the server)."""

from __future__ import annotations

import pytest

from console.store import Workspace
from console.tickets.queue_query import QueueQuery

#: Few enough that the demo's common words pass it and its rare ones do not.
CAP = 5


def _press(ws: Workspace, q: QueueQuery) -> tuple[list[str], int, int]:
    """A search keystroke as the queue makes it (the first page, then the view's count): the counting
    statements, the count, and the rows of the page."""
    seen: list[str] = []
    ws.conn.set_trace_callback(seen.append)
    try:
        page = ws.queue.queue_page(q, limit=60)
        count = ws.queue.queue_count(q)
    finally:
        ws.conn.set_trace_callback(None)
    return [s for s in seen if "count(*)" in s.lower()], count, len(page)


def _truth(ws: Workspace, q: QueueQuery) -> int:
    return len(ws.queue.queue_page(q, limit=100_000))


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> None:
    from console.store import queue

    monkeypatch.setattr(queue, "SEARCH_DRIVES_UP_TO", CAP)


@pytest.mark.parametrize("view", [QueueQuery(), QueueQuery(statuses=())], ids=["open", "all"])
@pytest.mark.usefixtures("capped")
def test_a_common_word_is_counted_in_full_once_a_press(demo_ws: Workspace, view: QueueQuery) -> None:
    q = view.with_(search="in")
    truth = _truth(demo_ws, q)
    assert truth > CAP  # (common in the demo: the plan walks the sort order)
    counts, count, shown = _press(demo_ws, q)
    assert count == truth and shown == min(60, truth)
    full = [s for s in counts if f"LIMIT {CAP + 1}" not in s]
    assert len(counts) == 2 and len(full) == 1, counts  # the plan's count stops at CAP + 1; the view's is full
    assert str(CAP + 1) in next(s for s in counts if s not in full)


@pytest.mark.usefixtures("capped")
def test_a_rare_word_is_counted_exactly_and_drives(demo_ws: Workspace) -> None:
    q = QueueQuery(statuses=(), search="zzzq")
    with demo_ws.transaction() as conn:  # one ticket with the word
        seq = conn.execute("SELECT seq FROM tickets ORDER BY seq LIMIT 1").fetchone()[0]
        conn.execute("UPDATE tickets SET title = title || ' zzzq' WHERE seq = ?", (seq,))
        demo_ws.tickets.reindex_tickets([seq])
    counts, count, shown = _press(demo_ws, q)
    assert count == shown == _truth(demo_ws, q) == 1
    assert len(counts) == 2  # (both cheap: one match; the view's count is never the remembered one)
    assert demo_ws.queue._queue_where(q).index_count == 1  # (counted below the cap: exact, and the view's count)


@pytest.mark.usefixtures("capped")
def test_a_filtered_common_search_plans_by_the_capped_count_and_counts_rows(demo_ws: Workspace) -> None:
    """Another filter beside the words (unassigned tickets): the view's count is a count of rows, so the
    matches are never counted in full."""
    q = QueueQuery(search="in", assignee="")
    counts, count, _ = _press(demo_ws, q)
    assert count == _truth(demo_ws, q) > 0
    assert len(counts) == 2 and sum(f"LIMIT {CAP + 1}" in s for s in counts) == 1
    assert any("FROM tickets t" in s for s in counts)  # (the rows' count)
