"""The queue's paging and search, on a real demo workspace."""

from __future__ import annotations

import pytest

from console.store import Workspace
from console.tickets.queue_query import SORT_KEYS, QueueQuery
from tests.conftest import NOW


def _all(ws: Workspace, q: QueueQuery) -> list[int]:
    return [r.seq for r in ws.queue.queue_page(q, limit=100_000)]


@pytest.mark.parametrize("sort", SORT_KEYS)
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_match_one_ordered_read(demo_ws: Workspace, sort: str, descending: bool) -> None:
    q = QueueQuery(statuses=(), sort=sort, descending=descending)
    expected = _all(demo_ws, q)
    assert len(expected) == demo_ws.queue.queue_count(q) == 400
    seen: list[int] = []
    after = None
    while True:
        page = demo_ws.queue.queue_page(q, limit=37, after=after)
        if not page:
            break
        seen += [r.seq for r in page]
        after = (page[-1].sort_value, page[-1].seq)
    assert seen == expected
    # Backwards from the end, with `before`, gives the same order.
    tail = demo_ws.queue.queue_page(q, limit=37, from_end=True)
    assert [r.seq for r in tail] == expected[-37:]
    before = demo_ws.queue.queue_page(q, limit=37, before=(tail[0].sort_value, tail[0].seq))
    assert [r.seq for r in before] == expected[-74:-37]
    assert [r.seq for r in demo_ws.queue.queue_page(q, limit=10, offset=200)] == expected[200:210]


def test_default_order_is_most_urgent_sla_first(demo_ws: Workspace) -> None:
    rows = demo_ws.queue.queue_page(QueueQuery(), limit=1000)
    dues = [r.slaDueDate for r in rows]
    assert dues == sorted(dues)
    assert all(r.status not in ("resolved", "closed") for r in rows)


def test_filters(demo_ws: Workspace) -> None:
    q = QueueQuery(services=("azure",), categories=("billing",), severities=("moderate",))
    rows = demo_ws.queue.queue_page(q, limit=1000)
    assert rows and all((r.service, r.category, r.severity) == ("azure", "billing", "moderate") for r in rows)
    unassigned = demo_ws.queue.queue_page(QueueQuery(assignee=""), limit=1000)
    assert unassigned and all(r.assignee is None for r in unassigned)
    mine = demo_ws.queue.queue_page(QueueQuery(assignee="aiko.tanaka"), limit=1000)
    assert mine and all(r.assignee == "aiko.tanaka" for r in mine)
    customer = rows[0].customerId
    assert all(r.customerId == customer for r in demo_ws.queue.queue_page(QueueQuery(customer_id=customer), limit=1000))
    closed = demo_ws.queue.queue_page(QueueQuery(statuses=("closed",)), limit=1000)
    assert closed and all(r.status == "closed" for r in closed)


@pytest.mark.parametrize(
    ("query", "expected_in_title_or_body"),
    [
        ("金額", "金額"),  # a two-character Japanese word inside a sentence
        ("確認", "確認"),
        ("請求書の金額", "請求書の金額"),  # a longer phrase
        ("額", "額"),  # one character
        ("invoi", "invoice"),  # English prefix, as you type
        ("INVOICE", "invoice"),  # case-insensitive
        ("ｲﾝﾎﾞｲｽ", None),  # half-width katakana normalises (no demo text has it: no match, no error)
    ],
)
def test_search_finds_words_inside_japanese_sentences(
    demo_ws: Workspace, query: str, expected_in_title_or_body: str | None
) -> None:
    q = QueueQuery(statuses=(), search=query)
    count = demo_ws.queue.queue_count(q)
    if expected_in_title_or_body is None:
        assert count == 0
        return
    truth = demo_ws.conn.execute(
        "SELECT count(*) FROM tickets WHERE lower(title) LIKE ? OR lower(body) LIKE ?",
        (f"%{expected_in_title_or_body}%",) * 2,
    ).fetchone()[0]
    assert count > 0
    # Notes are searched too, so the index finds at least every title/body match.
    assert count >= truth


