"""The desk's mail round end to end against real servers on 127.0.0.1 (pymap for IMAP, aiosmtpd for SMTP:
tests/mail_imapd.py, tests/mail_smtpd.py) on a real workspace (the 400-ticket demo): the issue's walk-through.

A Japanese mail in ISO-2022-JP with an attachment becomes a ticket of the right customer with a readable body
and its attachment listed, and leaves the inbox for the processed folder; the acknowledgement and the agent's
reply arrive at the SMTP server threaded (In-Reply-To/References, RFC 5322 section 3.6.4) with ``[CSP-…]`` in
the subject; the customer's answer joins the ticket; an out-of-office reply (RFC 3834 ``Auto-Submitted``)
does nothing. Then the same through ``csp-console mail fetch|send-pending|check|test``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.settings.config import load_config
from console.store import Workspace
from tests import mail_corpus as corpus
from tests.conftest import NOW, set_policy
from tests.mail_imapd import GOOD_TOKEN, Imapd, folders
from tests.mail_imapd import PASSWORD as IMAP_PASSWORD
from tests.mail_imapd import USER as IMAP_USER
from tests.mail_smtpd import USER as SMTP_USER
from tests.mail_smtpd import SmtpServer

AGENT = "aiko.tanaka"
CUSTOMER_DOMAIN = "sakura-shoji.co.jp"
CUSTOMER = f"山田 太郎 <taro.yamada@{CUSTOMER_DOMAIN}>"
DESK_ADDRESS = "support@sakura-cloud.example"


def write_config(path: Path, imapd: Imapd, smtp: SmtpServer, inbox: str, processed: str) -> Path:
    """A ``[mail]`` table for the two servers; one CA file trusting both test CAs."""
    bundle = path / "mail-ca.pem"
    bundle.write_bytes(imapd.ca_file.read_bytes() + smtp.ca_file.read_bytes())
    config = path / "config.toml"
    config.write_text(
        '[partner]\nname = "Sakura Cloud Partners"\n\n'
        f'[mail]\naddress = "{DESK_ADDRESS}"\ndisplay_name = "Sakura Cloud Partners サポート"\n'
        f'imap_host = "127.0.0.1"\nimap_port = {imapd.imaps}\nimap_security = "imaps"\n'
        f'imap_username = "{IMAP_USER}"\nfolder = "{inbox}"\nprocessed_folder = "{processed}"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_security = "starttls"\n'
        f'smtp_username = "{SMTP_USER}"\n'
        f'ca_bundle = "{bundle}"\ntimeout_seconds = 10\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture
def servers(pymapd: Imapd, smtp_server: object, monkeypatch: pytest.MonkeyPatch) -> tuple[Imapd, SmtpServer]:
    import tests.mail_smtpd as smtpd

    # A desk's mailbox account has one password for IMAP and SMTP (``password_env``): the SMTP test server
    # takes the IMAP test account's.
    monkeypatch.setattr(smtpd, "PASSWORD", IMAP_PASSWORD)
    monkeypatch.setenv("CSP_CONSOLE_MAIL_PASSWORD", IMAP_PASSWORD)
    return pymapd, smtp_server("starttls")  # type: ignore[operator]


@pytest.fixture
def setup(
    demo_ws: Workspace, tmp_path: Path, servers: tuple[Imapd, SmtpServer]
) -> tuple[Desk, Imapd, SmtpServer, str, str, Path]:
    imapd, smtp = servers
    inbox, processed = folders()
    config = write_config(tmp_path, imapd, smtp, inbox, processed)
    set_policy(demo_ws, {"mail.acknowledge": True})
    desk = Desk(demo_ws, load_config(config), load_plugins(), AGENT, lambda: NOW)
    return desk, imapd, smtp, inbox, processed, config


def japanese_mail_with_attachment() -> bytes:
    body = corpus.text_part(corpus.JA_BODY, label="ISO-2022-JP", codec="jis_ms", cte="7bit")
    pdf = corpus.binary_part(b"%PDF-1.4 invoice", "application/pdf", "attachment", '; filename="invoice-11.pdf"')
    envelope = corpus.Envelope(
        CUSTOMER, DESK_ADDRESS, "請求書の金額について（11月分）", "<jp-1@sakura-shoji.co.jp>", None, None, corpus.DATE
    )
    return corpus.message(corpus.multipart("mixed", [body, pdf], "b-1"), envelope, "ISO-2022-JP", "jis_ms")


def test_the_walk_through(setup: tuple[Desk, Imapd, SmtpServer, str, str, Path]) -> None:
    desk, imapd, smtp, inbox, processed, _ = setup
    imapd.put(inbox, japanese_mail_with_attachment())
    first = desk.mail.run()
    assert not first.failed, str(first)
    assert first.fetched is not None and first.fetched.states["ticket"] == 1
    assert imapd.listing(inbox) == {} and len(imapd.listing(processed)) == 1
    ticket = desk.ws.conn.execute("SELECT * FROM tickets WHERE channel = 'email' ORDER BY seq DESC").fetchone()
    assert (
        ticket["customerId"]
        == desk.ws.conn.execute("SELECT id FROM customers WHERE domain = ?", (CUSTOMER_DOMAIN,)).fetchone()[0]
    )
    ticket_id = ticket["id"]
    [incoming] = [m for m in desk.mail.of_ticket(ticket_id) if m["direction"] == "in"]
    assert corpus.JA_REQUEST in incoming["body"]
    assert [(a.filename, a.size, a.content_type, a.kept) for a in incoming["attachments"]] == [
        ("invoice-11.pdf", 16, "application/pdf", True)
    ]
    # The acknowledgement went out in the same round: automatic, naming the ticket.
    [ack] = smtp.received
    ack_message = message_from_bytes(ack.raw, policy=default)
    assert ack_message["Auto-Submitted"] == "auto-replied"
    assert f"[{ticket_id}]" in str(ack_message["Subject"]) and ack.rcpt_tos == (f"taro.yamada@{CUSTOMER_DOMAIN}",)

    desk.mail.answer(ticket_id, "ご連絡ありがとうございます。請求書を確認いたします。")
    second = desk.mail.run()
    assert second.sent is not None and second.sent.sent == 1, str(second)
    reply = message_from_bytes(smtp.received[-1].raw, policy=default)
    assert reply["In-Reply-To"] == "<jp-1@sakura-shoji.co.jp>"
    assert "<jp-1@sakura-shoji.co.jp>" in str(reply["References"])
    assert str(reply["Subject"]).startswith("Re: 請求書の金額について") and f"[{ticket_id}]" in str(reply["Subject"])
    assert desk.ws.tickets.ticket(ticket_id)["status"] == "waiting_customer"  # type: ignore[index]

    answer = corpus.japanese_iso2022jp(
        from_=CUSTOMER,
        to=DESK_ADDRESS,
        subject=f"Re: {reply['Subject']}",
        message_id="<jp-2@sakura-shoji.co.jp>",
        in_reply_to=str(reply["Message-ID"]),
        references=[str(reply["References"]), str(reply["Message-ID"])],
        body="確認ありがとうございます。よろしくお願いいたします。\n",
    )
    out_of_office = corpus.auto_reply(
        from_=CUSTOMER, to=DESK_ADDRESS, message_id="<ooo-1@sakura-shoji.co.jp>", in_reply_to=str(reply["Message-ID"])
    )
    imapd.put(inbox, answer, out_of_office)
    sent_before = len(smtp.received)
    third = desk.mail.run()
    assert third.fetched is not None and (third.fetched.states["joined"], third.fetched.states["ignored"]) == (1, 1)
    assert desk.ws.tickets.ticket(ticket_id)["status"] == "in_progress"  # type: ignore[index]
    assert [m["messageId"] for m in desk.mail.of_ticket(ticket_id) if m["direction"] == "in"] == [
        "jp-1@sakura-shoji.co.jp",
        "jp-2@sakura-shoji.co.jp",
    ]
    assert len(smtp.received) == sent_before, "an out-of-office or a joined reply was acknowledged"
    assert imapd.listing(inbox) == {} and len(imapd.listing(processed)) == 3


def csp(config: Path, db: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console.cli", "--db", str(db), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CSP_CONSOLE_AGENT": AGENT},
    )


def test_the_commands_read_the_mailbox_send_the_outbox_and_say_what_they_did(
    setup: tuple[Desk, Imapd, SmtpServer, str, str, Path],
) -> None:
    desk, imapd, smtp, inbox, _, config = setup
    db = desk.ws.locator
    imapd.put(inbox, japanese_mail_with_attachment(), corpus.auto_reply(from_=CUSTOMER, to=DESK_ADDRESS))
    tested = csp(config, db, "mail", "test")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.startswith(f"imap: ok  127.0.0.1:{imapd.imaps} {inbox}: 2 waiting")
    assert "smtp: ok" in tested.stdout
    fetched = csp(config, db, "mail", "fetch")
    assert fetched.returncode == 0, fetched.stderr
    assert "mailbox: 2 read, 1 new tickets, 0 joined, 0 unmatched, 1 ignored" in fetched.stdout
    assert smtp.received == []  # fetch alone sends nothing: the acknowledgement is owed
    sent = csp(config, db, "mail", "send-pending", "--json")
    assert sent.returncode == 0, sent.stderr
    assert '"sent": 1' in sent.stdout and len(smtp.received) == 1
    check = csp(config, db, "mail", "check")
    assert check.returncode == 0 and "outbox: 0 owed, 0 failed, 0 uncertain" in check.stdout
    smtp.faults.data = "554 5.6.0 refused"
    ticket = desk.ws.conn.execute("SELECT id FROM tickets WHERE channel = 'email' ORDER BY seq DESC").fetchone()[0]
    desk.mail.answer(ticket, "確認いたします。")
    failed = csp(config, db, "mail", "send-pending")
    assert failed.returncode == 1 and "554" in failed.stdout
    assert csp(config, db, "mail", "check").returncode == 1  # a failed reply: an agent must look


def test_mail_test_names_the_server_that_refused_and_exits_1(
    setup: tuple[Desk, Imapd, SmtpServer, str, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, imapd, smtp, _, _, config = setup
    monkeypatch.setenv("CSP_CONSOLE_MAIL_PASSWORD", "wrong")
    tested = csp(config, desk.ws.locator, "mail", "test")
    assert tested.returncode == 1
    lines = tested.stdout.splitlines()
    assert lines[0].startswith("imap: FAILED") and f"127.0.0.1:{imapd.imaps}" in lines[0]
    assert lines[1].startswith("smtp: FAILED") and f"127.0.0.1:{smtp.port}" in lines[1]


def test_with_oauth_the_desk_logs_in_to_both_servers_with_exchange_onlines_token(
    demo_ws: Workspace,
    tmp_path: Path,
    dovecot: Callable[[str], Imapd],
    smtp_server: Callable[..., SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``[mail] oauth``: XOAUTH2 on IMAP and SMTP with the one token of the Exchange Online audience
    (``CSP_CONSOLE_MAIL_TOKEN`` here; MSAL's in a deployment), no password anywhere (Dovecot's oauth2 passdb
    checks the token against the test's introspection endpoint)."""
    import tests.mail_smtpd as smtpd

    imapd, smtp = dovecot("oauth"), smtp_server("starttls")
    monkeypatch.setattr(smtpd, "TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("CSP_CONSOLE_MAIL_TOKEN", GOOD_TOKEN)
    monkeypatch.delenv("CSP_CONSOLE_MAIL_PASSWORD", raising=False)
    inbox, processed = folders()
    config = write_config(tmp_path, imapd, smtp, inbox, processed)
    config.write_text(config.read_text(encoding="utf-8") + "oauth = true\n", encoding="utf-8")
    desk = Desk(demo_ws, load_config(config), load_plugins(), AGENT, lambda: NOW)
    imapd.put(inbox, japanese_mail_with_attachment())
    lines = desk.mail.test()
    assert [ok for _, ok, _ in lines] == [True, True], lines
    assert "XOAUTH2" in lines[1][2]
    done = desk.mail.run()
    assert not done.failed and done.fetched is not None and done.fetched.states["ticket"] == 1, str(done)
    monkeypatch.setenv("CSP_CONSOLE_MAIL_TOKEN", "an-expired-token")
    refused = desk.mail.test()
    assert [ok for _, ok, _ in refused] == [False, False], refused


def test_the_health_board_says_which_process_reads_the_mail_and_what_waits(
    setup: tuple[Desk, Imapd, SmtpServer, str, str, Path],
) -> None:
    desk, imapd, _, inbox, _, config = setup
    imapd.put(inbox, corpus.utf8_plain(from_="Jane <jane@unknown-reseller.example>", to=DESK_ADDRESS))
    desk.mail.run(keep=True)  # as the console's background job: the lease stays with this process
    board = csp(config, desk.ws.locator, "health")
    assert board.returncode == 0, board.stderr
    [runner] = [line for line in board.stdout.splitlines() if "Mail read and sent by" in line]
    assert f"{AGENT}'s process {os.getpid()} on" in runner
    [unmatched] = [line for line in board.stdout.splitlines() if "Unmatched mail" in line]
    assert unmatched.split()[-1] == "1"
    desk.mail.lease.release()
    figures = json.loads(csp(config, desk.ws.locator, "health", "--json").stdout)["mail"]
    assert figures["runner"] is None and figures["unmatched"] == 1 and figures["lastRound"]
