"""What the plugins add to the screens (:mod:`console.plugins.reach`), the screens' side: the ticket actions bound
to their keys (the ticket screen; ``ActionScope.QUEUE`` ones on the queue's selected row too), asked first when
they say so, run through the desk (:mod:`console.desk.reach`); the queue's plugin columns attached once the
plugins are loaded; the account screen's plugin sections drawn literally.

An action whose key a console binding of its scope already uses (the keymap's remapping included) is refused
when the plugins are loaded: the refusal is the plugin's error, named, and the rest of the plugin works.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast
from weakref import WeakKeyDictionary

from rich.console import Group, RenderableType
from rich.text import Text
from textual.binding import Binding
from textual.keys import _character_to_key

from console.plugins.reach import ActionScope, TicketAction
from console.shared.safe_text import clean_line
from console.tickets.search_text import ticket_number
from console.widgets.palette import HEADING, WARN

if TYPE_CHECKING:
    from console.app import CspConsoleApp
    from console.desk.reach import ActionDone, SectionShown
    from console.plugins.collect import Registered

#: Where an action of each scope works: the screens (and the widgets focused in them) whose keys it may not take.
SCOPE_SCREENS = {ActionScope.TICKET: ("ticket",), ActionScope.QUEUE: ("ticket", "queue")}
_accepted: WeakKeyDictionary[Any, list[Registered[TicketAction]]] = WeakKeyDictionary()


def normal_key(key: str) -> str:
    """A key as Textual names it in a binding (``?`` is ``question_mark``)."""
    key = key.strip()
    return _character_to_key(key) if len(key) == 1 else key


def _binding_classes(place: str) -> list[Any]:
    from textual.containers import VerticalScroll

    from console.screens.queue import QueueScreen
    from console.screens.ticket import TicketScreen
    from console.widgets.queue_table import QueueTable

    return [TicketScreen, VerticalScroll] if place == "ticket" else [QueueScreen, QueueTable]


def console_keys(app: CspConsoleApp, place: str) -> dict[str, str]:
    """The keys the console binds on the ``place`` screen (``ticket``, ``queue``), everywhere keys included,
    each with what it does: ``{"c": "Claim (ticket.claim)"}``."""
    keymap = dict(getattr(app, "_keymap", {}) or {})
    found: dict[str, str] = {}
    maps = [c._merged_bindings for c in _binding_classes(place)] + [app._bindings]
    for bindings in maps:
        for key, listed in (bindings.key_to_bindings if bindings is not None else {}).items():
            for binding in listed:
                keys = keymap[binding.id].split(",") if binding.id in keymap else [key]
                what = binding.description or binding.action
                for one in keys:
                    found.setdefault(normal_key(one), f"{what} ({binding.id})" if binding.id else what)
    return found


def accepted_actions(app: CspConsoleApp) -> list[Registered[TicketAction]]:
    """The plugins' actions whose keys are free in their scope (worked out once per console; the refused ones
    are their plugins' errors, named)."""
    if app in _accepted:
        return _accepted[app]
    host = app.host
    taken = {place: console_keys(app, place) for place in ("ticket", "queue")}
    accepted: list[Registered[TicketAction]] = []
    for registered in host.actions:
        action, key = registered.item, normal_key(registered.item.key)
        for place in SCOPE_SCREENS[action.scope]:
            holder = taken[place].get(key)
            if holder is not None:
                where = "ticket screen" if place == "ticket" else "queue"
                host.record_error(
                    registered.plugin,
                    f"ticket action {action.id} refused: its key {action.key!r} is taken on the {where} by {holder}",
                )
                break
        else:
            accepted.append(registered)
            for place in SCOPE_SCREENS[action.scope]:
                taken[place][key] = f"{action.label} (plugin {registered.plugin})"
    _accepted[app] = accepted
    return accepted


def description(registered: Registered[TicketAction]) -> str:
    """What an action's binding says (in ``?`` and the palette): its label and plugin, its danger."""
    action = registered.item
    danger = "dangerous: " if action.dangerous else ""
    return clean_line(f"{danger}{action.label} (plugin {registered.plugin})", 200)


def attach(app: CspConsoleApp) -> None:
    """Once the plugins are loaded: their actions checked (before their load errors are told), the queue's
    plugin columns and actions attached."""
    from console.plugins.columns import ColumnCells
    from console.screens.queue import QueueScreen

    accepted_actions(app)
    columns = app.host.columns
    for screen in app.screen_stack:
        if isinstance(screen, QueueScreen):
            screen.bind_plugin_actions()
            if columns:
                screen.table.plugins.attach(ColumnCells(columns))


