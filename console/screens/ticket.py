"""The ticket screen: header with the SLA clocks, the plugins' findings, the description and the timeline."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from console.desk.details import TicketDetails
from console.screens.assign import ask_assignee
from console.screens.base import ConsoleScreen
from console.screens.billing_dialogs import TimeDialog, TimeInput
from console.screens.delivery import report_delivery
from console.screens.dialogs import ChoicePrompt, Confirm, TextPrompt
from console.screens.escalate import EscalationForm, VehiclePicker
from console.screens.reach import TicketPluginActions
from console.screens.ticket_seen import SeenMarker
from console.screens.ticket_steps import TicketSteps
from console.screens.ticket_write import TicketWriting
from console.shared import model
from console.shared.safe_text import clean_block, clean_line
from console.tickets.triage import TriageResult
from console.widgets.key_bar import KeyBar
from console.widgets.palette import HEADING, styled
from console.widgets.render import (
    STATUS_TEXT,
    audit_block,
    escalations_block,
    field_labels,
    findings_block,
    sla_block,
    ticket_header,
    timeline_block,
)


class TicketScreen(TicketWriting, TicketPluginActions, TicketSteps, ConsoleScreen):
    BINDINGS = [
        Binding("escape,backspace,q", "back", "Back", id="ticket.back"),
        Binding("c", "claim", "Claim", id="ticket.claim"),
        Binding("u", "release", "Release claim", show=False, id="ticket.release"),
        Binding("n", "note", "Note", id="ticket.note"),
        Binding("r", "reply", "Reply", id="ticket.reply"),
        Binding("s", "status", "Status", id="ticket.status"),
        Binding("x", "resolve", "Resolve", id="ticket.resolve"),
        Binding("a", "assign", "Assign", show=False, id="ticket.assign"),
        Binding("e", "classify", "Service/category/severity", show=False, id="ticket.classify"),
        Binding("o", "account", "Account", id="ticket.account"),
        Binding("right_square_bracket", "step(1)", "Next", id="ticket.next"),  # of the queue's view
        Binding("left_square_bracket", "step(-1)", "Previous", id="ticket.previous"),
        Binding("y", "yank", "Copy id", show=False, id="ticket.yank"),
        Binding("m", "escalate", "Microsoft", id="ticket.escalate"),
        Binding("t", "recheck", "Run checks", show=False, id="ticket.recheck"),
        Binding("l", "log_time", "Log time", show=False, id="ticket.log_time"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False, id="ticket.down"),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False, id="ticket.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="ticket.top"),
        Binding("G,end", "scroll_end_", "Bottom", show=False, id="ticket.bottom"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="ticket.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="ticket.page_up"),
    ]

    def __init__(self, ticket_id: str) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.details: TicketDetails | None = None
        self._checked = False
        self.seen = SeenMarker(self)

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{self.ticket_id} …"), id="ticket-header")
        with VerticalScroll(id="ticket-body"):
            yield Static(styled("SLA and support offer", HEADING), classes="section")
            yield Static(id="sla")
            yield Static(styled("Findings", HEADING), classes="section")
            yield Static(Text("Running the plugins' checks…", style="dim"), id="findings")
            yield Static(styled("Microsoft cases", HEADING), classes="section", id="cases-title")
            yield Static(id="cases")
            yield Static(styled("Description", HEADING), classes="section")
            yield Static(id="description")
            yield Static(styled("Mail", HEADING), classes="section", id="mail-title")
            yield Static(id="mail")
            yield Static(styled("Timeline", HEADING), classes="section")
            yield Static(id="timeline")
            yield Static(styled("Audit trail", HEADING), classes="section")
            yield Static(id="audit")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#ticket-body").focus()
        self.load()
        self.set_interval(60, self.renew_claim)

    def load(self, *_: object) -> None:
        desk, ticket_id = self.console.desk, self.ticket_id
        self.call_core(lambda: desk.details(ticket_id), self._show, group="ticket", exclusive=True)
        self.load_mail()

    def _show(self, details: TicketDetails) -> None:
        self.details = details
        t, f = details.ticket, field_labels(details.fields, self.console.host)
        self.query_one("#ticket-header", Static).update(
            ticket_header(t, self.console.clock(), self.console.service_names, details.sla, zone=self.zone, fields=f)
        )
        self.query_one("#sla", Static).update(sla_block(details.sla, details.offer, details.time, self.zone))
        if details.findings or self._checked:
            self.query_one("#findings", Static).update(findings_block(details.findings, self.console.vehicle_names))
        if not self._checked:
            self._checked = True
            if self.console.desk.may("ticket.triage"):  # others read the findings stored before
                self.action_recheck()
        self.query_one("#cases-title").display = bool(details.escalations)
        self.query_one("#cases", Static).display = bool(details.escalations)
        self.query_one("#cases", Static).update(escalations_block(details.escalations, self.console.vehicle_names))
        body = clean_block(t["body"]) or "(no description)"
        self.query_one("#description", Static).update(Text(body))
        self.query_one("#timeline", Static).update(timeline_block(details.timeline, self.zone))
        self.query_one("#audit", Static).update(audit_block(details.audit, self.zone))
        self.seen.record()  # what the agent saw, on its own after the read (best effort)

    @property
    def ticket(self) -> dict[str, Any] | None:
        return self.details.ticket if self.details else None

    # -- scrolling -------------------------------------------------------------------------------
    def action_scroll(self, lines: int) -> None:
        self.query_one("#ticket-body", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_page(self, direction: int) -> None:
        body = self.query_one("#ticket-body", VerticalScroll)
        body.scroll_relative(y=direction * max(1, body.size.height - 1), animate=False)

    def action_scroll_home(self) -> None:
        self.query_one("#ticket-body", VerticalScroll).scroll_home(animate=False)

    def action_scroll_end_(self) -> None:
        self.query_one("#ticket-body", VerticalScroll).scroll_end(animate=False)

    # -- actions ---------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_account(self) -> None:
        if self.ticket:
            self.console.open_account(self.ticket["customerId"])

    def action_log_time(self) -> None:
        details = self.details
        if details is None:
            return
        offer = details.offer
        if offer is None:
            charging = "No support offer: the time is recorded, nothing is charged."
        else:
            model = offer.offer["pricingModel"]
            charging = {
                "prepaid_hours": "Deducted from the customer's prepaid hours"
                + (f" ({offer.balance.normalize():f} h left)." if offer.balance is not None else "."),
                "hourly": "Charged by the hour at the offer's rate.",
                "per_incident": "The ticket is charged as one incident (once, however long).",
                "included": "Included in the customer's plan: recorded, not charged.",
            }.get(model, "")
        desk, ticket_id = self.console.desk, self.ticket_id

        def logged(result: Any) -> None:
            _charges, balance = result
            self.app.notify(f"Time logged on {ticket_id}.", markup=False)
            if balance is not None and balance.warning:
                self.app.notify(balance.warning, title="Support offer", severity="warning", markup=False, timeout=10)
            self.load()

        def entered(value: TimeInput | None) -> None:
            if value is None:
                return
            try:
                minutes = int(value.minutes.strip())
            except ValueError:
                self.app.notify("Minutes must be a whole number, e.g. 30.", title="Not saved", severity="error")
                return
            self.call_core(lambda: desk.billing.log_time(ticket_id, minutes, value.note), logged)

        self.app.push_screen(TimeDialog(ticket_id, charging), entered)

    def action_recheck(self) -> None:
        desk, ticket_id = self.console.desk, self.ticket_id

        def done(result: TriageResult) -> None:
            for failure in result.failures:
                self.app.notify(
                    clean_line(failure.message),
                    title=clean_line(f"Plugin {failure.plugin}"),
                    severity="warning",
                    markup=False,
                )
            self.load()

        self.call_core(lambda: desk.check(ticket_id), done, group="checks", exclusive=True)

    def _act(self, fn: Any, message: str | None = None, recheck: bool = False) -> None:
        def done(_: object) -> None:
            if message:
                self.app.notify(message, markup=False)
            if recheck:
                self.action_recheck()
            else:
                self.load()

        self.call_core(fn, done, on_stale=self.load)

    def action_claim(self) -> None:
        t = self.ticket
        if t is None:
            return
        desk = self.console.desk
        if t["assignee"] and t["assignee"] != desk.agent:
            self.app.push_screen(
                Confirm(f"{t['id']} is held by {t['assignee']}. Take it over?"),
                lambda yes: (
                    self._act(lambda: desk.claim(t, takeover=True), f"You took over {t['id']}.") if yes else None
                ),
            )
        else:
            self._act(lambda: desk.claim(t), f"{t['id']} is yours.")

    def action_release(self) -> None:
        t = self.ticket
        if t is not None:
            desk = self.console.desk
            self._act(lambda: desk.release(t), f"{t['id']} is back in the pool.")

    # -- Microsoft ---------------------------------------------------------------------------------
    def action_escalate(self) -> None:
        t = self.ticket
        if t is None or self.details is None:
            return
        desk, escalations = self.console.desk, self.details.escalations

        def pick(result: tuple[dict[str, Any], list[Any]]) -> None:
            self.app.push_screen(VehiclePicker(t["id"], result[1], escalations), self._picked)

        self.call_core(lambda: desk.escalation_options(t["id"]), pick)

    def _picked(self, choice: tuple[str, Any] | None) -> None:
        t = self.ticket
        if choice is None or t is None:
            return
        desk = self.console.desk
        kind, value = choice
        if kind == "vehicle":
            self.call_core(
                lambda: desk.escalation_draft(t["id"], value),
                lambda draft: self.app.push_screen(EscalationForm(draft), self._submitted),
            )
        elif kind == "record":
            self.app.push_screen(
                TextPrompt(f"Microsoft case number of escalation #{value}"),
                lambda number: (
                    self._act(lambda: desk.record_case_number(value, number), "Case number recorded.")
                    if number
                    else None
                ),
            )
        else:
            self.app.push_screen(
                TextPrompt("Message to Microsoft on the case", multiline=True),
                lambda text: self._send(lambda: desk.message_microsoft(value, text)) if text else None,
            )

    def _send(self, write: Any) -> None:
        """Record (the outbox), then deliver at once; a delivery that fails stays queued."""
        self.call_core(write, lambda _: self._deliver())

    def _submitted(self, escalation: dict[str, Any] | None) -> None:
        if escalation is None:
            return
        if escalation["state"] == "pending":
            self.app.notify(f"Escalation #{escalation['id']} recorded; sending it to Microsoft…", markup=False)
            self._deliver()
        elif escalation["state"] == "awaiting_case_number":
            self.app.notify(
                "Handed off: open the case in the admin centre, then record its number (key m).",
                markup=False,
                timeout=10,
            )
        else:
            self.app.notify(f"Escalated: Microsoft case {escalation['microsoftCaseId']}.", markup=False)
        self.load()

    def _deliver(self) -> None:
        desk = self.console.desk

        def done(report: Any) -> None:
            report_delivery(self.console, report)
            self.load()

        self.call_core(lambda: desk.microsoft_sync(poll=False), done, group="microsoft")

    def on_workspace_changed(self) -> None:
        self.load()

    def renew_claim(self) -> None:
        """While the agent has its ticket open, its claim stays alive."""
        t = self.ticket
        if t is not None and t["assignee"] == self.console.agent and t.get("claimedUntil"):
            desk = self.console.desk
            self.call_core(lambda: desk.renew([t["id"]]), group="renew", exclusive=True)

    def action_assign(self) -> None:
        if self.ticket is not None:
            ask_assignee(self, self.ticket, self._act)

    def action_classify(self) -> None:
        t = self.ticket
        if t is None:
            return
        desk = self.console.desk
        options: dict[str, list[tuple[Any, str]]] = {
            "service": [(None, "unclassified"), *self.console.service_names.items()],
            "category": [(None, "unclassified"), *[(c.value, c.value) for c in model.Category]],
            "severity": [(s.value, f"{s.value} (Sev {model.SEVERITY_LETTER[s]})") for s in model.Severity],
        }

        def pick_value(field: str | None) -> None:
            if field is None:
                return
            values: list[tuple[Any, str]] = list(options[field])
            marker = object()
            choices = [(marker if v is None else v, label) for v, label in values]

            def apply(value: Any) -> None:
                if value is None:
                    return
                chosen = None if value is marker else value
                self._act(lambda: desk.classify(t, **{field: chosen}), recheck=True)

            current = t[field] if t[field] is not None else marker
            self.app.push_screen(ChoicePrompt(f"{field.title()} of {t['id']}", choices, current), apply)

        self.app.push_screen(
            ChoicePrompt("Change", [("service", "Service"), ("category", "Category"), ("severity", "Severity")]),
            pick_value,
        )

    def action_status(self) -> None:
        t = self.ticket
        if t is None:
            return
        desk = self.console.desk
        choices = [(s.value, STATUS_TEXT[s.value]) for s in model.TicketStatus]

        def apply(status: str | None) -> None:
            if status in ("resolved", "closed"):
                self._ask_resolution(status)
            elif status is not None:
                self._act(lambda: desk.set_status(t, status))

        self.app.push_screen(ChoicePrompt(f"Status of {t['id']}", choices, t["status"]), apply)

    def action_resolve(self) -> None:
        self._ask_resolution("resolved")

    def _ask_resolution(self, status: str) -> None:
        t = self.ticket
        if t is None:
            return
        desk = self.console.desk
        choices = list(model.RESOLUTION_CODES.items())
        self.app.push_screen(
            ChoicePrompt(f"Resolve {t['id']}: resolution code", choices, t["resolutionCode"]),
            lambda code: (
                self._act(lambda: desk.set_status(t, status, code), f"{t['id']} {status}.")
                if code is not None
                else None
            ),
        )
