"""The mail parser (issue 20, "Parsing real mail"): the corpus of :mod:`tests.mail_corpus` read as the desk
must read it (Japanese in every encoding it arrives in, HTML-only mail, attachments named every way, history
folded, automatic mail told apart), and any bytes at all read without an exception."""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.mail import parse as parse_module
from console.mail.charsets import decode
from console.mail.history import fold
from console.mail.message import Address, ParsedMail
from console.mail.names import safe_filename
from console.mail.parse import MAX_ATTACHMENT, parse_message
from tests import mail_corpus as corpus
from tests.mail_corpus import CP932_ONLY, HOSTILE, JA_NAME, JA_REQUEST

SAKURA = Address(JA_NAME, "yamada@sakura.example")


# -- Japanese ------------------------------------------------------------------------------------------------------
def test_iso2022jp_is_written_as_japanese_mailers_write_it_and_read_back() -> None:
    raw = corpus.japanese_iso2022jp()
    assert b"Content-Type: text/plain; charset=ISO-2022-JP" in raw and b"Content-Transfer-Encoding: 7bit" in raw
    assert raw.count(b"=?ISO-2022-JP?B?") >= 3  # the subject over several words, the name in one
    assert raw.isascii()
    mail = parse_message(raw)
    assert mail.subject == "請求書の金額について（11月分）のお問い合わせ"
    assert mail.sender == SAKURA
    assert JA_REQUEST in mail.text and "サポートご担当者様" in mail.text
    assert mail.problems == ()


def test_iso2022jp_from_outlook_reads_windows_characters_python_refuses() -> None:
    raw = corpus.japanese_iso2022jp(subject="①の件", body="①番の請求書、㈱さくら、髙橋様\n")
    assert b"\x1b$B-!" in raw  # ① as Outlook writes it: row 13 under ESC $ B
    with pytest.raises(UnicodeDecodeError):
        b"\x1b$B-!\x1b(B".decode("iso2022_jp_2")
    mail = parse_message(raw)
    assert mail.subject == "①の件"
    assert mail.text == "①番の請求書、㈱さくら、髙橋様"
    assert mail.problems == ()


def test_shift_jis_is_read_as_code_page_932() -> None:
    raw = corpus.japanese_shift_jis()
    assert b"charset=Shift_JIS" in raw and b"Content-Transfer-Encoding: base64" in raw
    with pytest.raises(UnicodeEncodeError):
        CP932_ONLY.encode("shift_jis")  # the label's own codec has none of them
    mail = parse_message(raw)
    assert JA_REQUEST in mail.text
    assert "①月額 10,000円～20,000円" in mail.text and "㈱" in mail.text
    assert mail.subject == "【至急】請求書①の金額"
    assert mail.sender == SAKURA
    assert mail.problems == ()


def test_euc_jp_in_8bit() -> None:
    raw = corpus.japanese_euc_jp()
    assert "請求書".encode("euc_jp") in raw and b"=?EUC-JP?B?" in raw
    mail = parse_message(raw)
    assert JA_REQUEST in mail.text and mail.subject == "請求書の金額" and mail.sender == SAKURA
    assert mail.problems == ()


def test_utf8_quoted_printable() -> None:
    raw = corpus.utf8_plain()
    assert b"quoted-printable" in raw and b"=E3=81=8A" in raw
    mail = parse_message(raw)
    assert mail.text == "Hello,\n\nAfter the renewal our 25 Microsoft 365 E3 licences are missing.\nお願いします。"
    assert mail.subject == "Licences missing after renewal"


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    subject = corpus.split_utf8_words(JA_REQUEST, at=4)  # byte 4 is inside the second character
    mail = parse_message(corpus.utf8_plain(subject=subject))
    assert mail.subject == JA_REQUEST


def test_q_encoded_words_and_names() -> None:
    raw = corpus.utf8_plain(
        from_="=?UTF-8?Q?=E5=B1=B1=E7=94=B0_=E5=A4=AA=E9=83=8E?= <yamada@Sakura.Example>",
        subject="=?utf-8?q?Re=3A_=E8=AB=8B=E6=B1=82?= =?iso-2022-jp?q?=1B$B=3DqN=60=1B=28B?=",
    )
    mail = parse_message(raw)
    assert mail.sender == SAKURA  # the domain lower-cased
    assert mail.subject == "Re: 請求書類"


