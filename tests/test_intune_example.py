"""The Intune example (examples/csp-console-intune), used as a partner would: installed through its entry point,
checked by ``plugins check``, its command run, its receiver posting to a webhook on 127.0.0.1, and its own tests,
which fail when the plugin is broken (issue 21, Done when)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from console.desk import plugin_events
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.settings.config import load_config
from console.store import Workspace
from console.tickets.ops import NewTicket
from tests.conftest import NOW
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.plugin_site import ROOT, console
from tests.reach_plugins import load_intune

EXAMPLE = ROOT / "examples" / "csp-console-intune"


def installed(site: Path, source: Path = EXAMPLE / "csp_intune") -> Path:
    """The example's package and an entry point for it in ``site``, as ``pip install`` leaves them."""
    shutil.copytree(source, site / "csp_intune", ignore=shutil.ignore_patterns("__pycache__"))
    dist = site / "csp_console_intune-1.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: csp-console-intune\nVersion: 1.0.0\n")
    (dist / "entry_points.txt").write_text("[csp_console]\nintune = csp_intune\n")
    return site


def test_plugins_check_finds_no_problem(tmp_path: Path) -> None:
    run = console(installed(tmp_path / "site"), "plugins", "check", "intune")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "called:  queue column intune.device on a ticket of intune" in run.stdout
    assert "called:  ticket action intune.wipe on key W (checked, not run: it acts)" in run.stdout
    assert run.stdout.rstrip().endswith("no problems found")


def test_the_command_runs_on_a_workspace(tmp_path: Path, demo_copy: Callable[..., Where]) -> None:
    db = demo_copy("ws")
    run = console(
        installed(tmp_path / "site"), "intune-plans", "--db", str(db), env={"CSP_CONSOLE_AGENT": "kenji.sato"}
    )
    assert run.returncode == 0, run.stderr
    assert "users may enrol devices" in run.stdout or "cannot be enrolled" in run.stdout
    assert (
        console(
            installed(tmp_path / "s2"),
            "intune-plans",
            "nobody",
            "--db",
            str(db),
            env={"CSP_CONSOLE_AGENT": "kenji.sato"},
        ).returncode
        == 1
    )


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        type(self).received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def teams() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    handler = type("Teams", (Hook,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhookb2/x", handler.received
    server.shutdown()


def test_a_resolved_intune_ticket_reaches_the_teams_channel(
    demo_ws: Workspace, tmp_path: Path, teams: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = teams
    intune = load_intune()
    host = load_plugins(installed=False, extra={"intune": intune}, settings={"intune": {"teams_webhook": url}})
    desk = Desk(demo_ws, load_config(tmp_path / "none.toml"), host, "aiko.tanaka", lambda: NOW)
    try:
        plugin_events.announce(desk)
        customer = demo_ws.accounts.customer_ids()[0]
        new = NewTicket(
            customer_id=customer,
            channel="phone",
            title="PC が登録できない",
            service="intune",
            contact_name="佐藤",
            fields=(("intune.device", "LAPTOP-0042"),),
        )
        ticket_id = desk.log_ticket(new)
        desk.set_status(ticket_id, "resolved", "fixed_by_partner")
        assert plugin_events.deliver_events(desk).delivered == 1
    finally:
        desk.close()
    assert received == [
        {"id": f"{ticket_id}:ticket.resolved:1", "text": f"{ticket_id} resolved (fixed_by_partner): PC が登録できない"}
    ]


def _own_tests(site: Path) -> subprocess.CompletedProcess[str]:
    tests = site / "tests"
    shutil.copytree(EXAMPLE / "tests", tests, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(tests)],
        capture_output=True,
        text=True,
        env=env,
        cwd=site,
        check=False,
        timeout=300,
    )


def test_its_own_tests_pass_and_fail_when_it_is_broken(tmp_path: Path) -> None:
    good = _own_tests(installed(tmp_path / "good"))
    assert good.returncode == 0, good.stdout + good.stderr
    broken = installed(tmp_path / "broken")
    code = broken / "csp_intune" / "__init__.py"
    code.write_text(code.read_text(encoding="utf-8").replace("def csp_settings(", "def csp_setting("), encoding="utf-8")
    failed = _own_tests(broken)
    assert failed.returncode != 0
    assert "plugin intune" in failed.stdout and "csp_setting" in failed.stdout


def test_plugins_lists_what_it_adds_by_id(tmp_path: Path) -> None:
    run = console(installed(tmp_path / "site"), "plugins")
    assert run.returncode == 0, run.stderr
    adds = next(line for line in run.stdout.splitlines() if line.startswith("  adds:") and "intune" in line)
    for part in (
        "command intune-plans",
        "column intune.device",
        "section intune.plans",
        "action intune.sync (z)",
        "action intune.wipe (W, dangerous)",
        "intake field intune.device",
        "receiver intune.teams",
        "setting graph_token (secret)",
    ):
        assert part in adds, (part, adds)
