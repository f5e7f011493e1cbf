"""The audit chain's start-up check, as the console shows it: an open break on the health board (for everyone
who opens it) and, to an agent who may acknowledge it (a Global admin), as a toast at every start until it is
acknowledged (``csp-console audit acknowledge``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.desk.audit_chain import ACKNOWLEDGE, Verdict, describe
from console.shared.safe_text import clean_line

if TYPE_CHECKING:
    from console.app import CspConsoleApp

#: The toast's title (the notices of kind ``audit`` use the same words).
TITLE = "Audit trail broken"


def report_audit(app: CspConsoleApp, value: object) -> None:
    """The start-up check's verdict (any other job's value is not ours): kept for the health board, and said to
    an agent who may acknowledge it, unless the check's own notice to them (first told) already toasts it."""
    if not isinstance(value, Verdict):
        return
    show_breaks(app, value)
    first = value.first
    if first is None or app.agent in value.told or not app.desk.may(ACKNOWLEDGE):
        return
    more = f" (+{len(value.open) - 1} more)" if len(value.open) > 1 else ""
    app.notify(
        clean_line(f"{describe(first)}{more}. See: csp-console audit verify", 300),
        title=TITLE,
        severity="error",
        timeout=30,
        markup=False,
    )


def show_breaks(app: CspConsoleApp, value: Verdict) -> None:
    from console.screens.health import HealthScreen

    app.audit_breaks = list(value.open)
    for screen in app.screen_stack:
        if isinstance(screen, HealthScreen):
            screen.show_audit(app.audit_breaks)
