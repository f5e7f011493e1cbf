"""Test mail, built here with the :mod:`email` package the way real mailers write it (nothing copied from a real
mailbox): each builder returns one message's bytes, as the desk's IMAP mailbox would hold them.

Every builder takes the envelope as keywords, so the intake and threading tests can reuse them:
``from_`` (``None``: no From header), ``to``, ``subject``, ``message_id`` (with or without brackets; ``None``:
none), ``in_reply_to``, ``references``, ``body``, ``date`` (a ``datetime`` or the header's text; ``None``: none)
and ``headers`` (more headers, added after the others, in order). Display names and subjects outside ASCII are
written as RFC 2047 encoded-words in the message's charset, as Japanese mailers do.

The Japanese messages are what the desk really gets: ISO-2022-JP in 7bit with ``=?ISO-2022-JP?B?...?=``
subjects split over several words (Outlook's code page 50220 for ①, ㈱ and 髙: :func:`jis_ms`), Shift_JIS in
base64 holding code page 932's own characters, EUC-JP in 8bit.
"""

from __future__ import annotations

import base64
import quopri
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import Message
from email.utils import format_datetime, parseaddr

DESK = "CSP Support <support@partner.example>"
DATE = "Tue, 01 Dec 2026 10:00:00 +0900"
#: The Japanese text the tests look for, and its cp932-only companions (NEC's row 13, the wave dash of Windows).
JA_REQUEST = "請求書の金額を確認してください"
JA_NAME = "山田 太郎"
CP932_ONLY = "①～㈱"
#: compat32 writes each header as it is given (our encoded-words, unfolded) and 8-bit payloads as their bytes.
_WRITE = policy.compat32.clone(linesep="\r\n", max_line_length=0)
Headers = Mapping[str, str] | Sequence[tuple[str, str]]


# -- encodings ---------------------------------------------------------------------------------------------------
def jis_ms(text: str) -> bytes:
    """``text`` in ISO-2022-JP as Outlook writes it (code page 50220): Windows' own characters (①, ㈱, 髙) as
    JIS codes under ``ESC $ B`` and half-width katakana under ``ESC ( I``, which Python's ``iso2022_jp`` codecs
    cannot write."""
    out = bytearray()
    mode = b"\x1b(B"
    for char in text:
        code = char.encode("ascii") if char.isascii() else char.encode("cp932")
        if len(code) == 1:
            wanted, data = (b"\x1b(B", code) if char.isascii() else (b"\x1b(I", bytes((code[0] - 0x80,)))
        else:
            s1, s2 = code
            row = (s1 - (0xC1 if s1 >= 0xE0 else 0x81)) * 2 + 0x21
            if s2 >= 0x9F:
                data = bytes((row + 1, s2 - 0x7E))
            else:
                data = bytes((row, s2 - (0x20 if s2 >= 0x80 else 0x1F)))
            wanted = b"\x1b$B"
        if wanted != mode:
            out += wanted
            mode = wanted
        out += data
    if mode != b"\x1b(B":
        out += b"\x1b(B"
    return bytes(out)


