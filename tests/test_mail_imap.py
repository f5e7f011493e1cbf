"""Our IMAP client (console.mail.imap) against real servers on 127.0.0.1 (tests/mail_imapd.py): pymap (MOVE,
UIDPLUS, IDLE) and Dovecot (XOAUTH2; advertising less to drive the COPY paths and NOOP polling), faults through
a relay that cuts or stalls the server's side, and a whole round of console.mail.fetching into a real workspace.

Protocol facts: RFC 3501 (UID SEARCH/FETCH/COPY/STORE, UIDVALIDITY), RFC 6851 (MOVE), RFC 4315 (UID EXPUNGE),
RFC 2177 (IDLE), Microsoft's "Authenticate an IMAP, POP or SMTP connection using OAuth" (XOAUTH2).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from console.desk.door import Desk
from console.mail import imap as imap_module
from console.mail.fetching import fetch
from console.mail.imap import ImapMailbox, MailboxError, folder_name
from console.plugins.host import load_plugins
from console.settings.config import load_config
from console.store import Workspace
from tests import mail_corpus
from tests.conftest import NOW
from tests.mail_imapd import GOOD_TOKEN, Imapd, TokenEndpoint, folders
from tests.mail_relay import relay

Dovecot = Callable[[str], Imapd]


def server_of(request: pytest.FixtureRequest, name: str) -> Imapd:
    """pymap, or a Dovecot variant (started, or the test skipped, only when a test asks for one)."""
    if name == "pymap":
        return request.getfixturevalue("pymapd")  # type: ignore[no-any-return]
    dovecot: Dovecot = request.getfixturevalue("dovecot")
    return dovecot(name)


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def simple(n: int, size: int = 0) -> bytes:
    return crlf(f"From: a{n}@contoso.example\nSubject: message {n}\nMessage-ID: <m{n}@contoso.example>\n\n") + (
        b"x" * 70 + b"\r\n"
    ) * (size // 72 + 1)


# -- connecting and logging in -----------------------------------------------------------------------------------
@pytest.mark.parametrize("security", ["imaps", "starttls", "plain"])
def test_each_security_reads_the_folder_and_its_uidvalidity(pymapd: Imapd, security: str) -> None:
    inbox, _ = folders()
    pymapd.put(inbox, simple(1), simple(2))
    with ImapMailbox(pymapd.settings(security, folder=inbox)) as box:  # type: ignore[arg-type]
        uids = box.uids()
        assert uids == sorted(pymapd.listing(inbox))
        assert len(uids) == 2
        with pymapd.client() as other:
            _, status = other.status(folder_name(inbox), "(UIDVALIDITY)")
        assert f"UIDVALIDITY {box.uidvalidity}".encode() in status[0]
        assert box.uidvalidity > 0
        assert {"MOVE", "UIDPLUS", "IDLE"} <= box.capabilities


def test_plain_to_a_host_not_on_loopback_is_refused_before_connecting() -> None:
    settings = imap_module.ImapSettings("192.0.2.10", 143, "desk", "plain", password="x", timeout=0.5)
    with pytest.raises(MailboxError, match=r"192\.0\.2\.10:143.*only for a loopback host") as caught:
        ImapMailbox(settings).open()
    assert caught.value.transient is False


def test_a_wrong_password_is_not_transient(pymapd: Imapd) -> None:
    with pytest.raises(MailboxError, match=r"127\.0\.0\.1:\d+ folder INBOX: logging in") as caught:
        ImapMailbox(pymapd.settings(password="wrong")).open()
    assert caught.value.transient is False


@pytest.mark.parametrize("security", ["imaps", "starttls"])
def test_a_certificate_not_from_a_trusted_ca_is_not_transient(pymapd: Imapd, security: str) -> None:
    with pytest.raises(MailboxError, match="certificate is not trusted") as caught:
        ImapMailbox(pymapd.settings(security, ca_file=None)).open()  # type: ignore[arg-type]
    assert caught.value.transient is False


def test_a_certificate_for_another_host_name_is_not_transient(pymapd: Imapd) -> None:
    """The CA is trusted, but the certificate names 127.0.0.1 and localhost, not 127.0.0.2 (the relay's)."""
    with relay(pymapd.imaps, listen="127.0.0.2") as r:
        settings = pymapd.settings(host="127.0.0.2", port=r.port)
        with pytest.raises(MailboxError, match="certificate is not trusted: IP address mismatch") as caught:
            ImapMailbox(settings).open()
        assert caught.value.transient is False


def test_a_missing_folder_is_not_transient_and_names_the_folder(pymapd: Imapd) -> None:
    with pytest.raises(MailboxError, match="folder No such folder: the folder is missing") as caught:
        ImapMailbox(pymapd.settings(folder="No such folder")).open()
    assert caught.value.transient is False


def test_a_server_not_listening_is_transient(pymapd: Imapd) -> None:
    with relay(pymapd.imaps) as r:
        port = r.port
    with pytest.raises(MailboxError) as caught:
        ImapMailbox(pymapd.settings(port=port)).open()
    assert caught.value.transient is True


def test_xoauth2_with_a_good_token_logs_in_and_a_bad_one_is_refused(
    dovecot: Dovecot, token_endpoint: TokenEndpoint
) -> None:
    server = dovecot("oauth")
    server.put("INBOX", simple(1))
    with ImapMailbox(server.settings(password=None), token=lambda: GOOD_TOKEN) as box:
        assert len(box.uids()) >= 1  # logged in: the folder reads
    assert token_endpoint.asked[-1] == GOOD_TOKEN
    with pytest.raises(MailboxError, match="logging in") as caught:
        ImapMailbox(server.settings(password=None), token=lambda: "expired-token").open()
    assert caught.value.transient is False
    assert token_endpoint.asked[-1] == "expired-token"


def test_a_token_for_a_server_without_xoauth2_is_not_transient(pymapd: Imapd) -> None:
    with pytest.raises(MailboxError, match="does not offer XOAUTH2") as caught:
        ImapMailbox(pymapd.settings(password=None), token=lambda: GOOD_TOKEN).open()
    assert caught.value.transient is False


# -- reading -----------------------------------------------------------------------------------------------------
def eight_bit() -> bytes:
    head = crlf("From: b@contoso.example\nSubject: bytes\nMIME-Version: 1.0\n")
    head += crlf("Content-Type: application/octet-stream\nContent-Transfer-Encoding: 8bit\n\n")
    return head + b"".join(bytes(range(128 + k, 256)) + b' \t{}()"\\*%\r\n' for k in range(0, 120, 8))


@pytest.mark.parametrize("name", ["pymap", "full"])
def test_fetch_gives_each_message_byte_for_byte_with_date_and_size(request: pytest.FixtureRequest, name: str) -> None:
    server = server_of(request, name)
    inbox, _ = folders()
    messages = [
        mail_corpus.japanese_iso2022jp(),
        mail_corpus.japanese_euc_jp(),
        mail_corpus.utf8_plain(cte="8bit"),
        eight_bit(),
    ]
    server.put(inbox, *messages)
    with ImapMailbox(server.settings(folder=inbox)) as box:
        got = list(box.fetch(box.uids()))
    assert [m.raw for m in got] == messages
    assert b"\x1b$B" in got[0].raw  # ISO-2022-JP as it was appended
    for m in got:
        assert m.size == len(m.raw)
        assert m.internaldate.tzinfo is not None and m.internaldate.utcoffset() == UTC.utcoffset(None)
        assert abs(time.time() - m.internaldate.timestamp()) < 600


def test_a_ten_megabyte_message_arrives_whole(pymapd: Imapd) -> None:
    inbox, _ = folders()
    big = mail_corpus.large_attachment()
    pymapd.put(inbox, big, simple(2))
    with ImapMailbox(pymapd.settings(folder=inbox)) as box:
        got = list(box.fetch(box.uids()))
    assert [len(m.raw) for m in got] == [len(big), len(simple(2))]
    assert got[0].raw == big and got[0].size == len(big) > 10 * 1024 * 1024


@pytest.mark.parametrize("name", ["pymap", "full"])
def test_a_uid_removed_by_another_client_meanwhile_is_skipped(request: pytest.FixtureRequest, name: str) -> None:
    server = server_of(request, name)
    inbox, _ = folders()
    server.put(inbox, *(simple(n) for n in range(12)))
    with ImapMailbox(server.settings(folder=inbox)) as box:
        uids = box.uids()
        server.expunge(inbox, [uids[11]])
        got = list(box.fetch([*uids, uids[-1] + 50]))  # and one that never was
    assert [m.uid for m in got] == uids[:11]
    assert [m.raw for m in got] == [simple(n) for n in range(11)]


# -- moving ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["pymap", "no-move", "imap4rev1"])
def test_moved_messages_end_in_the_processed_folder_created_when_missing(
    request: pytest.FixtureRequest, variant: str
) -> None:
    """pymap: UID MOVE; Dovecot without MOVE: COPY, STORE, UID EXPUNGE; without UIDPLUS: COPY and STORE."""
    server = server_of(request, variant)
    inbox, done = folders()
    messages = [simple(n) for n in range(5)]
    server.put(inbox, *messages)
    assert server.listing(done) == {}
    with ImapMailbox(server.settings(folder=inbox, processed_folder=done)) as box:
        assert ("MOVE" in box.capabilities) is (variant == "pymap")
        assert ("UIDPLUS" in box.capabilities) is (variant != "imap4rev1")
        uids = box.uids()
        box.move_to_processed(uids[:2])
        box.move_to_processed(uids[2:])
        assert box.uids() == []
    assert sorted(server.listing(done).values()) == sorted(messages)
    assert server.listing(inbox) == {}
    with server.client() as other:  # without UIDPLUS the originals wait, flagged, for someone's EXPUNGE
        other.select(folder_name(inbox), readonly=True)
        _, left = other.uid("SEARCH", "ALL")
    assert len(left[0].split()) == (5 if variant == "imap4rev1" else 0)


def test_a_processed_folder_with_a_japanese_name(pymapd: Imapd) -> None:
    inbox, _ = folders()
    pymapd.put(inbox, simple(1))
    with ImapMailbox(pymapd.settings(folder=inbox, processed_folder=f"処理済み & {inbox}")) as box:
        box.move_to_processed(box.uids())
    assert list(pymapd.listing(f"処理済み & {inbox}").values()) == [simple(1)]
    # RFC 3501 section 5.1.3: UTF-7 (RFC 2152) with "&" for "+", "&-" for "&"
    assert folder_name("処理済み & x") == '"' + "処理済み".encode("utf-7").decode().replace("+", "&") + ' &- x"'


# -- waiting -----------------------------------------------------------------------------------------------------
def append_later(server: Imapd, folder: str, delay: float) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(delay), server.put(folder, simple(9))))
    thread.start()
    return thread


