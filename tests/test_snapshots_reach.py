"""SVG snapshots of what plugins add to the screens, at 80x24 and 160x48 (fixed clock, no blink): the Intune example
plugin's queue column (Japanese device names), account section, dangerous action and intake fields, and a plugin
whose text looks like markup (shown literally) and whose section fails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.plugin_api import AccountSection, ActionContext, ActionResult, CheckContext, TicketAction
from console.plugins.host import load_plugins
from console.store import Workspace
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.reach_plugins import intune_ticket, load_intune, plugin
from tests.ui import make_app, settle

SIZES = [(80, 24), (160, 48)]
Steps = Callable[[Pilot[None]], Awaitable[None]]
DOMAIN = "yamada-koumuten.jp"  # Microsoft 365 Business Premium: Intune's section has a line to say


def _hostile_lines(ctx: CheckContext) -> list[str]:
    return ["[b]not bold[/b] [@click=app.quit]not a link[/]", "東京本社: 42 台の端末が準拠しています" + " ·" * 60]


def _broken(ctx: CheckContext) -> list[str]:
    raise RuntimeError("Graph answered 503 [red]Service Unavailable[/red]")


def _escalate(ctx: ActionContext) -> ActionResult:
    return ActionResult(message="[b]done[/b]")


ACME = plugin(
    "acme",
    csp_account_sections=lambda: [
        AccountSection(id="acme.devices", title="Acme devices [i]live[/i]", lines=_hostile_lines),
        AccountSection(id="acme.broken", title="Acme licences", lines=_broken),
    ],
    csp_ticket_actions=lambda: [
        TicketAction(id="acme.escalate", key="ctrl+e", label="Escalate [b]now[/b] [@click=app.quit]x[/]", run=_escalate)
    ],
)


async def _tickets(pilot: Pilot[None]) -> list[str]:
    await settle(pilot)
    app: Any = pilot.app
    made = [
        intune_ticket(app.desk, DOMAIN, device, title)
        for device, title in (
            ("会議室PC-01", "Intune に端末を登録できない"),
            ("LAPTOP-7K2Q", "Device not compliant after update"),
            ("受付iPad", "受付の iPad が同期しない"),
        )
    ]
    app.screen_stack[0].action_refresh()  # the views' counts now, not at the next poll
    await settle(pilot)
    return made


async def queue_column(pilot: Pilot[None]) -> None:
    await _tickets(pilot)
    pilot.app.screen.show_query(QueueQuery(services=("intune", "office365"), sort="created", descending=True))  # type: ignore[attr-defined]
    await settle(pilot)


async def account_sections(pilot: Pilot[None]) -> None:
    await settle(pilot)
    app: Any = pilot.app
    app.open_account(app.workspace.accounts.find_customer(DOMAIN))
    await settle(pilot)
    app.screen.query_one("#plugin-sections").scroll_visible(animate=False, top=True)
    await settle(pilot)


async def dangerous_action(pilot: Pilot[None]) -> None:
    made = await _tickets(pilot)
    pilot.app.open_ticket(made[0])  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("W")
    await settle(pilot)


async def intake_fields(pilot: Pilot[None]) -> None:
    """The Intune fields of the form, a device name refused beside its field."""
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    await pilot.press(*"ヤマダ", "enter")
    await settle(pilot)
    screen: Any = pilot.app.screen
    screen.query_one("#service").value = "intune"
    await settle(pilot)
    screen.query_one("#plugin-field-0").value = "会議室 PC"
    screen.query_one("#title").value = "Intune に端末を登録できない"
    screen.query_one("#contact-name").value = "山田 太郎"
    await pilot.press("ctrl+s")
    await settle(pilot)


async def palette(pilot: Pilot[None]) -> None:
    """The command palette on the ticket screen: the plugins' actions, their labels literally."""
    made = await _tickets(pilot)
    pilot.app.open_ticket(made[0])  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*"plugin")
    await settle(pilot)
    await pilot.pause(0.3)
    await settle(pilot)


SCREENS: dict[str, Steps] = {
    "queue_column": queue_column,
    "account_sections": account_sections,
    "dangerous_action": dangerous_action,
    "intake_fields": intake_fields,
    "palette": palette,
}
CASES = [(name, size) for name in SCREENS for size in SIZES]


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{w}x{h}" for n, (w, h) in CASES])
def test_snapshot(
    snap_compare: object, demo_copy: Callable[..., Where], tmp_path: Path, case: tuple[str, tuple[int, int]]
) -> None:
    name, size = case
    ws = Workspace.open(demo_copy("snap"), clock=lambda: NOW)
    host = load_plugins(extra={"intune": load_intune(), "acme": ACME})
    app = make_app(ws, tmp_path, host=host)
    assert snap_compare(app, terminal_size=size, run_before=SCREENS[name])  # type: ignore[operator]