def test_full_width_and_half_width_forms_match(empty_ws: Workspace) -> None:
    from console.records.kinds import CUSTOMERS, TICKETS, validate

    with empty_ws.transaction():
        empty_ws.records.upsert(
            CUSTOMERS, [validate(CUSTOMERS, {"id": "c", "domain": "d", "companyName": "ＡＢＣ株式会社"}, {})]
        )
        empty_ws.records.upsert(
            TICKETS,
            [
                validate(
                    TICKETS,
                    {
                        "customerId": "c",
                        "channel": "phone",
                        "createdDate": "2026-11-23T00:00:00Z",
                        "title": "ﾗｲｾﾝｽの追加",
                        "body": "Ｏｆｆｉｃｅ ３６５ のライセンス",
                    },
                    {"office365"},
                )
            ],
        )
    for query in ("ライセンス", "office 365", "ｵﾌｨｽ", "追加"):
        expected = 0 if query == "ｵﾌｨｽ" else 1
        assert empty_ws.queue.queue_count(QueueQuery(search=query)) == expected, query


def test_search_with_fts_syntax_characters_does_not_fail(demo_ws: Workspace) -> None:
    for query in ('"', "AND", "a OR", "NEAR(", "*", "-x", "[bold]", "col:val", "^", "(", "'"):
        demo_ws.queue.queue_count(QueueQuery(search=query))


def test_hostile_markup_is_searchable(demo_ws: Workspace) -> None:
    assert demo_ws.queue.queue_count(QueueQuery(statuses=(), search="click")) >= 1


def test_search_by_ticket_number(demo_ws: Workspace) -> None:
    for text in ("CSP-000123", "csp-000123", " CSP-000123 "):
        rows = demo_ws.queue.queue_page(QueueQuery(statuses=(), search=text), limit=10)
        assert [r.id for r in rows] == ["CSP-000123"]


def _open_index(ws: Workspace) -> dict[int, tuple[str, str, str]]:
    return {r[0]: (r[1], r[2], r[3]) for r in ws.conn.execute("SELECT rowid, title, body, notes FROM open_search")}


