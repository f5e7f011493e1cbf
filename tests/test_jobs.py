"""Background jobs (console/background/jobs.py): a failure is reported once (log with traceback, the health board's
notice) until the job works again; a once-per-workspace job runs in one process only; runs never overlap.

The failures are real ones: a trigger in the workspace (on either engine) refuses the write the job makes, as a
damaged or locked-down workspace would."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from console.background.jobs import Job, Jobs, lease_for
from console.background.leases import Lease
from console.cli.main import setup_logging
from console.screens.health import HealthScreen
from console.settings.paths import log_path
from console.store import Workspace
from tests.conftest import NOW
from tests.ui import make_app, settle

REFUSE_RELEASES = (
    "CREATE TRIGGER refuse_releases BEFORE UPDATE OF claimedUntil ON tickets WHEN NEW.claimedUntil IS NULL "
    "BEGIN SELECT RAISE(ABORT, 'claims are frozen for the audit'); END"
)


def stale_claim(ws: Workspace) -> str:
    """A ticket claimed by aiko.tanaka until a day before NOW: the claim-expiry job releases it."""
    ticket_id = ws.conn.execute("SELECT id FROM tickets WHERE isOpen = 1 ORDER BY seq LIMIT 1").fetchone()[0]
    ws.conn.execute(
        "UPDATE tickets SET assignee = 'aiko.tanaka', claimedUntil = ? WHERE id = ?",
        ("2026-11-22T03:00:00Z", ticket_id),
    )
    return str(ticket_id)


@pytest.fixture
def log_file() -> object:
    """The console's own log file (console.cli.main.setup_logging), under the test's own user dirs."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    path = setup_logging()
    yield path
    for handler in root.handlers:
        handler.close()
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


async def test_a_failing_job_shows_on_the_health_board_and_logs_its_traceback_once(
    demo_ws: Workspace, tmp_path: Path, log_file: Path
) -> None:
    ticket_id = stale_claim(demo_ws)
    demo_ws.dialect.schema(demo_ws.conn, REFUSE_RELEASES)
    app = make_app(demo_ws, tmp_path, start_screen="health")
    async with app.run_test(size=(140, 45)) as pilot:
        app.settle()
        await settle(pilot)
        board = app.screen
        assert isinstance(board, HealthScreen) and board.jobs_text() == ""  # every job works: no notice
        assert app.run_job_now("claim-expiry")
        await settle(pilot)
        notice = board.jobs_text()
        assert notice.startswith("Background jobs failing (details in the log)")
        said = "Claim expiry failing since 2026-11-23 12:00 JST: IntegrityError: claims are frozen for the audit"
        assert said in notice  # since when, in the desk's time
        toasts = [n for n in app._notifications if "background job failed" in (n.title or "")]
        assert len(toasts) == 1 and "Claim expiry" in toasts[0].message
        logged = log_path().read_text(encoding="utf-8")
        assert logged.count("background job claim-expiry failed") == 1
        assert "Traceback (most recent call last)" in logged and "claims are frozen for the audit" in logged
        # It fails again: nothing more is said, the notice stays.
        assert app.run_job_now("claim-expiry")
        await settle(pilot)
        assert log_path().read_text(encoding="utf-8").count("background job claim-expiry failed") == 1
        assert len([n for n in app._notifications if "background job failed" in (n.title or "")]) == 1
        assert "Claim expiry failing since" in board.jobs_text()
        # The workspace is repaired: the next run works, the notice goes, the log says so.
        demo_ws.dialect.drop_trigger(demo_ws.conn, "refuse_releases", "tickets")
        assert app.run_job_now("claim-expiry")
        await settle(pilot)
        assert board.jobs_text() == ""
        assert demo_ws.tickets.ticket(ticket_id)["claimedUntil"] is None  # type: ignore[index]
        assert "background job claim-expiry works again" in log_path().read_text(encoding="utf-8")
        # A board opened after a failure shows it from the start.
        demo_ws.dialect.schema(demo_ws.conn, REFUSE_RELEASES)
        stale_claim(demo_ws)
        assert app.run_job_now("claim-expiry")
        await settle(pilot)
        app.show_queue(None)
        app.open_health()
        await settle(pilot)
        assert "Claim expiry failing since" in app.screen.jobs_text()  # type: ignore[attr-defined]


