"""Containment that holds: a plugin's exit, interrupt or slow import costs only that plugin, and a check that
never ends, never stops yielding or allocates without end is stopped in its own process (real processes here,
nothing of ours mocked)."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console import testing
from console.plugin_api import Check, CheckContext, Family, Finding, Level, Service, hookimpl
from console.plugins import loading
from console.plugins.host import load_plugins
from console.plugins.runner import MAX_FINDINGS_PER_CHECK, CheckRun, CheckRunner
from console.plugins.worker import can_fork

ROOT = Path(__file__).resolve().parent.parent


def plugin(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))  # type: ignore[arg-type]
    return module


def _finding(ctx: object) -> list[Finding]:
    return [Finding(check_id="good.one", family=Family.BILLING, level=Level.INFO, title="Good", explanation="ok")]


GOOD = plugin(
    "good",
    csp_services=lambda: [Service(id="good", name="Good service")],
    csp_checks=lambda: [Check(id="good.one", family=Family.BILLING, run=_finding)],
)


def install(site: Path, name: str, source: str) -> None:
    """A third-party plugin ``name`` as pip would leave it: a module and its dist-info with the entry point."""
    module = f"csp_contain_{name}_{os.getpid()}_{time.monotonic_ns()}"
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[csp_console]\n{name} = {module}\n", encoding="utf-8")


def cli(site: Path, tmp_path: Path, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "PYTHONPATH": str(site),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        **env,
    }
    command = [sys.executable, "-m", "console.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=full, check=False, cwd=ROOT, timeout=timeout)


# 1. SystemExit, KeyboardInterrupt at import and in every hook --------------------------------------------


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("import sys\nsys.exit(3)\n", "import raised SystemExit(3)"),
        ("raise SystemExit\n", "import raised SystemExit()"),
        ("raise KeyboardInterrupt\n", "import raised KeyboardInterrupt"),
    ],
    ids=["sys.exit(3)", "SystemExit", "KeyboardInterrupt"],
)
def test_an_exit_or_interrupt_at_import_is_that_plugins_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, shown: str
) -> None:
    install(tmp_path, "quitter", source)
    monkeypatch.syspath_prepend(str(tmp_path))
    host = load_plugins(installed=True, env={"CSP_CONSOLE_LOAD_PLUGINS": "quitter,azure"})
    assert any(shown in e for e in host.plugins["quitter"].errors), host.plugins["quitter"].errors
    assert "azure" in host.services and host.plugins["azure"].errors == []


def test_csp_console_plugins_names_a_plugin_that_exits_at_import(tmp_path: Path) -> None:
    install(tmp_path, "quitter", "import sys\nsys.exit(3)\n")
    proc = cli(tmp_path, tmp_path, "plugins")
    assert proc.returncode == 0, proc.stderr  # was: exit status 3, nothing printed
    assert "quitter" in proc.stdout and "import raised SystemExit(3)" in proc.stdout
    assert "azure" in proc.stdout


HOOKS = [
    "csp_services",
    "csp_checks",
    "csp_escalation_handlers",
    "csp_commands",
    "csp_queue_columns",
    "csp_account_sections",
    "csp_ticket_actions",
    "csp_intake_fields",
    "csp_event_receivers",
    "csp_settings",
]


def _raiser(exc: BaseException) -> object:
    def hook() -> object:
        raise exc

    return hook


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize(
    ("exc", "shown"),
    [(SystemExit(3), "SystemExit(3)"), (KeyboardInterrupt(), "KeyboardInterrupt"), (GeneratorExit(), "GeneratorExit")],
    ids=["SystemExit", "KeyboardInterrupt", "GeneratorExit"],
)
def test_an_exit_or_interrupt_in_a_hook_is_that_plugins_error(hook: str, exc: BaseException, shown: str) -> None:
    bad = plugin("bad", **{hook: _raiser(exc)})
    host = load_plugins(env={"CSP_CONSOLE_LOAD_PLUGINS": "bad,good"}, extra={"bad": bad, "good": GOOD})
    assert f"{hook} raised {shown}" in host.plugins["bad"].errors
    assert "good" in host.services and [c.check.id for c in host.checks] == ["good.one"]


def test_an_exit_in_csp_configure_is_that_plugins_error() -> None:
    def configure(settings: object) -> None:
        sys.exit("no thanks")

    bad = plugin("bad", csp_configure=configure)
    host = load_plugins(env={"CSP_CONSOLE_LOAD_PLUGINS": "bad,good"}, extra={"bad": bad, "good": GOOD})
    assert "csp_configure raised SystemExit('no thanks')" in host.plugins["bad"].errors
    assert "good" in host.services


def test_a_real_ctrl_c_while_plugins_load_still_ends_the_command(tmp_path: Path) -> None:
    importing = tmp_path / "importing"
    part = f"{importing}.part"
    install(
        tmp_path,
        "sleeper",
        f"import os, time\nopen({part!r}, 'w').close()\nos.replace({part!r}, {str(importing)!r})\ntime.sleep(25)\n",
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "plugins"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while not importing.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # (a fixed 3 s could end before the command was in its main: a bare KeyboardInterrupt)
    assert importing.exists(), "the plugin was never imported"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, (out, err)  # the console's "interrupted", not the plugins listed
    assert "interrupted" in err and "sleeper" not in out


# 2. Import time measured, slow imports told, an import budget ----------------------------------------------


def test_a_slow_import_is_timed_and_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path, "slowish", "import time\ntime.sleep(1.5)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    host = load_plugins(installed=True, env={"CSP_CONSOLE_LOAD_PLUGINS": "slowish,azure"})
    slowish = host.plugins["slowish"]
    assert slowish.import_seconds is not None and 1.4 < slowish.import_seconds < 5
    assert slowish.errors == [] and any("import took 1." in w for w in slowish.warnings), slowish.warnings
    azure = host.plugins["azure"]
    assert azure.import_seconds is not None and azure.import_seconds < 1 and azure.warnings == []


def test_an_import_past_its_budget_is_refused_and_named_without_waiting_for_it(tmp_path: Path) -> None:
    install(tmp_path, "sleeper", "import time\ntime.sleep(25)\n")
    started = time.monotonic()
    proc = cli(tmp_path, tmp_path, "plugins", timeout=20, CSP_CONSOLE_PLUGIN_IMPORT_BUDGET="1")
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 12, elapsed  # one budget and the console's own start, not the plugin's 25 s
    assert "sleeper" in proc.stdout and "took longer than its 1 s budget" in proc.stdout
    assert "CSP_CONSOLE_PLUGIN_IMPORT_BUDGET" in proc.stdout and "azure" in proc.stdout


def test_the_import_budget_comes_from_the_environment() -> None:
    assert loading.import_budget({}) == loading.DEFAULT_IMPORT_BUDGET == 10
    assert loading.import_budget({"CSP_CONSOLE_PLUGIN_IMPORT_BUDGET": "2.5"}) == 2.5
    for wrong in ("soon", "0", "-1", "inf", "nan"):
        assert loading.import_budget({"CSP_CONSOLE_PLUGIN_IMPORT_BUDGET": wrong}) == 10


# 3. Checks in a process of their own: stopped past their budget, capped, limited in memory ----------------


def rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie waiting to be reaped)."""
    try:
        return "(zombie)" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def runner_with(*checks: Check, budget: float = 2.0, **options: object) -> CheckRunner:
    module = plugin("p", csp_checks=lambda: list(checks))
    host = load_plugins(env={"CSP_CONSOLE_LOAD_PLUGINS": "p,good"}, extra={"p": module, "good": GOOD})
    return CheckRunner(host, budget=budget, **options)  # type: ignore[arg-type]


