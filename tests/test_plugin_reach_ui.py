"""What a plugin adds to the screens (Plugin API 1.0): queue columns, account sections, ticket actions and intake
fields, each driven through the console with Pilot. The Intune example (examples/csp-console-intune) is the
code docs/plugins.md quotes: it is run here."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.content import Content
from textual.pilot import Pilot

from console.desk import reach
from console.desk.door import Desk
from console.desk.roles import RoleDenied
from console.plugin_api import (
    AccountSection,
    ActionContext,
    ActionResult,
    ActionScope,
    CheckContext,
    IntakeField,
    QueueColumn,
    Service,
    TicketAction,
    TicketView,
)
from console.plugins import columns as plugin_columns
from console.plugins.host import load_plugins
from console.screens.account import AccountScreen
from console.screens.dialogs import Confirm, TextPrompt, TypedConfirm
from console.screens.help import HelpScreen
from console.screens.intake import IntakeScreen
from console.screens.ticket import TicketScreen
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.tickets.ops import NewTicket
from console.tickets.queue_query import QueueQuery
from console.widgets.cells import fit
from tests.conftest import NOW, empty_config, set_policy
from tests.reach_plugins import ROOT, intune_ticket, load_intune, plugin
from tests.ui import make_app, settle, table

DOMAIN = "sakura-shoji.co.jp"


def notices(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


def shown(widget: object) -> str:
    """The text a Static shows, as plain characters."""
    from rich.console import Console

    visual = widget.render()  # type: ignore[attr-defined]
    console = Console(width=200, record=True, color_system=None)
    console.print(getattr(visual, "_renderable", visual))
    return console.export_text()


def lines(pilot: Pilot[None], count: int) -> list[str]:
    return [table(pilot).render_line(y).text for y in range(count)]


def intune_host(**more: object) -> Any:
    return load_plugins(extra={"intune": load_intune(), **more})


async def intune_queue(pilot: Pilot[None]) -> list[str]:
    """Three Intune tickets (devices with Japanese names among them), the queue on Intune and Microsoft 365."""
    await settle(pilot)
    app: Any = pilot.app
    for device, title in (
        ("会議室PC-01", "Intune の登録ができない"),
        ("LAPTOP-7K2Q", "Compliance"),
        ("受付iPad", "iPad"),
    ):
        intune_ticket(app.desk, DOMAIN, device, title)
    app.screen.show_query(QueueQuery(services=("intune", "office365"), sort="created", descending=True))
    await settle(pilot)
    return [device for device in ("会議室PC-01", "LAPTOP-7K2Q", "受付iPad")]


# -- queue columns ---------------------------------------------------------------------------------------------


async def test_a_plugin_column_comes_after_the_builtin_ones_cut_to_its_width_in_cells(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path, host=intune_host())
    async with app.run_test(size=(80, 24)) as pilot:
        devices = await intune_queue(pilot)
        header, *rows = lines(pilot, 8)
        assert header.rstrip().endswith("St   Device")  # after the status, the built-in columns' last
        for row in [header, *rows]:
            assert cell_len(row) == table(pilot).content_width  # double-width text lines up
        # Newest first: the three Intune tickets, then Microsoft 365 ones (another service: an empty cell).
        for row, device in zip(rows, reversed(devices), strict=False):
            assert row.endswith(fit(device, 12))
        assert rows[0].endswith("受付iPad    ") and rows[2].endswith("会議室PC-01 ")
        assert rows[3].endswith(" " * 12) and "CSP-" in rows[3]


async def test_a_column_is_left_out_of_a_view_of_other_services(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path, host=intune_host())
    async with app.run_test(size=(120, 24)) as pilot:
        await intune_queue(pilot)
        assert "Device" in lines(pilot, 1)[0]
        app.screen.show_query(QueueQuery(services=("azure",)))  # type: ignore[attr-defined]
        await settle(pilot)
        assert "Device" not in lines(pilot, 1)[0]


async def test_values_are_computed_for_the_rows_in_sight_only_once_each(demo_ws: Workspace, tmp_path: Path) -> None:
    seen: list[str] = []

    def value(ticket: TicketView) -> str:
        seen.append(ticket.id)
        assert ticket.body == "" and ticket.channel  # built from the queue's row: no description read
        return ticket.severity.value

    counter = plugin(
        "count", csp_queue_columns=lambda: [QueueColumn(id="count.sev", title="Sev", width=4, value=value)]
    )
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"count": counter}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        in_sight = table(pilot).rows_visible
        assert table(pilot).count > 3 * in_sight
        assert 0 < len(seen) <= in_sight and len(set(seen)) == len(seen)
        first = list(seen)
        table(pilot).refresh()
        await settle(pilot)
        assert seen == first  # repainting asks nothing again
        await pilot.press("pagedown", "pagedown")  # the cursor to the foot of the screen, then a screen on
        await settle(pilot)
        assert in_sight < len(seen) <= 2 * in_sight


@pytest.mark.parametrize("kind", ["raises", "slow", "not text"])
async def test_a_column_that_fails_or_is_slow_is_hidden_and_the_agent_told_why(
    kind: str, demo_ws: Workspace, tmp_path: Path
) -> None:
    def value(ticket: TicketView) -> Any:
        if kind == "raises":
            raise ValueError("no such device")
        if kind == "slow":
            time.sleep(0.01)  # a page of 20 rows: 200 ms
            return "x"
        return 42

    bad = plugin(
        "slowpoke", csp_queue_columns=lambda: [QueueColumn(id="slowpoke.c", title="Slow", width=6, value=value)]
    )
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"slowpoke": bad}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert "Slow" not in lines(pilot, 1)[0]
        told = [n for n in notices(app) if "slowpoke" in n]
        assert len(told) == 1 and "hidden for this session" in told[0]
        expected = {"raises": "raised ValueError: no such device", "slow": "ms for one page (the limit is 50 ms)"}
        assert expected.get(kind, "returned int, expected text") in told[0]
        await pilot.press("pagedown")  # hidden for the session: not asked again
        await settle(pilot)
        assert len([n for n in notices(app) if "slowpoke" in n]) == 1


def test_a_column_that_hangs_costs_one_wait_and_is_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    hung = plugin_columns.ColumnCells(
        [
            plugin_columns.Registered(
                "hang", QueueColumn(id="hang.c", title="H", width=2, value=lambda t: str(release.wait()))
            )
        ],
        wait=0.1,
    )
    from tests.test_queue_columns import _row as queue_row

    start = time.monotonic()
    hidden = hung.compute([queue_row()])
    release.set()
    assert time.monotonic() - start < 1 and [h.column for h in hidden] == ["hang.c"]
    assert "did not come within 0.1 s" in hidden[0].sentence() and not hung.shown()


# -- account sections ------------------------------------------------------------------------------------------

HOSTILE = [
    "[b]bold?[/b]",
    "[@click=app.quit]quit?[/]",
    "\x1b[31mred\x1b[0m tab\there",
    *[f"line {n}" for n in range(3, 30)],
]


def _sections(threads: list[str]) -> Any:
    def hostile(ctx: CheckContext) -> list[str]:
        threads.append(threading.current_thread().name)
        return HOSTILE

    def broken(ctx: CheckContext) -> list[str]:
        raise RuntimeError("Graph said 503")

    return plugin(
        "acme",
        csp_account_sections=lambda: [
            AccountSection(id="acme.notes", title="Acme [i]notes[/i]", lines=hostile),
            AccountSection(id="acme.broken", title="Acme devices", lines=broken),
            AccountSection(id="acme.d365", title="Acme D365", lines=hostile, services=("nosuch",)),
        ],
    )


async def test_sections_run_in_a_worker_and_show_literally_cut_to_width(demo_ws: Workspace, tmp_path: Path) -> None:
    threads: list[str] = []
    app = make_app(demo_ws, tmp_path, host=intune_host(acme=_sections(threads)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_account(demo_ws.accounts.find_customer("yamada-koumuten.jp"))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        text = shown(screen.query_one("#plugin-sections"))
        assert threads and threading.main_thread().name not in threads
        assert "Acme [i]notes[/i]" in text and "[b]bold?[/b]" in text and "[@click=app.quit]quit?[/]" in text
        assert "\x1b" not in text and "␛[31mred␛[0m tab here" in text  # escapes made visible
        assert "line 19" in text and "line 20" not in text  # 20 lines at most
        assert "only the first 20 lines are shown" in text
        assert "plugin acme: section failed: RuntimeError: Graph said 503" in text
        assert "Acme D365" not in text  # a service the customer has no subscription of
        assert "Microsoft 365 Business Premium: 57 of 60 users may enrol devices" in text  # the example's section
        assert "有限会社ヤマダ工務店" in shown(screen.query_one("#account-header"))  # the rest of the screen works
        assert app.is_running


async def test_a_section_past_its_budget_says_so(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reach, "SECTION_BUDGET", 0.2)
    release = threading.Event()
    slow = plugin(
        "slow",
        csp_account_sections=lambda: [AccountSection(id="slow.s", title="Slow", lines=lambda c: [str(release.wait())])],
    )
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"slow": slow}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_account(demo_ws.accounts.find_customer(DOMAIN))
        await settle(pilot)
        release.set()
        assert "plugin slow: section failed: it did not finish in 0.2 s" in shown(
            app.screen.query_one("#plugin-sections")
        )


# -- ticket actions --------------------------------------------------------------------------------------------


def _action_plugin(calls: list[tuple[str, str]], **action: Any) -> Any:
    def run(ctx: ActionContext) -> ActionResult:
        calls.append((threading.current_thread().name, ctx.ticket.id))
        assert ctx.account.ticket is None and ctx.account.customer.id == ctx.ticket.customer_id
        return ActionResult(message="Done [b]really[/b]", note="Checked by the robot")

    fields = {"id": "robot.go", "key": "ctrl+g", "label": "Robot [i]go[/i]", "run": run, **action}
    return plugin("robot", csp_ticket_actions=lambda: [TicketAction(**fields)])


async def _ticket(pilot: Pilot[None], ticket_id: str) -> TicketScreen:
    await settle(pilot)
    pilot.app.open_ticket(ticket_id)  # type: ignore[attr-defined]
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen)
    return screen


async def test_an_action_runs_off_the_screen_and_its_note_goes_through_the_door(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    calls: list[tuple[str, str]] = []
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"robot": _action_plugin(calls)}))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ticket(pilot, "CSP-000010")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert calls and calls[0][1] == "CSP-000010" and calls[0][0] != threading.main_thread().name
        assert "Done [b]really[/b]" in notices(app)  # literally
        timeline = shown(app.screen.query_one("#timeline"))
        assert "Checked by the robot" in timeline and "— Robot [i]go[/i] (plugin robot)" in timeline
        audit = demo_ws.agents.audit_since(entity="ticket", entity_id="CSP-000010")
        row = next(a for a in audit if a["action"] == "ticket.plugin_action")
        assert row["agent"] == "aiko.tanaka" and row["detail"]["events"] == ["note"]
        assert {k: row["detail"][k] for k in ("plugin", "action", "outcome")} == {
            "plugin": "robot",
            "action": "robot.go",
            "outcome": "done",
        }


async def test_confirm_asks_first(demo_ws: Workspace, tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []
    robot = _action_plugin(calls, confirm="Really [b]run[/b] it?")
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"robot": robot}))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ticket(pilot, "CSP-000010")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and "Really [b]run[/b] it?" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert not calls
        await pilot.press("ctrl+g")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert len(calls) == 1


async def test_a_dangerous_action_goes_on_only_once_the_ticket_number_is_typed(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    calls: list[tuple[str, str]] = []
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"robot": _action_plugin(calls, dangerous=True)}))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ticket(pilot, "CSP-000010")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, TypedConfirm) and "CSP-000010" in app.screen.title_text
        await pilot.press(*"11", "enter")
        await settle(pilot)
        assert not calls and any("CSP-000010 was not typed" in n for n in notices(app))
        await pilot.press("ctrl+g")
        await settle(pilot)
        await pilot.press(*"CSP-000010", "enter")
        await settle(pilot)
        assert len(calls) == 1


async def test_a_queue_action_works_on_the_selected_row_and_a_ticket_one_does_not(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    calls: list[tuple[str, str]] = []
    queue = _action_plugin(calls, scope=ActionScope.QUEUE)
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"robot": queue}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "ctrl+g")
        await settle(pilot)
        assert calls == [(calls[0][0], table(pilot).row_at(1).id)]  # type: ignore[union-attr]
    calls.clear()
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"robot": _action_plugin(calls)}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert not calls


@pytest.mark.parametrize("kind", ["raises", "hangs", "not a result"])
async def test_a_failing_action_is_told_naming_plugin_and_action_and_the_console_goes_on(
    kind: str, demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reach, "ACTION_BUDGET", 0.3)
    release = threading.Event()

    def run(ctx: ActionContext) -> Any:
        if kind == "raises":
            raise ConnectionError("Graph unreachable")
        if kind == "hangs":
            release.wait()
        return "done"

    robot = _action_plugin([], run=run)
    app = make_app(demo_ws, tmp_path, host=load_plugins(extra={"robot": robot}))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ticket(pilot, "CSP-000010")
        await pilot.press("ctrl+g")
        await settle(pilot)
        release.set()
        said = {
            "raises": "action robot.go of plugin robot failed: ConnectionError: Graph unreachable",
            "hangs": "action robot.go of plugin robot did not finish in 0.3 s",
            "not a result": "action robot.go of plugin robot returned str, not ActionResult",
        }[kind]
        assert said in notices(app)
        await pilot.press("n")  # the console goes on: a note of the agent's own
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)


def test_the_budget_of_an_action_is_ten_seconds() -> None:
    from console.plugins.budget import seconds_text

    assert reach.ACTION_BUDGET == 10.0 and seconds_text(reach.ACTION_BUDGET) == "10 s"


async def test_a_key_the_console_binds_is_refused_at_load_naming_the_plugin(demo_ws: Workspace, tmp_path: Path) -> None:
    def run(ctx: ActionContext) -> ActionResult:
        return ActionResult(message="ran")

    clashing = plugin(
        "clash",
        csp_ticket_actions=lambda: [
            TicketAction(id="clash.claim", key="c", label="Claims", run=run),  # the ticket screen's claim
            TicketAction(id="clash.filter", key="f", label="F", run=run, scope=ActionScope.QUEUE),  # the queue's
            TicketAction(id="clash.help", key="?", label="Help", run=run),  # everywhere
            TicketAction(id="clash.slash", key="slash", label="Slash", run=run),  # the queue's search, a ticket key
            TicketAction(id="clash.ok", key="p", label="Fine", run=run),
            TicketAction(id="clash.twice", key="p", label="Again", run=run),  # taken by the one above
        ],
    )
    host = load_plugins(extra={"clash": clashing})
    app = make_app(demo_ws, tmp_path, host=host)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        errors = host.plugins["clash"].errors
        assert (
            "ticket action clash.claim refused: its key 'c' is taken on the ticket screen by Claim (ticket.claim)"
            in errors
        )
        assert (
            "ticket action clash.filter refused: its key 'f' is taken on the queue by Filter (queue.filter)" in errors
        )
        assert any(e.startswith("ticket action clash.help refused: its key '?'") for e in errors)
        assert any(e.startswith("ticket action clash.twice refused: its key 'p' is taken") for e in errors)
        assert not any("clash.ok" in e or "clash.slash" in e for e in errors)
        assert any("clash.claim" in n for n in notices(app))  # told, as the plugins' load errors are
        screen = await _ticket(pilot, "CSP-000010")
        ids = {a.binding.id for a in screen.active_bindings.values()}
        assert {"plugin.clash.ok", "plugin.clash.slash"} <= ids and "plugin.clash.claim" not in ids


async def test_actions_are_listed_in_help_and_the_palette_literally(demo_ws: Workspace, tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []
    app = make_app(demo_ws, tmp_path, host=intune_host(robot=_action_plugin(calls)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = {row[2]: row for _, group in help_screen.groups for row in group}
        assert rows["plugin.intune.sync"][0] == "z"  # the queue's own: in front
        assert "Robot [i]go[/i] (plugin robot), on the ticket screen" in rows["plugin.robot.go"][1]
        assert "dangerous: Wipe the device (plugin intune)" in rows["plugin.intune.wipe"][1]
        await pilot.press("escape")
        screen = await _ticket(pilot, "CSP-000010")
        commands = {Content.from_markup(c.title).plain: c for c in app.get_system_commands(screen)}
        assert "Robot [i]go[/i] (plugin robot)" in commands
        commands["Robot [i]go[/i] (plugin robot)"].callback()
        await settle(pilot)
        assert calls


def _desk(ws: Workspace, tmp_path: Path, host: Any, agent: str = "aiko.tanaka") -> Desk:
    write_demo_config(tmp_path / "d.toml")
    return Desk(ws, load_config(tmp_path / "d.toml"), host, agent, lambda: NOW)


def test_an_action_needs_its_role_and_a_ticket_of_its_services(demo_ws: Workspace, tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []
    host = load_plugins(extra={"robot": _action_plugin(calls, services=("intune",)), "intune": load_intune()})
    desk = _desk(demo_ws, tmp_path, host)
    try:
        with pytest.raises(reach.NotForThisTicket, match="is for tickets of Microsoft Intune; CSP-000010 is not one"):
            desk.reach.run_action("CSP-000010", "robot.go")
        ticket = intune_ticket(desk, DOMAIN, "PC-1", "Sync please")
        done = desk.reach.run_action(ticket, "intune.sync")
        assert done.ok and done.noted and done.message == "Sync sent to PC-1."
        set_policy(demo_ws, {"roles.ticket.plugin_action": ["global_admin"]})
    finally:
        desk.close()
    refused = _desk(demo_ws, tmp_path, host)
    try:
        with pytest.raises(RoleDenied, match=r"may not ticket\.plugin_action"):
            refused.reach.run_action(ticket, "robot.go")
        assert not calls
    finally:
        refused.close()


# -- intake fields ---------------------------------------------------------------------------------------------


async def _intake(pilot: Pilot[None], service: str) -> IntakeScreen:
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    await pilot.press(*"さくら", "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IntakeScreen)
    screen.query_one("#service").value = service  # type: ignore[attr-defined]
    await settle(pilot)
    return screen


async def test_intake_shows_the_fields_of_the_service_and_keeps_them_with_the_ticket(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(demo_ws, tmp_path, host=intune_host())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _intake(pilot, "azure")
        assert not screen.query("#plugin-field-0")
        screen = await _intake_service(pilot, screen, "intune")
        screen.query_one("#plugin-field-0").value = "会議室PC-01"  # type: ignore[attr-defined]
        screen.query_one("#plugin-field-1").value = "Windows"  # type: ignore[attr-defined]
        screen.query_one("#title").value = "Intune の登録ができない"  # type: ignore[attr-defined]
        screen.query_one("#contact-name").value = "山田 太郎"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        logged = [m for m in notices(app) if m.startswith("Logged ")]
        assert logged, (notices(app), shown(screen.query_one("#intake-error")))
        ticket_id = logged[0].split()[1].rstrip(".")
    row = demo_ws.tickets.ticket(ticket_id)
    assert row is not None and demo_ws.tickets.fields_of(row["seq"]) == {
        "intune.device": "会議室PC-01",
        "intune.platform": "Windows",
    }
    desk = _desk(demo_ws, tmp_path, intune_host())
    try:
        ctx = desk.triage.context(row["customerId"], row)
        assert ctx.ticket is not None and dict(ctx.ticket.fields) == {
            "intune.device": "会議室PC-01",
            "intune.platform": "Windows",
        }
    finally:
        desk.close()
    created = next(a for a in demo_ws.agents.audit_since(entity="ticket", entity_id=ticket_id))
    assert created["action"] == "ticket.create" and "会議室PC-01" in str(created["detail"])


async def _intake_service(pilot: Pilot[None], screen: IntakeScreen, service: str) -> IntakeScreen:
    screen.query_one("#service").value = service  # type: ignore[attr-defined]
    await settle(pilot)
    return screen


async def test_a_bad_field_is_named_beside_it_and_nothing_is_saved(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path, host=intune_host())
    before = demo_ws.conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _intake(pilot, "intune")
        screen.query_one("#plugin-field-0").value = "PC 01"  # type: ignore[attr-defined]
        screen.query_one("#title").value = "Enrolment"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = shown(screen.query_one("#plugin-field-0-error"))
        assert "A device name has no spaces" in error
        assert "field of the service needs a change" in shown(screen.query_one("#intake-error"))
        assert screen.query_one("#plugin-field-0").has_focus
        assert not screen.query_one("#plugin-field-1-error").display
        screen.query_one("#plugin-field-0").value = ""  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Required." in shown(screen.query_one("#plugin-field-0-error"))
    assert demo_ws.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == before


def test_the_desk_checks_every_rule_of_a_field_and_a_check_that_raises_is_named(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    def check(value: str) -> str | None:
        if value == "boom":
            raise KeyError("lookup")
        return None

    fussy = plugin(
        "fussy",
        csp_services=lambda: [Service(id="fussy", name="Fussy")],
        csp_intake_fields=lambda: [
            IntakeField(id="fussy.code", service="fussy", label="Code", max_length=4, check=check),
            IntakeField(id="fussy.tier", service="fussy", label="Tier", choices=("gold", "silver")),
        ],
    )
    desk = _desk(demo_ws, tmp_path, load_plugins(extra={"fussy": fussy}))
    customer = demo_ws.accounts.find_customer(DOMAIN)

    def log(**fields: str) -> str:
        new = NewTicket(customer, "phone", "t", contact_name="x", service="fussy", fields=tuple(fields.items()))
        return desk.log_ticket(new)

    try:
        with pytest.raises(reach.PluginFieldErrors) as refused:
            log(**{"fussy.code": "toolong", "fussy.tier": "bronze"})
        assert refused.value.errors == {
            "fussy.code": "At most 4 characters (this is 7).",
            "fussy.tier": "Choose one of: gold, silver",
        }
        with pytest.raises(reach.PluginFieldErrors) as raised:
            log(**{"fussy.code": "boom"})
        assert raised.value.errors == {"fussy.code": "plugin fussy: the check of fussy.code failed: KeyError: 'lookup'"}
        ticket = log(**{"fussy.code": " ok ", "fussy.tier": "gold", "other.field": "dropped"})
        seq = demo_ws.tickets.ticket(ticket)["seq"]  # type: ignore[index]
        assert demo_ws.tickets.fields_of(seq) == {"fussy.code": "ok", "fussy.tier": "gold"}
    finally:
        desk.close()


def test_the_plugin_fields_table_refuses_a_foreign_write(demo_ws: Workspace) -> None:
    import sqlite3

    from tests.foreign_conn import foreign_connection

    foreign = foreign_connection(demo_ws)
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such function: csp_door"):
            foreign.execute("INSERT INTO ticket_fields (ticketSeq, plugin, fieldId, value) VALUES (1, 'x', 'x.y', 'z')")
    finally:
        foreign.close()
    assert demo_ws.conn.execute("SELECT count(*) FROM ticket_fields WHERE plugin = 'x'").fetchone()[0] == 0


# -- the docs quote the example that runs here -----------------------------------------------------------------


def test_the_docs_quote_the_example_plugin_as_it_is() -> None:
    source = load_intune().__file__
    assert source is not None
    code = Path(source).read_text(encoding="utf-8")
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    parts = re.findall(r"^# docs: (\S+)\n(.*?)^# /docs$", code, re.S | re.M)
    assert [name for name, _ in parts] == [
        "queue-column",
        "account-section",
        "ticket-actions",
        "intake-fields",
        "settings",
        "command",
        "event-receiver",
    ]
    for name, part in parts:
        part = part.rstrip() + "\n"
        assert f"```python\n{part}```" in doc, f"docs/plugins.md does not quote the example's {name} as it is"


async def test_a_tickets_intake_fields_are_shown_on_it_and_by_ticket_show(
    demo_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, the values were kept but shown nowhere (a new plugin author's trial).
    app = make_app(demo_ws, tmp_path, host=intune_host())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ticket_id = intune_ticket(app.desk, DOMAIN, "受付[b]iPad", "iPad が登録できない")
        screen = await _ticket(pilot, ticket_id)
        header = screen.query_one("#ticket-header")
        from tests.test_ui_ticket import shown

        assert "Device name 受付[b]iPad" in shown(header)  # its label, the value literally
    from console.cli.main import main

    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")
    assert (
        main(["ticket", "show", ticket_id, "--db", str(demo_ws.locator), "--config", str(empty_config(tmp_path))]) == 0
    )
    assert "  intune.device: 受付[b]iPad" in capsys.readouterr().out
    assert (
        main(
            [
                "ticket",
                "show",
                ticket_id,
                "--json",
                "--db",
                str(demo_ws.locator),
                "--config",
                str(empty_config(tmp_path)),
            ]
        )
        == 0
    )
    assert '"fields": {"intune.device": "受付[b]iPad"' in capsys.readouterr().out