@pytest.mark.parametrize("variant", ["pymap", "full", "imap4rev1"])
def test_wait_for_new_wakes_on_a_message_from_another_client_and_times_out_otherwise(
    request: pytest.FixtureRequest, variant: str
) -> None:
    """IDLE on pymap and Dovecot; NOOP after the wait where the server does not say IDLE."""
    server = server_of(request, variant)
    inbox, _ = folders()
    server.put(inbox, simple(1))
    with ImapMailbox(server.settings(folder=inbox)) as box:
        assert ("IDLE" in box.capabilities) is (variant != "imap4rev1")
        started = time.monotonic()
        assert box.wait_for_new(0.4) is False
        assert 0.35 < time.monotonic() - started < 3
        thread = append_later(server, inbox, 0.2)
        started = time.monotonic()
        assert box.wait_for_new(5 if variant != "imap4rev1" else 3.0) is True  # (NOOP after 3 s: the append done)
        waited = time.monotonic() - started
        thread.join()
        if variant != "imap4rev1":
            assert waited < 3  # woken, not timed out
        assert len(box.uids()) == 2  # the connection is still good after IDLE's DONE
        assert box.wait_for_new(0.2) is False


# -- faults ------------------------------------------------------------------------------------------------------
def test_a_connection_cut_mid_fetch_is_transient_and_closing_never_raises(pymapd: Imapd) -> None:
    inbox, _ = folders()
    pymapd.put(inbox, *(simple(n, 20_000) for n in range(6)))
    uids = sorted(pymapd.listing(inbox))
    with relay(pymapd.imaps) as r:
        r.cut_after = 60_000  # after the login, within the first batch's bodies
        box = ImapMailbox(pymapd.settings(port=r.port, folder=inbox))
        box.open()
        with pytest.raises(MailboxError, match="fetching messages: connection lost") as caught:
            list(box.fetch(uids))
        assert caught.value.transient is True
        with pytest.raises(MailboxError, match="not open") as again:
            box.uids()  # a lost connection is not used again
        assert again.value.transient is True
        box.close()
        box.close()
    assert r.passed == [60_000]