class PluginActions:
    """Mixin for a screen: the plugins' actions of its scopes on their keys (``plugin_action('ID')``)."""

    #: The scopes of the actions this screen binds.
    plugin_scopes: tuple[ActionScope, ...] = ()
    _plugin_bound = False

    @property
    def _reach_app(self) -> CspConsoleApp:
        return cast("CspConsoleApp", self.app)  # type: ignore[attr-defined]

    def bind_plugin_actions(self) -> None:
        if self._plugin_bound:
            return
        self._plugin_bound = True
        bindings = self._bindings.key_to_bindings  # type: ignore[attr-defined]
        for registered in accepted_actions(self._reach_app):
            if registered.item.scope in self.plugin_scopes:
                key = normal_key(registered.item.key)
                action = f"plugin_action({registered.item.id!r})"
                binding = Binding(key, action, description(registered), show=False, id=f"plugin.{registered.item.id}")
                bindings[key] = [*bindings.get(key, []), binding]  # (the lists are shared with the class's map)
        self.refresh_bindings()  # type: ignore[attr-defined]

    def plugin_target(self) -> tuple[str, str | None] | None:
        """The ticket an action would act on: its id and service (``None``: none)."""
        raise NotImplementedError

    def plugin_action_done(self, done: ActionDone) -> None:
        """After an action ran (its notice shown)."""

    def action_plugin_action(self, action_id: str) -> None:
        registered = next((a for a in accepted_actions(self._reach_app) if a.item.id == action_id), None)
        target = self.plugin_target()
        if registered is None or target is None:
            return
        ticket_id, service = target
        action = registered.item
        if action.services and service not in action.services:
            names = ", ".join(self._reach_app.service_names.get(s, s) for s in action.services)
            self._reach_app.notify(
                clean_line(f"“{action.label}” is for tickets of {names}; {ticket_id} is not one."),
                title=clean_line(f"Plugin {registered.plugin}"),
                markup=False,
            )
            return
        self._ask(registered, ticket_id)

    def _ask(self, registered: Registered[TicketAction], ticket_id: str) -> None:
        from console.screens.dialogs import Confirm, TypedConfirm

        action, plugin = registered.item, registered.plugin
        app = self._reach_app

        def go() -> None:
            self._run_plugin_action(registered, ticket_id)

        if action.dangerous:
            question = action.confirm or f"“{action.label}” cannot be undone."

            def typed(value: str | None) -> None:
                if value is None:
                    return
                if ticket_number(value) is not None and ticket_number(value) == ticket_number(ticket_id):
                    go()
                else:
                    app.notify(f"Not done: {ticket_id} was not typed.", severity="warning", markup=False)

            title = f"Dangerous: {action.label} (plugin {plugin}) on {ticket_id}"
            app.push_screen(TypedConfirm(title, f"{question} Type the ticket number to go on.", ticket_id), typed)
        elif action.confirm:
            question = clean_line(f"{action.confirm} ({action.label}, plugin {plugin}, on {ticket_id})", 600)
            app.push_screen(Confirm(question, id="plugin-confirm"), lambda yes: go() if yes else None)
        else:
            go()

    def _run_plugin_action(self, registered: Registered[TicketAction], ticket_id: str) -> None:
        app = self._reach_app
        desk, action_id = app.desk, registered.item.id

        def ended(done: ActionDone) -> None:
            app.notify(
                done.message,
                title=clean_line(f"{done.label} (plugin {done.plugin}, {ticket_id})"),
                severity="information" if done.ok else "error",
                markup=False,
                timeout=10,
            )
            self.plugin_action_done(done)

        self.call_core(  # type: ignore[attr-defined]
            lambda: desk.reach.run_action(ticket_id, action_id),
            ended,
            group="plugin-action",
            title=clean_line(f"{registered.item.label} (plugin {registered.plugin}) not done"),
        )


class TicketPluginActions(PluginActions):
    """The ticket screen's: every action, on the ticket shown."""

    plugin_scopes = (ActionScope.TICKET, ActionScope.QUEUE)

    def on_mount(self) -> None:
        self.bind_plugin_actions()

    def plugin_target(self) -> tuple[str, str | None] | None:
        ticket = getattr(self, "ticket", None)
        return (ticket["id"], ticket["service"]) if ticket else None

    def plugin_action_done(self, done: ActionDone) -> None:
        if done.noted:
            self.load()  # type: ignore[attr-defined]  # the note on the timeline


class QueuePluginActions(PluginActions):
    """The queue's: the ``ActionScope.QUEUE`` actions, on the selected row (bound once the plugins are loaded)."""

    plugin_scopes = (ActionScope.QUEUE,)

    def plugin_target(self) -> tuple[str, str | None] | None:
        row = self.table.current_row  # type: ignore[attr-defined]
        return (row.id, row.service) if row is not None else None


def help_rows(app: CspConsoleApp, shown: Iterable[str]) -> list[tuple[str, str, str]]:
    """``?``'s rows of the plugins' actions not among the binding ids ``shown`` (those of the screen in front)."""
    if "host" not in app.__dict__ and getattr(app, "_host", None) is None:
        return []  # the plugins are not loaded yet
    listed = set(shown)
    rows = []
    for registered in accepted_actions(app):
        binding_id = f"plugin.{registered.item.id}"
        if binding_id not in listed:
            where = "ticket screen" if registered.item.scope == ActionScope.TICKET else "ticket screen and queue"
            key = app.get_key_display(Binding(normal_key(registered.item.key), ""))
            rows.append((key, f"{description(registered)}, on the {where}", binding_id))
    return rows


def sections_block(sections: list[SectionShown]) -> RenderableType:
    """The plugins' account sections: each title, then its lines as plain text (never markup), each one line cut
    to the screen's width; a section that failed says so in its place."""
    parts: list[RenderableType] = []
    for section in sections:
        parts.append(Text.assemble((clean_line(section.title, 200), HEADING), (f"  plugin {section.plugin}", "dim")))
        if section.error is not None:
            parts.append(Text(section.error, style=WARN, no_wrap=True, overflow="ellipsis"))
            continue
        if not section.lines:
            parts.append(Text("Nothing to show.", style="dim"))
        for line in section.lines:
            parts.append(Text(line, no_wrap=True, overflow="ellipsis"))
        if section.more:
            parts.append(Text(f"(only the first {len(section.lines)} lines are shown)", style="dim"))
    return Group(*parts)
