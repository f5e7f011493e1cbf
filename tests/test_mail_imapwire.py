"""Reading UID FETCH responses in the shapes imaplib hands them over (console.mail.imapwire): a tuple per literal,
then the rest of the line; items in any order (RFC 3501 section 7.4.2); unsolicited FETCH responses between.
The real servers' shapes are in tests/test_mail_imap.py; these are the shapes they happen not to send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.mail.imap import ImapSettings, is_loopback, uid_set
from console.mail.imapwire import fetched, parse

BODY = b'Subject: a\r\n\r\n(not a list) "not a string" {3}\r\n'


def test_items_in_any_order_with_two_literals_and_unsolicited_flags_between() -> None:
    data = [
        b"3 (FLAGS (\\Seen \\Recent))",  # a flag change, no body: passed over
        (b'4 (RFC822.SIZE 44 INTERNALDATE " 3-Dec-2026 22:50:17 +0900" BODY[] {44}', BODY),
        (b" BODY[HEADER.FIELDS (SUBJECT)] {13}", b"Subject: a\r\n\r\n"),
        b" UID 17 FLAGS ())",
        (b"5 (UID 18 BODY[] {2}", b"hi"),
        b' INTERNALDATE "01-Jan-2027 00:00:00 +0000" RFC822.SIZE 2)',
        b"6 (UID 19)",
    ]
    got = list(fetched(data))
    assert [(m.uid, m.raw, m.size) for m in got] == [(17, BODY, 44), (18, b"hi", 2)]
    assert got[0].internaldate == datetime(2026, 12, 3, 13, 50, 17, tzinfo=UTC)


def test_a_body_with_an_unreadable_date_is_an_error_naming_the_response() -> None:
    with pytest.raises(ValueError, match="not a date: yesterday"):
        list(fetched([(b'1 (UID 2 RFC822.SIZE 2 INTERNALDATE "yesterday" BODY[] {2}', b"hi"), b")"]))
    with pytest.raises(ValueError, match="without a readable UID"):
        list(fetched([(b"1 (UID x BODY[] {2}", b"hi"), b")"]))


def test_parse_reads_quoted_escapes_nil_and_nested_lists() -> None:
    assert parse(b'1 (A "x \\"y\\" \\\\" B NIL C ((D) E))', []) == [
        b"1",
        [b"A", b'x "y" \\', b"B", None, b"C", [[b"D"], b"E"]],
    ]


def test_uid_sets_and_loopback_hosts() -> None:
    assert uid_set([7, 1, 2, 3, 9, 10, 2]) == "1:3,7,9:10"
    assert [is_loopback(h) for h in ("127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost", "LOCALHOST.")] == [True] * 6
    assert [is_loopback(h) for h in ("10.0.0.1", "imap.example", "localhost.example", "")] == [False] * 4


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"security": "ssl"}, "IMAP security 'ssl'"), ({"port": 0}, "IMAP port 0"), ({"timeout": 0}, "IMAP timeout")],
)
def test_settings_refuse_what_would_connect_wrongly(changes: dict[str, object], message: str) -> None:
    """A mistyped security must not become a connection without TLS."""
    given: dict[str, object] = {"host": "imap.example", "port": 993, "username": "desk", "security": "imaps"}
    with pytest.raises(ValueError, match=message):
        ImapSettings(**(given | changes))  # type: ignore[arg-type]
