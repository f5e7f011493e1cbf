"""The ticket screen's writing: an internal note (``n``), a reply to the customer (``r``), and the ticket's mails.

A reply goes through ``desk.mail.answer``: by mail when ``desk.mail.sends_to`` names someone (the desk has
``[mail]`` with an SMTP server and a mail came in on the ticket), the form then titled with the recipients and
its text started from the reply template in the customer's language (``desk.mail.draft``), the cursor where the
template's ``{body}`` goes; otherwise it is
logged as sent by other means (the phone, another mail program), as before. Either way ctrl+o edits it in
``$EDITOR``, and a failed save (a full disk, a busy workspace) opens the form again with the text kept; a text
left with escape is kept too, and the next ``r`` (or ``n``) on that ticket brings it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from weakref import WeakKeyDictionary

from textual.widgets import Static

from console.screens.base import show_fault
from console.screens.dialogs import TextPrompt
from console.shared.safe_text import clean_line
from console.widgets.mail_render import ticket_mail_block

if TYPE_CHECKING:
    from console.screens.ticket import TicketScreen

_KEPT: WeakKeyDictionary[Any, dict[tuple[str, bool], str]] = WeakKeyDictionary()


def kept_texts(app: Any) -> dict[tuple[str, bool], str]:
    """The notes and replies left with escape in ``app``'s session, by (ticket, is a reply)."""
    return _KEPT.setdefault(app, {})


#: Put where the template's ``{body}`` goes, to find where the agent's typing starts (a private-use character:
#: no template or field has it).
BODY_MARK = "\ue000"


def typing_place(draft: str) -> tuple[str, tuple[int, int] | None]:
    """``draft`` without :data:`BODY_MARK`, and the (row, column) where it was: the reply's text goes there."""
    at = draft.find(BODY_MARK)
    if at < 0:
        return draft, None
    before = draft[:at]
    return draft.replace(BODY_MARK, ""), (before.count("\n"), len(before) - (before.rfind("\n") + 1))


class TicketWriting:
    """Mixin for :class:`console.screens.ticket.TicketScreen` (reached, typed, as ``self.screen_``)."""

    @property
    def screen_(self) -> TicketScreen:
        return cast("TicketScreen", self)

    def action_note(self) -> None:
        self._write(reply=False)

    def action_reply(self) -> None:
        screen = self.screen_
        t = screen.ticket
        if t is None:
            return
        mail = screen.console.desk.mail

        def ask() -> tuple[list[str], str, tuple[int, int] | None]:
            to = mail.sends_to(t["id"])
            if not to:
                return to, "", None
            draft, cursor = typing_place(mail.draft(t["id"], BODY_MARK))
            return to, draft, cursor

        screen.call_core(
            ask, lambda found: self._write(reply=True, draft=found[1], to=found[0], cursor=found[2]), group="reply"
        )

    def _write(
        self, reply: bool, draft: str = "", to: list[str] | None = None, cursor: tuple[int, int] | None = None
    ) -> None:
        screen = self.screen_
        t = screen.ticket
        if t is None:
            return
        desk = screen.console.desk
        unsent = kept_texts(screen.console)
        key = (t["id"], reply)
        if key in unsent:  # a text left with escape comes back as it was left, not the template again
            draft, cursor = unsent.pop(key), None
        if not reply:
            title = f"Internal note on {t['id']}"
        elif to:
            title = clean_line(f"Reply by mail to {', '.join(to)} ({t['id']})")
        else:
            title = f"Reply logged as sent to the customer ({t['id']})"

        def save(text: str | None) -> None:
            def kept(error: BaseException) -> bool:  # a full disk, a busy workspace: the text back, to save again
                if not show_fault(screen.console, error, "Not saved: the text is kept"):
                    return False
                self._write(reply, text or "", to)
                return True

            if text is None:
                return
            if reply:
                write = lambda: desk.mail.answer(t, text)  # noqa: E731 - by mail, or logged as sent
            else:
                write = lambda: desk.note(t, text, reply=False)  # noqa: E731
            screen.call_core(write, self._written(reply, to), on_stale=screen.load, on_error=kept)

        def left(text: str) -> None:  # escape on a text the agent wrote: kept for this console's session
            unsent[key] = text
            what = "reply" if reply else "note"
            screen.console.notify(
                f"Your {what} on {t['id']} is kept, not sent: {'r' if reply else 'n'} brings it back.", markup=False
            )

        prompt = TextPrompt(title, multiline=True, value=draft, cursor=cursor, on_leave=left)
        screen.console.push_screen(prompt, save)

    def _written(self, reply: bool, to: list[str] | None) -> Any:
        screen = self.screen_

        def done(_: object) -> None:
            if reply and to:
                screen.console.notify(clean_line(f"Reply queued to be sent to {', '.join(to)}."), markup=False)
            screen.load()

        return done

    # -- the ticket's mails --------------------------------------------------------------------------
    def load_mail(self) -> None:
        screen = self.screen_
        mail, ticket_id = screen.console.desk.mail, screen.ticket_id
        screen.call_core(lambda: mail.of_ticket(ticket_id), self._show_mail, group="ticket-mail", exclusive=True)

    def _show_mail(self, mails: list[dict[str, Any]]) -> None:
        screen = self.screen_
        for selector in ("#mail-title", "#mail"):
            screen.query_one(selector).display = bool(mails)
        screen.query_one("#mail", Static).update(ticket_mail_block(mails, screen.zone))
