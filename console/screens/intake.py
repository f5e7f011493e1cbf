"""Intake: log a request that came in by phone, mail, portal or chat."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from console.desk.reach import FIELD_PREFIX, PluginFieldErrors
from console.screens.base import ConsoleScreen, UnsavedInput, clear_form_error, show_form_error
from console.screens.intake_fields import PluginFields
from console.shared import model
from console.shared.faults import fault_sentence
from console.shared.safe_text import clean_line
from console.tickets.ops import NewTicket, TicketInputError
from console.tickets.search_text import normalize
from console.widgets.key_bar import KeyBar
from console.widgets.palette import WARN, styled

SUGGESTIONS = 8
FIELD_WIDGETS = {
    "customer": "#customer",
    "contact_name": "#contact-name",
    "contact_email": "#contact-email",
    "contact_phone": "#contact-phone",
    "title": "#title",
    "channel": "#channel",
    "service": "#service",
    "category": "#category",
    "severity": "#severity",
}


class IntakeScreen(UnsavedInput, ConsoleScreen):
    form_name = "the New-ticket form"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="intake.save"),
        Binding("escape", "cancel", "Cancel", id="intake.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.directory: list[tuple[str, str, str]] = []  # (id, name, normalised name and domain)
        self.customer_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("New ticket", style="bold"), id="intake-title")
        yield Static(id="intake-error", classes="form-error")  # above the form: in sight whatever is scrolled
        with VerticalScroll(id="intake-form"):
            yield Label("Customer (type part of the name or domain, then enter or tab to the list)")
            yield Input(id="customer", compact=True, select_on_focus=False, placeholder="株式会社… / contoso…")
            yield OptionList(id="customer-list")
            yield Label("Contact: name, email, phone")
            yield Input(id="contact-name", compact=True, select_on_focus=False, placeholder="山田 太郎")
            yield Input(id="contact-email", compact=True, select_on_focus=False, placeholder="name@example.com")
            yield Input(id="contact-phone", compact=True, select_on_focus=False, placeholder="+81-3-…")
            yield Label("Channel, service, category, severity")
            yield Select(
                [(c.value, c.value) for c in model.Channel],
                value="phone",
                allow_blank=False,
                id="channel",
                compact=True,
            )
            yield Select(
                [
                    ("unclassified", ""),
                    *[(Text(clean_line(name)), sid) for sid, name in self.console.service_names.items()],
                ],
                value="",
                allow_blank=False,
                id="service",
                compact=True,
            )
            yield Select(
                [("unclassified", ""), *[(c.value, c.value) for c in model.Category]],
                value="",
                allow_blank=False,
                id="category",
                compact=True,
            )
            yield Select(
                [(f"{s.value} (Sev {model.SEVERITY_LETTER[s]})", s.value) for s in model.Severity],
                value="unknown",
                allow_blank=False,
                id="severity",
                compact=True,
            )
            yield Static(id="offer-warnings")
            yield PluginFields(id="plugin-fields")  # the fields plugins add for the service chosen
            yield Label("Title")
            yield Input(
                id="title", compact=True, select_on_focus=False, placeholder="What the customer needs, in one line"
            )
            yield Label("Description")
            yield TextArea(id="description", soft_wrap=True, tab_behavior="focus")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#customer", Input).focus()
        ws = self.console.workspace
        self.call_core(ws.accounts.customer_directory, self._directory_loaded, group="directory")

    def _directory_loaded(self, rows: list[dict[str, Any]]) -> None:
        self.directory = [(r["id"], r["companyName"], normalize(f"{r['companyName']} {r['domain']}")) for r in rows]
        self._suggest(self.query_one("#customer", Input).value)

    def _suggest(self, typed: str) -> None:
        needle = normalize(typed.strip())
        matches = (
            [c for c in self.directory if needle in c[2]][:SUGGESTIONS] if needle else self.directory[:SUGGESTIONS]
        )
        options = self.query_one("#customer-list", OptionList)
        options.clear_options()
        for cid, name, _ in matches:
            options.add_option(Option(Text(clean_line(name)), id=cid))
        if matches:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "customer":
            chosen = next((c for c in self.directory if c[0] == self.customer_id), None)
            if chosen is None or event.value != clean_line(chosen[1]):
                self.customer_id = None
            self._suggest(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "customer":
            options = self.query_one("#customer-list", OptionList)
            if options.option_count and options.highlighted is not None:
                option = options.get_option_at_index(options.highlighted)
                if option.id:
                    self._pick(option.id)
        else:
            self.focus_next()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "customer-list" and event.option.id:
            self._pick(event.option.id)

    def _pick(self, customer_id: str) -> None:
        name = next((n for cid, n, _ in self.directory if cid == customer_id), "")
        self.customer_id = customer_id
        customer = self.query_one("#customer", Input)
        customer.value = clean_line(name)
        self.customer_id = customer_id
        self.query_one("#contact-name", Input).focus()
        self._check_offer()

    async def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id in ("channel", "service", "category"):
            self._check_offer()
        if event.select.id == "service":
            service = self._select("#service") or None
            await self.query_one(PluginFields).show(self.console.desk.reach.intake_fields(service))

    def _check_offer(self) -> None:
        """Warn, before saving, when the request falls outside the customer's support offer."""
        if self.customer_id is None:
            return
        desk, cid = self.console.desk, self.customer_id
        channel, service, category = self._select("#channel"), self._select("#service"), self._select("#category")

        def show(warnings: list[str]) -> None:
            widget = self.query_one("#offer-warnings", Static)
            if cid != self.customer_id:
                return
            widget.update(styled("\n".join(f"! {clean_line(w, 300)}" for w in warnings), WARN))

        self.call_core(
            lambda: desk.offers.intake_warnings(cid, channel or None, category or None, service or None),
            show,
            group="offer-check",
            exclusive=True,
        )

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def _select(self, selector: str) -> str:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else ""

    def action_save(self) -> None:
        clear_form_error(self, "#intake-error")
        plugin_fields = self.query_one(PluginFields)
        plugin_fields.clear_errors()
        if self.customer_id is None:
            self._error(TicketInputError("customer", "Pick the customer from the list (type, then enter)."))
            return
        new = NewTicket(
            customer_id=self.customer_id,
            channel=self._select("#channel"),
            title=self._value("#title"),
            body=self.query_one("#description", TextArea).text,
            contact_name=self._value("#contact-name"),
            contact_email=self._value("#contact-email"),
            contact_phone=self._value("#contact-phone"),
            service=self._select("#service") or None,
            category=self._select("#category") or None,
            severity=self._select("#severity") or "unknown",
            fields=tuple(plugin_fields.values().items()),
        )
        desk = self.console.desk
        self.call_core(lambda: desk.log_ticket(new), self._logged, on_error=self._input_error)

    def _logged(self, ticket_id: object) -> None:
        if isinstance(ticket_id, str):  # the new ticket's id
            self.app.notify(f"Logged {ticket_id}.", markup=False)
            self.app.pop_screen()
            self.console.open_ticket(ticket_id)

    def _input_error(self, error: BaseException) -> bool:
        """A bad field is named and focused on the form itself, not in a notice."""
        if isinstance(error, PluginFieldErrors):  # each beside its field, the first focused
            fields = self.query_one(PluginFields)
            fields.show_errors(error.errors)
            widget = fields.widget_id(error.field.removeprefix(FIELD_PREFIX))
            show_form_error(self, "#intake-error", f"Not saved: {error}", f"#{widget}" if widget else None)
            fields.reveal(error.field.removeprefix(FIELD_PREFIX))
            return True
        if isinstance(error, TicketInputError):
            self._error(error)
            return True
        sentence = fault_sentence(error, self.console.workspace.path)
        if sentence is not None:  # the form stays as typed: saving again retries
            show_form_error(self, "#intake-error", f"Not saved: {sentence}", None)
            return True
        return False

    def _error(self, error: TicketInputError) -> None:
        show_form_error(self, "#intake-error", f"Not saved: {error}", FIELD_WIDGETS.get(error.field))

    def action_cancel(self) -> None:
        self.app.pop_screen()
