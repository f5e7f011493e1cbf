"""What the outbox did with the changes for Microsoft, said as notices (quiet when nothing happened)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from console.shared.safe_text import clean_line

if TYPE_CHECKING:
    from textual.app import App

    from console.escalation.courier import CourierReport


def report_delivery(app: App[Any], report: CourierReport) -> None:
    """A notice per change delivered, still pending (retried) or refused by Microsoft."""
    for line in report.delivered:
        app.notify(clean_line(line, 300), title="Delivered to Microsoft", markup=False)
    for line in report.pending:
        app.notify(clean_line(line, 300), title="Not delivered yet (will retry)", severity="warning", markup=False)
    for line in report.failed:
        app.notify(clean_line(line, 300), title="Microsoft refused", severity="error", markup=False, timeout=15)
