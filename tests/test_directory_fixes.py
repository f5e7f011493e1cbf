"""The customer directory's review (issue 19): billing contacts only for who may see billing, one cleaning of
names on the refill and the live path, ``:`` and ``?`` on the directory screen, open counts from the rollup."""

from __future__ import annotations

from pathlib import Path

from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.records.kinds import CUSTOMERS, TICKETS
from console.screens.account import AccountScreen
from console.screens.commands import CommandPrompt
from console.screens.directory import DirectoryScreen
from console.screens.help import HelpScreen
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.tickets.ops import NewTicket
from console.widgets.key_bar import KeyBar
from tests.conftest import NOW, set_policy
from tests.ui import AGENT, make_app, settle

YAMADA = "yamada-koumuten.jp"


def desk_of(ws: Workspace, tmp_path: Path, roles: dict[str, list[str]] | None = None) -> Desk:
    config_path = tmp_path / "config.toml"
    write_demo_config(config_path, NOW.date())
    if roles:  # the desk's role map, as a Global admin sets it (csp-console policy set roles.ACTION ROLES)
        set_policy(ws, {f"roles.{action}": allowed for action, allowed in roles.items()})
    return Desk(ws, load_config(config_path), load_plugins(), AGENT, lambda: NOW)


# -- 1. billing contacts behind billing.view -----------------------------------------------------------------
def test_billing_contacts_are_left_out_for_an_agent_without_billing_view(demo_ws: Workspace, tmp_path: Path) -> None:
    full = desk_of(demo_ws, tmp_path)
    cid = full.find_customer(YAMADA)
    people, _ = full.reads.directory.people(cid)
    billing = next(p for p in people if p.kind == "billing")
    found = full.reads.directory.find(billing.name)
    assert cid in [h.id for h in found.customers]  # with billing.view: the billing contact's name finds it

    narrowed = desk_of(demo_ws, tmp_path, roles={"billing.view": ["global_admin", "billing_admin"]})
    assert not narrowed.may("billing.view") and narrowed.may("ticket.view")
    directory = narrowed.reads.directory
    people, total = directory.people(cid)
    assert people and all(p.kind == "caller" for p in people)
    assert total == len(people)
    assert billing.email not in [p.email for p in people]
    for typed in (billing.name, billing.email):
        for hit in directory.find(typed).customers:
            assert all(p.kind != "billing" for p in hit.matched)
    # A billing contact named like no caller: found by its name only by who may see billing.
    record = dict(next(r for r in demo_ws.records.iter_records(CUSTOMERS) if r["id"] == cid))
    with demo_ws.transaction():
        demo_ws.records.upsert(CUSTOMERS, [{**record, "billingFirstName": "Zelda", "billingLastName": "Quux"}])
    assert [h.id for h in full.reads.directory.find("zelda quux").customers] == [cid]
    assert directory.find("zelda quux").customers == []


# -- 2. one cleaning on both paths ---------------------------------------------------------------------------
def test_a_refill_then_a_ticket_from_the_same_caller_is_one_person(demo_ws: Workspace, tmp_path: Path) -> None:
    cid = demo_ws.accounts.find_customer(YAMADA)
    template = next(iter(demo_ws.records.iter_records(TICKETS)))

    def ticket_from(name: str) -> None:
        record = {**template, "id": "", "customerId": cid, "contactName": name, "contactEmail": None}
        record["contactPhone"] = "03-5555-0101"
        with demo_ws.transaction():
            demo_ws.tickets.upsert_tickets([record], AGENT)

    def callers() -> list[tuple[str, str]]:
        rows = demo_ws.conn.execute(
            "SELECT name, phone FROM directory WHERE customerId = ? AND kind = 'caller' AND phone = '03-5555-0101'",
            (cid,),
        )
        return [tuple(r) for r in rows]

    ticket_from("山田\u3000")
    assert callers() == [("山田", "03-5555-0101")]
    with demo_ws.transaction():
        demo_ws.directory.refill()
    assert callers() == [("山田", "03-5555-0101")]
    ticket_from("\t山田\u3000")
    assert callers() == [("山田", "03-5555-0101")]
    people, _ = desk_of(demo_ws, tmp_path).reads.directory.people(cid)
    assert [p.name for p in people if p.phone == "03-5555-0101"] == ["山田"]


# -- 3. : and ? on the directory screen ----------------------------------------------------------------------
async def test_colon_and_question_mark_in_an_empty_find_box(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DirectoryScreen)
        _, pinned = screen.query_one(KeyBar).items()
        assert "?" in [item.display for item in pinned]  # help is in sight while the box is empty
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert {"app.command", "app.help", "directory.account"} <= {row[2] for row in app.screen.rows}
        await pilot.press("escape")
        await pilot.press("colon")
        await settle(pilot)
        assert isinstance(app.screen, CommandPrompt)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.typed == ""
        # Once something is typed, : and ? are part of it (a search for "10:30?" finds what it says).
        await pilot.press(*"a:b?")
        await settle(pilot)
        assert app.screen is screen and screen.typed == "a:b?"
        _, pinned = screen.query_one(KeyBar).items()
        assert "?" not in [item.display for item in pinned]
        await pilot.press("escape")  # clears the box: : opens command mode again
        await pilot.press("colon", *"c litware", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)  # one customer matches: straight to its account
        assert app.screen.customer_id == demo_ws.accounts.find_customer("litwarelabs.io")


async def test_colon_and_question_mark_from_the_list(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("C", *"litware")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DirectoryScreen)
        await pilot.press("tab")  # to the list: what is typed stays
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "colon")
        await settle(pilot)
        assert isinstance(app.screen, CommandPrompt)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.typed == "litware"


# -- 4. open counts from the rollup --------------------------------------------------------------------------
def test_cards_count_open_tickets_as_the_tickets_do(demo_ws: Workspace, tmp_path: Path) -> None:
    desk = desk_of(demo_ws, tmp_path)
    cid = demo_ws.accounts.find_customer(YAMADA)
    desk.log_ticket(NewTicket(customer_id=cid, channel="phone", title="Phoned in", contact_name="Pat"))
    other = demo_ws.accounts.find_customer("woodgrovebank.com")
    with demo_ws.transaction():  # one of Yamada's closed, and all of another's: the rollup follows
        demo_ws.conn.execute(
            "UPDATE tickets SET isOpen = 0, status = 'resolved' WHERE isOpen = 1 AND (customerId = ? OR seq = "
            "(SELECT min(seq) FROM tickets WHERE isOpen = 1 AND customerId = ?))",
            (other, cid),
        )
    ids = [r[0] for r in demo_ws.conn.execute("SELECT id FROM customers")]
    counted = dict(
        demo_ws.conn.execute("SELECT customerId, count(*) FROM tickets WHERE isOpen = 1 GROUP BY customerId")
    )
    statements: list[str] = []
    demo_ws.conn.set_trace_callback(statements.append)
    try:
        cards = demo_ws.directory.cards(ids)
    finally:
        demo_ws.conn.set_trace_callback(None)
    assert {c: card["openTickets"] for c, card in cards.items()} == {c: counted.get(c, 0) for c in ids}
    assert counted and len(counted) < len(ids)  # some with open tickets, some without
    assert not [s for s in statements if "tickets" in s.replace("health_open_customer", "")]  # the rollup, only
    found = desk.reads.directory.find("")
    assert found.customers and all(hit.open_tickets == counted.get(hit.id, 0) for hit in found.customers)
