"""What the plugins add to the console's screens, through the desk's door (``desk.reach``): the account screen's
sections, the ticket actions and the intake form's fields (:mod:`console.plugins.reach`).

Each call of a plugin's code runs off the caller's thread with a budget (:mod:`console.plugins.budget`) and
whatever it does wrong (raising, hanging, returning something else) comes back as a sentence naming the plugin,
never as an exception: the screen goes on. A ticket action is the agent's act: it needs ``ticket.plugin_action``,
each run is audited (plugin, action, outcome and message), and the note it adds to the timeline is written as the
agent, in the same transaction as that audit row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import islice
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from console.plugins.budget import call_within, failure, seconds_text
from console.plugins.reach import AccountSection, ActionContext, ActionResult, IntakeField, TicketAction
from console.shared.errors import UserError
from console.shared.safe_text import clean_line
from console.tickets import ops as ticket_ops

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.plugins.collect import Registered
    from console.plugins.views import CheckContext

SECTION_BUDGET = 2.0
ACTION_BUDGET = 10.0
CHECK_BUDGET = 2.0
MAX_SECTION_LINES = 20
#: The form field of a plugin's intake field is named by this and the field's id (``plugin:intune.device``).
FIELD_PREFIX = "plugin:"


@dataclass(frozen=True)
class SectionShown:
    """One plugin section of the account screen: its lines (at most :data:`MAX_SECTION_LINES`, each one line of
    plain text), or the sentence saying why it failed; ``more``: the plugin gave more lines than are shown."""

    plugin: str
    id: str
    title: str
    lines: tuple[str, ...] = ()
    error: str | None = None
    more: bool = False


@dataclass(frozen=True)
class ActionDone:
    """How a plugin's action ended: ``message`` is the agent's notice (one line), ``ok`` false when the action
    failed or ran past its budget, ``noted`` when its note was added to the ticket's timeline."""

    plugin: str
    action: str
    label: str
    message: str
    ok: bool
    noted: bool = False


class NotForThisTicket(UserError):
    title = "Not for this ticket"


class PluginFieldErrors(ticket_ops.TicketInputError):
    """The plugins' intake fields that need a change: the error of each, by field id (shown beside it)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        count = len(errors)
        super().__init__(
            FIELD_PREFIX + next(iter(errors)),
            f"{count} field{'' if count == 1 else 's'} of the service need{'s' if count == 1 else ''} a change.",
        )


def _lines(section: AccountSection, ctx: CheckContext) -> tuple[list[str], bool]:
    given = section.lines(ctx)
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise TypeError(f"lines returned {type(given).__name__}, expected a list of lines")
    lines = list(islice(given, MAX_SECTION_LINES + 1))
    for n, line in enumerate(lines, 1):
        if not isinstance(line, str):
            raise TypeError(f"line {n} is {type(line).__name__}, expected text")
    return lines[:MAX_SECTION_LINES], len(lines) > MAX_SECTION_LINES


def _field_error(registered: Registered[IntakeField], value: str) -> str | None:
    """What is wrong with ``value`` of the field (``None``: nothing); the plugin's check runs last."""
    field, plugin = registered.item, registered.plugin
    if not value:
        return "Required." if field.required else None
    if len(value) > field.max_length:
        return f"At most {field.max_length} characters (this is {len(value)})."
    if field.choices and value not in field.choices:
        return clean_line("Choose one of: " + ", ".join(field.choices), 300)
    check = field.check
    if check is None:
        return None
    outcome = call_within(lambda: check(value), CHECK_BUDGET, name="csp-intake-check")
    where = f"plugin {plugin}: the check of {field.id}"
    if outcome.timed_out:
        return f"{where} did not finish in {seconds_text(CHECK_BUDGET)}"
    if outcome.error is not None:
        return clean_line(f"{where} failed: {failure(outcome.error)}", 300)
    if outcome.value is None or outcome.value == "":
        return None
    if not isinstance(outcome.value, str):
        return f"{where} returned {type(outcome.value).__name__}, expected an error text or None"
    return clean_line(outcome.value, 300)


