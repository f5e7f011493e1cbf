"""The workspace's job leases (console/background/leases.py over console/store/leases.py), on real workspaces and real
processes: exactly one holder, renewal, release, takeover after expiry and after the holder is SIGKILLed; and
the Microsoft lease in use: with three consoles' rounds on one workspace, one round makes the calls of one
poller, against the local Azure Support API (console/sandbox)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.background.leases import Lease, holder_gone, jittered, new_holder
from console.cli.main import main
from console.desk.door import Desk
from console.escalation.courier import retry_delay
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.settings.config import load_config, write_demo_config
from console.settings.paths import child_env
from console.shared.clock import to_iso
from console.store import Workspace
from tests.conftest import NOW
from tests.engine_ws import Where
from tests.engine_ws import new_ws_fixture as new_ws_fixture
from tests.test_escalation import AGENT, pick
from tests.ui import make_app, settle

TTL = timedelta(seconds=60)
#: Holder ids of another host: never "gone" by pid, so only expiry frees their leases.
FAR_A, FAR_B = "elsewhere-a:101:aaaa", "elsewhere-b:202:bbbb"


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    write_demo_config(path)
    return path


@pytest.fixture
def two(new_ws: Callable[..., Where]) -> Iterator[tuple[Workspace, Workspace]]:
    """Two handles (two connections, as two processes would have) on one workspace."""
    path = new_ws("ws")
    first, second = Workspace.open(path), Workspace.open(path)
    yield first, second
    first.close()
    second.close()


# -- the core, on two handles ----------------------------------------------------------------------
def test_exactly_one_of_two_holds_and_the_holder_renews(two: tuple[Workspace, Workspace]) -> None:
    clock = Clock()
    a = Lease(two[0], "job", TTL, agent="aiko.tanaka", holder=FAR_A, clock=clock)
    b = Lease(two[1], "job", TTL, agent="kenji.sato", holder=FAR_B, clock=clock)
    assert a.acquire() and not b.acquire()
    assert a.held and not b.held
    other = b.other()
    assert other is not None and other.holder == FAR_A and other.agent == "aiko.tanaka"
    assert other.expires == clock.now + TTL
    assert "held by aiko.tanaka's process 101 on elsewhere-a until 2026-11-23T03:01:00Z" in other.describe(clock.now)
    clock.now += timedelta(seconds=45)
    assert a.acquire() and not b.acquire()  # renewed: 45 s later it runs a full minute again
    row = two[1].leases.lease_row("job")
    assert row is not None and row["holder"] == FAR_A
    assert (row["acquiredDate"], row["renewedDate"], row["expiresDate"]) == (
        "2026-11-23T03:00:00Z",
        "2026-11-23T03:00:45Z",
        "2026-11-23T03:01:45Z",
    )
    clock.now += timedelta(seconds=50)  # past the first expiry, within the renewed one
    assert not b.acquire() and a.other() is None


def test_an_expired_lease_is_taken_over_and_the_old_holder_knows_it_lost_it(two: tuple[Workspace, Workspace]) -> None:
    clock = Clock()
    a = Lease(two[0], "job", TTL, holder=FAR_A, clock=clock)
    b = Lease(two[1], "job", TTL, holder=FAR_B, clock=clock)
    assert a.acquire() and a.ran("first round")
    clock.now += TTL - timedelta(seconds=1)
    assert not b.acquire()
    clock.now += timedelta(seconds=1)  # expired exactly now
    assert b.acquire() and b.held
    assert not a.held and a.other() is not None
    assert not a.ran("a round it should not have run")  # nothing written for a holder that lost it
    row = two[0].leases.lease_row("job")
    assert row is not None and row["holder"] == FAR_B and row["lastRunNote"] == "first round"
    assert not a.acquire()


def test_release_frees_it_at_once_and_keeps_the_last_run(two: tuple[Workspace, Workspace]) -> None:
    clock = Clock()
    a = Lease(two[0], "job", TTL, agent="aiko.tanaka", holder=FAR_A, clock=clock)
    b = Lease(two[1], "job", TTL, holder=FAR_B, clock=clock)
    assert a.acquire() and a.ran("3 delivered")
    assert not b.release()  # not b's to give up
    assert a.release() and not a.held and not a.release()
    state = b.read()
    assert state is not None and not state.live(clock.now)
    assert state.describe(clock.now) == (
        "free (last held by aiko.tanaka's process 101 on elsewhere-a); last ran 2026-11-23T03:00:00Z"
    )
    assert b.acquire()
    row = two[1].leases.lease_row("job")
    assert row is not None and row["lastRunNote"] == "3 delivered" and row["lastRunDate"] == "2026-11-23T03:00:00Z"


def test_leases_of_different_jobs_are_independent(two: tuple[Workspace, Workspace]) -> None:
    clock = Clock()
    assert Lease(two[0], "microsoft", TTL, holder=FAR_A, clock=clock).acquire()
    assert Lease(two[1], "breaches", TTL, holder=FAR_B, clock=clock).acquire()
    assert [r["name"] for r in two[0].leases.lease_rows()] == ["breaches", "microsoft"]


def test_waiting_for_a_held_lease_writes_nothing(two: tuple[Workspace, Workspace]) -> None:
    """A console that only looks whether the lease is still held must not wake the other consoles' live
    updates (their screens reload on every change of SQLite's data_version)."""
    clock = Clock()
    assert Lease(two[0], "job", TTL, holder=FAR_A, clock=clock).acquire()
    watcher = Workspace.open(two[0].locator)
    try:
        before = watcher.data_version()
        waiter = Lease(two[1], "job", TTL, holder=FAR_B, clock=clock)
        for _ in range(3):
            assert not waiter.acquire()
        assert watcher.data_version() == before
        clock.now += TTL
        assert waiter.acquire()
        # The takeover itself is a change, as it should be: seen at once on SQLite, on PostgreSQL when its notice
        # reaches the watching session (delivered after the commit: within a second, tests/test_pg_live.py).
        deadline = time.monotonic() + 15
        while watcher.data_version() == before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert watcher.data_version() != before
    finally:
        watcher.close()


def test_a_lease_needs_a_positive_time_to_live(two: tuple[Workspace, Workspace]) -> None:
    with pytest.raises(ValueError, match="time to live must be positive"):
        Lease(two[0], "job", timedelta(0))


# -- real processes ------------------------------------------------------------------------------------
CONTENDER = textwrap.dedent(
    """
    import sys
    from datetime import timedelta
    from console.background.leases import Lease
    from console.settings.paths import child_workspace
    from console.store import Workspace

    ws = Workspace.open(child_workspace(sys.argv[1]))
    lease = Lease(ws, "job", timedelta(seconds=600), agent=sys.argv[2])
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "acquire":
            print("held" if lease.acquire() else "refused", flush=True)
        elif command == "release":
            print("released" if lease.release() else "not held", flush=True)
    """
)


def start_contenders(locator: Where, count: int) -> list[subprocess.Popen[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, "-", f"agent{i}"],
            env=child_env(locator),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(count)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return procs


def ask(procs: list[subprocess.Popen[str]], command: str) -> list[str]:
    """Send ``command`` to every process at once, then read each answer."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
    answers = []
    for proc in procs:
        assert proc.stdout is not None
        answers.append(proc.stdout.readline().strip())
    return answers


def stop(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=30)


def test_processes_contend_one_holds_and_a_sigkilled_holder_is_replaced(new_ws: Callable[..., Where]) -> None:
    path = new_ws("ws")
    with Workspace.open(path) as made:
        locator = made.locator
    procs = start_contenders(locator, 4)
    try:
        first = ask(procs, "acquire")
        assert sorted(first) == ["held", "refused", "refused", "refused"]
        assert ask(procs, "acquire") == first  # the holder renews, the others still wait
        holder = procs[first.index("held")]
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        rest = [p for p in procs if p is not holder]
        # Its lease runs ten minutes more, but its pid is gone from this host: taken over at once.
        second = ask(rest, "acquire")
        assert sorted(second) == ["held", "refused", "refused"]
        new = rest[second.index("held")]
        with Workspace.open(path) as ws:
            row = ws.leases.lease_row("job")
        assert row is not None and row["agent"] == f"agent{procs.index(new)}"
        assert ask([new], "release") == ["released"]
        third = ask(rest, "acquire")  # released: the next to ask has it at once
        assert third.count("held") == 1
    finally:
        stop(procs)


def test_a_holder_is_gone_only_when_its_process_has_ended(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    host = socket.gethostname()
    try:
        assert not holder_gone(f"{host}:{proc.pid}:abcd")  # alive
        proc.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not holder_gone(f"{host}:{proc.pid}:abcd"):  # killed, not reaped yet (a zombie): gone already
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        proc.wait()
    assert holder_gone(f"{host}:{proc.pid}:abcd")  # reaped
    assert not holder_gone(f"other-host:{proc.pid}:abcd")  # another host's pid says nothing here
    assert not holder_gone(new_holder())  # this very process
    assert not holder_gone("not a holder id")


# -- jitter --------------------------------------------------------------------------------------------
def test_jitter_spreads_waits_by_a_fifth_either_way() -> None:
    assert jittered(100, rng=lambda: 0.0) == pytest.approx(80)
    assert jittered(100, rng=lambda: 1.0) == pytest.approx(120)
    assert jittered(100, rng=lambda: 0.5) == pytest.approx(100)
    waits = {round(jittered(120), 3) for _ in range(50)}
    assert len(waits) > 40 and all(96 <= w <= 144 for w in waits)


def test_retries_back_off_with_jitter() -> None:
    middle = [retry_delay(n, rng=lambda: 0.5).total_seconds() for n in range(9)]
    assert middle == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert retry_delay(0, rng=lambda: 0.0) == timedelta(seconds=24)
    assert retry_delay(12, rng=lambda: 1.0) == timedelta(seconds=4320)
    assert len({retry_delay(3) for _ in range(40)}) > 10  # consoles that failed together retry apart


# -- the Microsoft lease -------------------------------------------------------------------------------
def open_azure_cases(desk: Desk, count: int) -> list[dict[str, object]]:
    """``count`` Azure technical escalations delivered to the sandbox: open cases to poll."""
    for _ in range(count):
        desk.escalate(desk.escalation_draft(pick(desk.ws, "azure", "technical"), "advanced"))
    report = desk.microsoft_sync(poll=False)
    assert len(report.delivered) == count, report
    cases = desk.ws.escalations.escalations(states=("open",))
    assert len(cases) == count
    return cases


def test_a_second_desk_waits_while_another_holds_and_a_command_refuses(
    sandbox: Sandbox,
    demo_ws: Workspace,
    config_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "kenji.sato")
    config = load_config(config_path)
    console = Desk(demo_ws, config, load_plugins(), AGENT, lambda: NOW)
    other_ws = Workspace.open(demo_ws.locator)
    other = Desk(other_ws, config, load_plugins(), "kenji.sato", lambda: NOW)
    try:
        open_azure_cases(console, 2)
        assert not console.microsoft_lease.held  # taken for that delivery only, and given back
        assert console.microsoft_sync(keep=True).polled == 2 and console.microsoft_lease.held
        seen = len(sandbox.state.requests)
        report = other.microsoft_sync()
        assert len(sandbox.state.requests) == seen  # not one call to Microsoft
        assert report.delivered == [] and report.polled == 0
        (line,) = report.pending
        assert f"{AGENT}'s process {os.getpid()}" in line and "holds the Microsoft lease until" in line
        # A person's `escalations sync` meanwhile: refused, with who holds it and until when; exit 4.
        base = ["--db", str(demo_ws.locator), "--config", str(config_path)]
        assert main(["escalations", "sync", *base]) == 4
        err = capsys.readouterr().err
        assert f"the microsoft lease is held by {AGENT}'s process {os.getpid()}" in err and "until 20" in err
        assert len(sandbox.state.requests) == seen
        # The console's own delivery between its rounds keeps its lease (it is still the one poller).
        assert console.microsoft_sync(poll=False).pending == [] and console.microsoft_lease.held
        assert console.microsoft_lease.release()  # the console quits cleanly
        assert main(["escalations", "sync", *base]) == 0
        assert "2 open cases read" in capsys.readouterr().out
        row = demo_ws.leases.lease_row("microsoft")
        assert row is not None and row["lastRunNote"].startswith("0 delivered, 0 pending, 0 failed; 2 cases read")
        assert not Lease(demo_ws, "microsoft", TTL).other()  # the command gave it back when it ended
    finally:
        other.close()
        other_ws.close()
        console.close()


ROUND = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from console.shared.clock import utcnow
    from console.settings.config import load_config, write_demo_config
    from console.desk.door import Desk
    from console.plugins.host import load_plugins
    from console.settings.paths import child_workspace
    from console.store import Workspace

    ws = Workspace.open(child_workspace(sys.argv[1]))
    desk = Desk(ws, load_config(Path(sys.argv[2])), load_plugins(), sys.argv[3], utcnow)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "round":  # what the console's background round runs (CspConsoleApp._microsoft)
            report = desk.microsoft_sync(keep=True)
            held = desk.microsoft_lease.held
            print(json.dumps({"held": held, "polled": report.polled, "pending": report.pending}), flush=True)
    desk.microsoft_lease.release()
    desk.close()
    """
)


def test_three_consoles_make_the_calls_of_one_poller(sandbox: Sandbox, demo_ws: Workspace, config_path: Path) -> None:
    """The done-when of issue 16, item 13: three processes run the console's background round on one
    workspace with three open Azure cases; each round reads each case once, as one poller would (before the
    lease: three times), and so it stays when the poller is SIGKILLed and another takes over."""
    desk = Desk(demo_ws, load_config(config_path), load_plugins(), AGENT, lambda: NOW)
    cases = open_azure_cases(desk, 3)
    desk.close()
    names = [str(c["ticketName"]) for c in cases]
    agents = [AGENT, "kenji.sato", "maria.garcia"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ROUND, "-", str(config_path), agent],
            env=child_env(demo_ws.locator),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for agent in agents
    ]

    def one_round(running: list[subprocess.Popen[str]]) -> tuple[list[dict[str, object]], list[dict[str, str]]]:
        seen = len(sandbox.state.requests)
        answers = [json.loads(a) for a in ask(running, "round")]
        return answers, sandbox.state.requests[seen:]

    def reads_per_case(calls: list[dict[str, str]]) -> dict[str, int]:
        return {n: sum(1 for c in calls if c["path"].split("?")[0].endswith(f"/supportTickets/{n}")) for n in names}

    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        # One poller alone: its calls are the yardstick.
        (alone,), yardstick = one_round(procs[:1])
        assert alone["held"] and alone["polled"] == 3
        assert reads_per_case(yardstick) == dict.fromkeys(names, 1)
        assert all(c["method"] == "GET" for c in yardstick)
        for _ in range(2):  # three consoles, round after round
            answers, calls = one_round(procs)
            assert [a["held"] for a in answers] == [True, False, False]
            assert [a["polled"] for a in answers] == [3, 0, 0]
            assert len(calls) == len(yardstick) and reads_per_case(calls) == dict.fromkeys(names, 1)
            assert all("holds the Microsoft lease" in a["pending"][0] for a in answers[1:])  # type: ignore[index]
        # The poller dies without a word: the next round is done by one of the others, once.
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait()
        answers, calls = one_round(procs[1:])
        assert sorted(a["held"] for a in answers) == [False, True]  # type: ignore[type-var]
        assert len(calls) == len(yardstick) and reads_per_case(calls) == dict.fromkeys(names, 1)
        row = demo_ws.leases.lease_row("microsoft")
        assert row is not None and row["agent"] in agents[1:]
        assert row["expiresDate"] > to_iso(datetime.now(UTC))
    finally:
        stop(procs)
    row = demo_ws.leases.lease_row("microsoft")
    assert row is not None and row["expiresDate"] <= to_iso(datetime.now(UTC))  # released on a clean exit


