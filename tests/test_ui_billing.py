"""The collections view and billing actions in the console, keyboard only, against the local Partner Center."""

from __future__ import annotations

from pathlib import Path

from console.sandbox import Sandbox
from console.screens.billing_dialogs import ConfirmSuspension, PaymentDialog
from console.screens.collections import CollectionsScreen
from console.screens.dialogs import Confirm
from console.store import Workspace
from tests.test_ui_ticket import shown
from tests.ui import make_app, settle

ADMIN = "tom.becker"


def highlighted(app: object) -> str:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, CollectionsScreen)
    option = screen.query_one("#standings").highlighted_option
    return str(option.id)


async def go_to(pilot: object, ws: Workspace, domain: str) -> None:
    target = ws.accounts.find_customer(domain)
    for _ in range(40):
        if highlighted(pilot.app) == target:  # type: ignore[attr-defined]
            return
        await pilot.press("j")  # type: ignore[attr-defined]
    raise AssertionError(f"{domain} not in the list")


async def test_a_billing_admin_sends_notices_suspends_takes_payment_and_reactivates(
    demo_ws: Workspace, tmp_path: Path, sandbox: Sandbox
) -> None:
    app = make_app(demo_ws, tmp_path, agent=ADMIN)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, CollectionsScreen)
        # Notices: the final notice due to みなと会計事務所 is recorded as sent, once.
        await go_to(pilot, demo_ws, "minato-kaikei.jp")
        await pilot.press("a")
        await settle(pilot)
        assert [(a["stage"], a["action"]) for a in demo_ws.billing.dunning_actions()] == [("final_notice", "notice")]
        await pilot.press("a")
        await settle(pilot)
        assert len(demo_ws.billing.dunning_actions()) == 1
        # Suspension: the plan with its consequences first; n changes nothing.
        await go_to(pilot, demo_ws, "litwarelabs.io")
        litware = demo_ws.accounts.find_customer("litwarelabs.io")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmSuspension)
        text = " ".join(shown(w) for w in app.screen.query("Static"))
        assert "keeps billing the partner" in text and "auto-renew" in text
        assert "NOT suspended: Azure plan" in text and "900115" in text and "role" not in text
        await pilot.press("n")
        await settle(pilot)
        assert demo_ws.suspensions.live_suspension(litware) is None
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert demo_ws.suspensions.live_suspension(litware)["state"] == "suspended"
        statuses = {s["offerName"]: s["status"] for s in sandbox.state.subscriptions[litware]}
        assert statuses.pop("Azure plan") == "active" and set(statuses.values()) == {"suspended"}
        # Payment: a wrong amount is shown in the dialog, which stays open; then the full amount.
        await go_to(pilot, demo_ws, "litwarelabs.io")
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDialog)
        amount = app.screen.query_one("#amount")
        full = amount.value
        amount.value = "99999999"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDialog)
        assert "more than" in shown(app.screen.query_one("#payment-error"))
        amount.value = full
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Paid: the console offers to reactivate exactly what it suspended.
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        assert demo_ws.suspensions.live_suspension(litware) is None
        assert {s["status"] for s in sandbox.state.subscriptions[litware]} == {"active"}


async def test_a_helpdesk_agent_may_look_but_not_suspend(demo_ws: Workspace, tmp_path: Path, sandbox: Sandbox) -> None:
    app = make_app(demo_ws, tmp_path)
    before = {s["id"]: s["status"] for subs in sandbox.state.subscriptions.values() for s in subs}
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, CollectionsScreen)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, CollectionsScreen)  # no confirmation: refused before
        assert any("billing_admin or global_admin" in str(n.message) for n in app._notifications)
        await pilot.press("a")
        await settle(pilot)
        assert demo_ws.billing.dunning_actions() == []
    assert {s["id"]: s["status"] for subs in sandbox.state.subscriptions.values() for s in subs} == before
    assert not [r for r in sandbox.state.requests if r["method"] == "PATCH"]


async def test_time_is_logged_from_the_ticket(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    minato = demo_ws.accounts.find_customer("minato-kaikei.jp")
    ticket = demo_ws.tickets.open_tickets_of(minato)[0]["id"]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket(ticket)
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"90", "tab", *"ライセンス確認", "ctrl+s")
        await settle(pilot)
        entries = demo_ws.billing.time_entries(demo_ws.tickets.ticket(ticket)["seq"])
        assert [(e["minutes"], e["note"]) for e in entries] == [(90, "ライセンス確認")]
        assert any("used up" in str(n.message) for n in app._notifications)
        sla = shown(app.screen.query_one("#sla"))
        assert "Time logged: 1h 30m in 1 entry" in sla and "used up" in sla


async def test_intake_warns_before_saving_when_outside_the_offer(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"さくら商事", "enter")
        await settle(pilot)
        warning = shown(app.screen.query_one("#offer-warnings"))
        assert "Outside service hours" in warning and "勤労感謝の日" in warning
        assert "Contact by" not in warning  # phone is in the offer
        app.screen.query_one("#channel").value = "chat"
        await settle(pilot)
        assert "Contact by chat is not in the offer" in shown(app.screen.query_one("#offer-warnings"))
