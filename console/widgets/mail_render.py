"""Mail drawn for the screens: a line per unmatched mail, a mail read in full, a ticket's mails and attachments.

Everything in a mail is the sender's text: each value is cleaned of control characters and escape sequences
(``console.shared.safe_text``) and put into a :class:`rich.text.Text`, never parsed as markup. Attachments are
named with their size and type only: never opened, never rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.text import Text

from console.shared.safe_text import clean_block, clean_line
from console.widgets.cells import fit
from console.widgets.render import stamp

#: Columns of a stamp in the desk's zone (``2026-11-23 09:30 JST``).
STAMP_WIDTH = 20


def size_text(size: int) -> str:
    """A byte count as people read it: ``812 B``, ``14.2 KB``, ``10.0 MB`` (units of 1024)."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


def sender(row: dict[str, Any]) -> str:
    """Who sent a stored mail: ``Name <address>``, or the address alone."""
    email, name = clean_line(row.get("fromEmail") or ""), clean_line(row.get("fromName") or "")
    if not email:
        return name or "(no sender)"
    return f"{name} <{email}>" if name else email


def addresses(pairs: Sequence[Any] | None) -> str:
    """A stored address list (``[name, email]`` pairs) as ``a@x, b@y``: the addresses, which say where it went."""
    out = []
    for pair in pairs or ():
        email = pair[1] if isinstance(pair, (list, tuple)) and len(pair) > 1 else pair
        out.append(clean_line(email))
    return ", ".join(e for e in out if e)


def unmatched_line(row: dict[str, Any], width: int, zone: str) -> Text:
    """One unmatched mail in ``width`` columns: when it arrived (the desk's zone), who sent it (the address, then
    the name), its subject; the columns line up whatever the width of the characters (Japanese names and subjects)."""
    rest = max(20, width - STAMP_WIDTH - 4)
    who_width = max(12, min(36, rest * 2 // 5))
    subject_width = max(8, rest - who_width)
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(fit(stamp(row.get("receivedDate"), zone), STAMP_WIDTH), style="dim")
    line.append("  ")
    email, name = clean_line(row.get("fromEmail") or "(no sender)"), clean_line(row.get("fromName") or "")
    line.append(fit(email, who_width) if not name or cell_len(email) >= who_width - 2 else "", style="bold")
    if name and cell_len(email) < who_width - 2:  # the address first: it is what is assigned
        line.append(email, style="bold")
        line.append(fit(f"  {name}", who_width - cell_len(email)), style="dim")
    line.append("  ")
    line.append(fit(row.get("subject") or "(no subject)", subject_width))
    return line


def mail_text(row: dict[str, Any], zone: str) -> Text:
    """A mail read in full (read-only): its envelope, then its body; a body kept from HTML says so."""
    text = Text()
    fields = [
        ("From", sender(row)),
        ("To", addresses(row.get("toList")) or "—"),
        ("Subject", clean_line(row.get("subject") or "(no subject)")),
        ("Received", stamp(row.get("receivedDate"), zone)),
    ]
    for label, value in fields:
        text.append(f"{label + ':':<10}", style="bold")
        text.append(value)
        text.append("\n")
    if row.get("why"):
        text.append(f"{'Waiting:':<10}", style="bold")
        text.append(clean_line(row["why"]), style="dim")
        text.append("\n")
    if row.get("htmlOnly"):
        text.append("(sent as HTML only: shown as text)\n", style="dim")
    text.append("\n")
    text.append(clean_block(row.get("body") or "") or "(no text)")
    return text


def attachment_line(part: Any) -> Text:
    """An attachment's name, size and type (a :class:`console.store.mail.StoredAttachment`)."""
    name = clean_line(part.filename or "(no name)", 200)
    line = Text("  ")
    line.append(name)
    line.append(f"  {size_text(part.size)}  ", style="dim")
    line.append(clean_line(part.content_type, 100), style="dim")
    if part.inline:
        line.append("  (inline)", style="dim")
    if not part.kept:
        line.append("  (not kept: over the size limit)", style="dim")
    return line


def ticket_mail_block(mails: Sequence[dict[str, Any]], zone: str) -> RenderableType:
    """A ticket's mails, oldest first: a line each (in or out, when, who, subject), its attachments under it."""
    lines: list[RenderableType] = []
    for mail in mails:
        incoming = mail.get("direction") == "in"
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("← in  " if incoming else "→ out ", style="bold")
        line.append(stamp(mail.get("receivedDate") or mail.get("sentDate"), zone), style="dim")
        line.append("  ")
        who = sender(mail) if incoming else addresses([*(mail.get("toList") or ()), *(mail.get("ccList") or ())]) or "—"
        line.append(who)
        subject = clean_line(mail.get("subject") or "(no subject)")
        line.append(f"  {subject}" if cell_len(subject) else "")
        lines.append(line)
        lines.extend(attachment_line(part) for part in mail.get("attachments") or ())
    return Group(*lines)