def _encoded(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encoded_word(text: str, charset: str = "UTF-8", codec: str = "utf-8") -> str:
    """One RFC 2047 B encoded-word of ``text`` in ``codec``, labelled ``charset``."""
    data = jis_ms(text) if codec == "jis_ms" else text.encode(codec)
    return f"=?{charset}?B?{_encoded(data)}?="


def encoded_words(text: str, charset: str = "UTF-8", codec: str = "utf-8", per_word: int = 8) -> str:
    """``text`` as encoded-words of ``per_word`` characters each, folded onto lines of their own (as Outlook and
    Thunderbird split long Japanese subjects); ASCII text is left as it is."""
    if text.isascii():
        return text
    pieces = [text[i : i + per_word] for i in range(0, len(text), per_word)]
    return "\r\n ".join(encoded_word(piece, charset, codec) for piece in pieces)


def split_utf8_words(text: str, at: int) -> str:
    """``text`` in UTF-8 as two encoded-words split at byte ``at``, inside a character (as some mailers split)."""
    data = text.encode("utf-8")
    return f"=?UTF-8?B?{_encoded(data[:at])}?= =?UTF-8?B?{_encoded(data[at:])}?="


def mailbox(value: str, charset: str = "UTF-8", codec: str = "utf-8") -> str:
    """``"山田 太郎 <yamada@sakura.example>"`` as a header writes it: a non-ASCII name as an encoded-word."""
    name, address = parseaddr(value)
    if not name or not address:
        return value
    if name.isascii():
        return f'"{name}" <{address}>' if any(c in name for c in ',;:<>@."') else f"{name} <{address}>"
    return f"{encoded_word(name, charset, codec)} <{address}>"


def _pairs(headers: Headers) -> Iterable[tuple[str, str]]:
    return headers.items() if isinstance(headers, Mapping) else headers


def _bracketed(value: str) -> str:
    return value if value.startswith("<") else f"<{value}>"


@dataclass(frozen=True)
class Envelope:
    """A message's headers as the builders take them (see the module's docstring)."""

    from_: str | None = "Taro Yamada <taro@contoso.example>"
    to: str | None = DESK
    subject: str | None = "Question"
    message_id: str | None = "<plain-1@contoso.example>"
    in_reply_to: str | None = None
    references: str | Sequence[str] | None = None
    date: datetime | str | None = DATE
    headers: Headers = ()


def _write_envelope(msg: Message, envelope: Envelope, charset: str, codec: str) -> None:
    if envelope.from_ is not None:
        msg["From"] = mailbox(envelope.from_, charset, codec)
    if envelope.to is not None:
        msg["To"] = ", ".join(mailbox(one.strip(), charset, codec) for one in envelope.to.split(","))
    if envelope.subject is not None:
        msg["Subject"] = encoded_words(envelope.subject, charset, codec)
    if envelope.date is not None:
        date = envelope.date
        msg["Date"] = format_datetime(date) if isinstance(date, datetime) else date
    if envelope.message_id is not None:
        msg["Message-ID"] = _bracketed(envelope.message_id)
    if envelope.in_reply_to is not None:
        msg["In-Reply-To"] = _bracketed(envelope.in_reply_to)
    if envelope.references is not None:
        ids = [envelope.references] if isinstance(envelope.references, str) else envelope.references
        msg["References"] = " ".join(_bracketed(one) for one in ids)
    msg["MIME-Version"] = "1.0"
    for name, value in _pairs(envelope.headers):
        msg[name] = value


def text_part(
    body: str, subtype: str = "plain", label: str = "UTF-8", codec: str = "utf-8", cte: str = "base64"
) -> Message:
    """A text part: ``body`` in ``codec`` labelled ``label``, in the transfer encoding ``cte``."""
    part = Message()
    data = jis_ms(body) if codec == "jis_ms" else body.encode(codec)
    part["Content-Type"] = f"text/{subtype}; charset={label}"
    part["Content-Transfer-Encoding"] = cte
    part.set_payload(_transfer(data, cte))
    return part


def _transfer(data: bytes, cte: str) -> str:
    if cte == "base64":
        return base64.encodebytes(data).decode("ascii")
    if cte == "quoted-printable":
        return quopri.encodestring(data).decode("ascii")
    return data.decode("ascii", "surrogateescape")  # 7bit, 8bit: the bytes as they are


def binary_part(data: bytes, content_type: str, disposition: str | None, filename_params: str = "") -> Message:
    """A base64 part of ``data``; ``disposition`` and ``filename_params`` (``'; filename="x.pdf"'``) as given."""
    part = Message()
    part["Content-Type"] = content_type
    part["Content-Transfer-Encoding"] = "base64"
    if disposition is not None:
        part["Content-Disposition"] = disposition + filename_params
    part.set_payload(base64.encodebytes(data).decode("ascii"))
    return part


def multipart(subtype: str, parts: Sequence[Message], boundary: str, extra: str = "") -> Message:
    """A ``multipart/<subtype>`` of ``parts``."""
    msg = Message()
    msg["Content-Type"] = f'multipart/{subtype}; boundary="{boundary}"{extra}'
    for part in parts:
        msg.attach(part)
    return msg


def message(content: Message, envelope: Envelope, charset: str = "UTF-8", codec: str = "utf-8") -> bytes:
    """A whole message: the envelope's headers, then ``content``'s headers and body (``content`` becomes it)."""
    own = content.items()
    for name in {name for name, _ in own}:
        del content[name]
    _write_envelope(content, envelope, charset, codec)
    for name, value in own:
        content[name] = value
    return content.as_bytes(policy=_WRITE)


# -- the corpus ---------------------------------------------------------------------------------------------------
JA_BODY = f"サポートご担当者様\n\n{JA_REQUEST}。\n11月分のご請求が二重になっています。\n\n{JA_NAME}\n"


def japanese_iso2022jp(
    *,
    from_: str | None = f"{JA_NAME} <yamada@sakura.example>",
    to: str | None = DESK,
    subject: str = "請求書の金額について（11月分）のお問い合わせ",
    message_id: str | None = "<iso2022jp-1@sakura.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = JA_BODY,
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """ISO-2022-JP as Japanese mailers write it: ``charset=ISO-2022-JP``, 7bit, the subject split over several
    ``=?ISO-2022-JP?B?...?=`` words, the name one such word. Windows' own characters in ``body`` (①) are
    written as Outlook writes them (:func:`jis_ms`)."""
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, headers)
    return message(text_part(body, label="ISO-2022-JP", codec="jis_ms", cte="7bit"), envelope, "ISO-2022-JP", "jis_ms")


def japanese_shift_jis(
    *,
    from_: str | None = f"{JA_NAME} <yamada@sakura.example>",
    to: str | None = DESK,
    subject: str = "【至急】請求書①の金額",
    message_id: str | None = "<sjis-1@sakura.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = f"{JA_REQUEST}。\n①月額 10,000円～20,000円\n株式会社さくら ㈱\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """Shift_JIS as Windows writes it: labelled ``Shift_JIS``, base64, holding code page 932's characters
    (①, ～, ㈱) that Shift_JIS proper lacks."""
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, headers)
    return message(text_part(body, label="Shift_JIS", codec="cp932"), envelope, "Shift_JIS", "cp932")


def japanese_euc_jp(
    *,
    from_: str | None = f"{JA_NAME} <yamada@sakura.example>",
    to: str | None = DESK,
    subject: str = "請求書の金額",
    message_id: str | None = "<eucjp-1@sakura.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = JA_BODY,
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """EUC-JP in 8bit, as Unix mailers of old write it; the subject a ``=?EUC-JP?B?...?=`` word."""
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, headers)
    return message(text_part(body, label="EUC-JP", codec="euc_jp", cte="8bit"), envelope, "EUC-JP", "euc_jp")


def utf8_plain(
    *,
    from_: str | None = "Taro Yamada <taro@contoso.example>",
    to: str | None = DESK,
    subject: str = "Licences missing after renewal",
    message_id: str | None = "<plain-1@contoso.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = "Hello,\n\nAfter the renewal our 25 Microsoft 365 E3 licences are missing.\nお願いします。\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
    cte: str = "quoted-printable",
) -> bytes:
    """A person's plain-text mail in UTF-8 (quoted-printable unless ``cte`` says otherwise)."""
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, headers)
    return message(text_part(body, cte=cte), envelope)