def test_raw_8bit_headers_are_read_utf8_or_guessed() -> None:
    raw = corpus.utf8_plain(subject="PLACEHOLDER", from_="NAME <yamada@sakura.example>")
    utf8 = parse_message(raw.replace(b"PLACEHOLDER", "請求書".encode()).replace(b"NAME", JA_NAME.encode()))
    assert (utf8.subject, utf8.sender) == ("請求書", SAKURA)
    assert utf8.problems == ()  # RFC 6532 allows UTF-8 in headers
    sjis = parse_message(raw.replace(b"PLACEHOLDER", "請求書".encode("cp932")))
    assert sjis.subject == "請求書"
    assert sjis.problems == ("Subject: 8-bit text without a charset, read as Shift_JIS (cp932)",)


def test_a_wrong_label_is_read_by_a_guess_or_with_replacements_and_said() -> None:
    text, problem = decode(CP932_ONLY.encode("cp932"), "utf-8")
    assert (text, problem) == (CP932_ONLY, "charset 'utf-8' does not fit the text, read as Shift_JIS (cp932)")
    text, problem = decode(b"\xff\xfe\xfd ok", "utf-8")
    assert text == "\ufffd\ufffd\ufffd ok"
    assert problem == "charset 'utf-8' does not fit the text, read as UTF-8 with replacements"
    text, problem = decode("請求書".encode("cp932"), "ISO-2022-JP")
    assert (text, problem) == ("請求書", "charset 'ISO-2022-JP' does not fit the text, read as Shift_JIS (cp932)")


def test_an_unknown_charset_is_read_as_utf8_with_replacements_and_said() -> None:
    part = corpus.text_part("請求書", label="x-unknown", codec="cp932")
    mail = parse_message(corpus.message(part, corpus.Envelope()))
    assert "\ufffd" in mail.text
    assert mail.problems == ("body: charset 'x-unknown' unknown, read as UTF-8 with replacements",)
    assert decode(b"plain ascii", "x-unknown") == ("plain ascii", None)


def test_charset_labels_that_are_no_text_encodings_are_unknown() -> None:
    assert (
        decode(b"\\u0041\xff", "unicode_escape")[1]
        == "charset 'unicode_escape' unknown, read as UTF-8 with replacements"
    )
    assert decode(b"x\xff", "zlib")[1] == "charset 'zlib' unknown, read as UTF-8 with replacements"


# -- bodies --------------------------------------------------------------------------------------------------------
def test_alternative_prefers_the_plain_text() -> None:
    mail = parse_message(corpus.alternative())
    assert (mail.text, mail.html_only, mail.attachments) == ("The plain version.", False, ())


def test_an_empty_plain_alternative_gives_way_to_the_html() -> None:
    mail = parse_message(corpus.alternative(body="\n"))
    assert (mail.text, mail.html_only) == ("The HTML version.", True)


def test_html_only_mail_is_readable_text() -> None:
    long_paragraph = "word " * 40
    mail = parse_message(corpus.html_only(body=corpus.HTML_BODY.replace("Hello,", f"Hello, {long_paragraph}")))
    assert mail.html_only
    assert "See [the portal](https://portal.azure.example/#blade/sub/1234)." in mail.text  # links kept
    assert "Contoso logo" in mail.text and "cid:" not in mail.text  # images as their alt text
    assert f"Hello, {long_paragraph}".strip() in mail.text  # no wrapping at 78 columns
    assert "* Subscription 1234" in mail.text and JA_REQUEST in mail.text
    assert "Our Azure subscription was suspended." in mail.text  # no emphasis marks
    assert "<" not in mail.text and "alert" not in mail.text and "color" not in mail.text


def test_html2text_is_not_run_for_mail_with_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(source: str) -> tuple[str, str | None]:
        raise AssertionError("html2text run for a plain-text mail")

    monkeypatch.setattr(parse_module, "html_text", refuse)
    assert parse_message(corpus.alternative()).text == "The plain version."
    assert parse_message(corpus.multipart_with_attachments()).text.startswith(JA_REQUEST)
    with pytest.raises(AssertionError):
        parse_module.html_text("<p>x</p>")


