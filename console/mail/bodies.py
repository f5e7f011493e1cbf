"""A message's parts sorted into what the sender wrote (the body's text) and what they attached.

The walk follows the MIME tree (RFC 2046): in ``multipart/alternative`` the first alternative with plain text
is the body (its other alternatives give only their attachments, such as an HTML version's inline images);
in ``multipart/mixed`` and ``related`` each part in turn is body text or an attachment, so Apple Mail's
text-image-text bodies read whole. A part is an attachment when it says so (``Content-Disposition:
attachment``), when it has a filename, or when it is no text/plain or text/html (inline images among them);
an attached message (``message/rfc822``) is one attachment, its bytes as they came, never walked into.
"""

from __future__ import annotations

import binascii
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email import policy
from email.generator import BytesGenerator
from email.message import Message

from console.mail.charsets import decode
from console.mail.message import Attachment
from console.mail.names import safe_filename
from console.mail.params import parse_mime_header
from console.mail.words import header_words

#: Deeper MIME nesting than this is not walked (real mail nests four or five levels; a hostile one, thousands).
MAX_DEPTH = 40
_BODY_TYPES = {"text/plain", "text/html"}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_MIME_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
#: An attached message written out again as it came: its headers unfolded never, its 8-bit bytes kept.
_AS_CAME = policy.default.clone(linesep="\r\n", refold_source="none", cte_type="8bit")


@dataclass(frozen=True)
class _Part:
    """What one part's headers say (read once)."""

    content_type: str
    type_params: dict[str, str]
    disposition: str
    filename: str | None
    #: Content-Transfer-Encoding, lower-cased (``""`` when missing).
    transfer: str

    @property
    def maintype(self) -> str:
        return self.content_type.partition("/")[0]


@dataclass
class Bodies:
    """What the walk found: the body's plain-text and HTML pieces in order, the attachments, the problems."""

    max_attachment: int
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _headers(part: Message, default_type: str, problems: list[str]) -> _Part:
    content_type: str | None = None
    disposition: str | None = None
    transfer = ""
    for name, value in part.raw_items():
        lowered = name.lower()
        if lowered == "content-type" and content_type is None:
            content_type = value
        elif lowered == "content-disposition" and disposition is None:
            disposition = value
        elif lowered == "content-transfer-encoding" and not transfer:
            transfer = value.strip().lower()
    ctype = parse_mime_header(content_type, problems, "Content-Type")
    cdisp = parse_mime_header(disposition, problems, "Content-Disposition")
    value = ctype.value if _MIME_TYPE.fullmatch(ctype.value) else default_type  # RFC 2045 §5.2: else the default
    filename = cdisp.params.get("filename") or ctype.params.get("name") or None
    return _Part(value, ctype.params, cdisp.value, filename, transfer)


def _base64(encoded: bytes) -> tuple[bytes, bool]:
    """Base64 decoded (line breaks and stray characters skipped) and whether it was whole: damaged base64
    (padding lost, a character cut off) is read as far as it goes, where :mod:`email` would give it encoded."""
    try:
        return binascii.a2b_base64(encoded), True
    except binascii.Error:
        cleaned = _NOT_BASE64.sub(b"", encoded.partition(b"=")[0])
        cleaned = cleaned[: len(cleaned) - 1] if len(cleaned) % 4 == 1 else cleaned
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4)), False


def _payload(part: Message, info: _Part, found: Bodies) -> bytes:
    """A leaf part's content, its transfer encoding undone."""
    if info.transfer == "base64":
        payload = part.get_payload()
        data, whole = _base64(payload.encode("ascii", "ignore") if isinstance(payload, str) else b"")
        if not whole:
            found.problems.append("a part's base64 is damaged, read as far as it goes")
        return data
    decoded = part.get_payload(decode=True)  # quoted-printable (tolerant of bad escapes), uuencode, or as it is
    return decoded if isinstance(decoded, bytes) else b""


def _text(part: Message, info: _Part, found: Bodies) -> None:
    data = _payload(part, info, found)
    charset = info.type_params.get("charset") or None
    html = info.content_type == "text/html"
    if html and charset is None and (meta := _META_CHARSET.search(data[:4096])):
        charset = meta.group(1).decode("ascii")
    text, problem = decode(data, charset)
    if problem:
        found.problems.append(f"body: {problem}")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    (found.htmls if html else found.texts).append(text)