HTML_BODY = (
    "<html><head><style>p { color: red }</style><script>alert('x')</script></head><body>"
    "<p>Hello,</p><p>Our <b>Azure</b> subscription was <i>suspended</i>. See "
    '<a href="https://portal.azure.example/#blade/sub/1234">the portal</a>.</p>'
    '<ul><li>Subscription 1234</li><li>Since 1 December</li></ul><img src="cid:logo@contoso" alt="Contoso logo">'
    f"<p>{JA_REQUEST}</p></body></html>"
)


def html_only(
    *,
    from_: str | None = "Hanako Suzuki <hanako@contoso.example>",
    to: str | None = DESK,
    subject: str = "Subscription suspended",
    message_id: str | None = "<html-1@contoso.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = HTML_BODY,
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """A mail with only an HTML body (as some web mailers and ticket forms send), UTF-8 base64."""
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, headers)
    return message(text_part(body, subtype="html"), envelope)


def alternative(
    *,
    from_: str | None = "Taro Yamada <taro@contoso.example>",
    to: str | None = DESK,
    subject: str = "Plain and HTML",
    message_id: str | None = "<alt-1@contoso.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = "The plain version.\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """``multipart/alternative`` of a plain and an HTML version (the HTML saying something else, so a test can
    tell which was read)."""
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, headers)
    parts = [text_part(body), text_part("<p>The <b>HTML</b> version.</p>", subtype="html")]
    return message(multipart("alternative", parts, "alt-boundary-1"), envelope)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 50


