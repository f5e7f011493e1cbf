"""Unmatched mail: the mails from senders the desk does not know yet, waiting for an agent to say whose they are.

Reached from the queue (``e``, ``queue.unmatched_mail``) where the config has a ``[mail]`` address. Enter reads a
mail (read-only, literally); ``a`` assigns its sender to a customer picked as in the directory: the sender becomes
a contact of it and each of its waiting mails becomes a ticket (``desk.mail.assign_sender``, ``mail.assign``).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.desk.directory import CustomerHit
from console.screens.base import ConsoleScreen
from console.screens.customer_picker import CustomerPicker
from console.shared.safe_text import clean_line
from console.widgets.key_bar import KeyBar
from console.widgets.mail_render import mail_text, unmatched_line

#: Mails listed at once (the oldest first: the longest waiting).
LISTED = 200


def mail_configured(app: Any) -> bool:
    """Whether the desk has mail (``desk.mail.configured``); before the desk is set up, its config says it."""
    desk = app.__dict__.get("desk")
    return bool(desk.mail.configured if desk is not None else app.config.mail.address)


class QueueMailKeys:
    """Mixin for the queue: its Unmatched-mail key works, and is in sight, only where the desk has mail."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "unmatched_mail":
            return mail_configured(self.app)  # type: ignore[attr-defined]
        return True

    def action_unmatched_mail(self) -> None:
        if mail_configured(self.app):  # type: ignore[attr-defined]
            self.app.push_screen(UnmatchedScreen())  # type: ignore[attr-defined]


def assigned_notice(email: str, customer: str, taken: list[Any]) -> str:
    """What an assignment did, in one sentence: the tickets made and joined (``Taken`` each)."""
    made = [t.ticket_id for t in taken if t.state == "ticket" and t.ticket_id]
    joined = [t.ticket_id for t in taken if t.state == "joined" and t.ticket_id]
    said = [f"{email} is a contact of {customer}"]
    if made:
        said.append(f"new ticket{'' if len(made) == 1 else 's'} {', '.join(made)}")
    if joined:
        said.append(f"joined {', '.join(dict.fromkeys(joined))}")
    if not made and not joined:
        said.append("no ticket was made")
    return clean_line("; ".join(said) + ".")


class UnmatchedScreen(ConsoleScreen):
    """The unmatched mails, oldest first: when, who, what about."""

    DEFAULT_CSS = """
    UnmatchedScreen #unmatched-title { height: 1; background: $panel; padding: 0 1; }
    UnmatchedScreen #unmatched-list { height: 1fr; border: none; padding: 0 1; }
    """
    BINDINGS = [
        Binding("enter", "read", "Read", id="unmatched.read", priority=True),
        Binding("a", "assign", "Assign sender to customer", id="unmatched.assign"),
        Binding("escape,q", "back", "Back", id="unmatched.back"),
        Binding("j", "move(1)", "Down", show=False, id="unmatched.down"),
        Binding("k", "move(-1)", "Up", show=False, id="unmatched.up"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="unmatched.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Unmatched mail", style="bold"), id="unmatched-title")
        yield OptionList(id="unmatched-list")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#unmatched-list", OptionList).focus()
        self.load()

    def on_workspace_changed(self) -> None:
        self.load()

    def load(self) -> None:
        mail = self.console.desk.mail
        self.call_core(lambda: mail.unmatched(LISTED), self._show, group="unmatched", exclusive=True)

    def action_refresh(self) -> None:
        self.load()

    def _show(self, rows: list[dict[str, Any]]) -> None:
        options = self.query_one("#unmatched-list", OptionList)
        keep = self.current["id"] if self.current else None
        self.rows = rows
        options.clear_options()
        width = max(40, (options.size.width or self.size.width or 80) - 3)
        for row in rows:
            options.add_option(Option(unmatched_line(row, width, self.zone), id=str(row["id"])))
        if not rows:
            options.add_option(Option(Text("No mail waits: every sender is placed.", style="dim"), disabled=True))
        else:
            ids = [r["id"] for r in rows]
            options.highlighted = ids.index(keep) if keep in ids else 0
        title = Text("Unmatched mail", style="bold")
        count = f"{len(rows)}{'+' if len(rows) >= LISTED else ''} waiting"
        title.append(f"  ·  {count} · a: whose is it (assign the sender)", style="dim")
        title.no_wrap, title.overflow = True, "ellipsis"
        self.query_one("#unmatched-title", Static).update(title)

    @property
    def current(self) -> dict[str, Any] | None:
        if not self.rows:
            return None
        index = self.query_one("#unmatched-list", OptionList).highlighted
        return self.rows[index] if index is not None and index < len(self.rows) else None

    def action_move(self, delta: int) -> None:
        options = self.query_one("#unmatched-list", OptionList)
        if self.rows:
            options.highlighted = max(0, min(len(self.rows) - 1, (options.highlighted or 0) + delta))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_read()

    def action_read(self) -> None:
        if (row := self.current) is not None:
            self.app.push_screen(MailScreen(row, self.zone), lambda assign: self.action_assign() if assign else None)

    def action_assign(self) -> None:
        row = self.current
        if row is None:
            return
        email = row.get("fromEmail") or ""
        if not email:
            self.app.notify("This mail names no sender to assign.", severity="warning", markup=False)
            return
        title = f"{clean_line(email)} writes for which customer? (name, domain or a contact's address)"
        self.app.push_screen(CustomerPicker(title), lambda hit: self._assign(row, hit))

    def _assign(self, row: dict[str, Any], hit: CustomerHit | None) -> None:
        if hit is None:
            return
        mail, email, name = self.console.desk.mail, row["fromEmail"], row.get("fromName") or ""

        def done(taken: list[Any]) -> None:
            self.app.notify(assigned_notice(email, hit.name, taken), title="Sender assigned", markup=False, timeout=10)
            self.load()

        self.call_core(lambda: mail.assign_sender(email, hit.id, name), done, title="Not assigned: nothing changed")

    def action_back(self) -> None:
        self.app.pop_screen()


class MailScreen(Screen[bool]):
    """One mail read in full, read-only and literal; ``a`` assigns its sender (back on the list)."""

    DEFAULT_CSS = """
    MailScreen #read-title { height: 1; background: $panel; padding: 0 1; }
    MailScreen #read-body { height: 1fr; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="mail.back"),
        Binding("a", "assign", "Assign sender to customer", id="mail.assign"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False, id="mail.down"),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False, id="mail.up"),
    ]

    def __init__(self, row: dict[str, Any], zone: str) -> None:
        super().__init__()
        self.row, self.zone_name = row, zone

    def compose(self) -> ComposeResult:
        title = Text("Mail from an unknown sender (read-only)", style="bold", no_wrap=True, overflow="ellipsis")
        yield Static(title, id="read-title")
        with VerticalScroll(id="read-body"):
            yield Static(mail_text(self.row, self.zone_name), id="read-text")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#read-body").focus()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#read-body", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_back(self) -> None:
        self.dismiss(False)

    def action_assign(self) -> None:
        self.dismiss(True)
