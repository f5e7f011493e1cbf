"""The SMTP client against a real server (aiosmtpd on 127.0.0.1, tests/mail_smtpd.py): every outcome the outbox
acts on (sent, some recipients refused, temporary, permanent, uncertain), each security mode, each AUTH, a
composed reply arriving byte for byte, and settings refused before any connection."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
import trustme

from console.mail.compose import compose
from console.mail.message import Address
from console.mail.smtp import (
    SendPermanent,
    SendReport,
    SendTemporary,
    SendUncertain,
    SmtpSettings,
    check,
    dot_stuffed,
    send,
)
from tests.mail_smtpd import PASSWORD, SERVER_NAME, TOKEN, USER, SmtpServer

Start = Callable[..., SmtpServer]
SENDER = "support@sakura-cloud.example"
RAW = b"From: <support@sakura-cloud.example>\r\nTo: <t@c.example>\r\nSubject: hi\r\n\r\nHello.\r\n"


def test_a_composed_japanese_reply_arrives_byte_for_byte_with_its_threading(smtp_server: Start) -> None:
    server = smtp_server("starttls")
    ticket = {"id": "CSP-001511", "title": "請求書", "contactName": "山田 太郎", "contactEmail": "t@c.example"}
    answering = {
        "messageId": "m2@c.example",
        "refs": ["m0@c.example", "m1@c.example"],
        "fromName": "山田 太郎",
        "fromEmail": "t@c.example",
        "ccList": [("鈴木", "suzuki@c.example")],
        "subject": "Re: 請求書について",
        "body": "請求書が届きません。\n.\n.よろしく",
    }
    out = compose(
        desk=Address("Sakura サポート", SENDER),
        ticket=ticket,
        answering=answering,
        text="ご連絡ありがとうございます。\n.\n.これは行頭のドットです。",
        signature="さくらクラウド",
        when=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
    )
    report = send(server.settings(), out.raw, out.sender, out.recipients)
    assert report == SendReport(refused={})
    [got] = server.received
    assert got.raw == out.raw and got.tls and got.login == USER
    assert got.mail_from == SENDER and got.rcpt_tos == ("t@c.example", "suzuki@c.example")
    msg = message_from_bytes(got.raw, policy=default)
    assert msg["Message-ID"] == f"<{out.message_id}>" and msg["In-Reply-To"] == "<m2@c.example>"
    assert msg["References"] == "<m0@c.example> <m1@c.example> <m2@c.example>"
    assert msg["Subject"] == "Re: 請求書について [CSP-001511]"
    body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "ご連絡ありがとうございます。\n.\n.これは行頭のドットです。" in body and "> .よろしく" in body


def test_lines_of_a_dot_and_lines_starting_with_one_arrive_intact(smtp_server: Start) -> None:
    server = smtp_server()
    raw = RAW + b".\r\n..two\r\n.one\r\nend.\r\n.\r\n"
    assert dot_stuffed(b".a\nb\r.\r\n") == b"..a\r\nb\r\n..\r\n.\r\n"
    send(server.settings(), raw, SENDER, ["t@c.example"])
    assert server.received[0].raw == raw


@pytest.mark.parametrize("security", ["plain", "starttls", "smtps"])
def test_each_security_mode_sends_once_and_check_summarises_it(smtp_server: Start, security: str) -> None:
    server = smtp_server(security)
    send(server.settings(), RAW, SENDER, ["t@c.example"])
    assert [(r.mail_from, r.rcpt_tos, r.tls) for r in server.received] == [
        (SENDER, ("t@c.example",), security != "plain")
    ]
    summary = check(server.settings())
    assert summary.startswith(f"127.0.0.1:{server.port}: {SERVER_NAME}, ")
    if security == "plain":
        assert summary.endswith(", no TLS, auth none")
    else:
        assert summary.endswith(", TLSv1.3, auth PLAIN")


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"mail": "421 4.3.2 Service shutting down"}, 421),
        ({"mail": "451 4.3.0 Try again later"}, 451),
        ({"rcpt": {"*": "451 4.2.1 Mailbox busy"}}, 451),
        ({"rcpt": {"*": "421 4.3.2 Closing"}}, 421),
        ({"data": "451 4.3.0 Queue full"}, 451),
    ],
)
def test_a_4xx_reply_is_temporary_and_nothing_is_delivered(
    smtp_server: Start, fault: dict[str, Any], code: int
) -> None:
    server = smtp_server()
    for name, value in fault.items():
        setattr(server.faults, name, value)
    with pytest.raises(SendTemporary) as caught:
        send(server.settings(), RAW, SENDER, ["t@c.example"])
    assert caught.value.code == code and f"127.0.0.1:{server.port}: " in caught.value.text
    assert server.received == []


def test_one_recipient_refused_is_reported_and_the_others_get_the_message(smtp_server: Start) -> None:
    server = smtp_server()
    server.faults.rcpt = {"gone@c.example": "550 5.1.1 \x1b[31mNo such user\u202e"}
    report = send(server.settings(), RAW, SENDER, ["t@c.example", "gone@c.example", "s@c.example"])
    assert report.refused == {"gone@c.example": (550, "5.1.1 ␛[31mNo such user")}
    assert server.received[0].rcpt_tos == ("t@c.example", "s@c.example")


def test_every_recipient_refused_or_554_after_data_is_permanent(smtp_server: Start) -> None:
    server = smtp_server()
    server.faults.rcpt = {"*": "550 5.1.1 No such user"}
    with pytest.raises(SendPermanent, match=r"every recipient was refused: <t@c.example> 550 5.1.1 No such user"):
        send(server.settings(), RAW, SENDER, ["t@c.example"])
    server.faults.rcpt = {}
    server.faults.data = "554 5.6.0 Message rejected as spam"
    with pytest.raises(SendPermanent, match=r"refused after its data: the server replied 554 5.6.0") as caught:
        send(server.settings(), RAW, SENDER, ["t@c.example"])
    assert caught.value.code == 554 and server.received == []


@pytest.mark.parametrize("security", ["plain", "starttls"])
def test_a_connection_dropped_after_the_whole_data_is_uncertain_and_the_server_has_it_once(
    smtp_server: Start, security: str
) -> None:
    server = smtp_server(security)
    server.faults.drop_after_data = True
    with pytest.raises(SendUncertain, match="may have accepted it") as caught:
        send(server.settings(), RAW, SENDER, ["t@c.example"])
    assert caught.value.code is None
    assert [r.raw for r in server.received] == [RAW]


def test_a_reply_slower_than_the_timeout_after_data_is_uncertain(smtp_server: Start) -> None:
    server = smtp_server()
    server.faults.slow_reply = 6.0  # (only the reply after the data is slow: a loaded machine's steps before are not)
    with pytest.raises(SendUncertain):
        send(server.settings(timeout=2), RAW, SENDER, ["t@c.example"])
    assert [r.raw for r in server.received] == [RAW]


def test_a_connection_dropped_in_the_middle_of_data_is_temporary_and_the_server_has_nothing(
    smtp_server: Start,
) -> None:
    server = smtp_server()
    server.faults.drop_mid_data = True
    big = RAW + b"x" * 998 + b"\r\n"
    big += b"y" * 998 * 8000 + b"\r\n"  # more than the socket buffers hold: the client is still sending
    with pytest.raises(SendTemporary, match="before its end was sent"):
        send(server.settings(), big, SENDER, ["t@c.example"])
    assert server.received == []


def test_a_refused_connection_is_temporary() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = SmtpSettings("127.0.0.1", port, "plain", timeout=2)
    with pytest.raises(SendTemporary, match=f"127.0.0.1:{port}: connecting: Connection refused"):
        send(settings, RAW, SENDER, ["t@c.example"])
    with pytest.raises(SendTemporary):
        check(settings)


@pytest.mark.parametrize("security", ["starttls", "smtps"])
def test_a_certificate_from_an_untrusted_ca_is_permanent(smtp_server: Start, security: str, tmp_path: Any) -> None:
    server = smtp_server(security)
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with pytest.raises(SendPermanent, match="certificate is not trusted"):
        send(server.settings(ca_file=other), RAW, SENDER, ["t@c.example"])
    with pytest.raises(SendPermanent, match="certificate is not trusted"):
        check(server.settings(ca_file=None))  # the system's store does not know the test CA
    assert server.received == []


def test_starttls_required_but_not_offered_is_permanent(smtp_server: Start) -> None:
    server = smtp_server("plain")
    with pytest.raises(SendPermanent, match="does not offer STARTTLS"):
        send(server.settings(security="starttls"), RAW, SENDER, ["t@c.example"])
    assert server.received == []


def test_xoauth2_with_the_token_is_accepted_and_a_bad_token_refused_after_the_error_dance(smtp_server: Start) -> None:
    server = smtp_server("smtps")
    send(server.settings(password=None), RAW, SENDER, ["t@c.example"], token=lambda: TOKEN)
    assert server.received[0].login == USER and server.handler.auths == [("XOAUTH2", USER)]
    assert check(server.settings(), token=lambda: TOKEN).endswith(", auth XOAUTH2")
    server.handler.auths.clear()
    with pytest.raises(
        SendPermanent, match=r"AUTH XOAUTH2 as desk@sakura-cloud.example refused \(its error: "
    ) as caught:
        send(server.settings(), RAW, SENDER, ["t@c.example"], token=lambda: "expired")
    assert caught.value.code == 535 and '"status": "401"' in caught.value.text
    assert server.handler.auths == [("XOAUTH2", None), ("XOAUTH2 answer to the error", "b''")]
    assert len(server.received) == 1


def test_a_token_source_that_fails_is_temporary(smtp_server: Start) -> None:
    server = smtp_server("smtps")

    def broken() -> str:
        raise RuntimeError("MSAL: no cached account")

    with pytest.raises(SendTemporary, match=r"no OAuth token for desk@sakura-cloud.example: MSAL: no cached account"):
        send(server.settings(), RAW, SENDER, ["t@c.example"], token=broken)


def test_a_wrong_password_is_permanent_and_no_login_is_refused_by_a_server_requiring_one(smtp_server: Start) -> None:
    server = smtp_server("starttls")
    with pytest.raises(
        SendPermanent, match=r"AUTH PLAIN as desk@sakura-cloud.example: the server replied 535"
    ) as caught:
        send(server.settings(password=PASSWORD + "!"), RAW, SENDER, ["t@c.example"])
    assert caught.value.code == 535
    with pytest.raises(SendPermanent, match="535"):
        check(server.settings(password="nope"))
    with pytest.raises(
        SendPermanent, match=r"MAIL FROM:<support@sakura-cloud.example> refused: the server replied 530"
    ):
        send(server.settings(username=""), RAW, SENDER, ["t@c.example"])
    assert server.received == []


def test_plain_to_a_host_off_loopback_is_refused_without_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_connection(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    monkeypatch.setattr(socket, "getaddrinfo", no_connection)
    for host in ("192.0.2.10", "mail.example.com", "10.0.0.1"):
        with pytest.raises(SendPermanent, match=f"{host}:25: plain .* only to a loopback address"):
            send(SmtpSettings(host, 25, "plain"), RAW, SENDER, ["t@c.example"])
        with pytest.raises(SendPermanent, match="only to a loopback address"):
            check(SmtpSettings(host, 25, "plain"))


def test_a_non_ascii_address_needs_smtputf8(smtp_server: Start) -> None:
    without = smtp_server(smtputf8=False)
    with pytest.raises(SendPermanent, match="does not offer SMTPUTF8"):
        send(without.settings(), RAW, SENDER, ["山田@例え.jp"])
    assert without.received == []
    server = smtp_server()
    send(server.settings(), RAW, SENDER, ["山田@例え.jp"])
    assert server.received[0].rcpt_tos == ("山田@例え.jp",) and "SMTPUTF8" in server.received[0].mail_options


def test_an_address_that_would_add_a_command_is_refused(smtp_server: Start) -> None:
    server = smtp_server()
    with pytest.raises(SendPermanent, match="is not an address"):
        send(server.settings(), RAW, SENDER, ["t@c.example>\r\nRCPT TO:<evil@x.example"])
    assert server.received == []