def _expected_open_index(ws: Workspace) -> dict[int, tuple[str, str, str]]:
    rows = ws.conn.execute(
        "SELECT s.rowid, s.title, s.body, s.notes FROM ticket_search s JOIN tickets t ON t.seq = s.rowid "
        "WHERE t.isOpen = 1"
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_the_open_tickets_index_follows_every_change(demo_ws: Workspace) -> None:
    from console.shared.model import OPEN_STATUSES
    from console.tickets import ops as ticket_ops

    assert _open_index(demo_ws) == _expected_open_index(demo_ws)  # as the demo's bulk load left it
    open_row = demo_ws.tickets.ticket("CSP-000005")
    closed = demo_ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 0 ORDER BY seq LIMIT 1").fetchone()[0]
    ticket_ops.set_status(demo_ws, open_row, "resolved", "aiko.tanaka", NOW, "answered")  # closes: leaves the index
    ticket_ops.set_status(
        demo_ws, demo_ws.tickets.ticket(closed), "in_progress", "aiko.tanaka", NOW
    )  # reopens: joins it
    other = demo_ws.tickets.ticket("CSP-000007")
    ticket_ops.add_note(demo_ws, other, "ゼブラ模様の請求書 zebrapattern", "aiko.tanaka", NOW)  # new words
    assert _open_index(demo_ws) == _expected_open_index(demo_ws)
    opens = tuple(s.value for s in OPEN_STATUSES)
    assert _all(demo_ws, QueueQuery(statuses=opens, search="zebrapat")) == [other["seq"]]
    assert _all(demo_ws, QueueQuery(statuses=opens, search="ゼブラ")) == [other["seq"]]
    # An open view and the all-tickets index agree on every search.
    for text in ("invoice", "請求", "金額", "in", "確認"):
        everywhere = {s for s in _all(demo_ws, QueueQuery(statuses=(), search=text))}
        open_seqs = {r[0] for r in demo_ws.conn.execute("SELECT seq FROM tickets WHERE isOpen = 1")}
        assert set(_all(demo_ws, QueueQuery(statuses=opens, search=text))) == everywhere & open_seqs


@pytest.mark.parametrize(
    "view",
    [
        QueueQuery(),
        QueueQuery(statuses=()),
        QueueQuery(assignee=""),
        QueueQuery(assignee="aiko.tanaka", sort="customer"),
        QueueQuery(statuses=("waiting_microsoft", "new"), sort="created", descending=True),
        QueueQuery(categories=("billing",), sort="title"),
        QueueQuery(statuses=("closed", "resolved"), sort="severity"),
    ],
)
@pytest.mark.parametrize("text", ["in", "invoice", "確認", "金額 請求", "額 in", "zzzq"])
def test_a_search_reads_the_same_tickets_whether_its_matches_drive_or_filter(
    demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch, view: QueueQuery, text: str
) -> None:
    from console.store import queue

    q = view.with_(search=text)
    monkeypatch.setattr(queue, "SEARCH_DRIVES_UP_TO", 10**9)  # always drive from the full-text index
    driven, driven_count = _all(demo_ws, q), demo_ws.queue.queue_count(q)
    monkeypatch.setattr(queue, "SEARCH_DRIVES_UP_TO", -1)  # always walk the sort order
    walked, walked_count = _all(demo_ws, q), demo_ws.queue.queue_count(q)
    assert walked == driven
    assert walked_count == driven_count == len(driven)
    first = demo_ws.queue.queue_page(q, limit=7)
    if len(first) == 7:  # keyset paging on the walked plan continues where the page ends
        after = demo_ws.queue.queue_page(q, limit=7, after=(first[-1].sort_value, first[-1].seq))
        assert [r.seq for r in after] == driven[7:14]


def _plan(ws: Workspace, q: QueueQuery) -> str:
    from console.store.queue import QUEUE_COLUMNS, SORT_SQL

    w = ws.queue._queue_where(q)
    sql = (
        f"EXPLAIN QUERY PLAN SELECT {QUEUE_COLUMNS} FROM tickets t JOIN customers c ON c.id = t.customerId "
        f"WHERE {w.sql} ORDER BY {SORT_SQL[q.sort]}, t.seq LIMIT 60"
    )
    return " | ".join(r[3] for r in ws.conn.execute(sql, w.args))


#: The planner's statistics of a 1,000,000-ticket workspace (119,858 open) and 5,000 customers, as ANALYZE
#: wrote them.
_STATS_AT_1M = {
    "idx_tickets_open_sla": "1000000 500000 113 1",
    "idx_tickets_sla": "1000000 113 1",
    "idx_tickets_assignee": "1000000 166667 90910 27",
    "idx_tickets_status": "1000000 142858 33 1",
    "idx_tickets_category": "1000000 250000 125000 46",
    "idx_open_by_customer": "119858 24 1",
    "sqlite_autoindex_tickets_1": "1000000 1",
    "idx_tickets_customer": "1000000 200 100",
}


@pytest.mark.sqlite_only("SQLite's planner statistics (sqlite_stat1) and its query plan")
def test_a_common_word_walks_the_sort_index_and_a_rare_one_drives(
    demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.store import queue

    conn = demo_ws.conn
    conn.execute("ANALYZE")
    conn.execute("DELETE FROM sqlite_stat1 WHERE tbl IN ('tickets', 'customers')")
    conn.executemany("INSERT INTO sqlite_stat1 VALUES ('tickets', ?, ?)", _STATS_AT_1M.items())
    conn.execute("INSERT INTO sqlite_stat1 VALUES ('customers', 'sqlite_autoindex_customers_1', '5000 1')")
    conn.execute("ANALYZE sqlite_schema")  # reload the statistics: the planner now sees 1,000,000 tickets
    common = QueueQuery(search="in")
    matches = demo_ws.queue.queue_count(common)
    monkeypatch.setattr(queue, "SEARCH_DRIVES_UP_TO", matches)
    drive = _plan(demo_ws, common)
    assert "INTEGER PRIMARY KEY" in drive and "TEMP B-TREE FOR ORDER BY" in drive
    monkeypatch.setattr(queue, "SEARCH_DRIVES_UP_TO", matches - 1)
    for view, index in ((common, "idx_tickets_open_sla"), (common.with_(assignee=""), "idx_tickets_assignee")):
        walk = _plan(demo_ws, view)
        assert f"USING INDEX {index}" in walk and "TEMP B-TREE FOR ORDER BY" not in walk, walk


@pytest.mark.sqlite_only("an FTS5 MATCH written out as the truth")
def test_the_count_of_an_all_open_search_is_read_from_the_index_alone(demo_ws: Workspace) -> None:
    q = QueueQuery(search="invoice")
    truth = demo_ws.conn.execute(
        "SELECT count(*) FROM tickets WHERE isOpen = 1 AND seq IN "
        "(SELECT rowid FROM ticket_search WHERE ticket_search MATCH '\"invoice\"*')"
    ).fetchone()[0]
    assert demo_ws.queue._queue_where(q).index_count == truth == demo_ws.queue.queue_count(q) > 0
    assert demo_ws.queue._queue_where(q.with_(assignee="")).index_count is None  # another filter: counted by rows


_SLOW = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n"


def test_a_read_within_a_time_budget_is_stopped_when_slower(demo_ws: Workspace) -> None:
    import time

    q = QueueQuery()
    assert demo_ws.within(5.0, lambda: demo_ws.queue.queue_count(q)) == demo_ws.queue.queue_count(q)
    start = time.perf_counter()
    assert demo_ws.within(0.02, lambda: demo_ws.conn.execute(_SLOW).fetchone()) is None
    assert time.perf_counter() - start < 1.0
    # The budget ends with the read: the connection reads on as before. A failing read is left to a worker.
    assert demo_ws.conn.execute(_SLOW.replace("100000000", "300000")).fetchone()[0] == 300000
    assert demo_ws.within(5.0, lambda: demo_ws.conn.execute("SELECT * FROM nowhere").fetchall()) is None


@pytest.mark.sqlite_only("the statements seen through sqlite3's trace callback")
def test_pages_after_the_first_reuse_the_search_plan_and_counts_stay_fresh(demo_ws: Workspace) -> None:
    q = QueueQuery(search="invoice")
    first = demo_ws.queue.queue_page(q, limit=5)
    before = demo_ws.queue.queue_count(q)
    statements: list[str] = []
    demo_ws.conn.set_trace_callback(statements.append)
    demo_ws.queue.queue_page(q, limit=5, after=(first[-1].sort_value, first[-1].seq))
    demo_ws.conn.set_trace_callback(None)
    assert not [s for s in statements if s.startswith("SELECT count(*)")]  # planned as the first page was
    # The count is never the remembered one: a ticket that no longer matches leaves it at once.
    with demo_ws.transaction() as conn:
        conn.execute("UPDATE tickets SET title = 'x', body = 'x' WHERE seq = ?", (first[0].seq,))
        conn.execute("DELETE FROM timeline WHERE ticketSeq = ?", (first[0].seq,))
        demo_ws.tickets.reindex_tickets([first[0].seq])
    assert demo_ws.queue.queue_count(q) == before - 1


@pytest.mark.parametrize("typed", ["cafe", "CAFÉ", "café", "muller", "Müll", "ｃａｆｅ"])
def test_accents_on_latin_letters_do_not_matter_on_either_engine(demo_ws: Workspace, typed: str) -> None:
    """FTS5's ``remove_diacritics 2`` folds accents; PostgreSQL's ``simple`` configuration does not: the search form
    folds them itself (search_text.fold_latin), so both engines find ``Café Müller`` by ``cafe`` and ``muller``, and
    Japanese voiced marks (が) stay as they are."""
    ticket = demo_ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 1 ORDER BY seq LIMIT 1").fetchone()[0]
    demo_ws.tickets.update_ticket(
        ticket,
        expected_version=None,
        changes={"title": "Café Müller: がっこう の請求"},
        events=[],
        agent="kenji.sato",
        action="ticket.classify",
    )
    page = demo_ws.queue.queue_page(QueueQuery(statuses=(), search=typed), limit=50)
    assert ticket in [row.id for row in page]
    voiced = demo_ws.queue.queue_page(QueueQuery(statuses=(), search="がっこう"), limit=50)
    assert ticket in [row.id for row in voiced]
    unvoiced = demo_ws.queue.queue_page(QueueQuery(statuses=(), search="かっこう"), limit=50)
    assert ticket not in [row.id for row in unvoiced]
