"""Plugins' event receivers (``csp_event_receivers``): ticket events recorded with the change that made them
and delivered from the durable outbox, so a slow or failing receiver never blocks an agent and no event is
lost (issue 21, "Reach")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.background.jobs import console_jobs
from console.desk import plugin_events
from console.desk.door import Desk
from console.plugin_api import Event, EventKind, EventReceiver, Setting, hookimpl
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.settings.config import load_config, write_demo_config
from console.settings.paths import child_env
from console.store import Workspace
from console.tickets.ops import NewTicket
from tests.conftest import NOW
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture

AGENT = "aiko.tanaka"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> Any:
        return self.now


def receiver_plugin(deliver: Callable[[Event, Any], None], kinds: tuple[EventKind, ...] = tuple(EventKind)) -> Any:
    module = types.ModuleType("csp_teams")

    @hookimpl
    def csp_event_receivers() -> list[EventReceiver]:
        return [EventReceiver(id="teams.channel", kinds=kinds, deliver=deliver)]

    @hookimpl
    def csp_settings() -> list[Setting]:
        return [Setting(name="webhook", kind=str, default="")]

    module.csp_event_receivers = csp_event_receivers  # type: ignore[attr-defined]
    module.csp_settings = csp_settings  # type: ignore[attr-defined]
    return module


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    write_demo_config(path)
    return path


def make_desk(ws: Workspace, config_path: Path, plugin: Any, clock: Clock, settings: Any = None) -> Desk:
    host = load_plugins(installed=False, extra={"teams": plugin} if plugin else {}, settings=settings)
    return Desk(ws, load_config(config_path), host, AGENT, clock)


class Hook(BaseHTTPRequestHandler):
    """A Teams-style incoming webhook on 127.0.0.1: records each JSON body posted to it."""

    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    handler = type("RecordingHook", (Hook,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler.received
    server.shutdown()


def post_to_teams(event: Event, settings: Any) -> None:
    text = f"{event.ticket.id} {event.kind.value}: {event.ticket.title}"
    httpx.post(settings["webhook"], json={"id": event.id, "text": text, **event.details}, timeout=5).raise_for_status()


def new_ticket(desk: Desk, title: str = "Teams の通話が切れる") -> str:
    customer = desk.ws.accounts.customer_ids()[0]
    return desk.log_ticket(
        NewTicket(customer_id=customer, channel="phone", title=title, service="office365", contact_name="佐藤")
    )


def test_created_and_resolved_reach_a_webhook_once(
    demo_ws: Workspace, config_path: Path, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    desk = make_desk(demo_ws, config_path, receiver_plugin(post_to_teams), Clock(), {"teams": {"webhook": url}})
    plugin_events.announce(desk)
    ticket_id = new_ticket(desk)
    desk.set_status(ticket_id, "resolved", "fixed_by_partner")
    assert str(plugin_events.deliver_events(desk)) == "2 event(s) delivered, 0 to try again"
    assert [r["text"] for r in received] == [
        f"{ticket_id} ticket.created: Teams の通話が切れる",
        f"{ticket_id} ticket.resolved: Teams の通話が切れる",
    ]
    assert received[0]["channel"] == "phone" and received[1]["resolutionCode"] == "fixed_by_partner"
    assert plugin_events.deliver_events(desk).delivered == 0  # delivered once
    assert len(received) == 2


def test_without_receivers_nothing_is_recorded(demo_ws: Workspace, config_path: Path) -> None:
    desk = make_desk(demo_ws, config_path, None, Clock())
    assert not [j for j in console_jobs(desk, Clock()) if j.name.startswith("plugin-event")]
    ticket_id = new_ticket(desk)
    desk.set_status(ticket_id, "resolved", "fixed_by_partner")
    assert demo_ws.conn.execute("SELECT count(*) FROM plugin_events").fetchone()[0] == 0


def test_only_the_kinds_a_receiver_wants_are_recorded(demo_ws: Workspace, config_path: Path) -> None:
    got: list[Event] = []
    desk = make_desk(demo_ws, config_path, receiver_plugin(lambda e, s: got.append(e), (EventKind.RESOLVED,)), Clock())
    plugin_events.announce(desk)
    ticket_id = new_ticket(desk)
    desk.set_status(ticket_id, "resolved", "fixed_by_partner")
    plugin_events.deliver_events(desk)
    assert [e.kind for e in got] == [EventKind.RESOLVED]
    assert demo_ws.conn.execute("SELECT count(*) FROM plugin_events").fetchone()[0] == 1


def test_a_slow_receiver_never_blocks_and_gets_the_same_event_again(demo_ws: Workspace, config_path: Path) -> None:
    calls: list[str] = []

    def slow(event: Event, settings: Any) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            time.sleep(3)

    clock = Clock()
    desk = make_desk(demo_ws, config_path, receiver_plugin(slow, (EventKind.CREATED,)), clock)
    plugin_events.announce(desk)
    new_ticket(desk)
    started = time.monotonic()
    run = plugin_events.deliver_events(desk, budget=0.3)
    assert time.monotonic() - started < 1.5 and run.failed == 1
    (row,) = demo_ws.plugin_events.deliveries()
    assert row["state"] == "pending" and "did not finish in 0.3 s" in row["lastError"]
    assert plugin_events.deliver_events(desk).delivered == 0  # not due yet: tried again in 30 s
    clock.now = NOW + timedelta(seconds=31)
    assert plugin_events.deliver_events(desk).delivered == 1
    assert calls[0] == calls[1]  # the same id: the receiver can tell it had it


def test_a_failing_receiver_backs_off_and_is_named(demo_ws: Workspace, config_path: Path) -> None:
    def broken(event: Event, settings: Any) -> None:
        raise SystemExit("Teams answered 429")

    clock = Clock()
    desk = make_desk(demo_ws, config_path, receiver_plugin(broken, (EventKind.CREATED,)), clock)
    plugin_events.announce(desk)
    new_ticket(desk)
    waits = []
    for _ in range(4):
        plugin_events.deliver_events(desk)
        (row,) = demo_ws.plugin_events.deliveries()
        waits.append(row["nextAttemptDate"])
        clock.now += timedelta(hours=3)
    assert waits[0] == "2026-11-23T03:00:30Z" and waits[1] == "2026-11-23T06:01:00Z"
    assert row["attempts"] == 4 and row["lastError"] == "raised SystemExit: Teams answered 429"
    (backlog,) = demo_ws.plugin_events.backlog()
    assert backlog == {
        "receiver": "teams.channel",
        "pending": 1,
        "failing": 1,
        "delivered": 0,
        "lastError": row["lastError"],
    }
    assert [plugin_events.retry_after(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


KILLED = textwrap.dedent(
    """
    import sys, time, types
    from pathlib import Path
    from console.desk import plugin_events
    from console.desk.door import Desk
    from console.plugin_api import EventKind, EventReceiver, hookimpl
    from console.plugins.host import load_plugins
    from console.settings.config import load_config
    from console.settings.paths import child_workspace
    from console.shared.clock import utcnow
    from console.store import Workspace

    marker = Path(sys.argv[3])
    module = types.ModuleType("csp_teams")

    def hang(event, settings):
        partial = marker.with_name(marker.name + ".part")
        partial.write_text(event.id)
        partial.replace(marker)  # whole or not at all: the test reads it the moment it appears
        time.sleep(600)

    receiver = EventReceiver(id="teams.channel", kinds=(EventKind.CREATED,), deliver=hang)
    module.csp_event_receivers = hookimpl(lambda: [receiver])
    ws = Workspace.open(child_workspace(sys.argv[1]), create=False)
    host = load_plugins(installed=False, extra={"teams": module})
    desk = Desk(ws, load_config(Path(sys.argv[2])), host, "aiko.tanaka", utcnow)
    plugin_events.deliver_events(desk, budget=600)
    """
)


def test_a_console_killed_mid_delivery_loses_nothing(demo_ws: Workspace, config_path: Path, tmp_path: Path) -> None:
    got: list[Event] = []
    desk = make_desk(demo_ws, config_path, receiver_plugin(lambda e, s: got.append(e), (EventKind.CREATED,)), Clock())
    plugin_events.announce(desk)
    ticket_id = new_ticket(desk)
    marker = tmp_path / "delivering"
    script = tmp_path / "kill.py"
    script.write_text(KILLED, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), "-", str(config_path), str(marker)], env=child_env(demo_ws.locator)
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "the other console never started delivering"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert plugin_events.deliver_events(desk).delivered == 1
    assert got[0].id == marker.read_text() and got[0].ticket.id == ticket_id


def test_escalated_and_microsoft_replied_are_events(sandbox: Sandbox, demo_ws: Workspace, config_path: Path) -> None:
    from tests.test_escalation import pick

    got: list[Event] = []
    kinds = (EventKind.ESCALATED, EventKind.MICROSOFT_REPLIED)
    desk = make_desk(demo_ws, config_path, receiver_plugin(lambda e, s: got.append(e), kinds), Clock())
    plugin_events.announce(desk)
    ticket_id = pick(demo_ws, "azure", "technical")
    stored = desk.escalate(desk.escalation_draft(ticket_id, "advanced"))
    desk.microsoft_sync()
    case = demo_ws.escalations.escalation(stored["id"])["microsoftCaseId"]  # type: ignore[index]
    sandbox.state.respond(case, "Please send the [bold]query plan[/bold].", author="Engineer Sato")
    desk.microsoft_sync()
    plugin_events.deliver_events(desk)
    assert [e.kind for e in got][:1] == [EventKind.ESCALATED]
    assert got[0].details["vehicle"] == "advanced" and got[0].ticket.id == ticket_id
    replies = [e for e in got if e.kind == EventKind.MICROSOFT_REPLIED]
    assert replies[-1].details["author"] == "Engineer Sato"
    assert "Please send the [bold]query plan[/bold]." in replies[-1].details["text"]  # as written: never rendered


def test_plugins_lists_what_each_receiver_is_owed(tmp_path: Path, demo_copy: Callable[..., Where]) -> None:
    from tests.plugin_site import console, install

    source = """
    from console.plugin_api import EventKind, EventReceiver, hookimpl

    def fail(event, settings):
        raise RuntimeError("Teams said 403 [b]Forbidden[/b]")

    @hookimpl
    def csp_event_receivers():
        return [EventReceiver(id="teams.channel", kinds=(EventKind.CREATED,), deliver=fail)]
    """
    site = install(tmp_path / "site", "teams", source)
    db = demo_copy("ws")
    with Workspace.open(db) as ws:
        ws.plugin_events.set_wants({"teams.channel": ["ticket.created"]})
        desk = make_desk(ws, tmp_path / "none.toml", None, Clock())
        new_ticket(desk)
        seq = ws.conn.execute("SELECT seq FROM plugin_events").fetchone()[0]
        ws.plugin_events.failed(seq, "teams.channel", "raised RuntimeError: Teams said 403 [b]Forbidden[/b]", "x")
    listed = console(site, "plugins", "--db", str(db))
    assert (
        "events:   teams.channel: 1 owed, 0 delivered, 1 failing: raised RuntimeError: Teams said 403 [b]Forbidden[/b]"
        in listed.stdout
    )
    as_json = json.loads(console(site, "plugins", "--db", str(db), "--json").stdout)
    (teams,) = [p for p in as_json if p["name"] == "teams"]
    assert teams["events"][0]["pending"] == 1
