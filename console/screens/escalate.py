"""Escalating to Microsoft from a ticket: pick a vehicle (the ones the partner may not use are listed
with the reason), then preview and edit the case the service plugin built, then submit. Azure technical
cases go out through the Azure Support API; the others are handed off with the text ready to paste."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from console.escalation import support_match
from console.escalation.drafts import NO_SUBSCRIPTION, Draft, VehicleOption
from console.screens.base import CoreCalls, UnsavedInput, form_values
from console.screens.external_editor import edit_in_editor, editor_binding
from console.shared.model import AZURE_SEVERITIES
from console.shared.safe_text import clean_block, clean_line
from console.widgets.fitted_select import FittedSelect
from console.widgets.key_bar import KeyBar
from console.widgets.palette import BAD, WARN, styled

if TYPE_CHECKING:
    from console.app import CspConsoleApp


class VehiclePicker(ModalScreen[Any]):
    """The vehicles, eligible first; each says why (not). Also the open cases' follow-ups: record a case
    number, send Microsoft a message. Returns ``("vehicle", v)``, ``("record", id)`` or ``("message", id)``."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("j", "move(1)", "Down", show=False, id="dialog.down"),
        Binding("k", "move(-1)", "Up", show=False, id="dialog.up"),
    ]

    def __init__(self, ticket_id: str, options: list[VehicleOption], escalations: list[dict[str, Any]]) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.choices: list[tuple[str, Any]] = []
        self.rows: list[Option] = []
        for e in escalations:
            case = clean_line(e["microsoftCaseId"] or "")
            if e["state"] == "awaiting_case_number":
                self._add(("record", e["id"]), Text.assemble(("Record the case number ", "bold"), f"of #{e['id']}"))
            elif e["state"] in ("open", "pending") and (case or e["delivery"] == "azure_support_api"):
                self._add(("message", e["id"]), Text.assemble(("Message Microsoft ", "bold"), f"on case {case or '#'}"))
        for o in options:
            label = Text.assemble((o.name, "bold" if o.eligible else "dim"), "\n  ", (clean_line(o.reason), "dim"))
            self._add(("vehicle", o.vehicle), label, disabled=not o.eligible)

    def _add(self, value: tuple[str, Any], label: Text, disabled: bool = False) -> None:
        self.rows.append(Option(label, id=str(len(self.choices)), disabled=disabled))
        self.choices.append(value)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Escalate {self.ticket_id} to Microsoft", style="bold"))
            yield OptionList(*self.rows, id="vehicles")
            yield Static(Text("enter choose · escape cancel · greyed: not available, with the reason", style="dim"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        first = next((i for i, row in enumerate(self.rows) if not row.disabled), None)
        options.highlighted = first
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)])

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class EscalationForm(UnsavedInput, CoreCalls, ModalScreen[dict[str, Any] | None]):
    """The case as Microsoft will see it, editable. ctrl+s submits; the form stays open on a refusal; ctrl+o
    edits the case text in $EDITOR. At 80x24: the dropdowns open inside the form, Tab goes field to field (the
    scrolling form itself takes no focus) with the focused one scrolled into sight, and no field selects its
    text on focus (an Input has no undo: one key would have replaced the whole prefilled title)."""

    form_name = "the escalation form"
    AUTO_FOCUS = ""  # none: on_mount focuses the title without scrolling (Textual's auto focus ran before the
    # layout and scrolled the form to centre the title, hiding the lines above it)

    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit", priority=True, id="escalate.submit"),
        Binding("ctrl+y", "copy", "Copy case text", priority=True, id="escalate.copy"),
        editor_binding("escalate.editor"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft

    @property
    def console(self) -> CspConsoleApp:
        return self.app  # type: ignore[return-value]

    def has_unsaved_input(self) -> bool:
        """Only what the agent typed counts: the dropdowns are preselected from the catalogue after mounting."""
        typed = {w.id for w in self.query("Input, TextArea")}
        now = [v for v in form_values(self) if v[0] in typed]
        return self._opened_with is not None and now != [v for v in self._opened_with if v[0] in typed]

    def compose(self) -> ComposeResult:
        d = self.draft
        with Vertical(classes="dialog escalate"):
            yield Label(Text(f"{d.vehicle_name} · {d.ticket_id}", style="bold"))
            with VerticalScroll(id="escalate-form", can_focus=False):
                if d.open_cases:
                    yield from self._open_case_fields()
                yield self._delivery_note()
                yield Label("Title")
                yield Input(clean_line(d.title), id="esc-title", compact=True, select_on_focus=False)
                yield Label("Severity")
                yield FittedSelect(
                    [(s, s) for s in AZURE_SEVERITIES],
                    value=d.severity,
                    id="esc-severity",
                    compact=True,
                    allow_blank=False,
                )
                if d.via_api:
                    yield from self._azure_fields()
                else:
                    yield Label("Microsoft case number (when you have it)")
                    yield Input(id="esc-case", compact=True, placeholder="e.g. 2611230010000123", select_on_focus=False)
                yield Label("Description")
                yield TextArea(clean_block(d.description), id="esc-description", soft_wrap=True, tab_behavior="focus")
            yield Static(
                Text("ctrl+s submit · ctrl+o case text in $EDITOR · tab next field · escape cancel", style="dim")
            )
        yield KeyBar()

    def _open_case_fields(self) -> ComposeResult:
        """The ticket's open case, and the reason asked for a second one."""
        first = self.draft.open_cases[0]
        case = clean_line(first["microsoftCaseId"] or first["ticketName"] or "being opened")
        yield Static(
            styled(
                f"This ticket already has an open Microsoft case (#{first['id']}, {case}, "
                f"{first['state']}). Message it instead (escape, then 'Message Microsoft' in the "
                "list), or give the reason for another case:",
                WARN,
            ),
            id="esc-open-case",
        )
        yield Input(id="esc-another", compact=True, placeholder="why a second case is needed", select_on_focus=False)

    def _delivery_note(self) -> Static:
        """How the case reaches Microsoft: through the Azure Support API, or handed off at an admin centre."""
        if self.draft.via_api:
            return Static(Text("Created through the Azure Support API under the customer's subscription.", style="dim"))
        return Static(
            Text.assemble(
                ("No create API: open the case at ", "dim"),
                (clean_line(self.draft.handoff_url), "underline"),
                (
                    ", paste the text (ctrl+y copies it), and enter Microsoft's case number below "
                    "(or later, key m on the ticket).",
                    "dim",
                ),
            )
        )

    def _azure_fields(self) -> ComposeResult:
        """The Azure Support API's fields: the customer's subscription, service, problem and consents."""
        d = self.draft
        if d.catalog_error:
            yield Static(styled(clean_line(d.catalog_error, 600), BAD), id="esc-catalog-error")
        yield Label("Azure subscription")
        if d.subscriptions:
            yield FittedSelect(
                [(Text(clean_line(label)), sid) for sid, label in d.subscriptions],
                value=d.azure_subscription_id or Select.BLANK,
                id="esc-subscription",
                compact=True,
            )
        else:  # never the plan's Partner Center id: it is not an Azure subscription id
            yield Static(styled(NO_SUBSCRIPTION.capitalize() + ".", BAD), id="esc-no-subscription")
        yield Label("Service (Azure Support API)")
        yield FittedSelect([], id="esc-service", compact=True, prompt="Choose the service")
        yield Label("Problem classification")
        yield FittedSelect([], id="esc-problem", compact=True, prompt="Choose the problem")
        yield Checkbox("", value=d.secondary_consent, id="esc-consent", compact=True)
        yield Checkbox(
            "Diagnostics: Microsoft may collect them from the resources",
            value=d.advanced_diagnostic_consent,
            id="esc-diagnostics",
            compact=True,
        )

    def on_mount(self) -> None:
        self.query_one("#esc-title").focus(scroll_visible=False)  # in sight: a scroll before the layout hid it
        if self.draft.via_api:
            self.query_one("#esc-consent", Checkbox).display = False
        self.problems: dict[str, dict[str, Any]] = {}
        gdap = self.draft.gdap
        if gdap is not None and gdap.known and not gdap.ok:  # read from Graph and found wanting: say so first
            self.app.notify(clean_line(gdap.message, 300), title="GDAP", severity="warning", markup=False, timeout=12)
        if self.draft.via_api and not self.draft.catalog_error:
            desk = self.console.desk
            self.call_core(desk.escalation_services, self._services, group="catalog")

    def _services(self, services: list[dict[str, Any]]) -> None:
        select = self.query_one("#esc-service", Select)
        select.set_options([(Text(clean_line(s["displayName"])), s["id"]) for s in services])
        self.service_names = {s["id"]: s["displayName"] for s in services}
        chosen = self.draft.service_id
        if chosen is not None and chosen in self.service_names:  # preselected by the ticket's words, else not
            select.value = chosen
            self._load_problems(chosen, self.draft.problem_classification_id)

    def _load_problems(self, service_id: str, chosen: str | None = None) -> None:
        """The service's problem classifications; the one chosen, else the one the ticket's words match (none
        when none does: never the first of the list)."""
        desk = self.console.desk
        ticket = support_match.TicketWords.of(self.draft.ticket_title, self.draft.ticket_body)

        def show(problems: list[dict[str, Any]]) -> None:
            select = self.query_one("#esc-problem", Select)
            select.set_options([(Text(clean_line(p["displayName"])), p["id"]) for p in problems])
            self.problems = {p["id"]: p for p in problems}
            name = getattr(self, "service_names", {}).get(service_id, "")
            best = chosen if chosen in self.problems else support_match.best_problem(ticket, name, problems)
            if best is not None:
                select.value = best
            self._show_consent(best or "")

        self.call_core(lambda: desk.escalation_problems(service_id), show, group="problems", exclusive=True)

    def _show_consent(self, problem_id: str) -> None:
        """The secondary consent the problem classification asks for (secondaryConsentEnabled), if any."""
        asked = (self.problems.get(problem_id) or {}).get("details", {}).get("secondaryConsentEnabled") or []
        box = self.query_one("#esc-consent", Checkbox)
        box.display = bool(asked)
        if asked:
            text = " ".join(clean_line(str(a.get("description") or a.get("type")), 300) for a in asked)
            box.label = Text(f"The customer consents: {text}")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "esc-service" and isinstance(event.value, str) and event.value != self.draft.service_id:
            self.draft.service_id = event.value
            self._load_problems(event.value)
        elif event.select.id == "esc-problem" and isinstance(event.value, str):
            self._show_consent(event.value)

    def _collect(self) -> tuple[Draft, str | None]:
        d = self.draft
        d.title = self.query_one("#esc-title", Input).value
        d.description = self.query_one("#esc-description", TextArea).text
        severity = self.query_one("#esc-severity", Select).value
        d.severity = severity if isinstance(severity, str) else d.severity
        if d.open_cases:
            d.another_reason = self.query_one("#esc-another", Input).value
        if d.via_api:
            for attr, wid in (
                ("azure_subscription_id", "#esc-subscription"),
                ("service_id", "#esc-service"),
                ("problem_classification_id", "#esc-problem"),
            ):
                found = self.query(wid)
                value = found.first(Select).value if found else None
                setattr(d, attr, value if isinstance(value, str) and value else None)
            d.secondary_consent = self.query_one("#esc-consent", Checkbox).value
            d.advanced_diagnostic_consent = self.query_one("#esc-diagnostics", Checkbox).value
            return d, None
        case = self.query_one("#esc-case", Input).value.strip()
        return d, case or None

    def action_submit(self) -> None:
        draft, case = self._collect()
        desk = self.console.desk
        self.call_core(lambda: desk.escalate(draft, case), self.dismiss, on_stale=lambda _: self.dismiss(None))

    def action_copy(self) -> None:
        draft, _ = self._collect()
        self.app.copy_to_clipboard(clean_block(draft.case_text()))
        self.app.notify("The case text is on the clipboard (through the terminal).", markup=False)

    def action_editor(self) -> None:
        """The case text (the description) in $EDITOR, whichever field has the focus."""
        edit_in_editor(self, self.query_one("#esc-description", TextArea), f"{self.draft.ticket_id}-case")

    def action_cancel(self) -> None:
        self.dismiss(None)