def test_text_image_text_bodies_read_whole() -> None:
    parts = [corpus.text_part("Before the picture.\n"), corpus.binary_part(corpus.PNG, "image/png", "inline")]
    parts.append(corpus.text_part("After the picture.\n"))
    mail = parse_message(corpus.message(corpus.multipart("mixed", parts, "apple-1"), corpus.Envelope()))
    assert mail.text == "Before the picture.\n\nAfter the picture."
    assert [(a.filename, a.inline, a.size) for a in mail.attachments] == [("attachment-1.png", True, len(corpus.PNG))]


def test_a_multipart_without_boundary_is_read_as_text() -> None:
    raw = corpus.utf8_plain(cte="7bit", body="just text\n").replace(b"text/plain; charset=UTF-8", b"multipart/mixed")
    mail = parse_message(raw)
    assert mail.text == "just text"
    assert "multipart/mixed without a boundary, read as text" in mail.problems


# -- attachments ---------------------------------------------------------------------------------------------------
def test_attachments_are_listed_with_names_decoded_and_made_safe() -> None:
    mail = parse_message(corpus.multipart_with_attachments())
    assert mail.text == f"{JA_REQUEST}。\n添付をご覧ください。"
    listed = [(a.filename, a.content_type, a.inline, a.kept) for a in mail.attachments]
    assert listed == [
        ("image001.png", "image/png", True, True),
        ("請求書.pdf", "application/pdf", False, True),  # RFC 2231, UTF-8
        ("見積書.xlsx", "application/vnd.ms-excel", False, True),  # RFC 2231 in two sections, ISO-2022-JP
        ("明細.csv", "text/csv", False, True),  # an RFC 2047 word in quotes
        ("passwd", "application/octet-stream", False, True),  # ../../etc/passwd
        ("attachment-6.bin", "application/octet-stream", False, True),  # no name at all
        ("Your case CSP-001511.eml", "message/rfc822", False, True),
    ]
    pdf = mail.attachments[1]
    assert (pdf.data, pdf.size) == (corpus.PDF, len(corpus.PDF))
    assert mail.attachments[3].data == "日付,金額\n".encode("cp932")  # an attachment's bytes are not decoded as text


def test_an_attached_message_is_one_attachment_with_its_bytes() -> None:
    eml = parse_message(corpus.multipart_with_attachments()).attachments[-1]
    assert eml.data.startswith(b"From: Desk <support@partner.example>\r\nSubject: Your case CSP-001511\r\n")
    inner = parse_message(eml.data)
    assert (inner.subject, inner.text) == ("Your case CSP-001511", "The forwarded message.")


def test_a_forwarded_bounce_is_a_persons_mail() -> None:
    bounce = corpus.Message()
    bounce["Content-Type"] = "message/rfc822"
    bounce.attach(parse_module._PARSER.parsebytes(corpus.bounce_dsn()))
    parts = [corpus.text_part("We got this bounce, please help.\n"), bounce]
    mail = parse_message(corpus.message(corpus.multipart("mixed", parts, "fwd-1"), corpus.Envelope()))
    assert mail.automatic is None
    assert mail.text == "We got this bounce, please help."
    assert [a.filename for a in mail.attachments] == ["Undelivered Mail Returned to Sender.eml"]