class PluginReach:
    """The desk's part for the plugins' sections, actions and intake fields."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    # -- account sections ------------------------------------------------------------------------
    def sections(self, customer_id: str) -> list[SectionShown]:
        """The plugins' sections for the customer (``billing.view``, as the account screen): those whose
        services the customer has a subscription of, each run with its budget."""
        desk = self.desk
        desk.authorize("billing.view")
        ctx = desk.triage.context(customer_id)
        return [
            self._section(r, ctx)
            for r in desk.host.sections
            if not r.item.services or any(ctx.subscriptions_of(s) for s in r.item.services)
        ]

    def _section(self, registered: Registered[AccountSection], ctx: CheckContext) -> SectionShown:
        section, plugin = registered.item, registered.plugin
        outcome = call_within(lambda: _lines(section, ctx), SECTION_BUDGET, name="csp-account-section")
        failed = f"plugin {plugin}: section failed: "
        if outcome.timed_out:
            error = failed + f"it did not finish in {seconds_text(SECTION_BUDGET)}"
        elif outcome.error is not None:
            error = failed + failure(outcome.error)
        else:
            lines, more = outcome.value
            return SectionShown(plugin, section.id, section.title, tuple(clean_line(x, 500) for x in lines), more=more)
        return SectionShown(plugin, section.id, section.title, error=clean_line(error, 500))

    # -- ticket actions --------------------------------------------------------------------------
    def action(self, action_id: str) -> Registered[TicketAction]:
        found = next((a for a in self.desk.host.actions if a.item.id == action_id), None)
        if found is None:
            raise LookupError(f"no plugin action {action_id}")
        return found

    def run_action(self, ticket_id: str, action_id: str) -> ActionDone:
        """Run the plugin's action on the ticket as the agent (``ticket.plugin_action``), within
        :data:`ACTION_BUDGET`; its note (if any) goes to the timeline, and the run is audited either way."""
        desk = self.desk
        desk.authorize("ticket.plugin_action")
        registered = self.action(action_id)
        action, plugin = registered.item, registered.plugin
        row = desk.ticket(ticket_id)
        if action.services and row["service"] not in action.services:
            names = ", ".join(desk.host.services[s].name if s in desk.host.services else s for s in action.services)
            raise NotForThisTicket(clean_line(f"“{action.label}” is for tickets of {names}; {row['id']} is not one."))
        ctx = desk.triage.context(row["customerId"], row)
        assert ctx.ticket is not None
        context = ActionContext(
            ticket=ctx.ticket,
            account=replace(ctx, ticket=None),
            settings=MappingProxyType(dict(desk.host.settings.get(plugin, {}))),
        )
        outcome = call_within(lambda: action.run(context), ACTION_BUDGET, name="csp-ticket-action")
        name = f"action {action.id} of plugin {plugin}"
        result = outcome.value
        if outcome.timed_out:
            return self._ended(row, registered, f"{name} did not finish in {seconds_text(ACTION_BUDGET)}", "timeout")
        if outcome.error is not None:
            return self._ended(row, registered, f"{name} failed: {failure(outcome.error)}", "failed")
        if not isinstance(result, ActionResult):
            return self._ended(row, registered, f"{name} returned {type(result).__name__}, not ActionResult", "failed")
        if result.note is not None and not isinstance(result.note, str):
            return self._ended(row, registered, f"{name} gave a note of {type(result.note).__name__}", "failed")
        message = clean_line(result.message, 300) if isinstance(result.message, str) else ""
        return self._ended(row, registered, message or f"{action.label}: done.", "done", result.note)

    def _ended(
        self,
        row: dict[str, Any],
        registered: Registered[TicketAction],
        message: str,
        outcome: str,
        note: str | None = None,
    ) -> ActionDone:
        action, plugin = registered.item, registered.plugin
        message = clean_line(message, 300)
        detail = {"plugin": plugin, "action": action.id, "outcome": outcome, "message": message}
        done = ActionDone(plugin, action.id, action.label, message, ok=outcome == "done")
        if note is not None and note.strip():
            try:
                self.add_note(row, registered, note, detail)
            except ticket_ops.TicketInputError as exc:
                return replace(done, message=clean_line(f"{message} (its note was not added: {exc})", 400))
            return replace(done, noted=True)
        ws = self.desk.ws
        with ws.transaction():
            ws.audit(self.desk.agent, "ticket.plugin_action", "ticket", row["id"], detail)
        return done

    def add_note(
        self, ticket: dict[str, Any], registered: Registered[TicketAction], text: str, detail: dict[str, Any]
    ) -> dict[str, Any]:
        """The note of a plugin's action on the ticket's timeline, as the agent (``ticket.plugin_action``),
        signed with the action and its plugin; audited with ``detail`` (the run) in the same transaction."""
        desk = self.desk
        desk.authorize("ticket.plugin_action")
        signed = f"{text.strip()}\n— {registered.item.label} (plugin {registered.plugin})"
        return ticket_ops.add_note(
            desk.ws, ticket, signed, desk.agent, desk.clock(), action="ticket.plugin_action", audit=detail
        )

    # -- intake fields ---------------------------------------------------------------------------
    def intake_fields(self, service: str | None) -> list[Registered[IntakeField]]:
        """The plugins' intake fields of ``service`` (none without one)."""
        return [f for f in self.desk.host.intake_fields if service is not None and f.item.service == service]

    def checked_fields(self, new: ticket_ops.NewTicket) -> list[tuple[str, str, str]]:
        """The new ticket's intake fields as stored: ``(plugin, field id, value)`` of the fields of its service
        that have a value (others given are dropped). Raises :class:`PluginFieldErrors` naming each bad one."""
        given = dict(new.fields)
        errors: dict[str, str] = {}
        kept: list[tuple[str, str, str]] = []
        for registered in self.intake_fields(new.service):
            field = registered.item
            value = str(given.get(field.id, "")).strip()
            error = _field_error(registered, value)
            if error is not None:
                errors[field.id] = error
            elif value:
                kept.append((registered.plugin, field.id, value))
        if errors:
            raise PluginFieldErrors(errors)
        return kept