# -- the console ---------------------------------------------------------------------------------------
async def test_a_console_without_the_lease_calls_nobody_and_shows_the_holders_results_live(
    sandbox: Sandbox, demo_ws: Workspace, config_path: Path, tmp_path: Path
) -> None:
    other_ws = Workspace.open(demo_ws.locator)
    holder = Desk(other_ws, load_config(config_path), load_plugins(), "kenji.sato", lambda: NOW)
    try:
        (case,) = open_azure_cases(holder, 1)
        assert holder.microsoft_sync(keep=True).polled == 1  # another console's round: it holds the lease
        seen = len(sandbox.state.requests)
        app = make_app(demo_ws, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            app.settle()
            await settle(pilot)
            assert app.desk.microsoft_configured and app._microsoft_timer is not None  # its round ran, and ended
            assert 0.8 * 120 <= app._microsoft_timer._interval <= 1.2 * 120  # the next, a jittered interval on
            assert len(sandbox.state.requests) == seen and not app.desk.microsoft_lease.held
            app.open_ticket(str(case["ticketId"]))
            await settle(pilot)
            sandbox.state.respond(str(case["microsoftCaseId"]), "Engineer Sato: the host was restarted.")
            assert holder.microsoft_sync(keep=True).updates == 1  # the holder's next round
            calls = len(sandbox.state.requests)
            deadline = time.monotonic() + 20
            while not any(
                "the host was restarted" in (e["text"] or "")
                for e in app.screen.details.timeline  # type: ignore[attr-defined]
            ):
                assert time.monotonic() < deadline, "the holder's update never reached this console"
                await pilot.pause(0.1)
            assert len(sandbox.state.requests) == calls  # shown from the workspace, not fetched
        row = demo_ws.leases.lease_row("microsoft")
        assert row is not None and row["agent"] == "kenji.sato" and row["expiresDate"] > to_iso(datetime.now(UTC))
    finally:
        holder.close()
        other_ws.close()


async def test_the_console_holding_the_lease_gives_it_back_when_it_quits(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.settle()
        await settle(pilot)
        row = demo_ws.leases.lease_row("microsoft")
        assert row is not None and row["agent"] == AGENT and f":{os.getpid()}:" in row["holder"]
        assert row["expiresDate"] > to_iso(datetime.now(UTC)) and row["lastRunNote"].endswith("0 cases read, 0 updates")
    row = demo_ws.leases.lease_row("microsoft")
    assert row is not None and row["expiresDate"] <= to_iso(datetime.now(UTC))  # the next console takes it at once


def test_keep_renews_only_once_a_third_of_the_life_has_passed(two: tuple[Workspace, Workspace]) -> None:
    """A long round asks before each step: a lease renewed moments ago is not written again (each write wakes
    every console's live update); one a third through its life is renewed; one taken over says so."""
    clock = Clock()
    a = Lease(two[0], "job", TTL, agent="aiko.tanaka", holder=FAR_A, clock=clock)
    b = Lease(two[1], "job", TTL, agent="kenji.sato", holder=FAR_B, clock=clock)
    assert a.acquire()
    clock.now += timedelta(seconds=5)
    assert a.keep() and two[1].leases.lease_row("job")["renewedDate"] == "2026-11-23T03:00:00Z"  # type: ignore[index]
    clock.now += timedelta(seconds=20)  # 25 s of 60: past a third
    assert a.keep() and two[1].leases.lease_row("job")["renewedDate"] == "2026-11-23T03:00:25Z"  # type: ignore[index]
    clock.now += timedelta(seconds=61)  # expired: another process takes it over
    assert b.acquire() and not a.keep()