def test_hostile_attachment_names_are_cleaned() -> None:
    names = [a.filename for a in parse_message(corpus.hostile_text()).attachments]
    assert names == ["invoicefdp.exe", "[31mred.txt"]  # the override, the escape and the zero-width space gone


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\System32\\evil.dll", "evil.dll"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\x00b\x1b\x7f\x9bc\u200b\ufeff.txt", "abc.txt"),
        ("..", "attachment-3.png"),
        ("", "attachment-3.png"),
        (None, "attachment-3.png"),
        ("...hidden", "hidden"),
        ("report..pdf", "report.pdf"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("CON.txt", "_CON.txt"),
        (unicodedata.normalize("NFD", "ファイル.pdf"), "ファイル.pdf"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
        ("請" * 200, "請" * 120),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name, 3, "image/png") == expected


def test_a_10_mb_attachment_is_kept_with_its_size() -> None:
    size = 10 * 1024 * 1024
    attachment = parse_message(corpus.large_attachment(size=size)).attachments[0]
    assert (attachment.filename, attachment.size, attachment.kept, len(attachment.data)) == (
        "sync.log",
        size,
        True,
        size,
    )


def test_a_30_mb_attachment_is_listed_not_kept() -> None:
    size = 30 * 1024 * 1024
    assert size > MAX_ATTACHMENT
    mail = parse_message(corpus.large_attachment(size=size))
    attachment = mail.attachments[0]
    assert (attachment.size, attachment.kept, attachment.data) == (size, False, b"")
    assert mail.text == "The logs are attached."


def test_the_attachment_limit_is_a_parameter() -> None:
    mail = parse_message(corpus.multipart_with_attachments(), max_attachment=1000)
    kept = {a.filename: (a.kept, a.size, len(a.data)) for a in mail.attachments}
    assert kept["請求書.pdf"] == (False, len(corpus.PDF), 0)
    assert kept["passwd"] == (True, 11, 11)


# -- headers -------------------------------------------------------------------------------------------------------
def test_message_ids_lose_their_brackets_and_keep_their_order() -> None:
    raw = corpus.utf8_plain(
        message_id="<Case.1@Contoso.example>",
        in_reply_to="<ack-1@partner.example>",
        references=["root@partner.example", "mid@contoso.example", "ack-1@partner.example"],
    )
    mail = parse_message(raw)
    assert mail.message_id == "Case.1@Contoso.example"  # an id is compared as written
    assert mail.in_reply_to == ("ack-1@partner.example",)
    assert mail.references == ("root@partner.example", "mid@contoso.example", "ack-1@partner.example")


def test_malformed_references_are_read_as_far_as_they_go() -> None:
    raw = corpus.utf8_plain(
        headers=[("References", "<a@x.example><b@x.example> c@x.example junk <> <d@x\r\n .example>")]
    )
    assert parse_message(raw).references == ("a@x.example", "b@x.example", "c@x.example", "d@x.example")


def test_a_message_without_message_id_gets_one_from_its_bytes() -> None:
    raw = corpus.utf8_plain(message_id=None)
    mail = parse_message(raw)
    assert mail.message_id == f"sha256-{hashlib.sha256(raw).hexdigest()}@csp-console.invalid"
    assert parse_message(raw).message_id == mail.message_id
    assert parse_message(raw + b"\r\n").message_id != mail.message_id
    assert parse_message(corpus.utf8_plain(message_id="<>")).message_id.startswith("sha256-")


def test_the_date_is_aware_utc() -> None:
    assert parse_message(corpus.utf8_plain()).date == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    unknown_zone = parse_message(corpus.utf8_plain(date="Tue, 01 Dec 2026 10:00:00 -0000"))
    assert unknown_zone.date == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    missing = parse_message(corpus.utf8_plain(date=None))
    assert (missing.date, missing.problems) == (None, ())


@pytest.mark.parametrize("bad", ["yesterday", "", "Tue, 01 Dec 99999 10:00 +0900", "1 Dec 2026 25:61:61 +0900"])
def test_a_bad_date_is_none_and_said(bad: str) -> None:
    mail = parse_message(corpus.utf8_plain(date=bad))
    assert mail.date is None
    assert mail.problems == (f"Date: {bad!r} is no date",)


def test_malformed_headers_never_lose_the_mail() -> None:
    mail = parse_message(corpus.malformed_headers())
    assert mail.sender is None and mail.date is None and mail.cc == ()
    assert mail.to == (Address("", "ok@contoso.example"),)
    assert mail.in_reply_to == ("ok@x.example",)
    assert mail.message_id.startswith("sha256-")
    assert mail.text == "Who sent this?"
    assert set(mail.problems) == {
        "Date: '32 Foo 2026 99:99:99 +9999' is no date",
        "From: missing",
        "To: 'garbage <>' is not an address",
        "To: '@@@' is not an address",
    }


def test_addresses_keep_their_local_part_and_lower_their_domain() -> None:
    raw = corpus.utf8_plain(
        from_="Taro.Yamada@Contoso.EXAMPLE",
        to="Desk <Support@Partner.Example>, other@x.example",
        headers=[("Cc", '"Suzuki, Hanako" <hanako@contoso.example>'), ("Reply-To", "tickets@Contoso.example")],
    )
    mail = parse_message(raw)
    assert mail.sender == Address("", "Taro.Yamada@contoso.example")
    assert mail.to == (Address("Desk", "Support@partner.example"), Address("", "other@x.example"))
    assert mail.cc == (Address("Suzuki, Hanako", "hanako@contoso.example"),)
    assert mail.reply_to == (Address("", "tickets@contoso.example"),)


def test_the_sender_is_the_first_of_several() -> None:
    mail = parse_message(corpus.utf8_plain(from_="a@contoso.example, b@contoso.example"))
    assert mail.sender == Address("", "a@contoso.example")
    assert mail.problems == ("From: 2 addresses, the first taken",)


@pytest.mark.parametrize("from_", ["Taro", "<>", "Taro <not an address>", "@contoso.example"])
def test_a_from_that_is_no_address_gives_no_sender(from_: str) -> None:
    mail = parse_message(corpus.utf8_plain(from_=from_))
    assert mail.sender is None
    assert len(mail.problems) == 1 and mail.problems[0].startswith("From: ") and "is not an address" in mail.problems[0]


def test_forged_headers_are_read_for_what_they_are() -> None:
    mail = parse_message(corpus.forged_headers())
    assert mail.sender == Address("support@partner.example", "evil@x.example")  # the name is not the address
    assert mail.reply_to == (Address("Payments", "evil@x.example"),)
    assert "From: 2 From headers, the first taken" in mail.problems
    assert mail.subject == "Invoice Bcc: victim@x.example"  # a decoded line break cannot start a header
    assert mail.to == (Address("Desk Bcc: victim@x.example", "support@partner.example"),)
    assert mail.automatic is None


def test_the_subject_is_unfolded_on_one_line() -> None:
    raw = corpus.utf8_plain(subject="Licences\r\n   missing\t after   renewal　（全角）")
    assert parse_message(raw).subject == "Licences missing after renewal　（全角）"  # the ideographic space stays


def test_hostile_text_survives_parsing_unchanged() -> None:
    mail = parse_message(corpus.hostile_text())
    assert mail.subject == f"Invoice {HOSTILE}"
    assert mail.sender is not None and mail.sender.name == HOSTILE
    assert mail.text == f"Hello\n{HOSTILE}\nBye"
    plain = parse_message(corpus.utf8_plain(subject=HOSTILE, body=HOSTILE + "\n", cte="base64"))
    assert (plain.subject, plain.text) == (HOSTILE, HOSTILE)


def test_size_is_the_raw_size() -> None:
    raw = corpus.japanese_shift_jis()
    assert parse_message(raw).size == len(raw)


# -- quoted history and signatures ---------------------------------------------------------------------------------
FOLDS = {
    "signature": ("Please check.\n-- \nTaro Yamada\nContoso", "Please check.", "-- \nTaro Yamada\nContoso"),
    "outlook": (
        "See below.\n\n-----Original Message-----\nFrom: Desk <support@partner.example>\nSent: Tuesday\n\nold",
        "See below.",
        "-----Original Message-----\nFrom: Desk <support@partner.example>\nSent: Tuesday\n\nold",
    ),
    "outlook header block": (
        "Thanks.\n\n________________________________\nFrom: Desk\nSent: 1 December 2026 10:05\nTo: Taro\n\nold",
        "Thanks.",
        "________________________________\nFrom: Desk\nSent: 1 December 2026 10:05\nTo: Taro\n\nold",
    ),
    "japanese outlook": (
        "了解しました。\n\n差出人: サポート <support@partner.example>\n送信日時: 2026年12月1日 10:05\n件名: x\n\n以前",
        "了解しました。",
        "差出人: サポート <support@partner.example>\n送信日時: 2026年12月1日 10:05\n件名: x\n\n以前",
    ),
    "gmail": (
        "Still broken.\n\nOn Tue, Dec 1, 2026 at 10:05 AM Desk <support@partner.example> wrote:\n> Restart?\n> Thanks",
        "Still broken.",
        "On Tue, Dec 1, 2026 at 10:05 AM Desk <support@partner.example> wrote:\n> Restart?\n> Thanks",
    ),
    "gmail wrapped": (
        "Still broken.\n\nOn Tue, Dec 1, 2026 at 10:05 AM Desk <\nsupport@partner.example> wrote:\n> Restart?",
        "Still broken.",
        "On Tue, Dec 1, 2026 at 10:05 AM Desk <\nsupport@partner.example> wrote:\n> Restart?",
    ),
    "japanese gmail": (
        "まだです。\n\n2026年12月1日(火) 10:05 サポート <support@partner.example>:\n\n> 再起動しましたか？",
        "まだです。",
        "2026年12月1日(火) 10:05 サポート <support@partner.example>:\n\n> 再起動しましたか？",
    ),
    "japanese wrote": (
        "まだです。\n\n2026/12/01 10:05 に サポート さんは書きました：\n> 再起動しましたか？",
        "まだです。",
        "2026/12/01 10:05 に サポート さんは書きました：\n> 再起動しましたか？",
    ),
    "trailing quotes": ("Yes.\n\n> Restart?\n> Please", "Yes.", "> Restart?\n> Please"),
    "quotes then signature": (
        "Yes.\nOn Tue Desk wrote:\n> Restart?\n-- \nTaro",
        "Yes.",
        "On Tue Desk wrote:\n> Restart?\n-- \nTaro",
    ),
}


@pytest.mark.parametrize("case", list(FOLDS))
def test_history_is_folded_away(case: str) -> None:
    text, shown, history = FOLDS[case]
    assert fold(text) == (shown, history)


@pytest.mark.parametrize(
    "text",
    [
        "Hi,\nOn Tue, Dec 1, 2026 Desk wrote:\n> Restart?\nYes, twice.\n> And?\nStill broken.",  # interleaved answers
        "On Tue, Dec 1, 2026 Desk wrote:\n> Restart?",  # nothing but history
        "-- \nTaro Yamada",
        "-----Original Message-----\nFrom: Desk\nSent: Tuesday\n\nforwarded",
        "From: the portal we see error 0x80070005\nnext line",  # a From: line with no Sent: after it
        "The steps:\n1. sign in\n2. open billing",  # a line ending in a colon is no attribution
    ],
)
def test_history_is_not_folded_when_it_would_hide_the_sender(text: str) -> None:
    assert fold(text) == (text, "")


def test_replies_show_what_is_new() -> None:
    by_references = parse_message(corpus.reply_by_references("ack-1@partner.example", root_id="root@partner.example"))
    assert by_references.text == "It still fails."
    assert by_references.history.startswith("On Tue, Dec 1, 2026 at 10:05 AM CSP Support")
    assert by_references.in_reply_to == ("ack-1@partner.example",)
    assert by_references.references == ("root@partner.example", "ack-1@partner.example")
    by_tag = parse_message(corpus.reply_by_subject_tag("CSP-001511"))
    assert by_tag.subject == "RE: [CSP-001511] 請求書の金額"
    assert (by_tag.in_reply_to, by_tag.references) == ((), ())
    assert by_tag.text == "まだ解決していません。"
    assert by_tag.history.startswith("-----Original Message-----\n差出人: CSP Support")


def test_html_quotes_are_folded_too() -> None:
    html = "<p>Still broken.</p><p>On Tue, Dec 1, 2026 Desk wrote:</p><blockquote>Restart?</blockquote>"
    mail = parse_message(corpus.html_only(body=html))
    assert (mail.text, mail.history) == ("Still broken.", "On Tue, Dec 1, 2026 Desk wrote:\n\n> Restart?")


# -- automatic mail ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("builder", "reason"),
    [
        (corpus.auto_reply, "auto-reply (Auto-Submitted: auto-replied)"),
        (corpus.out_of_office_exchange, "out-of-office (X-Auto-Response-Suppress: All)"),
        (
            corpus.bounce_dsn,
            "delivery status notification (Content-Type: multipart/report; report-type=delivery-status)",
        ),
        (corpus.read_receipt, "read receipt (Content-Type: multipart/report; report-type=disposition-notification)"),
        (corpus.list_mail, "list mail (Precedence: list)"),
    ],
)
def test_automatic_mail_in_the_corpus_is_told(builder: object, reason: str) -> None:
    assert callable(builder)
    assert parse_message(builder()).automatic == reason


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("Auto-Submitted", "auto-replied", "auto-reply (Auto-Submitted: auto-replied)"),
        ("Auto-Submitted", "auto-generated", "automatic (Auto-Submitted: auto-generated)"),
        (
            "Auto-Submitted",
            "auto-notified; owner-email=x@y",
            "automatic (Auto-Submitted: auto-notified; owner-email=x@y)",
        ),
        ("Auto-Submitted", "no", None),
        ("Auto-Submitted", "No (a person)", None),
        ("X-Auto-Response-Suppress", "All", "automatic (X-Auto-Response-Suppress: All)"),
        ("X-Auto-Response-Suppress", "OOF, AutoReply", "automatic (X-Auto-Response-Suppress: OOF, AutoReply)"),
        ("X-Auto-Response-Suppress", "DR", "automatic (X-Auto-Response-Suppress: DR)"),
        ("X-Auto-Response-Suppress", "NDR", "automatic (X-Auto-Response-Suppress: NDR)"),
        ("X-Auto-Response-Suppress", "RN, NRN", None),
        ("X-Auto-Response-Suppress", "None", None),
        ("X-Autoreply", "yes", "auto-reply (X-Autoreply: yes)"),
        ("X-Autorespond", "Vacation", "auto-reply (X-Autorespond: Vacation)"),
        ("X-Autogenerated", "Reply", "automatic (X-Autogenerated: Reply)"),
        ("X-Autoreply", "no", None),
        ("Precedence", "bulk", "bulk mail (Precedence: bulk)"),
        ("Precedence", "junk", "bulk mail (Precedence: junk)"),
        ("Precedence", "list", "list mail (Precedence: list)"),
        ("Precedence", "auto_reply", "auto-reply (Precedence: auto_reply)"),
        ("Precedence", "first-class", None),
        ("Return-Path", "<>", "bounce (Return-Path: <>)"),
        ("Return-Path", "<taro@contoso.example>", None),
        ("List-Id", "Partner News <news.lists.example>", "list mail (List-Id: Partner News <news.lists.example>)"),
        ("List-Unsubscribe", "<mailto:u@lists.example>", "list mail (List-Unsubscribe: <mailto:u@lists.example>)"),
        ("List-Post", "<mailto:p@lists.example>", "list mail (List-Post: <mailto:p@lists.example>)"),
        ("X-Mailer", "Microsoft Outlook 16.0", None),
    ],
)
def test_each_rule_of_automatic_mail(header: str, value: str, reason: str | None) -> None:
    assert parse_message(corpus.utf8_plain(headers=[(header, value)])).automatic == reason