async def test_runs_of_a_job_never_overlap(demo_ws: Workspace, tmp_path: Path) -> None:
    """A job slower than its interval: the next run starts only after the previous one ended."""
    running, most, runs = [0], [0], [0]
    lock = threading.Lock()

    def slow() -> str:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.1)
        with lock:
            running[0] -= 1
            runs[0] += 1
        return "slow"

    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.settle()
        await settle(pilot)
        app._jobs.append(Job("slow", "Slow job", lambda: 0.01, slow))
        assert app.run_job_now("slow")
        assert not app.run_job_now("slow")  # one is under way: asked again, nothing starts
        deadline = time.monotonic() + 10
        while runs[0] < 4:
            assert time.monotonic() < deadline, "the job was not run again after it ended"
            await pilot.pause(0.02)
        assert most[0] == 1


def test_a_failure_is_reported_once_until_the_job_works_again(
    empty_ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes = [RuntimeError("the disk is full"), RuntimeError("the disk is still full"), None, OSError("again")]

    def work() -> str:
        error = outcomes.pop(0)
        if error is not None:
            raise error
        return "ok"

    jobs = Jobs(lambda: NOW)
    job = Job("flaky", "Flaky job", lambda: 1.0, work)
    with caplog.at_level(logging.INFO, logger="console.background.jobs"):
        first, second, third, fourth = (jobs.run(job) for _ in range(4))
    assert first.started_failing and not second.started_failing and third.recovered and fourth.started_failing
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.exc_info[1] for r in errors if r.exc_info] == [first.error, fourth.error]
    assert [(f.job, f.error, f.since) for f in jobs.failures()] == [("flaky", "OSError: again", NOW)]


def test_a_once_per_workspace_job_runs_in_the_process_holding_its_lease(empty_ws: Workspace) -> None:
    """Two consoles' runners on one workspace file (two handles: two connections, two holders): the first
    takes the lease and runs; the second does nothing while the lease is held, and records nothing."""
    other = Workspace.open(empty_ws.locator)
    try:
        ran: list[str] = []
        first = Lease(empty_ws, "breach-sweep", timedelta(minutes=3), agent="aiko.tanaka")
        second = Lease(other, "breach-sweep", timedelta(minutes=3), agent="kenji.sato")
        mine = Job("breach-sweep", "Breach sweep", lambda: 60.0, lambda: ran.append("aiko") or "swept", first)
        theirs = Job("breach-sweep", "Breach sweep", lambda: 60.0, lambda: ran.append("kenji") or "swept", second)
        assert Jobs().run(mine).ran and not Jobs().run(theirs).ran
        assert ran == ["aiko"]
        row = empty_ws.leases.lease_row("breach-sweep")
        assert row is not None and row["agent"] == "aiko.tanaka" and row["lastRunNote"] == "swept"
        Jobs().release([mine])  # a clean exit: the other console's next run takes over
        assert Jobs().run(theirs).ran and ran == ["aiko", "kenji"]
    finally:
        other.close()


def test_the_console_declares_which_jobs_run_once_per_workspace(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    from console.background.jobs import console_jobs

    jobs = {j.name: j for j in console_jobs(app.desk, app.clock)}
    # Microsoft is not configured; the audit chain's check runs in every console, once, at start.
    assert sorted(jobs) == ["audit-chain", "breach-sweep", "checkpoint", "claim-expiry", "health-samples"]
    assert (jobs["audit-chain"].first, jobs["audit-chain"].repeat) == (0.0, False)
    assert [n for n, j in sorted(jobs.items()) if j.once_per_workspace] == ["breach-sweep", "health-samples"]
    assert lease_for(app.desk, "health-samples", 300).ttl == timedelta(minutes=15)
    app.desk.close()
