"""The mail intake on a real workspace (the 400-ticket demo): where each mail goes, each once, in one
transaction with what it does; replies by mail owed to the outbox with their threading headers.

Threading facts: RFC 5322 section 3.6.4 (Message-ID, In-Reply-To, References); automatic mail: RFC 3834
(Auto-Submitted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from pathlib import Path

import pytest

from console.desk.door import Desk
from console.desk.policy import read_policy
from console.mail.intake import Arrival, Taken
from console.plugins.host import load_plugins
from console.settings.config import load_config
from console.store import Workspace
from tests.conftest import NOW, set_policy

AGENT = "aiko.tanaka"
ARRIVED = NOW - timedelta(minutes=5)


def mail(
    *,
    from_: str = "山田 太郎 <taro.yamada@sakura-shoji.co.jp>",
    subject: str = "請求書の金額を確認してください",
    body: str = "先月の請求書の金額が違うようです。確認をお願いします。",
    message_id: str = "<m1@sakura-shoji.co.jp>",
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = from_
    msg["To"] = "Sakura Cloud Partners サポート <support@sakura-cloud.example>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(ARRIVED - timedelta(seconds=30))
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def desk(demo_ws: Workspace, tmp_path: Path) -> Desk:
    config = tmp_path / "config.toml"
    config.write_text(
        '[partner]\nname = "Sakura Cloud Partners"\nsupport_phone = "+81-3-5555-0100"\n\n'
        '[mail]\naddress = "support@sakura-cloud.example"\ndisplay_name = "Sakura Cloud Partners サポート"\n'
        'imap_host = "127.0.0.1"\nsmtp_host = "127.0.0.1"\n',
        encoding="utf-8",
    )
    return Desk(demo_ws, load_config(config), load_plugins(), AGENT, lambda: NOW)


def take(desk: Desk, raw: bytes, uid: int | None = None) -> Taken:
    return desk.mail.acknowledging_intake().take(Arrival(raw, ARRIVED, "support@127.0.0.1/INBOX", 7, uid))


def customer_of_domain(ws: Workspace, domain: str) -> str:
    return str(ws.conn.execute("SELECT id FROM customers WHERE domain = ?", (domain,)).fetchone()[0])


def test_a_mail_from_a_customers_domain_becomes_an_email_ticket_created_at_its_arrival(desk: Desk) -> None:
    taken = take(desk, mail(), uid=1)
    assert taken.state == "ticket" and taken.ticket_id
    ticket = desk.ws.tickets.ticket(taken.ticket_id)
    assert ticket is not None
    assert ticket["customerId"] == customer_of_domain(desk.ws, "sakura-shoji.co.jp")
    assert ticket["channel"] == "email" and ticket["title"] == "請求書の金額を確認してください"
    assert ticket["createdDate"] == ARRIVED.strftime("%Y-%m-%dT%H:%M:%SZ")  # the SLA clock runs from arrival
    assert ticket["contactName"] == "山田 太郎" and ticket["contactEmail"] == "taro.yamada@sakura-shoji.co.jp"
    assert "確認をお願いします" in ticket["body"]
    (row,) = desk.ws.mail.of_ticket(ticket["seq"])
    assert (row["uid"], row["uidValidity"], row["state"]) == (1, 7, "ticket")
    assert desk.ws.mail.raw(row["id"]) == mail()


def test_the_same_mail_twice_is_one_ticket(desk: Desk) -> None:
    first = take(desk, mail(), uid=1)
    again = take(desk, mail(), uid=None)  # read again from another UIDVALIDITY, or a file
    assert again.state == "duplicate"
    count = desk.ws.conn.execute(
        "SELECT count(*) FROM tickets WHERE channel = 'email' AND title = ?", ("請求書の金額を確認してください",)
    ).fetchone()[0]
    assert count == 1 and first.ticket_id


def test_a_reply_joins_its_ticket_by_references_and_by_the_subject_tag(desk: Desk) -> None:
    first = take(desk, mail(), uid=1)
    tid = first.ticket_id
    joined = take(
        desk,
        mail(
            subject="Re: 請求書",
            body="追加の情報です。",
            message_id="<m2@sakura-shoji.co.jp>",
            in_reply_to="<m1@sakura-shoji.co.jp>",
            references="<m1@sakura-shoji.co.jp>",
        ),
        uid=2,
    )
    assert (joined.state, joined.ticket_id) == ("joined", tid)
    tagged = take(
        desk,
        mail(
            subject=f"RE: お問い合わせ ［{tid}］",
            body="三通目",
            message_id="<m3@x.example>",
            from_="taro.yamada@sakura-shoji.co.jp",
        ),
        uid=3,
    )
    assert (tagged.state, tagged.ticket_id) == ("joined", tid)
    seq = desk.ws.tickets.ticket(tid)["seq"]
    texts = [e["text"] for e in desk.ws.tickets.timeline(seq) if e["kind"] == "mail"]
    assert any("追加の情報です。" in t for t in texts) and any("三通目" in t for t in texts)


def test_a_stranger_cannot_write_into_another_customers_ticket_by_copying_its_tag(desk: Desk) -> None:
    tid = take(desk, mail(), uid=1).ticket_id
    other = desk.ws.conn.execute("SELECT domain FROM customers WHERE domain != 'sakura-shoji.co.jp' LIMIT 1")
    domain = other.fetchone()[0]
    forged = take(
        desk,
        mail(from_=f"x@{domain}", subject=f"Re: [{tid}]", message_id="<f@x>", in_reply_to="<m1@sakura-shoji.co.jp>"),
        uid=2,
    )
    assert forged.state == "ticket" and forged.ticket_id != tid
    assert f"names {tid}" in (forged.why or "")


def test_a_reply_to_a_resolved_ticket_reopens_it_and_to_a_closed_one_starts_a_new_ticket(desk: Desk) -> None:
    tid = take(desk, mail(), uid=1).ticket_id
    desk.set_status(tid, "resolved", "answered")
    back = take(desk, mail(subject=f"Re: [{tid}]", message_id="<m2@s>", in_reply_to="<m1@sakura-shoji.co.jp>"))
    assert back.state == "joined" and back.reopened
    assert desk.ws.tickets.ticket(tid)["status"] == "in_progress"
    desk.set_status(tid, "closed", "answered")
    after = take(desk, mail(subject=f"Re: [{tid}]", message_id="<m3@s>", in_reply_to="<m2@s>"))
    assert after.state == "ticket" and after.ticket_id != tid
    assert f"Follows up {tid}" in desk.ws.tickets.ticket(after.ticket_id)["body"]


def test_an_unknown_senders_mail_waits_until_an_agent_says_whose_it_is(desk: Desk) -> None:
    raw = mail(from_="Chen <chen@gmail.com>", message_id="<u1@gmail.com>")
    assert take(desk, raw, uid=1).state == "unmatched"
    (waiting,) = desk.mail.unmatched()
    assert waiting["fromEmail"] == "chen@gmail.com"
    customer = customer_of_domain(desk.ws, "sakura-shoji.co.jp")
    (placed,) = desk.mail.assign_sender("Chen@Gmail.com", customer)
    assert placed.state == "ticket" and desk.mail.unmatched() == []
    assert desk.ws.tickets.ticket(placed.ticket_id)["customerId"] == customer
    later = take(desk, mail(from_="chen@gmail.com", subject="別件", message_id="<u2@gmail.com>"), uid=2)
    assert later.state == "ticket"
    audit = desk.ws.conn.execute("SELECT count(*) FROM audit_log WHERE action = 'mail.assign'").fetchone()[0]
    assert audit == 1


@pytest.mark.parametrize(
    "headers",
    [{"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"List-Id": "<news.sakura-shoji.co.jp>"}],
)
def test_automatic_mail_is_kept_and_ignored(desk: Desk, headers: dict[str, str]) -> None:
    before = desk.ws.conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    taken = take(desk, mail(subject="自動応答: 不在", headers=headers), uid=1)
    assert taken.state == "ignored" and "automatic" in (taken.why or "")
    assert desk.ws.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == before
    assert desk.ws.mail.outbox() == []


def test_a_sender_past_the_rate_limit_is_ignored(desk: Desk) -> None:
    set_policy(desk.ws, {"mail.rate_limit": "3"})
    desk.use_policy(read_policy(desk.ws))
    states = [take(desk, mail(subject=f"件名 {i}", message_id=f"<r{i}@s>"), uid=i).state for i in range(5)]
    assert states == ["ticket", "ticket", "ticket", "ignored", "ignored"]


def test_a_reply_by_mail_is_owed_with_its_threading_headers_and_moves_the_ticket(desk: Desk) -> None:
    tid = take(desk, mail(), uid=1).ticket_id
    draft = desk.mail.draft(tid)
    assert draft.startswith("株式会社さくら商事\n山田様") and "いつもお世話になっております" in draft
    fresh = desk.mail.reply(tid, draft.replace("\n\n\n", "\n\nご確認いたしました。\n\n"))
    assert fresh["status"] == "waiting_customer" and fresh["firstResponseDate"] == "2026-11-23T03:00:00Z"
    (owed,) = desk.mail.outbox()
    assert owed["recipients"] == ["taro.yamada@sakura-shoji.co.jp"] and owed["state"] == "pending"
    sent = message_from_bytes(desk.ws.mail.raw(owed["messageRow"]) or b"", policy=default)
    assert sent["In-Reply-To"] == "<m1@sakura-shoji.co.jp>" and sent["References"] == "<m1@sakura-shoji.co.jp>"
    assert sent["Subject"] == f"Re: 請求書の金額を確認してください [{tid}]"
    assert str(sent["From"]) == "Sakura Cloud Partners サポート <support@sakura-cloud.example>"
    body = sent.get_body(("plain",)).get_content()
    assert "ご確認いたしました。" in body and "> 先月の請求書の金額が違うようです。" in body
    # the customer's answer to the reply joins the ticket by its Message-ID
    answer = take(desk, mail(subject="Re: 請求書", message_id="<m9@s>", in_reply_to=sent["Message-ID"]), uid=9)
    assert (answer.state, answer.ticket_id) == ("joined", tid)


def test_an_internal_note_never_goes_out(desk: Desk) -> None:
    tid = take(desk, mail(), uid=1).ticket_id
    desk.note(tid, "社内メモ: 請求チームに確認")
    assert desk.mail.outbox() == []


def test_the_acknowledgement_is_automatic_and_does_not_stop_the_first_response_clock(desk: Desk) -> None:
    set_policy(desk.ws, {"mail.acknowledge": "true"})
    desk.use_policy(read_policy(desk.ws))
    tid = take(desk, mail(), uid=1).ticket_id
    (owed,) = desk.mail.outbox()
    ack = message_from_bytes(desk.ws.mail.raw(owed["messageRow"]) or b"", policy=default)
    assert ack["Auto-Submitted"] == "auto-replied" and ack["X-Auto-Response-Suppress"] == "All"
    assert tid in ack["Subject"] and tid in ack.get_body(("plain",)).get_content()
    assert desk.ws.tickets.ticket(tid)["firstResponseDate"] is None
    assert (
        take(desk, mail(message_id="<a2@s>", subject="自動応答", headers={"Auto-Submitted": "auto-replied"})).state
        == "ignored"
    )
    assert len(desk.mail.outbox()) == 1  # an auto-reply gets no acknowledgement


def test_a_mail_and_its_ticket_are_one_transaction(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(desk.ws.mail, "record", broken)
    before = desk.ws.conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    with pytest.raises(OSError):
        take(desk, mail(), uid=1)
    assert desk.ws.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == before
    assert desk.ws.conn.execute("SELECT count(*) FROM mail_messages").fetchone()[0] == 0


def test_arrival_in_the_future_is_taken_as_now(desk: Desk) -> None:
    raw = mail(message_id="<future@s>")
    taken = desk.mail.intake().take(Arrival(raw, datetime(2030, 1, 1, tzinfo=UTC)))
    assert desk.ws.tickets.ticket(taken.ticket_id)["createdDate"] == "2026-11-23T03:00:00Z"