def _attach(found: Bodies, info: _Part, data: bytes, name: str | None, in_related: bool) -> None:
    index = len(found.attachments) + 1
    kept = len(data) <= found.max_attachment
    inline = info.disposition == "inline" or (not info.disposition and in_related)
    filename = safe_filename(name, index, info.content_type)
    found.attachments.append(Attachment(filename, info.content_type, len(data), data if kept else b"", kept, inline))


def _inner(part: Message) -> list[Message]:
    """The messages a ``message/*`` part holds (one for ``rfc822``, a block each for ``delivery-status``)."""
    payload = part.get_payload()
    return [inner for inner in payload if isinstance(inner, Message)] if isinstance(payload, list) else []


def _message_bytes(part: Message, found: Bodies) -> bytes:
    """An attached message's bytes (a ``message/*`` part's payload written out as it came)."""
    out = io.BytesIO()
    try:
        generator = BytesGenerator(out, mangle_from_=False, policy=_AS_CAME)
        for inner in _inner(part):
            generator.flatten(inner)  # type: ignore[arg-type]  # typeshed says EmailMessage; any Message flattens
    except Exception as exc:  # the generator on a damaged message: its name is kept, not its bytes
        found.problems.append(f"an attached message could not be written out ({type(exc).__name__})")
        return b""
    return out.getvalue()


def _attached_message(part: Message, info: _Part, found: Bodies, in_related: bool) -> None:
    name = info.filename
    inner_messages = _inner(part)
    if name is None and info.content_type in ("message/rfc822", "message/global") and inner_messages:
        inner = inner_messages[0]
        subject = next((value for key, value in inner.raw_items() if key.lower() == "subject"), "")
        subject = header_words(subject, found.problems, "attached message's Subject")
        name = f"{subject}.eml" if subject else None
    _attach(found, info, _message_bytes(part, found), name, in_related)


def _alternative(children: Sequence[Message], found: Bodies, depth: int, in_related: bool) -> None:
    """``multipart/alternative``: the first alternative with plain text is the body, else the first with HTML."""
    texts, htmls = found.texts, found.htmls
    results: list[tuple[list[str], list[str]]] = []
    for child in children:
        found.texts, found.htmls = [], []
        walk(child, found, depth + 1, in_related=in_related)
        results.append((found.texts, found.htmls))
    found.texts, found.htmls = texts, htmls
    chosen = next((r for r in results if any(t.strip() for t in r[0])), None)
    chosen = chosen or next((r for r in results if any(h.strip() for h in r[1])), None)
    chosen = chosen or next((r for r in results if r[0] or r[1]), None)
    if chosen is not None:
        texts.extend(chosen[0])
        htmls.extend(chosen[1])


def walk(
    part: Message, found: Bodies, depth: int = 0, *, default_type: str = "text/plain", in_related: bool = False
) -> None:
    """``part`` and everything under it sorted into ``found``."""
    info = _headers(part, default_type, found.problems)
    if part.is_multipart():
        if info.maintype != "multipart":  # message/rfc822 and its kin: one attachment
            _attached_message(part, info, found, in_related)
            return
        if depth >= MAX_DEPTH:
            found.problems.append(f"MIME parts nested over {MAX_DEPTH} deep: the deeper ones not read")
            return
        children = _inner(part)
        subtype = info.content_type.partition("/")[2]
        if subtype == "alternative":
            _alternative(children, found, depth, in_related)
            return
        child_default = "message/rfc822" if subtype == "digest" else "text/plain"
        for child in children:
            walk(child, found, depth + 1, default_type=child_default, in_related=subtype == "related")
        return
    _leaf(part, info, found, in_related)


def _leaf(part: Message, info: _Part, found: Bodies, in_related: bool) -> None:
    content_type = info.content_type
    if info.maintype == "multipart":  # a multipart without its boundary: the parser kept it as text
        found.problems.append(f"{content_type} without a boundary, read as text")
        content_type = "text/plain"
    if content_type in _BODY_TYPES and info.disposition != "attachment" and info.filename is None:
        _text(part, replace(info, content_type=content_type), found)
        return
    _attach(found, info, _payload(part, info, found), info.filename, in_related)