def test_an_out_of_office_subject_names_the_kind_only_with_a_header() -> None:
    subject = "Automatic reply: Licences missing"
    assert parse_message(corpus.utf8_plain(subject=subject)).automatic is None
    oof = parse_message(corpus.utf8_plain(subject=subject, headers=[("Auto-Submitted", "auto-replied")]))
    assert oof.automatic == "out-of-office (Auto-Submitted: auto-replied)"


@pytest.mark.parametrize(
    ("from_", "reason"),
    [
        ("MAILER-DAEMON@mx.example", "bounce (From: MAILER-DAEMON@mx.example)"),
        (
            "Mail Delivery Subsystem <mailer-daemon@googlemail.example>",
            "bounce (From: Mail Delivery Subsystem <mailer-daemon@googlemail.example>)",
        ),
        ("MAILER-DAEMON", "bounce (From: MAILER-DAEMON)"),
        ("postmaster@contoso.example", "bounce (From: postmaster@contoso.example)"),
        ("The postmaster team <taro@contoso.example>", None),
    ],
)
def test_a_sender_that_is_the_mail_system(from_: str, reason: str | None) -> None:
    assert parse_message(corpus.utf8_plain(from_=from_)).automatic == reason


def test_a_delivery_status_part_in_another_multipart_is_a_bounce() -> None:
    status = corpus.Message()
    status["Content-Type"] = "message/delivery-status"
    status.attach(corpus.Message())
    parts = [corpus.text_part("Delivery failed.\n"), status]
    mail = parse_message(corpus.message(corpus.multipart("mixed", parts, "qmail-1"), corpus.Envelope()))
    assert mail.automatic == "delivery status notification (a part's Content-Type: message/delivery-status)"


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in corpus.CORPUS
        if n not in {"auto_reply", "out_of_office_exchange", "bounce_dsn", "read_receipt", "list_mail"}
    ],
)
def test_a_persons_mail_is_not_automatic(name: str) -> None:
    assert parse_message(corpus.CORPUS[name]()).automatic is None


