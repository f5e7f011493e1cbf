"""Assigning a ticket: the agents who may work it, read when the dialog opens (an agent added since the
console started is offered; one whose roles do not allow working tickets is not)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.screens.dialogs import ChoicePrompt
from console.shared.safe_text import clean_line

if TYPE_CHECKING:
    from console.screens.base import ConsoleScreen

UNASSIGNED = ""


def assignee_choices(agents: list[dict[str, Any]], me: str) -> list[tuple[str, str]]:
    """``unassigned`` first, then each agent: ``aiko.tanaka  Aiko Tanaka (you)``."""
    choices = [(UNASSIGNED, "unassigned")]
    for a in agents:
        name = clean_line(a.get("displayName") or "")
        label = clean_line(a["login"]) + (f"  {name}" if name and name != a["login"] else "")
        choices.append((a["login"], label + ("  (you)" if a["login"] == me else "")))
    return choices


def ask_assignee(screen: ConsoleScreen, ticket: dict[str, Any], act: Callable[[Callable[[], Any]], None]) -> None:
    """Read who may work tickets, offer them, and ``act`` on the one picked (``None``: unassign)."""
    desk = screen.console.desk

    def offer(agents: list[dict[str, Any]]) -> None:
        def picked(who: str | None) -> None:
            if who is not None:
                act(lambda: desk.assign(ticket, who or None))

        choices = assignee_choices(agents, desk.agent)
        title = f"Assign {ticket['id']} to ({len(choices) - 1} agents who may work it)"
        screen.app.push_screen(ChoicePrompt(title, choices, ticket["assignee"] or UNASSIGNED), picked)

    screen.call_core(desk.agents.assignable, offer)
