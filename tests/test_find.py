"""Finding the customer and the caller, and moving between tickets (issue 19): the customer directory (Japanese
forms, phone numbers in any format, emails and domains), the queue's search by ticket number, ``:`` command mode,
next and previous ticket of the queue's view, and yanking a ticket's id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.screens.account import AccountScreen
from console.screens.commands import CommandPrompt, parse
from console.screens.directory import DirectoryScreen
from console.screens.queue import QueueScreen
from console.screens.ticket import TicketScreen
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.tickets import ops as ticket_ops
from console.tickets.queue_query import QueueQuery
from console.tickets.search_text import build_query, phone_key, ticket_number
from tests.conftest import NOW, set_policy
from tests.ui import AGENT, make_app, settle, table


def desk_of(ws: Workspace, tmp_path: Path) -> Desk:
    config_path = tmp_path / "config.toml"
    write_demo_config(config_path, NOW.date())
    return Desk(ws, load_config(config_path), load_plugins(), AGENT, lambda: NOW)


def new_customer_ticket(desk: Desk, customer: str, **contact: str) -> str:
    cid = desk.find_customer(customer)
    fields = {"contact_name": "", "contact_email": "", "contact_phone": "", **contact}
    return desk.log_ticket(ticket_ops.NewTicket(customer_id=cid, channel="phone", title="Phoned in", **fields))


# -- the directory, through the desk -----------------------------------------------------------------
def test_directory_finds_japanese_forms_as_intake_does(demo_ws: Workspace, tmp_path: Path) -> None:
    directory = desk_of(demo_ws, tmp_path).reads.directory
    names = lambda text: [h.name for h in directory.find(text).customers]  # noqa: E731
    assert "有限会社ヤマダ工務店" in names("工務")  # a two-character word inside a name
    assert names("さくら") == ["株式会社さくら商事"]
    assert "ﾐﾄﾞﾘ電機株式会社" in names("ミドリ")  # full-width katakana finds the half-width name
    assert "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ株式会社" in names("fullwidth abc")  # half-width Latin finds full-width
    assert names("litw") == ["Litware Labs"]
    assert names("LITWARELABS.IO") == ["Litware Labs"]  # the domain


def test_a_caller_is_found_by_name_email_and_phone_in_any_format(demo_ws: Workspace, tmp_path: Path) -> None:
    desk = desk_of(demo_ws, tmp_path)
    new_customer_ticket(
        desk, "tailspintoys.com", contact_name="佐藤 健", contact_email="ken.sato@tailspintoys.com",
        contact_phone="+81 3-1234-5678",
    )  # fmt: skip
    for typed in (
        "03-1234-5678",
        "0312345678",
        "+81 3 1234 5678",
        "０３－１２３４－５６７８",
        "1234-5678",
        "(03) 1234ー5678",
    ):
        found = desk.reads.directory.find(typed)
        assert found.how == "phone", typed
        assert [h.name for h in found.customers] == ["Tailspin Toys"], typed
        assert [p.name for p in found.customers[0].matched] == ["佐藤 健"], typed
    assert [h.name for h in desk.reads.directory.find("佐藤").customers] == ["Tailspin Toys"]  # two characters
    assert [h.name for h in desk.reads.directory.find("ken.sato@tailspintoys.com").customers] == ["Tailspin Toys"]
    # A caller not in the directory yet: the customer by the email's domain.
    assert [h.name for h in desk.reads.directory.find("new.person@tailspintoys.com").customers] == ["Tailspin Toys"]
    people, total = desk.reads.directory.people(desk.find_customer("tailspintoys.com"))
    assert ("佐藤 健", "+81 3-1234-5678") in [(p.name, p.phone) for p in people]
    assert total == len(people)


def test_a_number_stored_in_full_width_is_found_by_its_digits(demo_ws: Workspace, tmp_path: Path) -> None:
    desk = desk_of(demo_ws, tmp_path)
    new_customer_ticket(desk, "sakura-shoji.co.jp", contact_name="田中 一", contact_phone="０３－９８７６－５４３２")
    found = desk.reads.directory.find("+81-3-9876-5432")
    assert [(h.name, [p.name for p in h.matched]) for h in found.customers] == [("株式会社さくら商事", ["田中 一"])]


def test_phone_keys_meet_across_formats() -> None:
    keys = {phone_key(t) for t in ("03-1234-5678", "0312345678", "０３１２３４５６７８", "03ー1234ー5678")}
    assert keys == {"312345678"}
    assert phone_key("+81 3-1234-5678") == "81312345678"  # ends with the national key: they meet
    assert phone_key("12-34") is None  # too few digits to mean a phone
    assert phone_key("yamada") is None


def test_the_directory_is_kept_by_imports_and_refilled_by_migration(demo_ws: Workspace) -> None:
    from console.records.kinds import CUSTOMERS

    cid = demo_ws.accounts.find_customer("litwarelabs.io")
    record = dict(next(r for r in demo_ws.records.iter_records(CUSTOMERS) if r["id"] == cid))
    with demo_ws.transaction():
        demo_ws.records.upsert(CUSTOMERS, [{**record, "companyName": "Litware Research"}])
    rows = demo_ws.directory.matching(build_query("research"), 10)
    assert [r["name"] for r in rows if r["kind"] == "customer"] == ["Litware Research"]
    before = demo_ws.conn.execute("SELECT count(*) FROM directory").fetchone()[0]
    with demo_ws.transaction():
        demo_ws.directory.refill()
    assert demo_ws.conn.execute("SELECT count(*) FROM directory").fetchone()[0] == before


def test_the_directory_read_is_checked_by_role(demo_ws: Workspace, tmp_path: Path) -> None:
    from console.desk.roles import RoleDenied

    config_path = tmp_path / "config.toml"
    write_demo_config(config_path, NOW.date())
    set_policy(demo_ws, {"roles.ticket.view": ["global_admin"]})  # the desk's role map, in the workspace
    desk = Desk(demo_ws, load_config(config_path), load_plugins(), AGENT, lambda: NOW)
    with pytest.raises(RoleDenied):
        desk.reads.directory.find("litware")


# -- the queue's search by ticket number ------------------------------------------------------------
def test_ticket_numbers_without_their_prefix() -> None:
    assert {ticket_number(t) for t in ("1511", "CSP-001511", "csp-1511", "#1511", "１５１１")} == {1511}
    assert ticket_number("15a") is None and ticket_number("0") is None


async def test_search_1511_finds_csp_001511(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        wanted = table(pilot).row_at(5).id
        number = str(int(wanted.removeprefix("CSP-")))
        await pilot.press("slash", *number)
        await settle(pilot)
        ids = [table(pilot).row_at(i).id for i in range(table(pilot).count or 0)]
        assert wanted in ids
    # In the store: a bare number is that ticket (and any ticket mentioning it); the id itself only that one.
    assert [r.id for r in demo_ws.queue.queue_page(QueueQuery(search=f"CSP-{int(number):06d}"), limit=5)] == [wanted]
    assert wanted in [r.id for r in demo_ws.queue.queue_page(QueueQuery(search=number), limit=50)]


# -- the directory screen ----------------------------------------------------------------------------
async def test_directory_screen_type_ahead_to_the_account(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DirectoryScreen)
        await pilot.press(*"工務")
        await settle(pilot)
        assert screen.current is not None and screen.current.name == "有限会社ヤマダ工務店"
        assert "billing@yamada-koumuten.jp" in [p.email for p in screen.people]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.customer_id == demo_ws.accounts.find_customer("yamada-koumuten.jp")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DirectoryScreen)
        await pilot.press("escape")  # clears what was typed first
        assert app.screen.typed == ""
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_a_callers_phone_straight_to_the_account(demo_ws: Workspace, tmp_path: Path) -> None:
    new_customer_ticket(
        desk_of(demo_ws, tmp_path), "woodgrovebank.com", contact_name="Pat Kim", contact_phone="+1 425 555 0199"
    )
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"c 1-425-555-0199", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.customer_id == demo_ws.accounts.find_customer("woodgrovebank.com")


# -- command mode ------------------------------------------------------------------------------------
def test_command_parsing() -> None:
    assert parse("1511").argument == "CSP-001511"
    assert parse(":CSP-001511").argument == "CSP-001511"
    assert (parse("c litware").verb, parse("c litware").argument) == ("customer", "litware")
    assert parse("customer 山田 太郎").argument == "山田 太郎"
    assert parse("q").verb == parse("quit").verb == "quit"
    assert parse("frobnicate").verb == "unknown"


async def test_command_mode_opens_a_ticket_and_a_customer(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"12", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == "CSP-000012"
        await pilot.press("colon", *"c litware", "enter")  # one match: its account
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.customer_id == demo_ws.accounts.find_customer("litwarelabs.io")
        await pilot.press("colon", *"customer 株式会社", "enter")  # several: the directory, filtered
        await settle(pilot)
        assert isinstance(app.screen, DirectoryScreen) and app.screen.typed == "株式会社"
        assert len(app.screen.found.customers) > 1


async def test_a_bad_command_says_so_in_the_prompt_and_nothing_else_happens(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        stack = list(app.screen_stack)
        await pilot.press("colon", *"frobnicate", "enter")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, CommandPrompt)
        message = str(prompt.query_one("#command-message").render())
        assert "Unknown command" in message and "frobnicate" in message and ":help" in message
        await pilot.press("ctrl+u", *"999999", "enter")  # no such ticket: said, nothing opened
        await settle(pilot)
        assert app.screen is prompt and "No such ticket: CSP-999999" in str(
            prompt.query_one("#command-message").render()
        )
        await pilot.press("ctrl+u", *"help", "enter")
        await settle(pilot)
        assert ":c TEXT" in str(prompt.query_one("#command-message").render())
        await pilot.press("escape")
        await settle(pilot)
        assert list(app.screen_stack) == stack
        assert not app._notifications


async def test_command_history_walks_with_up_and_down(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"12", "enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("colon", *"bogus", "enter", "ctrl+u", *"draft")
        line = app.screen.query_one("#command-line")
        await pilot.press("up")
        assert line.value == "bogus"
        await pilot.press("up")
        assert line.value == "12"
        await pilot.press("down", "down")
        assert line.value == "draft"


async def test_colon_q_asks_like_q_when_a_claim_would_be_released(demo_ws: Workspace, tmp_path: Path) -> None:
    from console.screens.dialogs import Confirm

    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        free = next(r for r in demo_ws.queue.queue_page(QueueQuery(), limit=100) if r.assignee is None)
        app.desk.claim(free.id)  # claimed in this console: leaving would release it
        await pilot.press("colon", "q", "enter")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and "claim" in app.screen.question
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running


# -- next and previous ticket, yank ------------------------------------------------------------------
async def test_next_and_previous_follow_the_queue_and_move_its_cursor(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pilot.app.screen.show_query(QueueQuery(sort="customer"))  # type: ignore[attr-defined]
        await settle(pilot)
        t = table(pilot)
        expected = [r.id for r in demo_ws.queue.queue_page(QueueQuery(sort="customer"), limit=200)]
        t.cursor = 58  # across a page boundary (60 rows a page)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        for n in (59, 60, 61):
            await pilot.press("right_square_bracket")
            await settle(pilot)
            assert app.screen.ticket_id == expected[n]
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.screen.ticket_id == expected[60]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and t.current_row.id == expected[60]


async def test_next_at_the_end_of_the_view_is_a_notice(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        last = table(pilot).current_row.id
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == last
        notices = [n.message for n in app._notifications]
        assert any(f"{last} is the last ticket of All open" in m for m in notices)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("g", "enter")
        await settle(pilot)
        first = app.screen.ticket_id
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.screen.ticket_id == first
        assert any("is the first ticket of All open" in n.message for n in app._notifications)


async def test_yank_copies_the_ticket_id(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    copied: list[Any] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        original = app.copy_to_clipboard
        app.copy_to_clipboard = lambda text: (copied.append(text), original(text))  # type: ignore[method-assign]
        first = table(pilot).current_row.id
        await pilot.press("y")
        assert app.clipboard == first and copied == [first]
        assert any(n.message == f"Copied {first}" for n in app._notifications)
        await pilot.press("j", "enter")
        await settle(pilot)
        second = app.screen.ticket_id
        await pilot.press("y")
        assert app.clipboard == second and copied == [first, second]


async def test_help_and_key_bar_name_the_new_keys(demo_ws: Workspace, tmp_path: Path) -> None:
    from console.screens.help import HelpScreen
    from console.widgets.key_bar import KeyBar

    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen.rows}
        assert {"queue.directory", "queue.yank", "app.command"} <= ids
        await pilot.press("escape", "enter")
        await settle(pilot)
        left, _ = app.screen.query_one(KeyBar).items()
        assert {"Next", "Previous"} <= {item.description for item in left}
        await pilot.press("question_mark")
        await settle(pilot)
        assert {"ticket.next", "ticket.previous", "ticket.yank", "app.command"} <= {row[2] for row in app.screen.rows}
