"""Billing dialogs: confirm a suspension with its consequences, record a payment, log time on a ticket."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from console.billing.desk import MAX_MINUTES, BillingInputError
from console.screens.base import CoreCalls, UnsavedInput, clear_form_error, show_form_error
from console.shared.money import money
from console.shared.safe_text import clean_line
from console.widgets.palette import BAD, WARN, styled


class ConfirmSuspension(ModalScreen[bool]):
    """The suspension plan and its consequences; ``y`` suspends, ``n`` or escape does nothing."""

    BINDINGS = [
        Binding("y", "answer(True)", "Suspend", id="suspend.yes"),
        Binding("n,escape", "answer(False)", "Cancel", id="suspend.no"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="suspend.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="suspend.up"),
    ]

    def __init__(self, plan: Any) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(classes="dialog suspend"):
            yield Label(Text(f"Suspend {clean_line(plan.company)} for non-payment?", style="bold"))
            with VerticalScroll(id="suspend-body"):
                lines = [Text("These subscriptions will be suspended through Partner Center:", style="bold")]
                for item in plan.items:
                    s = item.subscription
                    lines.append(Text.assemble("• ", clean_line(s["offerName"]), f" ({s['quantity']} seats)"))
                    lines.append(Text(f"  {item.consequence}", style="dim"))
                for b in plan.blocked:
                    s = b.subscription
                    lines.append(styled("• NOT suspended: " + clean_line(s["offerName"]), BAD))
                    lines.append(Text(f"  {clean_line(b.reason)}", style="dim"))
                for s in plan.untouched:
                    lines.append(Text(f"• left as it is: {clean_line(s['offerName'])} ({s['status']})", style="dim"))
                lines.append(Text("Consequences:", style="bold"))
                lines += [styled(f"• {line}", WARN) for line in plan.summary]
                for line in lines:
                    yield Static(line)
            yield Static(Text("y suspend · n cancel", style="dim"))

    def action_scroll(self, lines: int) -> None:
        self.query_one("#suspend-body", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


RecordPayment = Callable[[str, str, date | None], dict[str, Any]]


class PaymentDialog(UnsavedInput, CoreCalls, ModalScreen[dict[str, Any] | None]):
    """Record a payment: the invoice, the amount (the outstanding amount to start with), the date. A mistake is
    shown in the dialog next to its field; the dialog closes with the updated receivable once recorded."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="payment.save"),
        Binding("escape", "cancel", "Cancel", id="payment.cancel"),
    ]

    def __init__(self, company: str, receivables: list[dict[str, Any]], today: date, record: RecordPayment) -> None:
        super().__init__()
        self.company = company
        self.receivables = receivables
        self.today = today
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Record a payment from {clean_line(self.company)}", style="bold"))
            yield Label(Text("Invoice", style="dim"))
            options = [
                (Text(f"{clean_line(r['id'])}  due {r['dueDate']}  {money(self._left(r), r['currencyCode'])}"), r["id"])
                for r in self.receivables
            ]
            first = self.receivables[0]["id"] if self.receivables else Select.BLANK
            yield Select(options, value=first, allow_blank=False, id="invoice", compact=True)
            yield Label(Text("Amount received", style="dim"))
            amount = str(self._left(self.receivables[0])) if self.receivables else ""
            yield Input(amount, id="amount", compact=True, select_on_focus=False)
            yield Label(Text("Paid on (YYYY-MM-DD)", style="dim"))
            yield Input(self.today.isoformat(), id="paid-on", compact=True, select_on_focus=False)
            yield Static(id="payment-error", classes="form-error")
            yield Static(Text("ctrl+s save · escape cancel", style="dim"))

    @staticmethod
    def _left(r: dict[str, Any]) -> Decimal:
        return Decimal(r["totalCharges"]) - Decimal(r["paidAmount"] or "0")

    form_name = "the payment"

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        chosen = next((r for r in self.receivables if r["id"] == event.value), None)
        if chosen is not None:
            self.query_one("#amount", Input).value = str(self._left(chosen))

    def show_error(self, field: str, message: str) -> None:
        clear_form_error(self, "#payment-error")
        target = {"amount": "#amount", "date": "#paid-on", "invoice": "#invoice"}.get(field)
        show_form_error(self, "#payment-error", message, target)

    def action_save(self) -> None:
        invoice = self.query_one("#invoice", Select).value
        if not isinstance(invoice, str):
            self.show_error("invoice", "Choose the invoice paid.")
            return
        amount = self.query_one("#amount", Input).value
        day_text = self.query_one("#paid-on", Input).value.strip()
        try:
            paid_on = date.fromisoformat(day_text) if day_text else None
        except ValueError:
            self.show_error("date", f"{day_text!r} is not a date: write YYYY-MM-DD.")
            return
        record = self.record

        def save() -> dict[str, Any] | BillingInputError:
            try:
                return record(invoice, amount, paid_on)
            except BillingInputError as exc:
                return exc

        self.call_core(save, self._saved, group="payment", exclusive=True)

    def _saved(self, result: dict[str, Any] | BillingInputError) -> None:
        if isinstance(result, BillingInputError):
            self.show_error(result.field, str(result))
        else:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class TimeInput:
    minutes: str
    note: str


class TimeDialog(UnsavedInput, ModalScreen[TimeInput | None]):
    """Log time on a ticket: minutes and a note; what it costs the customer is stated."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="time.save"),
        Binding("escape", "cancel", "Cancel", id="time.cancel"),
    ]

    def __init__(self, ticket_id: str, charging: str) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.charging = charging

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Log time on {self.ticket_id}", style="bold"))
            yield Static(Text(clean_line(self.charging), style="dim"))
            yield Static(id="time-error", classes="form-error")
            yield Label(Text("Minutes worked", style="dim"))
            # what is not a number is said, not dropped
            yield Input("", id="minutes", compact=True, select_on_focus=False, placeholder="30")
            yield Label(Text("Note (optional)", style="dim"))
            yield Input("", id="time-note", compact=True, select_on_focus=False)
            yield Static(Text("ctrl+s save · escape cancel", style="dim"))

    form_name = "the time log"

    def on_mount(self) -> None:
        self.query_one("#minutes", Input).focus()

    def on_input_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        clear_form_error(self, "#time-error")
        typed, note = self.query_one("#minutes", Input).value.strip(), self.query_one("#time-note", Input).value
        if not typed.isdecimal() or not 1 <= int(typed) <= MAX_MINUTES:
            said = f"“{clean_line(typed, 40)}” is not" if typed else "Type"
            message = f"Not saved: {said} a whole number of minutes from 1 to {MAX_MINUTES} (e.g. 30)."
            show_form_error(self, "#time-error", message, "#minutes")
            return
        if len(note) > 2000:
            show_form_error(self, "#time-error", "Not saved: keep the note under 2,000 characters.", "#time-note")
            return
        self.dismiss(TimeInput(typed, note))

    def action_cancel(self) -> None:
        self.dismiss(None)
