"""The outbox sent by the desk's mail round (console/mail/sending.py through ``desk.mail.run``) to a real SMTP
server (aiosmtpd on 127.0.0.1, tests/mail_smtpd.py), on a real workspace (the 400-ticket demo): each reply
delivered once with the Message-ID it was written with; a 4xx or a connection lost before the end of DATA
tried again later; a 5xx failed; a connection lost after the end of DATA uncertain and never sent again
without an agent's word (RFC 5321 sections 4.2.1 and 6.1). Internal notes never go out."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from console.desk.door import Desk
from console.mail.intake import Arrival
from console.mail.sending import MAX_ATTEMPTS
from console.plugins.host import load_plugins
from console.settings.config import load_config
from console.store import Workspace
from tests.conftest import NOW
from tests.mail_smtpd import PASSWORD, USER, SmtpServer
from tests.test_mail_intake import mail

AGENT = "aiko.tanaka"
Start = Callable[..., SmtpServer]


class Clock:
    """The desk's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def mail_desk(ws: Workspace, tmp_path: Path, server: SmtpServer, clock: Clock) -> Desk:
    config = tmp_path / "config.toml"
    config.write_text(
        '[partner]\nname = "Sakura Cloud Partners"\n\n'
        '[mail]\naddress = "support@sakura-cloud.example"\ndisplay_name = "Sakura Cloud Partners サポート"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {server.port}\nsmtp_security = "{server.security}"\n'
        f'smtp_username = "{USER}"\nca_bundle = "{server.ca_file}"\ntimeout_seconds = 5\n',
        encoding="utf-8",
    )
    return Desk(ws, load_config(config), load_plugins(), AGENT, clock)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(smtp_server: Start, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    monkeypatch.setenv("CSP_CONSOLE_MAIL_PASSWORD", PASSWORD)
    return smtp_server("starttls")


@pytest.fixture
def desk(demo_ws: Workspace, tmp_path: Path, server: SmtpServer, clock: Clock) -> Desk:
    return mail_desk(demo_ws, tmp_path, server, clock)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mail_ticket(desk: Desk, n: int = 1) -> str:
    raw = mail(message_id=f"<m{n}@sakura-shoji.co.jp>", subject=f"請求書の金額について その{n}")
    taken = desk.mail.intake().take(Arrival(raw, NOW - timedelta(minutes=5)))
    assert taken.state == "ticket" and taken.ticket_id
    return taken.ticket_id


def outbox_states(desk: Desk) -> dict[int, str]:
    return {r["id"]: r["state"] for r in desk.mail.outbox(("pending", "sending", "sent", "failed", "uncertain"))}


def test_a_reply_goes_to_the_server_once_with_its_threading_and_the_ticket_waits_on_the_customer(
    desk: Desk, server: SmtpServer
) -> None:
    ticket_id = mail_ticket(desk)
    assert desk.mail.sends_to(ticket_id) == ["taro.yamada@sakura-shoji.co.jp"]
    fresh = desk.mail.answer(ticket_id, "ご連絡ありがとうございます。確認いたします。")
    assert fresh["status"] == "waiting_customer" and fresh["firstResponseDate"]
    done = desk.mail.run()
    assert not done.failed and done.sent is not None and done.sent.sent == 1, str(done)
    assert len(server.received) == 1
    got = server.received[0]
    assert got.rcpt_tos == ("taro.yamada@sakura-shoji.co.jp",)
    assert got.mail_from == "support@sakura-cloud.example"
    message = message_from_bytes(got.raw, policy=default)
    assert message["In-Reply-To"] == "<m1@sakura-shoji.co.jp>"
    assert f"[{ticket_id}]" in str(message["Subject"])
    assert "確認いたします" in message.get_body().get_content()  # type: ignore[union-attr]
    stored = desk.mail.outbox(("sent",))
    assert [f"<{r['messageId']}>" for r in stored] == [message["Message-ID"]]
    # A second round owes nothing: the reply is not sent again.
    again = desk.mail.run()
    assert again.sent is not None and again.sent.sent == 0
    assert len(server.received) == 1


def test_an_internal_note_never_goes_out(desk: Desk, server: SmtpServer) -> None:
    ticket_id = mail_ticket(desk)
    desk.note(ticket_id, "内部メモ: 請求チームに確認中")
    assert desk.mail.outbox(("pending", "sending", "sent")) == []
    desk.mail.run()
    assert server.received == []


def test_a_4xx_is_tried_again_later_and_then_sent_once(desk: Desk, server: SmtpServer, clock: Clock) -> None:
    server.faults.rcpt = {"*": "451 4.3.0 try again later"}
    desk.mail.answer(mail_ticket(desk), "確認いたします。")
    first = desk.mail.run()
    assert first.sent is not None and first.sent.retrying == 1
    [row] = desk.mail.outbox(("pending",))
    assert row["attempts"] == 1 and row["nextAttemptDate"] > NOW.isoformat()[:19]
    assert "451" in row["lastError"]
    server.faults.rcpt = {}
    early = desk.mail.run()  # not yet due
    assert early.sent is not None and early.sent.sent == 0 and server.received == []
    clock.now = NOW + timedelta(minutes=2)
    late = desk.mail.run()
    assert late.sent is not None and late.sent.sent == 1
    assert len(server.received) == 1


def test_a_5xx_fails_for_good_and_mail_check_says_an_agent_must_look(desk: Desk, server: SmtpServer) -> None:
    server.faults.data = "554 5.6.0 message refused"
    desk.mail.answer(mail_ticket(desk), "確認いたします。")
    done = desk.mail.run()
    assert done.failed and done.sent is not None and done.sent.failed == 1
    [row] = desk.mail.outbox(("failed",))
    assert "554" in row["lastError"]
    assert desk.mail.figures()["outboxFailed"] == 1


def test_a_connection_lost_after_the_data_is_uncertain_and_not_sent_again_until_an_agent_says(
    desk: Desk, server: SmtpServer, clock: Clock
) -> None:
    server.faults.drop_after_data = True
    desk.mail.answer(mail_ticket(desk), "確認いたします。")
    done = desk.mail.run()
    assert done.sent is not None and done.sent.uncertain == 1
    assert len(server.received) == 1  # the server has it: that is why it is uncertain
    server.faults.drop_after_data = False
    clock.now = NOW + timedelta(days=1)
    desk.mail.run()
    assert len(server.received) == 1, "an uncertain reply was sent again without an agent's word"
    [row] = desk.mail.outbox(("uncertain",))
    assert desk.mail.resend(row["id"])
    desk.mail.run()
    assert len(server.received) == 2 and outbox_states(desk)[row["id"]] == "sent"


def test_a_4xx_after_the_data_is_tried_again_and_a_drop_once_all_was_written_is_uncertain(
    desk: Desk, server: SmtpServer, clock: Clock
) -> None:
    server.faults.data = "451 4.3.0 local error in processing"
    desk.mail.answer(mail_ticket(desk, 1), "確認いたします。")
    done = desk.mail.run()
    assert done.sent is not None and done.sent.retrying == 1 and server.received == []
    # A reply is small: the whole of it is in the socket's buffer before the server drops the connection in
    # the middle of reading it, so the desk cannot know it was not taken: uncertain, never sent blindly.
    server.faults.data = None
    server.faults.drop_mid_data = True
    desk.mail.answer(mail_ticket(desk, 2), "確認いたします。")
    clock.now = NOW + timedelta(minutes=5)
    done = desk.mail.run()
    assert done.sent is not None and (done.sent.sent, done.sent.uncertain) == (0, 1)
    server.faults.drop_mid_data = False
    clock.now = NOW + timedelta(minutes=10)
    done = desk.mail.run()
    assert done.sent is not None and done.sent.sent == 1 and len(server.received) == 1


def test_a_server_that_cannot_be_reached_ends_the_round_and_leaves_the_other_replies_owed(
    demo_ws: Workspace, tmp_path: Path, smtp_server: Start, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_MAIL_PASSWORD", PASSWORD)
    server = smtp_server("starttls")
    desk = mail_desk(demo_ws, tmp_path, server, clock)
    for n in range(3):
        desk.mail.answer(mail_ticket(desk, n), "確認いたします。")
    closed = SmtpServer(server.security, _closed_port(), server.ca_file, server.handler)
    (tmp_path / "x").mkdir()
    unreachable = mail_desk(demo_ws, tmp_path / "x", closed, clock)
    done = unreachable.mail.run()
    assert done.failed and done.sent is not None
    assert (done.sent.retrying, done.sent.left) == (1, 2)
    assert sorted(outbox_states(desk).values()) == ["pending"] * 3
    clock.now = NOW + timedelta(minutes=5)
    assert desk.mail.run().sent.sent == 3  # type: ignore[union-attr]
    assert len(server.received) == 3


def test_a_reply_left_sending_by_a_runner_that_died_becomes_uncertain(desk: Desk, server: SmtpServer) -> None:
    desk.mail.answer(mail_ticket(desk), "確認いたします。")
    [row] = desk.mail.outbox(("pending",))
    assert desk.ws.mail.take(row["id"])  # a runner took it, then was killed before the server answered
    done = desk.mail.run()
    assert done.sent is not None and done.sent.interrupted == 1 and done.sent.sent == 0
    assert outbox_states(desk)[row["id"]] == "uncertain"
    assert server.received == []


def test_a_reply_still_failing_after_the_last_attempt_fails(desk: Desk, server: SmtpServer, clock: Clock) -> None:
    server.faults.mail = "421 4.7.0 too busy"
    desk.mail.answer(mail_ticket(desk), "確認いたします。")
    for attempt in range(MAX_ATTEMPTS):
        clock.now = NOW + timedelta(days=attempt)
        desk.mail.run()
    [row] = desk.mail.outbox(("failed",))
    assert row["attempts"] == MAX_ATTEMPTS and "given up" in row["lastError"]
