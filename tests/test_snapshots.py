"""SVG snapshots of every screen at 80x24 and 160x48, hostile text included (fixed clock, no blink): each also
without colour at 80x24 (NO_COLOR, ``-nocolor``), and the main screens in the light theme (``-light``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.sandbox import catalog
from console.store import Workspace
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.ui import make_app, settle, table

SIZES = [(80, 24), (160, 48)]
Steps = Callable[[Pilot[None]], Awaitable[None]]


async def queue(pilot: Pilot[None]) -> None:
    await settle(pilot)


async def queue_hostile(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.screen.show_query(QueueQuery(statuses=(), sort="id"))  # type: ignore[attr-defined]
    await settle(pilot)


async def ticket(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_ticket(table(pilot).current_row.id)  # type: ignore[attr-defined, union-attr]
    await settle(pilot)


async def ticket_hostile(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_ticket("CSP-000001")  # type: ignore[attr-defined]
    await settle(pilot)


async def ticket_escapes(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_ticket("CSP-000003")  # type: ignore[attr-defined]
    await settle(pilot)


async def account(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await pilot.press("o")
    await settle(pilot)


async def intake(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    await pilot.press(*"さくら")
    await settle(pilot)


async def intake_refused(pilot: Pilot[None]) -> None:
    """A save refused with the form scrolled to its end: the error in sight, the bad field marked and focused."""
    await intake(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press(*"Sato", "tab", *"not-an-email", *["tab"] * 6, *"Invoice", "tab", *"Please check")
    await pilot.press("ctrl+s")
    await settle(pilot)


async def time_refused(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await pilot.press("l")
    await settle(pilot)
    await pilot.press(*"half an hour", "enter")
    await settle(pilot)


async def help_screen(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def filters(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("u")  # one customer's tickets: a short, still list behind the dialog
    await settle(pilot)
    await pilot.press("f")
    await settle(pilot)


async def note(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await pilot.press("n", *"金額を確認しました [b]ok[/b]")
    await settle(pilot)


def _cache_catalogue(pilot: Pilot[None]) -> None:
    """The Azure Support API's lists as a previous session cached them (no network in snapshots)."""
    ws = pilot.app.workspace  # type: ignore[attr-defined]
    ws.microsoft.replace_catalog(
        "service", None, [{**s, "displayName": s["properties"]["displayName"]} for s in catalog.services()]
    )
    for name, problems in catalog.problem_classifications().items():
        ws.microsoft.replace_catalog(
            "problem", name, [{**p, "displayName": p["properties"]["displayName"]} for p in problems]
        )


async def escalate_vehicles(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_ticket("CSP-000161")  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)


