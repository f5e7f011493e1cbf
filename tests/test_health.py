"""Queue health: every figure against hand-computed values on a small workspace, the JSON shape, the
command, and a running board that sees another process's change."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.cli.main import main
from console.health.board import SCHEMA, HealthBoard
from console.records.kinds import CUSTOMERS, RECEIVABLES, TICKETS, validate
from console.screens.health import HealthScreen
from console.shared.clock import to_iso
from console.store import Workspace
from console.store.portable import flag
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW
from tests.ui import make_app, settle, table, until

H = timedelta(hours=1)
SERVICES = {"azure", "office365", "dynamics365"}


def at(delta: timedelta) -> str:
    return to_iso(NOW + delta)


# (id, customer, service, severity, status, assignee, created, first response (due, done), resolution (due, done))
TICKETS_ROWS = [
    # open ones
    ("CSP-000001", "a", "azure", "critical", "new", None, -0.5 * H, (-0.2 * H, None), (3 * H, None)),  # breached (FR)
    (
        "CSP-000002",
        "a",
        "azure",
        "moderate",
        "in_progress",
        "aiko",
        -2 * H,
        (2 * H, -1.5 * H),
        (0.2 * H, None),
    ),  # 12 min
    (
        "CSP-000003",
        "b",
        "office365",
        "minimal",
        "waiting_customer",
        "aiko",
        -30 * H,
        (-20 * H, -29 * H),
        (0.9 * H, None),
    ),
    (
        "CSP-000004",
        "b",
        "office365",
        "minimal",
        "waiting_microsoft",
        "li",
        -100 * H,
        (-90 * H, -99 * H),
        (50 * H, None),
    ),
    ("CSP-000005", "b", None, "unknown", "new", None, -200 * H, (None, None), (None, None)),  # >7d, no targets
    # resolved ones
    (
        "CSP-000006",
        "a",
        "azure",
        "critical",
        "resolved",
        "aiko",
        -5 * H,
        (-4 * H, -4.5 * H),
        (-1 * H, -2 * H),
    ),  # today, met
    (
        "CSP-000007",
        "b",
        "office365",
        "moderate",
        "closed",
        "li",
        -50 * H,
        (-46 * H, -40 * H),
        (-30 * H, -20 * H),
    ),  # 7d, missed
]


@pytest.fixture
def small_ws(empty_ws: Workspace) -> Workspace:
    ws = empty_ws
    with ws.transaction():
        ws.records.upsert(
            CUSTOMERS,
            [
                validate(CUSTOMERS, {"id": "a", "domain": "a.example", "companyName": "株式会社エー"}, SERVICES),
                validate(CUSTOMERS, {"id": "b", "domain": "b.example", "companyName": "Bee Ltd"}, SERVICES),
            ],
        )
        records = []
        for tid, cust, svc, sev, status, who, created, (fr_due, fr), (res_due, res) in TICKETS_ROWS:
            records.append(
                validate(
                    TICKETS,
                    {
                        "id": tid,
                        "customerId": cust,
                        "channel": "email",
                        "service": svc,
                        "severity": sev,
                        "status": status,
                        "assignee": who,
                        "createdDate": at(created),
                        "firstResponseDueDate": at(fr_due) if fr_due is not None else None,
                        "firstResponseDate": at(fr) if fr is not None else None,
                        "resolutionDueDate": at(res_due) if res_due is not None else None,
                        "resolvedDate": at(res) if res is not None else None,
                        "resolutionCode": "fixed" if res is not None else None,
                        "title": f"ticket {tid}",
                    },
                    SERVICES,
                )
            )
        ws.records.upsert(TICKETS, records)
        ws.records.upsert(
            RECEIVABLES,
            [
                validate(
                    RECEIVABLES,
                    {
                        "id": "inv-1",
                        "customerId": "b",
                        "invoiceDate": "2026-09-01",
                        "dueDate": "2026-10-01",  # 53 days overdue on 2026-11-23: access warning
                        "totalCharges": "100.00",
                        "currencyCode": "USD",
                        "status": "open",
                    },
                    SERVICES,
                )
            ],
        )
    ws.agents.add_agent("aiko", "Aiko", "", ["helpdesk_agent"], by="test")
    ws.agents.add_agent("li", "Li", "", ["helpdesk_agent"], by="test")
    return ws


def test_every_figure_matches_the_hand_count(small_ws: Workspace) -> None:
    h = HealthBoard(small_ws, "UTC").compute(NOW)  # NOW is 03:00 UTC: "today" began 3 hours ago
    assert h.backlog == {
        "total": 5,
        "byStatus": {"new": 2, "triaged": 0, "in_progress": 1, "waiting_customer": 1, "waiting_microsoft": 1},
        "byService": {"azure": 2, "office365": 2, "unclassified": 1},
        "bySeverity": {"critical": 1, "moderate": 1, "minimal": 2, "unknown": 1},
    }
    assert [a["count"] for a in h.aging] == [1, 1, 0, 1, 1, 1]  # <1h 1-4h 4-24h 1-3d 3-7d >7d
    sla = h.sla
    assert (sla["breached"], sla["breachingWithin15m"], sla["breachingWithin60m"]) == (1, 1, 2)
    assert sla["resolvedToday"] == 1 and sla["resolutionAttainmentToday"] == 1.0
    assert sla["resolutionAttainment7d"] == 0.5  # 6 met, 7 missed
    assert sla["firstResponseAttainmentToday"] == 1.0  # ticket 2 answered at 01:30, in time
    assert sla["firstResponseAttainment7d"] == 0.8  # 2, 3, 4, 6 in time; 7 late
    assert h.mean_hours_to_resolve == {"today": 3.0, "7d": 16.5}  # (3 + 30) / 2
    assert h.first_contact_resolution_7d == 1.0  # neither had replies, waits or escalations
    assert h.agents == [
        {"agent": "aiko", "open": 2, "claimed": 0, "inProgress": 1, "resolvedToday": 1},
        {"agent": "li", "open": 1, "claimed": 0, "inProgress": 0, "resolvedToday": 0},
    ]
    assert h.top_customers == [
        {"customerId": "b", "name": "Bee Ltd", "open": 3},
        {"customerId": "a", "name": "株式会社エー", "open": 2},
    ]
    assert h.collections["access_warning"] == 1 and sum(h.collections.values()) == 1
    # Ticket 4 waits on Microsoft with no case recorded: the panel counts it as the backlog does (issue 19).
    assert h.escalations["waiting"] == 1 and h.escalations["byVehicle"] == {"none": {"no case recorded": 1}}
    assert h.escalations["oldestWaiting"]["ticket"] == "CSP-000004"


def test_today_follows_the_desks_time_zone(small_ws: Workspace) -> None:
    # 03:00 UTC is 12:00 in Tokyo: "today" began 12 hours ago there, so ticket 7 (resolved 20 h ago) is not in it.
    h = HealthBoard(small_ws, "Asia/Tokyo").compute(NOW)
    assert h.sla["resolvedToday"] == 1
    h = HealthBoard(small_ws, "America/Los_Angeles").compute(NOW)  # 19:00 the day before
    assert h.sla["resolvedToday"] == 1 and h.mean_hours_to_resolve["today"] == 3.0


def test_first_contact_resolution_counts_replies_waits_and_escalations(small_ws: Workspace) -> None:
    seq = small_ws.tickets.ticket("CSP-000007")["seq"]  # type: ignore[index]
    with small_ws.transaction():
        small_ws.conn.execute(
            "INSERT INTO timeline (ticketSeq, kind, author, createdDate, text, fromValue, toValue) "
            "VALUES (?, 'status_change', 'li', ?, NULL, 'in_progress', 'waiting_customer')",
            (seq, at(-45 * H)),
        )
    assert HealthBoard(small_ws).compute(NOW).first_contact_resolution_7d == 0.5


def test_first_contact_counters_follow_every_writer(small_ws: Workspace) -> None:
    """The counters first-contact resolution reads are kept by the database itself, for every writer."""
    small_ws.tickets.update_ticket(
        "CSP-000006",
        expected_version=None,
        changes={},
        events=[{"kind": "reply", "text": "one"}, {"kind": "reply", "text": "two"}],
        agent="aiko",
        action="ticket.reply",
    )
    assert small_ws.tickets.ticket("CSP-000006")["replyCount"] == 2  # type: ignore[index]
    assert HealthBoard(small_ws).compute(NOW).first_contact_resolution_7d == 0.5  # 6 now had two replies


def test_queries_behind_the_figures(small_ws: Workspace) -> None:
    h = HealthBoard(small_ws).compute(NOW)
    assert small_ws.queue.queue_count(h.queries["sla.breached"]) == h.sla["breached"]
    assert small_ws.queue.queue_count(h.queries["sla.15m"]) == 2
    assert small_ws.queue.queue_count(h.queries["agent.aiko"]) == 2
    assert small_ws.queue.queue_count(h.queries["customer.b"]) == 3
    assert small_ws.queue.queue_count(h.queries["status.waiting_customer"]) == 1
    assert small_ws.queue.queue_count(h.queries["service.azure"]) == 2


def test_samples_are_taken_at_most_every_five_minutes(small_ws: Workspace) -> None:
    board = HealthBoard(small_ws)
    assert board.sample(NOW)
    assert not board.sample(NOW + timedelta(minutes=4))
    assert board.sample(NOW + timedelta(minutes=6))
    h = board.compute(NOW + timedelta(minutes=7))
    assert h.trend["backlog"] == [[at(0 * H), 5], [to_iso(NOW + timedelta(minutes=6)), 5]]


def test_the_demo_starts_with_a_day_of_trend(demo_ws: Workspace) -> None:
    h = HealthBoard(demo_ws).compute(NOW)
    assert len(h.trend["backlog"]) == 24
    assert h.trend["backlog"][-1][1] > 0


def test_json_shape_is_stable(
    demo_ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "kenji.sato")  # the board is read as an agent (ticket.view)
    assert main(["health", "--db", str(demo_ws.locator), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == SCHEMA
    assert set(data) == {
        "schema", "at", "backlog", "aging", "sla", "firstContactResolution7d", "meanHoursToResolve",
        "escalations", "agents", "topCustomers", "collections", "trend",
    }  # fmt: skip
    assert set(data["sla"]) == {
        "breached", "breachingWithin15m", "breachingWithin60m", "resolutionAttainmentToday",
        "resolutionAttainment7d", "firstResponseAttainmentToday", "firstResponseAttainment7d", "resolvedToday",
    }  # fmt: skip
    assert set(data["agents"][0]) == {"agent", "open", "claimed", "inProgress", "resolvedToday"}
    assert [a["bucket"] for a in data["aging"]] == ["<1h", "1-4h", "4-24h", "1-3d", "3-7d", ">7d"]
    assert data["backlog"]["total"] == sum(data["backlog"]["byStatus"].values())


def test_health_command_text_and_errors(
    demo_ws: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "kenji.sato")
    assert main(["health", "--db", str(demo_ws.locator)]) == 0
    out = capsys.readouterr().out
    assert "Open backlog" in out and "Breached now" in out
    assert main(["health", "--db", str(tmp_path / "none.db")]) == 1
    assert "no workspace" in capsys.readouterr().err
    assert main(["health", "--db", str(demo_ws.locator), "--watch", "0"]) == 1


def test_watch_prints_json_lines(demo_ws: Workspace) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "health", "--db", str(demo_ws.locator), "--json", "--watch", "0.5"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "CSP_CONSOLE_AGENT": "kenji.sato"},
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline(), proc.stdout.readline()]
    proc.terminate()
    proc.wait()
    assert all(json.loads(line)["schema"] == SCHEMA for line in lines)


async def open_board(pilot: Pilot[None]) -> HealthScreen:
    """From the queue, h: the board, settled."""
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HealthScreen)
    return pilot.app.screen


async def test_a_running_board_sees_another_process_change_and_is_quiet_otherwise(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await open_board(pilot)
        # Opening the board wrote its first trend sample: a change a later poll sees (one more refresh). Then
        # a poll's time with nothing changed recomputes nothing (a loaded machine may see the sample late).
        for _ in range(10):
            await settle(pilot)
            refreshes = board.refreshes
            await pilot.pause(1.2)
            if board.refreshes == refreshes:
                break
        assert board.refreshes == refreshes  # nothing changed: nothing recomputed
        before = board.health.backlog["total"]  # type: ignore[union-attr]
        ticket = demo_ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 1 ORDER BY seq LIMIT 1").fetchone()[0]
        code = (
            f"from console.store import Workspace; ws = Workspace.open({str(demo_ws.locator)!r}); "
            f"ws.tickets.update_ticket({ticket!r}, expected_version=None, changes={{'status': 'resolved', "
            "'resolvedDate': '2026-11-23T02:59:00Z', 'resolutionCode': 'fixed'}, events=[], agent='kenji.sato', "
            "action='ticket.status')"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
        await until(pilot, lambda: board.health.backlog["total"] == before - 1, "the board's new total")  # type: ignore[union-attr]
        assert board.figure_text()["backlog.total"] == f"All open={before - 1:,}"
        repaints = board.repaints
        board.refresh_figures()
        await settle(pilot)
        assert board.repaints == repaints  # the same figures: nothing repainted


async def test_pause_and_jump_to_the_queue(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        board = await open_board(pilot)
        await pilot.press("p")
        refreshes = board.refreshes
        board.on_workspace_changed()
        await asyncio.sleep(0.2)
        assert board.refreshes == refreshes and board.paused
        await pilot.press("p")
        await settle(pilot)
        assert board.refreshes == refreshes + 1
        line = next(f for f in board.query("FigureLine") if f.figure_id == "sla.breached")  # type: ignore[attr-defined]
        line.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert table(pilot).query_.due_before == board.health.at  # type: ignore[union-attr]
        assert table(pilot).count == board.health.sla["breached"]  # type: ignore[union-attr]


def test_tui_entry_point_opens_on_the_board(demo_ws: Workspace) -> None:
    from console.app import CspConsoleApp
    from console.settings.config import Config

    app = CspConsoleApp(demo_ws, Config(), clock=lambda: NOW, agent="aiko.tanaka", start_screen="health")

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, HealthScreen)

    asyncio.run(run())
    assert QueueQuery()  # the queue sits below the board


def test_rollups_stay_equal_to_a_recount_whatever_the_writes(demo_ws: Workspace) -> None:
    """The counters the board reads are kept by triggers; after claims, moves, resolutions, reopenings and
    deletions they still equal a plain recount of the open tickets."""
    rows = demo_ws.conn.execute("SELECT id FROM tickets ORDER BY seq LIMIT 60").fetchall()
    for n, (ticket_id,) in enumerate(rows):
        change = [
            {"status": "resolved", "resolvedDate": at(0 * H), "resolutionCode": "fixed"},
            {"status": "in_progress", "assignee": "li.wei"},
            {"service": "azure", "severity": "critical"},
            {"customerId": demo_ws.tickets.ticket(rows[-1][0])["customerId"]},  # type: ignore[index]
            {"status": "new", "resolvedDate": None, "resolutionCode": None, "assignee": None},
        ][n % 5]
        demo_ws.tickets.update_ticket(
            ticket_id, expected_version=None, changes=change, events=[], agent="t", action="t"
        )
    with demo_ws.transaction():
        demo_ws.conn.execute("DELETE FROM timeline WHERE ticketSeq = 400")
        demo_ws.conn.execute("DELETE FROM findings WHERE ticketSeq = 400")
        demo_ws.conn.execute("DELETE FROM ticket_search WHERE rowid = 400")
        demo_ws.conn.execute("DELETE FROM tickets WHERE seq = 400")
    recount = demo_ws.conn.execute(
        "SELECT status, coalesce(service, ''), severity, count(*) FROM tickets WHERE isOpen = 1 GROUP BY 1, 2, 3"
    ).fetchall()
    assert sorted(demo_ws.health.health_backlog()) == sorted(tuple(r) for r in recount)
    agents = dict(
        demo_ws.conn.execute(
            "SELECT assignee, count(*) FROM tickets WHERE isOpen = 1 AND assignee IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    assert {a["agent"]: a["open"] for a in demo_ws.health.health_agents(at(0 * H), at(-3 * H)) if a["open"]} == agents
    top = demo_ws.conn.execute(
        "SELECT customerId, count(*) AS n FROM tickets WHERE isOpen = 1 GROUP BY 1 ORDER BY n DESC LIMIT 3"
    ).fetchall()
    assert [c["open"] for c in demo_ws.health.health_top_customers(3)] == [n for _, n in top]
    for since in (at(-7 * 24 * H), at(-3.5 * H), "2026-11-22T15:00:00Z"):
        resolved = demo_ws.conn.execute(
            f"SELECT count(*), sum({flag('resolutionDueDate IS NULL OR resolvedDate <= resolutionDueDate')}), "
            f"sum({flag('replyCount <= 1 AND detoured = 0')}), "
            f"sum({demo_ws.dialect.hours_between('createdDate', 'resolvedDate')}) "
            "FROM tickets WHERE resolvedDate >= ?",
            (since,),
        ).fetchone()
        got = demo_ws.health.health_resolved_since(since)
        assert (got["resolved"], got["met"], got["first_contact"]) == tuple(resolved[:3])
        assert got["hours"] == pytest.approx(resolved[3])
        first = demo_ws.conn.execute(
            "SELECT count(*), "
            f"sum({flag('firstResponseDueDate IS NULL OR firstResponseDate <= firstResponseDueDate')}) "
            "FROM tickets WHERE firstResponseDate >= ?",
            (since,),
        ).fetchone()
        assert demo_ws.health.health_first_responses_since(since) == tuple(first)


def test_boundaries_of_breaches_aging_and_dunning(small_ws: Workspace) -> None:
    """A target due exactly now is breached; the age buckets include their newer edge; a receivable exactly
    15 days overdue is at the second notice; whatever the hour boundaries of the rollups."""
    for moment in (NOW, NOW + timedelta(minutes=30), NOW + timedelta(seconds=1)):
        small_ws.tickets.update_ticket(
            "CSP-000002",
            expected_version=None,
            changes={"resolutionDueDate": to_iso(moment), "createdDate": to_iso(moment - H)},
            events=[],
            agent="t",
            action="t",
        )
        h = HealthBoard(small_ws).compute(moment)
        direct = small_ws.conn.execute(
            "SELECT count(*) FROM tickets WHERE isOpen = 1 AND slaDueDate <= ?", (to_iso(moment),)
        ).fetchone()[0]
        assert h.sla["breached"] == direct
        bounds = [None, *[to_iso(moment - timedelta(hours=x)) for x in (1, 4, 24, 72, 168)], None]
        for bucket, newest, oldest in zip(h.aging, bounds[:-1], bounds[1:], strict=True):
            sql, args = "SELECT count(*) FROM tickets WHERE isOpen = 1", []
            if newest is not None:
                sql += " AND createdDate < ?"
                args.append(newest)
            if oldest is not None:
                sql += " AND createdDate >= ?"
                args.append(oldest)
            assert bucket["count"] == small_ws.conn.execute(sql, args).fetchone()[0], (moment, bucket)
    with small_ws.transaction():
        small_ws.conn.execute("UPDATE receivables SET dueDate = '2026-11-08' WHERE id = 'inv-1'")
    assert HealthBoard(small_ws).compute(NOW).collections["second_notice"] == 1
    with small_ws.transaction():
        small_ws.conn.execute("UPDATE receivables SET status = 'paid' WHERE id = 'inv-1'")
    assert sum(HealthBoard(small_ws).compute(NOW).collections.values()) == 0


async def test_a_failing_refresh_is_reported_and_the_next_one_runs(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        board = await open_board(pilot)
        real = app.health_board.compute
        app.health_board.compute = lambda now: (_ for _ in ()).throw(RuntimeError("disk gone"))  # type: ignore[method-assign]
        board.refresh_figures()
        await settle(pilot)
        assert any("disk gone" in str(n.message) for n in app._notifications)
        app.health_board.compute = real  # type: ignore[method-assign]
        refreshes = board.refreshes
        board.refresh_figures()
        await settle(pilot)
        # The refresh after the failure ran (a stuck `_computing` would leave the count as it was). The live poll
        # may add one of its own: the successful refresh writes a health sample, and that change is seen too.
        assert board.refreshes >= refreshes + 1
        assert not board._computing


def test_a_bulk_load_leaves_the_rollups_as_the_triggers_would(small_ws: Workspace, tmp_path: Path) -> None:
    """The demo and large imports switch the triggers off and refill the rollups; the figures are the same
    as when every row fires its triggers, and the triggers are back afterwards."""
    before = HealthBoard(small_ws).compute(NOW).to_json()
    with small_ws.bulk_load():
        names = _triggers(small_ws)
        assert "health_open_insert" not in names
    after = HealthBoard(small_ws).compute(NOW).to_json()
    assert before == after
    names = _triggers(small_ws)
    assert {"health_open_insert", "health_customer_due_update", "timeline_first_contact"} <= names
    with pytest.raises(RuntimeError), small_ws.bulk_load():
        raise RuntimeError("midway")
    assert "health_open_insert" in _triggers(small_ws)


def _triggers(ws: Workspace) -> set[str]:
    """The names of the triggers on the tables the rollups follow (from the engine's catalog, by the dialect)."""
    return {name for table in ("tickets", "receivables", "timeline") for name in ws.dialect.triggers_on(ws.conn, table)}


def test_the_demo_loads_in_bulk_with_the_same_figures(demo_ws: Workspace) -> None:
    """The demo was written with the triggers off: its rollups equal a recount."""
    recount = demo_ws.conn.execute(
        "SELECT status, coalesce(service, ''), severity, count(*) FROM tickets WHERE isOpen = 1 GROUP BY 1, 2, 3"
    ).fetchall()
    assert sorted(demo_ws.health.health_backlog()) == sorted(tuple(r) for r in recount)


def test_the_backfilled_trend_matches_the_ticket_history(demo_ws: Workspace) -> None:
    moments = [to_iso(NOW - timedelta(hours=h)) for h in (400, 30, 12, 5, 1)] + ["2000-01-01T00:00:00Z"]
    tickets = [t for batch in demo_ws.tickets.iter_tickets(open_only=False) for t in batch]

    def expected(at: str) -> tuple[str, int, int]:
        open_then = [
            t for t in tickets if t["createdDate"] <= at and (t["resolvedDate"] is None or t["resolvedDate"] > at)
        ]
        late = [
            t
            for t in open_then
            if (t["resolutionDueDate"] or "9") < at
            or (
                (t["firstResponseDueDate"] or "9") < at
                and (t["firstResponseDate"] is None or t["firstResponseDate"] > at)
            )
        ]
        return at, len(open_then), len(late)

    got = demo_ws.health.health_backlog_at(moments)
    assert got == [expected(at) for at in moments]
    assert got[-1][1:] == (0, 0) and all(n > 0 for _, n, _ in got[:-1]) and any(late for _, _, late in got)
    assert demo_ws.health.health_backlog_at([]) == []