def multipart_with_attachments(
    *,
    from_: str | None = f"{JA_NAME} <yamada@sakura.example>",
    to: str | None = DESK,
    subject: str = "請求書を添付します",
    message_id: str | None = "<attach-1@sakura.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = f"{JA_REQUEST}。\n添付をご覧ください。\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """Outlook's shape: ``mixed`` of (``alternative`` of plain and (``related`` HTML with an inline image)) and
    attachments named every way: RFC 2231 in UTF-8 (``請求書.pdf``), RFC 2231 in pieces in ISO-2022-JP
    (``見積書.xlsx``), an RFC 2047 word in quotes (``明細.csv``), a path (``../../etc/passwd``), none at all,
    and an attached message."""
    html = multipart(
        "related",
        [
            text_part(f"<p>{JA_REQUEST}</p><img src='cid:logo@sakura'>", subtype="html"),
            _inline_image(),
        ],
        "related-boundary-1",
    )
    body_parts = multipart("alternative", [text_part(body), html], "alt-boundary-2")
    parts = [body_parts, *_named_attachments(), _attached_message()]
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, headers)
    return message(multipart("mixed", parts, "mixed-boundary-1"), envelope)


def _inline_image() -> Message:
    image = binary_part(PNG, "image/png", "inline", '; filename="image001.png"')
    image["Content-ID"] = "<logo@sakura>"
    return image


def _named_attachments() -> list[Message]:
    jis = jis_ms("見積書")
    pieces = [f"%{b:02X}" for b in jis]
    half = len(pieces) // 2
    xlsx_params = f"; filename*0*=ISO-2022-JP''{''.join(pieces[:half])}; filename*1*={''.join(pieces[half:])}.xlsx"
    csv_name = f'; filename="{encoded_word("明細.csv")}"'
    return [
        binary_part(PDF, "application/pdf", "attachment", "; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf"),
        binary_part(b"PK\x03\x04 xlsx", "application/vnd.ms-excel", "attachment", xlsx_params),
        binary_part("日付,金額\n".encode("cp932"), "text/csv", "attachment", csv_name),
        binary_part(b"root:x:0:0\n", "application/octet-stream", "attachment", '; filename="../../etc/passwd"'),
        binary_part(b"\x00\x01 no name", "application/octet-stream", "attachment"),
    ]


def _attached_message() -> Message:
    inner = Message()
    inner["Content-Type"] = "message/rfc822"
    inner["Content-Disposition"] = "attachment"
    forwarded = Message()
    for name, value in [("From", "Desk <support@partner.example>"), ("Subject", "Your case CSP-001511")]:
        forwarded[name] = value
    forwarded["Content-Type"] = "text/plain; charset=us-ascii"
    forwarded.set_payload("The forwarded message.\r\n")
    inner.attach(forwarded)
    return inner


