"""A hostile set of plugins, installed as a partner installs one, against the whole console (issue 21, Done when):
``SystemExit`` at import, a 25 s import, a busy loop and an endless generator as checks, a hijack of office365,
plain strings where enums are expected and markup in every text. The console stays usable, names each culprit,
and its memory stays under twice that of the console without them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from console.plugins.host import load_plugins
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.plugin_site import ROOT, install
from tests.test_ui_ticket import shown
from tests.ui import make_app, settle

MARKUP = "[@click=app.quit]quit[/] [b]bold[/b] \\x1b[31mred"

HOSTILE = f'''
import itertools
from console.plugin_api import (
    AccountSection, ActionResult, ActionScope, Check, Family, Finding, Level, QueueColumn, Service, TicketAction,
    hookimpl, standard_handlers,
)

MARKUP = "{MARKUP}"


def busy(ctx):
    while True:
        pass


def endless(ctx):
    for n in itertools.count():
        yield Finding(check_id="hostile.endless", family=Family.TECHNICAL, level=Level.INFO, title=MARKUP,
                      explanation=MARKUP)


def plain(ctx):
    yield Finding(check_id="hostile.plain", family="technical", level="warning", title=MARKUP, explanation=MARKUP,
                  action=MARKUP, boundary="escalate", vehicle="advanced")


@hookimpl
def csp_services():
    return [Service(id="office365", name=MARKUP), Service(id="hostile", name="Hostile")]


@hookimpl
def csp_checks():
    return [
        Check(id="hostile.busy", family=Family.TECHNICAL, run=busy),
        Check(id="hostile.endless", family=Family.TECHNICAL, run=endless),
        Check(id="hostile.plain", family="technical", run=plain),
    ]


@hookimpl
def csp_escalation_handlers():
    return standard_handlers("office365", MARKUP, {{"technical": MARKUP}})


@hookimpl
def csp_queue_columns():
    return [QueueColumn(id="hostile.col", title="Hx", width=8, value=lambda ticket: MARKUP)]


@hookimpl
def csp_account_sections():
    return [AccountSection(id="hostile.section", title="Hostile", lines=lambda ctx: [MARKUP] * 30)]


@hookimpl
def csp_ticket_actions():
    return [TicketAction(id="hostile.act", key="ctrl+y", label="Hostile act", run=lambda ctx: ActionResult(
        message=MARKUP, note=MARKUP), scope=ActionScope.TICKET)]
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("hostile")
    install(site, "hostile", HOSTILE)
    install(site, "hostile_exit", "raise SystemExit(3)\n")
    install(site, "hostile_slow", "import time\ntime.sleep(25)\n")
    return site


ENV = {"CSP_CONSOLE_PLUGIN_IMPORT_BUDGET": "2", "CSP_CONSOLE_AGENT": "kenji.sato"}


def run(site: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENV, "PYTHONPATH": str(site) if site else ""}
    env.pop("CSP_CONSOLE_LOAD_PLUGINS", None)
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )


@pytest.fixture
def db(demo_copy: Callable[..., Where]) -> Where:
    return demo_copy("ws")


def test_every_culprit_is_named_and_commands_go_on(site: Path, db: Where) -> None:
    started = time.monotonic()
    listed = run(site, "plugins", "--json", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    assert time.monotonic() - started < 20  # the 25 s import is given up on at its budget
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    assert any("SystemExit" in e for e in plugins["hostile_exit"]["errors"]), plugins["hostile_exit"]
    assert any("budget" in e for e in plugins["hostile_slow"]["errors"]), plugins["hostile_slow"]
    hostile = "\n".join(plugins["hostile"]["errors"])
    assert "service 'office365' refused: it belongs to plugin 'office365'" in hostile
    assert "handler office365:" in hostile
    assert plugins["office365"]["services"] == ["office365"] and not plugins["office365"]["errors"]
    assert "office365:advanced" in plugins["office365"]["vehicles"]


def test_triage_of_every_ticket_finishes_naming_the_stopped_check(site: Path, db: Where) -> None:
    clean = run(None, "triage", "--all", "--json", "--db", str(db))
    assert clean.returncode == 0, clean.stderr
    triaged = {json.loads(line)["ticket"] for line in clean.stdout.splitlines()}
    hostile = run(site, "triage", "--all", "--json", "--db", str(db))
    assert hostile.returncode == 0, hostile.stderr
    findings = [json.loads(line) for line in hostile.stdout.splitlines()]
    assert triaged <= {f["ticket"] for f in findings}  # every ticket the built-ins triage, still triaged
    stopped = [f for f in findings if f["checkId"] == "hostile.busy.failed"]
    assert len(stopped) == 1 and "stopped" in stopped[0]["explanation"]  # once: disabled for the session
    endless = [f for f in findings if f["checkId"] == "hostile.endless"]
    per_ticket = max(sum(1 for f in endless if f["ticket"] == t) for t in {f["ticket"] for f in endless})
    assert per_ticket <= 50
    plain = [f for f in findings if f["checkId"] == "hostile.plain"]
    assert plain and plain[0]["boundary"] == "escalate" and plain[0]["vehicle"] == "advanced"
    assert MARKUP.replace("\\x1b", "\x1b") not in hostile.stdout  # never a raw escape to the terminal
    assert "[@click=app.quit]quit[/]" in plain[0]["title"]  # markup kept as text


PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _peak_kib(site: Path | None, db: Where) -> int:
    env = {**os.environ, **ENV, "PYTHONPATH": str(site) if site else ""}
    env.pop("CSP_CONSOLE_LOAD_PLUGINS", None)
    command = [sys.executable, "-c", PEAK, sys.executable, "-m", "console.cli", "triage", "--all", "--db", str(db)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=True)
    return int(proc.stdout.strip())


def test_memory_stays_under_twice_the_console_without_them(site: Path, db: Where) -> None:
    # (The endless findings are short: `triage --all` keeps every finding of the run to print them in ticket
    # order, so 50 long ones a ticket would measure that, not the generator, which the cap stops.)
    # The largest resident set of the console or its check process, over a whole `triage --all`, measured
    # by the kernel (getrusage of the children): with the endless generator capped, nothing piles up.
    without, hostile = _peak_kib(None, db), _peak_kib(site, db)
    assert hostile < 2 * without, (without, hostile)


async def test_the_console_stays_usable_and_shows_everything_literally(
    site: Path, demo_ws: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.screens.ticket import TicketScreen

    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("CSP_CONSOLE_TEST_INSTALLED_PLUGINS", "1")
    monkeypatch.setenv("CSP_CONSOLE_PLUGIN_IMPORT_BUDGET", "2")
    monkeypatch.setenv(
        "CSP_CONSOLE_LOAD_PLUGINS", "common,azure,office365,dynamics365,hostile,hostile_exit,hostile_slow"
    )
    host = load_plugins()
    assert host.load_errors.keys() >= {"hostile", "hostile_exit", "hostile_slow"}
    app = make_app(demo_ws, tmp_path, host=host)  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notices = " ".join(str(n.message) for n in app._notifications)
        assert "hostile_exit" in notices and "hostile_slow" in notices
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        for _ in range(100):  # the busy check costs its budget once, then is stopped
            await pilot.pause(0.1)
            text = "\n".join(shown(s) for s in app.screen.query("#findings"))
            if "hostile.busy" in text:
                break
        assert "ran past its" in text and "stopped" in text
        assert "[@click=app.quit]quit[/]" in text  # shown as typed, never run
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running