@pytest.fixture
def runners() -> Iterator[list[CheckRunner]]:
    made: list[CheckRunner] = []
    yield made
    for runner in made:
        runner.close()


def _p(name: str, run: object) -> Check:
    return Check(id=f"p.{name}", family=Family.TECHNICAL, run=run)  # type: ignore[arg-type]


def _titles(run: CheckRun) -> list[str]:
    return [f.title for _, f in run.findings]


needs_fork = pytest.mark.skipif(not can_fork(), reason="checks run in a process only where it can be forked")


@needs_fork
def test_a_busy_check_is_stopped_at_its_budget_and_its_process_is_gone(
    tmp_path: Path, runners: list[CheckRunner]
) -> None:
    where = tmp_path / "pid"

    def spin(ctx: object) -> list[Finding]:
        where.write_text(str(os.getpid()))
        while True:  # a busy loop: held 97 % of a core for as long as the console ran
            pass

    runner = runner_with(_p("spin", spin), budget=1.5)  # (room for a loaded machine's fork to reach the loop)
    runners.append(runner)
    started = time.monotonic()
    first = runner.run(testing.context(ticket=testing.ticket()))
    assert time.monotonic() - started < 1.5 + 3  # at the budget, not the loop's end (it has none)
    pid = int(where.read_text())
    assert pid != os.getpid()  # it ran in the check process, not in the console
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped: no CPU, no memory held
    assert not running(pid)
    (failure,) = first.failures
    assert failure.message == "check p.spin ran past its 1.5 s budget and was stopped for this session"
    assert "Good" in _titles(first)
    second = runner.run(testing.context(ticket=testing.ticket(id="CSP-000002")))
    assert "Good" in _titles(second) and second.failures == []  # the next ticket's checks run in a new process
    assert runner.worker_pid not in (None, pid)


