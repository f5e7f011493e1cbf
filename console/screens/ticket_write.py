"""Writing on a ticket: an internal note (``n``), or a reply to the customer (``r``): by mail when the desk has
mail and the contact an address (the reply template in the customer's language first, the mail owed to the
outbox with the reply: console.desk.mail), else logged as sent by the agent's own means."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.screens.base import show_fault
from console.screens.dialogs import TextPrompt

if TYPE_CHECKING:
    from console.screens.base import ConsoleScreen

    _Base = ConsoleScreen
else:
    _Base = object


class TicketWriting(_Base):
    """The ticket screen's note and reply (it has ``ticket``, ``console`` and ``load``)."""

    load: Callable[..., object]

    if TYPE_CHECKING:

        @property
        def ticket(self) -> dict[str, Any] | None: ...

    def _write(self, reply: bool, draft: str | None = None) -> None:
        t = self.ticket
        if t is None:
            return
        desk = self.console.desk
        if reply and draft is None:  # the reply template, in the customer's language (read by the core)
            self.call_core(lambda: desk.mail.reply_draft(t), lambda text: self._write(True, text))
            return
        by_mail = reply and desk.mail.sends_to(t)
        title = (f"Reply to {t['contactEmail']} by mail ({t['id']})" if by_mail else
                 f"Reply logged as sent to the customer ({t['id']})") if reply else f"Internal note on {t['id']}"

        def save(text: str | None) -> None:
            def kept(error: BaseException) -> bool:  # a full disk, a busy workspace: the text back, to save again
                if not show_fault(self.console, error, "Not saved: the text is kept"):
                    return False
                self._write(reply, text or "")
                return True

            if text is not None:
                write = (lambda: desk.mail.answer(t, text)) if reply else (lambda: desk.note(t, text))
                self.call_core(write, self.load, on_stale=self.load, on_error=kept)

        self.app.push_screen(TextPrompt(title, multiline=True, value=draft or ""), save)

    def action_note(self) -> None:
        self._write(reply=False)

    def action_reply(self) -> None:
        self._write(reply=True)