async def escalate_azure(pilot: Pilot[None]) -> None:
    _cache_catalogue(pilot)
    await escalate_vehicles(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def escalate_api(pilot: Pilot[None]) -> None:
    """An Azure case through the Azure Support API (VMs down): the service and problem preselected by its words."""
    _cache_catalogue(pilot)
    await settle(pilot)
    ws = pilot.app.workspace  # type: ignore[attr-defined]
    row = ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND service = 'azure' AND category = 'technical' "
        "AND title LIKE 'Production VMs%' ORDER BY seq LIMIT 1"
    ).fetchone()
    pilot.app.open_ticket(row[0])  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def escalate_dropdown(pilot: Pilot[None]) -> None:
    """The service list open: inside the form, above the key bar."""
    await escalate_api(pilot)
    pilot.app.screen.query_one("#esc-service").focus()
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def escalate_handoff(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_ticket("CSP-000001")  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def ticket_escalated(pilot: Pilot[None]) -> None:
    """A ticket waiting on Microsoft, with a case, Microsoft's (hostile) answer and a failed delivery."""
    await settle(pilot)
    desk = pilot.app.desk  # type: ignore[attr-defined]
    esc = desk.escalate(desk.escalation_draft("CSP-000001", "signature"), "2611230000042")
    desk.ws.escalations.record_microsoft_update(
        esc["id"],
        microsoft_state="open",
        closed=False,
        messages=[
            {
                "key": "n1",
                "author": "Microsoft Support",
                "createdDate": "2026-11-23T02:00:00Z",
                "text": "金額を確認しました [bold]done[/] \x1b[31mred\x1b[0m",
            }
        ],
        agent="microsoft-sync",
    )
    await toasts_shown(pilot)  # Microsoft's answer is a notice to who escalated: its toast is not this snapshot's
    pilot.app.open_ticket("CSP-000001")  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("G")
    await settle(pilot)


async def health(pilot: Pilot[None]) -> None:
    await settle(pilot)
    # The trend's sample of now taken before the board opens, as the background job takes it when it runs first:
    # when the board's own refresh took it instead, its repaint raced the snapshot (the last bar, 206 or 219).
    pilot.app.desk.sample_health(NOW)  # type: ignore[attr-defined]
    await pilot.press("h")
    await settle(pilot)


async def collections(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)
    await pilot.press("down", "down")  # a customer with a Japanese name, its actions in the detail
    await settle(pilot)


async def suspend_confirm(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)


async def payment(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)
    await pilot.press("down", "p")
    await settle(pilot)


async def account_bills(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_account(pilot.app.workspace.accounts.find_customer("yamada-koumuten.jp"))  # type: ignore[attr-defined]
    await settle(pilot)
    for _ in range(30):
        await pilot.press("j")
    await settle(pilot)


async def directory(pilot: Pilot[None]) -> None:
    """The customer directory, found by a caller's two-character name: customers with the callers matched."""
    await settle(pilot)
    await pilot.press("C")
    await settle(pilot)
    await pilot.press(*"山田")
    await settle(pilot)


async def command_help(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("colon", *"help", "enter")
    await settle(pilot)


async def command_error(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("colon", *"frobnicate", "enter")
    await settle(pilot)


async def account_many(pilot: Pilot[None]) -> None:
    """A customer with 54 open tickets: all listed, the count in the title, the list focused and scrolled."""
    from console.tickets.ops import NewTicket

    await settle(pilot)
    desk = pilot.app.desk  # type: ignore[attr-defined]
    cid = desk.ws.accounts.find_customer("sakura-shoji.co.jp")
    for n in range(40):
        desk.log_ticket(NewTicket(cid, "phone", f"請求書の金額を確認したい ({n + 1})", contact_name="山田 太郎"))
    pilot.app.open_account(cid)  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("tab", *["j"] * 12)
    await settle(pilot)


async def assign(pilot: Pilot[None]) -> None:
    await ticket(pilot)
    await pilot.press("a")
    await settle(pilot)


async def delete_view(pilot: Pilot[None]) -> None:
    """Saved views with long and Japanese names: the bar keeps the current one in sight; deleting it asks."""
    ws = pilot.app.workspace  # type: ignore[attr-defined]
    for name in ("請求", "Sev A overdue in Tokyo and Osaka", "東京 重大度A と B のエスカレーション待ち"):
        ws.queue.save_view("aiko.tanaka", name, QueueQuery(categories=("billing",)).to_json())
    await settle(pilot)
    await pilot.press("9")
    await settle(pilot)
    await pilot.press("D")
    await settle(pilot)


async def queue_marked(pilot: Pilot[None]) -> None:
    """Five tickets marked (two with space, three by a range), the cursor back on a marked one."""
    await settle(pilot)
    await pilot.press("space", "space", "j", "V", "j", "j", "V", "k")
    await settle(pilot)


async def bulk_confirm(pilot: Pilot[None]) -> None:
    await queue_marked(pilot)
    await pilot.press("x", "enter")  # resolve, "Question answered"
    await settle(pilot)


async def bulk_result(pilot: Pilot[None]) -> None:
    await bulk_confirm(pilot)
    await pilot.press("y")
    await settle(pilot)


async def toasts_shown(pilot: Pilot[None]) -> None:
    """Wait until the console has toasted the agent's notices (within a poll), then clear the toasts: a
    snapshot taken while one may or may not have arrived would differ from run to run."""
    app = pilot.app
    app.settle()  # type: ignore[attr-defined]
    latest = app.desk.notices.last_id()  # type: ignore[attr-defined]
    for _ in range(100):
        if (app.notice_feed.after or 0) >= latest:  # type: ignore[attr-defined]
            break
        await pilot.pause(0.05)
    await settle(pilot)
    app.clear_notifications()


def _other_desk(pilot: Pilot[None], agent: str = "li.wei") -> object:
    """Another agent's console on the same workspace file (its own connection, the frozen clock)."""
    from console.desk.door import Desk
    from console.plugins.host import load_plugins
    from console.settings.config import Config

    ws = Workspace.open(pilot.app.workspace.locator, clock=lambda: NOW)  # type: ignore[attr-defined]
    return Desk(ws, Config(), load_plugins(), agent, lambda: NOW)


async def notices(pilot: Pilot[None]) -> None:
    """The list of notices: a takeover (a hostile title), Microsoft's reply and a suspension with hostile text,
    the breach sweep's warnings; one already seen."""
    from console.notices import kinds

    await settle(pilot)
    app = pilot.app
    app.settle()  # type: ignore[attr-defined]
    desk = app.desk  # type: ignore[attr-defined]
    ws = app.workspace  # type: ignore[attr-defined]
    for ticket_id in ("CSP-000001", "CSP-000005"):
        desk.claim(ticket_id, takeover=True)
    other = _other_desk(pilot)
    other.claim("CSP-000001", takeover=True)  # type: ignore[attr-defined]
    other.claim("CSP-000005", takeover=True)  # type: ignore[attr-defined]
    hostile = "Please run \x1b[2J and send [@click=app.quit]the logs[/] \u202eevil"
    with ws.transaction():
        ws.notices.add(
            "aiko.tanaka",
            "microsoft",
            kinds.microsoft_replied("CSP-000003", "2611230010000001", 2, "Engineer [red]Sato[/red]", hostile),
            ticket_id="CSP-000003",
        )
        ws.notices.add(
            "aiko.tanaka",
            "suspension",
            kinds.suspended("株式会社さくら商事 [bold]", "tom.becker", 3),
            customer_id="c-1",
        )
    soon = ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND slaPausedSince IS NULL AND slaDueDate > ? ORDER BY slaDueDate",
        ("2026-11-23T03:00:00Z",),
    ).fetchone()[0]
    desk.claim(soon, takeover=True)  # due within the hour: the breach sweep warns its assignee
    desk.notices.warn_breaching()
    desk.notices.mark_seen([ws.notices.recent("aiko.tanaka")[-1]["id"]])
    await toasts_shown(pilot)
    await pilot.press("N")
    await settle(pilot)


async def queue_changed(pilot: Pilot[None]) -> None:
    """The queue with the "changed since you looked" mark: opened by the agent, then noted by another."""
    await settle(pilot)
    app = pilot.app
    app.settle()  # type: ignore[attr-defined]
    other = _other_desk(pilot)
    for n in (0, 2):
        ticket_id = table(pilot).row_at(n).id  # type: ignore[union-attr]
        app.desk.notices.see_ticket(ticket_id)  # type: ignore[attr-defined]
        other.note(ticket_id, "Customer called back.")  # type: ignore[attr-defined]
    taken = table(pilot).row_at(3).id  # type: ignore[union-attr]
    app.desk.claim(taken, takeover=True)  # type: ignore[attr-defined]
    other.claim(taken, takeover=True)  # type: ignore[attr-defined]  # a notice: counted in the queue's title
    await toasts_shown(pilot)  # a poll: the marks and the count of unseen notices are shown


#: Screens a Billing admin sees (the others are the helpdesk agent's).
BILLING_ADMIN_SCREENS = {"collections", "suspend_confirm", "payment", "account_bills"}

SCREENS: dict[str, Steps] = {
    "queue": queue,
    "queue_hostile": queue_hostile,
    "ticket": ticket,
    "ticket_hostile": ticket_hostile,
    "ticket_escapes": ticket_escapes,
    "account": account,
    "intake": intake,
    "intake_refused": intake_refused,
    "time_refused": time_refused,
    "help": help_screen,
    "filters": filters,
    "note": note,
    "escalate_vehicles": escalate_vehicles,
    "escalate_azure": escalate_azure,
    "escalate_api": escalate_api,
    "escalate_dropdown": escalate_dropdown,
    "escalate_handoff": escalate_handoff,
    "ticket_escalated": ticket_escalated,
    "health": health,
    "collections": collections,
    "suspend_confirm": suspend_confirm,
    "payment": payment,
    "account_bills": account_bills,
    "directory": directory,
    "command_help": command_help,
    "command_error": command_error,
    "account_many": account_many,
    "assign": assign,
    "delete_view": delete_view,
    "queue_marked": queue_marked,
    "bulk_confirm": bulk_confirm,
    "bulk_result": bulk_result,
    "notices": notices,
    "queue_changed": queue_changed,
}


#: Screens also shown in the light theme ([console] theme = "textual-light"), at 80x24.
LIGHT_SCREENS = ("queue", "ticket", "health")

#: (screen, size, look): every screen at both sizes in colour (""), and without colour ("nocolor") at 80x24, so a
#: screen added to SCREENS gets its NO_COLOR snapshot too (at 160x48 it was the same styles laid out wider: a
#: second of the suite's CPU each, 34 in all, dropped on 2026-12-07 to keep `make test` under ten minutes); the
#: light theme for LIGHT_SCREENS.
CASES = [
    *((name, size, "") for name in SCREENS for size in SIZES),
    *((name, (80, 24), "nocolor") for name in SCREENS),
    *((name, (80, 24), "light") for name in LIGHT_SCREENS),
]


def _case_id(case: tuple[str, tuple[int, int], str]) -> str:
    name, (width, height), look = case
    return f"{name}-{width}x{height}" + (f"-{look}" if look else "")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_snapshot(
    snap_compare: object,
    demo_copy: Callable[..., Where],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str, tuple[int, int], str],
) -> None:
    name, size, look = case
    if look == "nocolor":
        monkeypatch.setenv("NO_COLOR", "1")  # read by the app when it is made
    target = demo_copy("snap")
    agent = "tom.becker" if name in BILLING_ADMIN_SCREENS else "aiko.tanaka"
    # What the steps write (escalations, timeline, audit) carries the frozen time, not the wall clock.
    ws = Workspace.open(target, clock=lambda: NOW)
    try:
        app = make_app(ws, tmp_path, agent=agent, theme="textual-light" if look == "light" else None)
        assert snap_compare(app, terminal_size=size, run_before=SCREENS[name])  # type: ignore[operator]
    finally:  # (the app, and with it the workspace, may outlive the test: the snapshot plugin keeps it for its report)
        ws.close()