@needs_fork
def test_an_endless_generator_stops_at_fifty_findings_and_the_console_does_not_grow(
    runners: list[CheckRunner],
) -> None:
    def endless(ctx: object) -> Iterator[Finding]:
        n = 0
        while True:  # grew the console from 0.3 to 3.2 GB in 40 s
            n += 1
            yield Finding(
                check_id=f"p.endless{n}", family=Family.TECHNICAL, level=Level.INFO, title="again", explanation="x"
            )

    runner = runner_with(_p("endless", endless), budget=20)
    runners.append(runner)
    baseline = rss_kib()
    started = time.monotonic()
    run = runner.run(testing.context(ticket=testing.ticket()))
    assert time.monotonic() - started < 10  # at the fiftieth, not at the budget
    assert run.failures == []
    assert _titles(run).count("again") == MAX_FINDINGS_PER_CHECK == 50 and "Good" in _titles(run)
    time.sleep(1)
    assert rss_kib() < 2 * baseline


@needs_fork
def test_a_check_that_allocates_without_end_fails_with_memory_error_and_the_console_keeps_its_memory(
    runners: list[CheckRunner],
) -> None:
    def hog(ctx: object) -> list[Finding]:
        held = [b"x" * (64 << 20) for _ in range(64)]  # 4 GiB, every page written
        assert held
        return []

    runner = runner_with(_p("hog", hog), budget=30)
    runners.append(runner)
    baseline = rss_kib()
    run = runner.run(testing.context(ticket=testing.ticket()))
    (failure,) = run.failures
    assert failure.check_id == "p.hog" and failure.message == "check p.hog raised MemoryError"
    assert "Good" in _titles(run)
    assert rss_kib() < baseline + 200 * 1024  # the 4 GiB (well, the 1 GiB it got) were the child's
    again = runner.run(testing.context(ticket=testing.ticket()))
    assert [f.check_id for f in again.failures] == ["p.hog"]  # the same process, still answering


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sys.exit(3)", "check p.quits raised SystemExit(3)"),
        ("raise KeyboardInterrupt", "check p.quits raised KeyboardInterrupt"),
    ],
)
def test_an_exit_or_interrupt_in_a_check_is_that_checks_failure(
    runners: list[CheckRunner], body: str, message: str
) -> None:
    namespace: dict[str, Any] = {"sys": sys}
    exec(f"def quits(ctx):\n    {body}\n", namespace)
    runner = runner_with(_p("quits", namespace["quits"]))
    runners.append(runner)
    run = runner.run(testing.context(ticket=testing.ticket()))
    assert [f.message for f in run.failures] == [message]
    assert "Good" in _titles(run)
    assert "Good" in _titles(runner.run(testing.context(ticket=testing.ticket())))