# -- any bytes at all ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \x1b$B\r\n\r\n\x80",
        b"From: \r\nTo: <<<\r\nSubject: =?utf-8?B?!!!?= =?x?q?=ZZ?=\r\nContent-Type: ;;;=\r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain; charset=utf-16\r\n\r\n\xff",
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@=QUJD=\r\n",
        b"Content-Type: message/rfc822\r\n\r\nnot a message",
        b"Content-Disposition: attachment; filename*0*=utf-8''%FF; filename*99999999=x\r\n\r\ndata",
    ],
)
def test_garbage_is_read_without_an_exception(raw: bytes) -> None:
    mail = parse_message(raw)
    assert isinstance(mail, ParsedMail) and mail.size == len(raw)
    assert mail.problems  # something could not be read, and it is said


def test_deep_nesting_is_read_without_an_exception() -> None:
    depth = 3000
    head = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth))
    mail = parse_message(b"From: t@contoso.example\r\n" + head + b"Content-Type: text/plain\r\n\r\ndeep\r\n")
    assert mail.sender == Address("", "t@contoso.example")
    assert any("nested" in problem or "MIME structure" in problem for problem in mail.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    mail = parse_message(raw)
    assert mail.size == len(raw) and mail.message_id


#: What a mutation splices in: the bytes that steer MIME, encoded-words, ISO-2022-JP and the history folding.
TOKENS = [
    b"\r\n",
    b"\r\n\r\n",
    b"--",
    b"=?",
    b"?=",
    b"?B?",
    b"\x1b$B",
    b"\x1b(B",
    b'"',
    b";",
    b"*0*=",
    b"%",
    b"<",
    b">",
    b"\x00",
    b"\xff",
    b"boundary=",
    b"charset=",
    b"Content-Type: multipart/mixed; boundary=z\r\n",
    b"-- \n",
    b"> ",
]
SMALL_CORPUS = {name: build() for name, build in corpus.CORPUS.items()}


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(SMALL_CORPUS[draw(st.sampled_from(sorted(SMALL_CORPUS)))])
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(raw)))
        action = draw(st.sampled_from(["insert", "delete", "flip", "truncate"]))
        if action == "insert":
            raw[at:at] = draw(st.sampled_from(TOKENS))
        elif action == "delete":
            del raw[at : at + draw(st.integers(1, 40))]
        elif action == "flip" and at < len(raw):
            raw[at] ^= draw(st.integers(1, 255))
        elif action == "truncate":
            del raw[at:]
    return bytes(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_corpus_messages_never_raise(raw: bytes) -> None:
    mail = parse_message(raw)
    assert mail.size == len(raw) and mail.message_id
    for attachment in mail.attachments:
        assert "/" not in attachment.filename and "\\" not in attachment.filename and ".." not in attachment.filename
        assert 0 < len(attachment.filename) <= 120


def test_base64_bodies_that_are_damaged_are_read_and_said() -> None:
    good = base64.b64encode(JA_REQUEST.encode()).decode()
    raw = corpus.utf8_plain(cte="base64").split(b"\r\n\r\n")[0] + f"\r\n\r\n{good[:-3]}!!\r\n".encode()
    mail = parse_message(raw)
    assert mail.text.startswith(JA_REQUEST[:10])
    assert "a part's base64 is damaged, read as far as it goes" in mail.problems