def test_a_stalled_server_times_out_as_transient(pymapd: Imapd) -> None:
    inbox, _ = folders()
    pymapd.put(inbox, *(simple(n, 20_000) for n in range(3)))
    with relay(pymapd.imaps) as r:
        r.stall_after = 30_000
        box = ImapMailbox(pymapd.settings(port=r.port, folder=inbox, timeout=1.0))
        box.open()
        started = time.monotonic()
        with pytest.raises(MailboxError) as caught:
            list(box.fetch(box.uids()))
        assert caught.value.transient is True
        assert time.monotonic() - started < 5
        box.close()


# -- a whole round ---------------------------------------------------------------------------------------------
def customer_mail(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"山田 太郎 <taro{n}@sakura-shoji.co.jp>"
    msg["To"] = "support@sakura-cloud.example"
    msg["Subject"] = f"お問い合わせ {n}"
    msg["Date"] = format_datetime(NOW)
    msg["Message-ID"] = f"<round-{n}@sakura-shoji.co.jp>"
    msg.set_content(f"問い合わせ {n} です。\n" + "詳細をご確認ください。\n" * 150)
    return msg.as_bytes().replace(b"\n", b"\r\n")


def test_a_round_cut_midway_then_a_second_round_store_each_mail_once_and_move_all(
    pymapd: Imapd, demo_ws: Workspace, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[mail]\naddress = "support@sakura-cloud.example"\nimap_host = "127.0.0.1"\n', encoding="utf-8")
    intake = Desk(demo_ws, load_config(config), load_plugins(), "aiko.tanaka", lambda: NOW).mail.intake()
    inbox, done = folders()
    messages = [customer_mail(n) for n in range(20)]
    pymapd.put(inbox, *messages)
    name = f"desk@127.0.0.1/{inbox}"
    before = sum(demo_ws.mail.counts().get(s, 0) for s in ("ticket", "joined", "unmatched", "ignored"))
    size = len(messages[0])
    with relay(pymapd.imaps) as r:
        r.cut_after = 5_000 + int(size * 15)  # the login, the first batch of 10, half of the second
        with pytest.raises(MailboxError) as caught:
            fetch(intake, lambda: ImapMailbox(pymapd.settings(port=r.port, folder=inbox, processed_folder=done)), name)
        assert caught.value.transient is True, caught.value
    stored = [m for n in range(20) if (m := demo_ws.mail.message(f"round-{n}@sakura-shoji.co.jp"))]
    assert len(stored) == imap_module.FETCH_BATCH  # the first batch stored, the second lost with the connection
    assert pymapd.listing(done) == {}  # nothing moved: the round's batch was not finished

    report = fetch(intake, lambda: ImapMailbox(pymapd.settings(folder=inbox, processed_folder=done)), name)

    assert report.found == 20 and report.moved == 20 and report.read == 10
    after = sum(demo_ws.mail.counts().get(s, 0) for s in ("ticket", "joined", "unmatched", "ignored"))
    assert after - before == 20
    for n in range(20):
        row = demo_ws.mail.message(f"round-{n}@sakura-shoji.co.jp")
        assert row is not None and row["mailbox"] == name
    assert sorted(pymapd.listing(done).values()) == sorted(messages)
    assert pymapd.listing(inbox) == {}
    with pymapd.client() as other:
        assert other.select(folder_name(inbox))[1] == [b"0"]
