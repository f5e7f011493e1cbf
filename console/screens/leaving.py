"""Leaving the console: ``q`` on the queue, ctrl+q, ctrl+c or the palette's Quit; asked first when it would lose
what a form holds or release the agent's claims. (A dropped SSH session leaves at once: nobody is there to ask.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.app import App

QUIT_CONFIRM = "quit-confirm"


class Form(Protocol):
    form_name: str

    def has_unsaved_input(self) -> bool: ...


class Leaving:
    """Mixin for the console's App: its quit action asks first when something would be lost."""

    async def action_quit(self) -> None:
        from console.screens.dialogs import Confirm

        app: App[None] = self  # type: ignore[assignment]
        if app.screen.id == QUIT_CONFIRM:
            return  # asked already
        reasons = self.reasons_to_stay()
        if not reasons:
            app.exit()
            return
        question = "Quit the console? " + "; ".join(reasons) + "."
        app.push_screen(Confirm(question, id=QUIT_CONFIRM), lambda yes: app.exit() if yes else None)

    def reasons_to_stay(self) -> list[str]:
        """What leaving now would lose or release, as the question says it."""
        app: App[None] = self  # type: ignore[assignment]
        reasons = []
        forms: list[Form] = [s for s in app.screen_stack if _unsaved(s)]  # type: ignore[misc]
        if forms:
            names = ", ".join(dict.fromkeys(f.form_name for f in forms))
            reasons.append(f"what you typed in {names} is not saved")
        claims = self.claims_released_on_exit()
        if claims:
            shown = ", ".join(claims[:3]) + (f" and {len(claims) - 3} more" if len(claims) > 3 else "")
            reasons.append(f"your claim{'' if len(claims) == 1 else 's'} on {shown} will be released")
        return reasons

    def claims_released_on_exit(self) -> list[str]:
        """The tickets whose claims leaving releases (the app says which)."""
        return []


def _unsaved(screen: object) -> bool:
    check = getattr(screen, "has_unsaved_input", None)
    return bool(check is not None and check())