@needs_fork
def test_a_check_that_ends_its_process_is_named_and_disabled(runners: list[CheckRunner]) -> None:
    def leaves(ctx: object) -> list[Finding]:
        os._exit(7)  # would end the console itself on a thread

    runner = runner_with(_p("leaves", leaves))
    runners.append(runner)
    run = runner.run(testing.context(ticket=testing.ticket()))
    assert [f.message for f in run.failures] == [
        "check p.leaves ended the check process (exit status 7); it is disabled for this session"
    ]
    assert "Good" in _titles(run) and "p.leaves" in runner.disabled
    again = runner.run(testing.context(ticket=testing.ticket()))
    assert "Good" in _titles(again) and again.failures == []


@needs_fork
def test_findings_that_do_not_pickle_are_that_checks_failure_named(runners: list[CheckRunner]) -> None:
    def odd(ctx: object) -> list[object]:
        return [
            Finding(check_id="p.odd", family=Family.TECHNICAL, level=Level.INFO, title="t", explanation="e"),
            Finding(
                check_id="p.odd",
                family=Family.TECHNICAL,
                level=Level.INFO,
                title=lambda: "t",  # type: ignore[arg-type]
                explanation="e",
            ),
        ]

    runner = runner_with(_p("odd", odd))
    runners.append(runner)
    run = runner.run(testing.context(ticket=testing.ticket()))
    (failure,) = run.failures
    assert failure.check_id == "p.odd"
    assert failure.message.startswith("check p.odd returned findings that do not pickle (")
    assert "lambda" in failure.message
    assert "Good" in _titles(run)


def test_what_crosses_to_the_check_process_pickles() -> None:
    sub = testing.subscription(details=types.MappingProxyType({"budget": 100}))
    ticket = testing.ticket(fields=types.MappingProxyType({"p.field": "x"}))
    ctx = testing.context(ticket=ticket, subscriptions=[sub], receivables=[testing.receivable()], offer=testing.offer())
    again = pickle.loads(pickle.dumps(ctx))
    assert again == ctx
    assert isinstance(again.subscriptions[0].details, types.MappingProxyType)  # still read-only
    assert again.ticket is not None and isinstance(again.ticket.fields, types.MappingProxyType)
    finding = Finding(check_id="p.x", family=Family.BILLING, level=Level.CRITICAL, title="t", explanation="e")
    assert pickle.loads(pickle.dumps(finding)) == finding


@needs_fork
def test_a_batch_of_contexts_goes_on_after_a_check_hangs_in_its_middle(runners: list[CheckRunner]) -> None:
    def sometimes(ctx: CheckContext) -> list[Finding]:
        assert ctx.ticket is not None
        if ctx.ticket.id == "CSP-000040":
            time.sleep(30)
        return [Finding(check_id="p.sometimes", family=Family.TECHNICAL, level=Level.INFO, title="ran", explanation="")]

    def first(ctx: object) -> list[Finding]:
        return [Finding(check_id="p.first", family=Family.TECHNICAL, level=Level.INFO, title="first", explanation="")]

    runner = runner_with(_p("first", first), _p("sometimes", sometimes), budget=0.5)
    runners.append(runner)
    contexts = [testing.context(ticket=testing.ticket(id=f"CSP-{i:06}")) for i in range(1, 51)]
    started = time.monotonic()
    runs = runner.run_many(contexts)
    assert time.monotonic() - started < 0.5 + 8  # the budget once, not the hung check's 30 s
    # Those before (some answered, some lost with the killed process and run again) have every finding:
    assert all(_titles(run) == ["Good", "first", "ran"] and run.failures == [] for run in runs[:39])
    assert _titles(runs[39]) == ["Good", "first", "Plugin p: check p.sometimes failed"]  # in the checks' order
    assert all(_titles(run) == ["Good", "first"] and run.failures == [] for run in runs[40:])  # disabled since


