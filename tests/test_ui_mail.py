"""Mail in the console, driven from the keyboard on the 400-ticket demo with a ``[mail]`` desk: the Unmatched
mail screen (hostile text shown literally, a sender assigned to a customer), a ticket's mails and attachments,
and ``r`` replying by mail to the thread's recipients (the outbox) or, without anyone to mail, logged as sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import OptionList, Static, TextArea

from console.app import CspConsoleApp
from console.screens.customer_picker import CustomerPicker
from console.screens.dialogs import TextPrompt
from console.screens.queue import QueueScreen
from console.screens.ticket import TicketScreen
from console.screens.unmatched import MailScreen, UnmatchedScreen
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.tickets.ops import NewTicket
from tests import mail_corpus
from tests.conftest import NOW, demo_desk_rules
from tests.ui import AGENT, make_app, settle

#: Text that acts on Rich markup or on the console if not shown literally.
HOSTILE_SUBJECT = "請求 [bold]x[/] [@click=app.quit]quit[/]"
CUSTOMER_MAIL = "山田 太郎 <taro.yamada@sakura-shoji.co.jp>"
DESK = "Sakura Cloud Partners サポート <support@sakura-cloud.example>"


def mail_app(ws: Workspace, tmp_path: Path, *, smtp: bool = True) -> CspConsoleApp:
    """The console on ``ws`` with a desk mailbox (``[mail]``; with an SMTP server: replies go by mail). No
    ``imap_host``: the console's mail round (2 s after start) then only sends what the outbox owes, and these
    tests owe nothing before they end (tests/test_mail_runner.py has the round against real servers)."""
    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    with path.open("a", encoding="utf-8") as file:
        file.write(
            '\n[mail]\naddress = "support@sakura-cloud.example"\ndisplay_name = "Sakura Cloud Partners サポート"\n'
            + ('smtp_host = "127.0.0.1"\n' if smtp else 'imap_host = "127.0.0.1"\n')
        )
    demo_desk_rules(ws)
    return CspConsoleApp(ws, load_config(path), clock=lambda: NOW, agent=AGENT, cursor_blink=False)


def plain(renderable: Any, width: int = 160) -> str:
    """What a renderable shows, as text (markup in it, if it were parsed, would be gone)."""
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def lines_of(screen: Any) -> list[str]:
    options = screen.query_one("#unmatched-list", OptionList)
    return [plain(options.get_option_at_index(n).prompt) for n in range(options.option_count)]


async def to_unmatched(pilot: Pilot[None]) -> UnmatchedScreen:
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, UnmatchedScreen)
    return screen


async def test_the_unmatched_key_is_only_offered_where_the_desk_has_mail(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)  # the demo config: no [mail]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.check_action("unmatched_mail", ()) is False
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    app = mail_app(demo_ws, tmp_path / "mail")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_unmatched(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_unmatched_mail_is_listed_and_read_literally(demo_ws: Workspace, tmp_path: Path) -> None:
    app = mail_app(demo_ws, tmp_path)
    body = "本文 [red]not red[/red] \x1b[31mescape\x1b[0m [@click=app.quit]x[/]"
    raw = mail_corpus.utf8_plain(from_="陳 <chen@gmail.com>", subject=HOSTILE_SUBJECT, body=body)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.desk.mail.take(raw).state == "unmatched"
        screen = await to_unmatched(pilot)
        (line,) = lines_of(screen)
        assert line.startswith("2026-11-23 12:00 JST")  # received now (the frozen clock), in the desk's zone
        assert "chen@gmail.com  陳" in line and "請求 [bold]x[/] [@click=app.quit]quit[/]" in line
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MailScreen)
        shown = plain(app.screen.query_one("#read-text", Static).content)
        assert "本文 [red]not red[/red] ␛[31mescape␛[0m [@click=app.quit]x[/]" in shown
        assert "\x1b" not in shown
        await pilot.press("escape")
        assert isinstance(app.screen, UnmatchedScreen) and app.is_running


async def test_assigning_the_sender_makes_its_ticket_and_the_row_goes(demo_ws: Workspace, tmp_path: Path) -> None:
    app = mail_app(demo_ws, tmp_path)
    raw = mail_corpus.utf8_plain(from_="Chen <chen@gmail.com>", subject="ライセンスが足りません")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.desk.mail.take(raw)
        app.desk.mail.take(mail_corpus.utf8_plain(from_="Other <other@gmail.com>", message_id="<o-1@gmail.com>"))
        screen = await to_unmatched(pilot)
        assert len(lines_of(screen)) == 2
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, CustomerPicker)
        await pilot.press("ctrl+u", *"sakura-shoji", "enter")
        await settle(pilot)
        assert app.screen is screen
        customer = demo_ws.accounts.find_customer("sakura-shoji.co.jp")
        (made,) = demo_ws.conn.execute("SELECT * FROM tickets WHERE title = ?", ("ライセンスが足りません",))
        assert (made["customerId"], made["channel"], made["contactEmail"]) == (customer, "email", "chen@gmail.com")
        (left,) = lines_of(screen)
        assert "other@gmail.com" in left
        notices = [str(n.message) for n in app._notifications]
        assert any("chen@gmail.com is a contact of" in n and made["id"] in n for n in notices)


async def test_a_ticket_lists_its_mail_and_attachments(demo_ws: Workspace, tmp_path: Path) -> None:
    app = mail_app(demo_ws, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        taken = app.desk.mail.take(mail_corpus.multipart_with_attachments(from_=CUSTOMER_MAIL))
        assert taken.state == "ticket" and taken.ticket_id
        app.open_ticket(taken.ticket_id)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.query_one("#mail").display
        shown = plain(screen.query_one("#mail", Static).content)
        assert "taro.yamada@sakura-shoji.co.jp" in shown and "請求書を添付します" in shown
        assert "請求書.pdf" in shown and "application/pdf" in shown
        assert "passwd" in shown and "../" not in shown  # the name made safe, as stored


async def test_r_on_a_phone_ticket_without_an_address_logs_the_reply(demo_ws: Workspace, tmp_path: Path) -> None:
    app = mail_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        customer = demo_ws.accounts.find_customer("sakura-shoji.co.jp")
        ticket_id = app.desk.log_ticket(NewTicket(customer, "phone", "電話: 請求書の件", contact_name="山田 太郎"))
        made = demo_ws.tickets.ticket(ticket_id)
        app.open_ticket(ticket_id)
        await settle(pilot)
        assert not app.screen.query_one("#mail").display  # no mail: no section
        await pilot.press("r")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        assert prompt.title_text == f"Reply logged as sent to the customer ({made['id']})"
        assert prompt.query_one("#text", TextArea).text == ""
        await pilot.press(*"Called back", "ctrl+s")
        await settle(pilot)
        events = demo_ws.tickets.timeline(made["seq"])
        assert [e["text"] for e in events if e["kind"] == "reply"] == ["Called back"]
        assert app.desk.mail.outbox() == []
        assert demo_ws.tickets.ticket(made["id"])["firstResponseDate"] == "2026-11-23T03:00:00Z"


async def test_without_mail_r_logs_the_reply_of_any_ticket(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)  # the demo config: no [mail]
    (ticket_id, seq) = demo_ws.conn.execute(
        "SELECT id, seq FROM tickets WHERE isOpen = 1 AND contactEmail != '' ORDER BY seq LIMIT 1"
    ).fetchone()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket(ticket_id)
        await settle(pilot)
        await pilot.press("r", *"Sent the steps", "ctrl+s")
        await settle(pilot)
        assert [e["text"] for e in demo_ws.tickets.timeline(seq) if e["kind"] == "reply"][-1] == "Sent the steps"
        assert app.desk.mail.outbox() == []


async def test_r_on_a_mail_ticket_sends_by_mail_from_the_template(demo_ws: Workspace, tmp_path: Path) -> None:
    app = mail_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        raw = mail_corpus.utf8_plain(from_=CUSTOMER_MAIL, to=DESK, subject="請求書について")
        taken = app.desk.mail.take(raw)
        assert taken.ticket_id
        app.open_ticket(taken.ticket_id)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        assert prompt.title_text == f"Reply by mail to taro.yamada@sakura-shoji.co.jp ({taken.ticket_id})"
        area = prompt.query_one("#text", TextArea)
        assert "山田様" in area.text and "いつもお世話になっております" in area.text  # the Japanese template
        # The cursor waits where the template's {body} goes: what the agent types lands between the greeting
        # and the closing, as written.
        await pilot.press(*"ok, checked", "ctrl+s")
        await settle(pilot)
        (owed,) = app.desk.mail.outbox()
        assert owed["recipients"] == ["taro.yamada@sakura-shoji.co.jp"]
        assert f"[{taken.ticket_id}]" in owed["subject"]
        ticket = demo_ws.tickets.ticket(taken.ticket_id)
        assert ticket["status"] == "waiting_customer"  # mail.reply_status
        events = demo_ws.tickets.timeline(ticket["seq"])
        [reply] = [e["text"] for e in events if e["kind"] == "reply"]
        assert "でございます。\n\nok, checked\n\n何卒よろしくお願い申し上げます。" in reply
        assert plain(app.screen.query_one("#mail", Static).content).count("→ out") == 1


async def test_r_without_smtp_logs_the_reply_of_a_mail_ticket(demo_ws: Workspace, tmp_path: Path) -> None:
    app = mail_app(demo_ws, tmp_path, smtp=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        taken = app.desk.mail.take(mail_corpus.utf8_plain(from_=CUSTOMER_MAIL))
        app.open_ticket(taken.ticket_id)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.title_text.startswith("Reply logged as sent")  # type: ignore[attr-defined]
        await pilot.press(*"Answered by phone", "ctrl+s")
        await settle(pilot)
        assert app.desk.mail.outbox() == []


async def test_a_reply_left_with_escape_is_kept_and_r_brings_it_back(demo_ws: Workspace, tmp_path: Path) -> None:
    app = mail_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        taken = app.desk.mail.take(mail_corpus.utf8_plain(from_=CUSTOMER_MAIL, to=DESK, subject="請求書について"))
        app.open_ticket(taken.ticket_id)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"half a reply", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, TextPrompt)
        assert app.desk.mail.outbox() == []  # left, not sent
        assert any("is kept, not sent: r brings it back" in str(n.message) for n in app._notifications)
        await pilot.press("r")
        await settle(pilot)
        area = app.screen.query_one("#text", TextArea)
        assert "でございます。\n\nhalf a reply\n\n" in area.text  # the template and what was typed, as left
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(app.desk.mail.outbox()) == 1
        await pilot.press("r")
        await settle(pilot)
        assert "half a reply" not in app.screen.query_one("#text", TextArea).text  # sent: nothing kept any more