def large_attachment(
    *,
    size: int = 10 * 1024 * 1024,
    from_: str | None = "Taro Yamada <taro@contoso.example>",
    to: str | None = DESK,
    subject: str = "Logs attached",
    message_id: str | None = "<large-1@contoso.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = "The logs are attached.\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """A mail with one attachment of ``size`` bytes (base64, as every mailer sends it)."""
    data = (b"2026-12-01T10:00:00Z sync failed: 0x80070005\n" * (size // 45 + 1))[:size]
    parts = [text_part(body), binary_part(data, "application/octet-stream", "attachment", '; filename="sync.log"')]
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, headers)
    return message(multipart("mixed", parts, "large-boundary-1"), envelope)


def auto_reply(
    *,
    from_: str | None = "Taro Yamada <taro@contoso.example>",
    to: str | None = DESK,
    subject: str = "Auto: Licences missing after renewal",
    message_id: str | None = "<auto-1@contoso.example>",
    in_reply_to: str | None = "<ack-1@partner.example>",
    references: str | Sequence[str] | None = None,
    body: str = "I am travelling and will answer when I am back.\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """An RFC 3834 auto-reply: ``Auto-Submitted: auto-replied``, in reply to the desk's acknowledgement."""
    envelope = Envelope(
        from_,
        to,
        subject,
        message_id,
        in_reply_to,
        references,
        date,
        [("Auto-Submitted", "auto-replied"), *_pairs(headers)],
    )
    return message(text_part(body), envelope)


def out_of_office_exchange(
    *,
    from_: str | None = f"{JA_NAME} <yamada@sakura.example>",
    to: str | None = DESK,
    subject: str = "自動応答: [CSP-001511] 請求書の金額",
    message_id: str | None = "<TYCP286MB1234.oof@TYCP286MB1234.JPNP286.PROD.OUTLOOK.COM>",
    in_reply_to: str | None = "<ack-2@partner.example>",
    references: str | Sequence[str] | None = None,
    body: str = "12月1日から12月5日まで不在にしております。\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """Exchange Online's out-of-office reply: ``X-Auto-Response-Suppress: All`` and Exchange's headers, in
    Japanese, with no ``Auto-Submitted`` (the rule of [MS-OXCMAIL] alone must catch it)."""
    exchange = [
        ("Thread-Topic", encoded_word("[CSP-001511] 請求書の金額")),
        ("Thread-Index", "AQHZ1234abcdEFGH"),
        ("X-MS-Has-Attach", ""),
        ("X-MS-TNEF-Correlator", ""),
        ("X-Auto-Response-Suppress", "All"),
        ("Content-Language", "ja-JP"),
    ]
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, [*exchange, *_pairs(headers)])
    return message(text_part(body), envelope)


def _report(kind: str, fields: Sequence[tuple[str, str]]) -> Message:
    """A ``message/delivery-status`` or ``disposition-notification`` part: one per-message block."""
    part = Message()
    part["Content-Type"] = f"message/{kind}"
    block = Message()
    for name, value in fields:
        block[name] = value
    part.attach(block)
    return part


def bounce_dsn(
    *,
    from_: str | None = "Mail Delivery System <MAILER-DAEMON@mx.partner.example>",
    to: str | None = DESK,
    subject: str = "Undelivered Mail Returned to Sender",
    message_id: str | None = "<dsn-1@mx.partner.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = "This is the mail system. Your message could not be delivered to yamada@sakura.example.\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """An RFC 3464 bounce: ``multipart/report; report-type=delivery-status`` from the mail system, with a null
    return path, the status, and the headers of the message that bounced."""
    status = _report(
        "delivery-status",
        [
            ("Reporting-MTA", "dns; mx.partner.example"),
            ("Final-Recipient", "rfc822; yamada@sakura.example"),
            ("Action", "failed"),
            ("Status", "5.1.1"),
        ],
    )
    original = Message()
    original["Content-Type"] = "text/rfc822-headers"
    original.set_payload("From: support@partner.example\r\nMessage-ID: <ack-3@partner.example>\r\n")
    report = multipart("report", [text_part(body), status, original], "dsn-boundary-1", "; report-type=delivery-status")
    envelope = Envelope(
        from_, to, subject, message_id, in_reply_to, references, date, [("Return-Path", "<>"), *_pairs(headers)]
    )
    return message(report, envelope)


def read_receipt(
    *,
    from_: str | None = f"{JA_NAME} <yamada@sakura.example>",
    to: str | None = DESK,
    subject: str = "開封済み: 請求書の金額",
    message_id: str | None = "<mdn-1@sakura.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = "メッセージは開封されました。\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """An RFC 8098 read receipt: ``multipart/report; report-type=disposition-notification`` from a person's
    address (so only its type tells it from a person's mail)."""
    notification = _report(
        "disposition-notification",
        [
            ("Final-Recipient", "rfc822; yamada@sakura.example"),
            ("Disposition", "manual-action/MDN-sent-manually; displayed"),
        ],
    )
    report = multipart(
        "report", [text_part(body), notification], "mdn-boundary-1", "; report-type=disposition-notification"
    )
    return message(report, Envelope(from_, to, subject, message_id, in_reply_to, references, date, headers))


def list_mail(
    *,
    from_: str | None = "Microsoft Partner News <news@partners.microsoft.example>",
    to: str | None = DESK,
    subject: str = "Partner Center: what is new in December",
    message_id: str | None = "<list-1@lists.microsoft.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = "This month in Partner Center...\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """A newsletter through a list: ``List-Id`` (RFC 2919), ``List-Unsubscribe`` and ``List-Post`` (RFC 2369),
    ``Precedence: list``."""
    lists = [
        ("List-Id", "Partner News <partner-news.lists.microsoft.example>"),
        ("List-Unsubscribe", "<mailto:unsubscribe@lists.microsoft.example>"),
        ("List-Post", "NO"),
        ("Precedence", "list"),
    ]
    envelope = Envelope(from_, to, subject, message_id, in_reply_to, references, date, [*lists, *_pairs(headers)])
    return message(text_part(body), envelope)


def reply_by_references(
    parent_id: str,
    *,
    root_id: str | None = None,
    from_: str | None = "Taro Yamada <taro@contoso.example>",
    to: str | None = DESK,
    subject: str = "Re: Licences missing after renewal",
    message_id: str | None = "<reply-1@contoso.example>",
    body: str = "It still fails.\n",
    date: datetime | str | None = "Wed, 02 Dec 2026 09:30:00 +0900",
    headers: Headers = (),
) -> bytes:
    """A customer's reply to the desk's mail ``parent_id`` (top-posted over a Gmail quote): In-Reply-To is the
    parent, References the thread from ``root_id`` (when given) to the parent."""
    references = [root_id, parent_id] if root_id else [parent_id]
    quoted = f"{body}\nOn Tue, Dec 1, 2026 at 10:05 AM CSP Support <support@partner.example> wrote:\n> Thank you.\n"
    envelope = Envelope(from_, to, subject, message_id, parent_id, references, date, headers)
    return message(text_part(quoted), envelope)


def reply_by_subject_tag(
    tag: str,
    *,
    from_: str | None = f"{JA_NAME} <yamada@sakura.example>",
    to: str | None = DESK,
    subject: str | None = None,
    message_id: str | None = "<tag-reply-1@sakura.example>",
    body: str = "まだ解決していません。\n",
    date: datetime | str | None = "Wed, 02 Dec 2026 09:30:00 +0900",
    headers: Headers = (),
) -> bytes:
    """A reply that keeps only the ticket's tag in its subject (``Re: [CSP-001511] ...``), no In-Reply-To nor
    References (a customer answering from another device), over Japanese Outlook's quoted block."""
    quoted = (
        f"{body}\n-----Original Message-----\n差出人: CSP Support <support@partner.example>\n"
        f"送信日時: 2026年12月1日 10:05\n宛先: {JA_NAME}\n件名: [{tag}] 請求書の金額\n\n"
        "お問い合わせありがとうございます。\n"
    )
    envelope = Envelope(from_, to, subject or f"RE: [{tag}] 請求書の金額", message_id, None, None, date, headers)
    return message(
        text_part(quoted, label="ISO-2022-JP", codec="jis_ms", cte="7bit"), envelope, "ISO-2022-JP", "jis_ms"
    )


def forged_headers(
    *,
    to: str | None = None,
    subject: str | None = None,
    message_id: str | None = "<forged-1@x.example>",
    body: str = "Please change the bank account for our invoices.\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """What an impostor sends: two From headers, the first a display name dressed as the partner's address
    (``support@partner.example <evil@x.example>``, unquoted), the second Microsoft's; encoded-words that decode
    to CR LF and a Bcc line in the subject and in a name; a Reply-To elsewhere; a bare CR in a header's raw
    bytes, which ends that header and starts another."""
    forged = [
        ("From", "Microsoft Support <support@microsoft.example>"),
        ("Reply-To", "Payments <evil@x.example>"),
        ("X-Note", "FORGED-NOTE"),
        *_pairs(headers),
    ]
    injected_to = to or encoded_word("Desk\r\nBcc: victim@x.example") + " <support@partner.example>"
    injected_subject = subject or "=?UTF-8?Q?Invoice=0D=0ABcc=3A_victim=40x=2Eexample?="
    envelope = Envelope(
        "support@partner.example <evil@x.example>", injected_to, injected_subject, message_id, None, None, date, forged
    )
    raw = message(text_part(body), envelope)
    return raw.replace(b"X-Note: FORGED-NOTE", b"X-Note: harmless\rBcc: victim@x.example")


#: Text that would act on a terminal or in Rich markup if shown raw: markup and a click action, ANSI escapes,
#: a right-to-left override (reversing what follows), a NUL.
HOSTILE = "[bold red]urgent[/bold red] [@click=app.quit]quit[/] \x1b[31mred\x1b[0m \u202eevil\u202c \x00nul"


def hostile_text(
    *,
    from_: str | None = None,
    to: str | None = DESK,
    subject: str = f"Invoice {HOSTILE}",
    message_id: str | None = "<hostile-1@x.example>",
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    body: str = f"Hello\n{HOSTILE}\nBye\n",
    date: datetime | str | None = DATE,
    headers: Headers = (),
) -> bytes:
    """:data:`HOSTILE` in the subject, the sender's name and the body, and attachments named to deceive: a
    right-to-left override hiding ``.exe`` (``invoice`` U+202E ``fdp.exe``), an escape sequence and a
    zero-width space in another."""
    sender = from_ or f"{encoded_word(HOSTILE)} <attacker@x.example>"
    parts = [
        text_part(body),
        binary_part(b"MZ", "application/octet-stream", "attachment", "; filename*=UTF-8''invoice%E2%80%AEfdp.exe"),
        binary_part(b"x", "text/plain", "attachment", '; filename="' + encoded_word("\x1b[31mred\u200b.txt") + '"'),
    ]
    envelope = Envelope(
        sender,
        to,
        None,
        message_id,
        in_reply_to,
        references,
        date,
        [("Subject", encoded_word(subject)), *_pairs(headers)],
    )
    return message(multipart("mixed", parts, "hostile-boundary-1"), envelope)


def malformed_headers(
    *,
    to: str | None = "garbage <<>>, ok@contoso.example, @@@",
    subject: str = "No sender, no date",
    date: datetime | str | None = "32 Foo 2026 99:99:99 +9999",
    body: str = "Who sent this?\n",
    headers: Headers = (
        ("Cc", "undisclosed-recipients:;"),
        ("In-Reply-To", "not an id, <>, <ok@x.example"),
    ),
) -> bytes:
    """Headers a careless or broken mailer writes: no From, no Message-ID, a date that is none, an address list
    with garbage in it, an In-Reply-To with no whole id."""
    envelope = Envelope(None, to, subject, None, None, None, date, headers)
    return message(text_part(body), envelope)


#: Every builder that takes no argument, by name: the tests that must hold for any message walk these.
CORPUS = {
    "japanese_iso2022jp": japanese_iso2022jp,
    "japanese_shift_jis": japanese_shift_jis,
    "japanese_euc_jp": japanese_euc_jp,
    "utf8_plain": utf8_plain,
    "html_only": html_only,
    "alternative": alternative,
    "multipart_with_attachments": multipart_with_attachments,
    "auto_reply": auto_reply,
    "out_of_office_exchange": out_of_office_exchange,
    "bounce_dsn": bounce_dsn,
    "read_receipt": read_receipt,
    "list_mail": list_mail,
    "forged_headers": forged_headers,
    "hostile_text": hostile_text,
    "malformed_headers": malformed_headers,
}