def test_on_a_thread_where_there_is_no_process_a_hung_check_is_abandoned_and_said_so(
    runners: list[CheckRunner],
) -> None:
    def hang(ctx: object) -> list[Finding]:
        time.sleep(5)
        return []

    runner = runner_with(_p("hang", hang), budget=0.3, isolation="thread")
    runners.append(runner)
    run = runner.run(testing.context(ticket=testing.ticket()))
    assert runner.worker_pid is None
    (failure,) = run.failures
    assert "ran past its 0.3 s budget and was abandoned" in failure.message
    assert "Good" in _titles(run)


@needs_fork
def test_what_a_check_prints_never_reaches_the_consoles_output(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install(
        site,
        "noisy",
        """
        from console.plugin_api import Check, Family, Finding, Level, hookimpl

        def shout(ctx):
            print("noise from a check", flush=True)
            return [Finding(check_id="noisy.shout", family=Family.TECHNICAL, level=Level.INFO, title="Shouted",
                            explanation="")]

        @hookimpl
        def csp_checks():
            return [Check(id="noisy.shout", family=Family.TECHNICAL, run=shout)]
        """,
    )
    db = workspace(site, tmp_path)
    proc = cli(site, tmp_path, "triage", "--db", db, "--all", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "noise" not in proc.stdout and "noise" not in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    shouted = [r["ticket"] for r in lines if r["checkId"] == "noisy.shout"]
    assert shouted == ["CSP-000001", "CSP-000002", "CSP-000003"]  # each once: nothing written twice


@needs_fork
def test_a_check_process_killed_from_outside_is_replaced(runners: list[CheckRunner]) -> None:
    runner = runner_with()
    runners.append(runner)
    assert "Good" in _titles(runner.run(testing.context(ticket=testing.ticket())))
    pid = runner.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the OOM killer, say, while the process waits for the next ticket
    deadline = time.monotonic() + 5
    while running(pid):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    again = runner.run(testing.context(ticket=testing.ticket()))
    assert "Good" in _titles(again) and again.failures == []
    assert runner.worker_pid not in (None, pid)


def workspace(site: Path, tmp_path: Path) -> str:
    """A workspace of one customer and three open tickets, imported through the command line."""
    cid = "c-1"
    (tmp_path / "customers.jsonl").write_text(
        json.dumps({"id": cid, "domain": "d.example", "companyName": "Noisy Co"}) + "\n"
    )
    tickets = [
        {
            "id": f"CSP-00000{i}",
            "customerId": cid,
            "channel": "email",
            "category": "technical",
            "createdDate": "2026-11-20T00:00:00Z",
            "title": f"Ticket {i}",
        }
        for i in (1, 2, 3)
    ]
    (tmp_path / "tickets.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tickets))
    db = str(tmp_path / "w.db")
    files = [str(tmp_path / "customers.jsonl"), str(tmp_path / "tickets.jsonl")]
    proc = cli(site, tmp_path, "import", "--db", db, *files)
    assert proc.returncode == 0, proc.stderr
    return db


# 4. A plugin's text is shown literally on the command line ---------------------------------------------------


def test_markup_in_a_plugins_words_is_printed_literally(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install(
        site,
        "marked",
        """
        from console.plugin_api import Check, Family, Finding, Level, hookimpl

        def marked(ctx):
            return [Finding(check_id="marked.x", family=Family.TECHNICAL, level=Level.INFO,
                            title="[link=https://evil.example]Click[/link] [bold]now[/]",
                            explanation="[red]red[/red]")]

        @hookimpl
        def csp_checks():
            return [Check(id="marked.x", family=Family.TECHNICAL, run=marked)]

        @hookimpl
        def csp_commands():
            raise ValueError("[bold red]boom[/]")
        """,
    )
    listed = cli(site, tmp_path, "plugins")
    assert listed.returncode == 0, listed.stderr
    assert "csp_commands raised ValueError: [bold red]boom[/]" in listed.stdout
    db = workspace(site, tmp_path)
    proc = cli(site, tmp_path, "triage", "--db", db, "--ticket", "CSP-000001")
    assert proc.returncode == 0, proc.stderr
    assert "[link=https://evil.example]Click[/link] [bold]now[/]" in proc.stdout
    assert "[red]red[/red]" in proc.stdout


@needs_fork
def test_closing_the_runner_under_a_long_run_blames_no_check(runners: list[CheckRunner]) -> None:
    def slow(name: str) -> Check:
        def run(ctx: object) -> list[Finding]:
            time.sleep(1.0)  # each within the 1.5 s budget, ten of them well past what close() waits
            ident = f"p.{name}"
            return [Finding(check_id=ident, family=Family.TECHNICAL, level=Level.INFO, title=name, explanation="")]

        return _p(name, run)

    runner = runner_with(*(slow(f"s{i}") for i in range(10)), budget=1.5)
    runners.append(runner)
    got: list[CheckRun] = []
    worker = threading.Thread(target=lambda: got.append(runner.run(testing.context(ticket=testing.ticket()))))
    worker.start()
    deadline = time.monotonic() + 30
    while not runner._lock.locked() and time.monotonic() < deadline:
        time.sleep(0.01)  # (a fixed 0.2 s could end before the run began: close() then had nothing to stop)
    time.sleep(0.2)
    started = time.monotonic()
    runner.close()  # the console quitting while a ticket is triaged
    assert time.monotonic() - started < 1.5 + 1 + 3  # what close() waits, then the stop: not the 10 s of checks
    worker.join(30)
    assert not worker.is_alive()
    (run,) = got
    assert run.failures == [] and runner.disabled == {}
    assert len(run.findings) < 11  # what came back before the process was stopped (may be nothing)


@needs_fork
def test_the_check_process_closed_under_a_request_at_any_moment_ends_that_request_cleanly() -> None:
    # A close() from another thread used to close the pipe and the process object under the thread reading the
    # request: it raised "handle is closed" or "process object is closed" there instead of ending the request.
    from console.plugins.worker import ProcessWorker

    def slow(ctx: object) -> list[Finding]:
        time.sleep(0.02)
        return [Finding(check_id="p.slow", family=Family.TECHNICAL, level=Level.INFO, title="t", explanation="")]

    check = _p("slow", slow)
    ctx = testing.context(ticket=testing.ticket())
    for delay in [0.0, 0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2]:
        worker = ProcessWorker([check])
        read: list[object] = []
        errors: list[BaseException] = []

        def reader(worker: ProcessWorker, read: list[object], errors: list[BaseException]) -> None:
            try:
                read.extend(worker.run([(ctx, [check] * 4)] * 3, budget=2.0))
            except BaseException as exc:  # what the test is about
                errors.append(exc)

        thread = threading.Thread(target=reader, args=(worker, read, errors))
        thread.start()
        time.sleep(delay)
        worker.close()
        thread.join(30)
        assert not thread.is_alive() and errors == [], (delay, errors)
        stops = [reply[2] for reply in read if reply[2] is not None]  # type: ignore[index]
        assert len(read) <= 3 and len(stops) <= 1, (delay, read)
        assert stops or len(read) == 3, (delay, read)  # all three contexts answered, or a stop said where it ended
        worker.close()
        assert worker.pid is None
