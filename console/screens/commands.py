"""``:`` command mode, as in vim and k9s: a one-line prompt at the foot of the screen. ``:1511`` opens ticket
CSP-001511, ``:c litware`` finds a customer (its account when only one matches), ``:q`` quits (asking first, as
``q`` does), ``:help`` lists the commands. Up and down walk the commands given before; escape cancels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from console.screens.base import CoreCalls
from console.shared.model import ticket_id
from console.shared.safe_text import clean_line
from console.tickets.search_text import ticket_number
from console.widgets.palette import ALARM, styled

if TYPE_CHECKING:
    from textual.app import App

    from console.app import CspConsoleApp
    from console.desk.directory import Found

HELP = (
    (":1511  :CSP-001511", "open that ticket (in any view)"),
    (":c TEXT  :customer TEXT", "a customer or caller: name, domain, email, phone"),
    (":c", "the customer directory"),
    (":q  :quit", "quit (asks first when work would be lost)"),
    (":help", "this list"),
)
HISTORY = 50


@dataclass(frozen=True)
class Command:
    """What a command line asks for: ``verb`` (ticket, customer, quit, help, none, unknown) and its argument."""

    verb: str
    argument: str = ""


def parse(line: str) -> Command:
    text = line.strip().removeprefix(":").strip()
    if not text:
        return Command("none")
    if (number := ticket_number(text)) is not None:
        return Command("ticket", ticket_id(number))
    head, _, rest = text.partition(" ")
    verb, rest = head.lower(), rest.strip()
    if verb in ("c", "customer", "customers", "directory", "dir"):
        return Command("customer", rest)
    if verb in ("t", "ticket", "open") and (number := ticket_number(rest)) is not None:
        return Command("ticket", ticket_id(number))
    if verb in ("q", "q!", "quit", "exit") and not rest:
        return Command("quit")
    if verb in ("help", "h", "?") and not rest:
        return Command("help")
    return Command("unknown", text)


_histories: WeakKeyDictionary[Any, list[str]] = WeakKeyDictionary()


def history_of(app: App[Any]) -> list[str]:
    """The commands given in this console, oldest first (kept for its session)."""
    return _histories.setdefault(app, [])


class CommandPrompt(CoreCalls, ModalScreen[Command | None]):
    """The prompt: dismissed with what to do (checked first: the ticket exists, the customer is found)."""

    DEFAULT_CSS = """
    CommandPrompt { align: left bottom; background: $background 0%; }
    CommandPrompt #command-box { dock: bottom; height: auto; width: 1fr; background: $panel; }
    CommandPrompt #command-message { height: auto; padding: 0 1; display: none; }
    CommandPrompt #command-row { height: 1; }
    CommandPrompt #command-colon { width: 1; text-style: bold; }
    CommandPrompt #command-line { width: 1fr; background: $panel; }
    CommandPrompt #command-line:focus { background: $panel; text-style: bold; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="command.cancel"),
        Binding("up", "history(-1)", "Previous command", show=False, id="command.previous"),
        Binding("down", "history(1)", "Next command", show=False, id="command.next"),
    ]

    def __init__(self) -> None:
        super().__init__(id="command-prompt")
        self._at: int | None = None  # where in the history up and down are; None: the line being typed
        self._draft = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="command-box"):
            yield Static(id="command-message")
            with Horizontal(id="command-row"):
                yield Static(Text(":"), id="command-colon")
                yield Input(
                    id="command-line", compact=True, select_on_focus=False, placeholder="1511 · c litware · q · help"
                )

    def on_mount(self) -> None:
        self.query_one("#command-line", Input).focus()

    @property
    def console(self) -> CspConsoleApp:
        return self.app  # type: ignore[return-value]

    def say(self, message: Text | str, *, error: bool = False) -> None:
        """A message above the prompt line (the prompt stays open)."""
        line = self.query_one("#command-message", Static)
        text = message if isinstance(message, Text) else (styled(message, ALARM) if error else Text(message))
        line.update(text)
        line.display = True

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_history(self, step: int) -> None:
        history = history_of(self.app)
        line = self.query_one("#command-line", Input)
        if not history:
            return
        if self._at is None:
            if step > 0:
                return
            self._draft, self._at = line.value, len(history)
        self._at = max(0, self._at + step)
        if self._at >= len(history):
            self._at, line.value = None, self._draft
        else:
            line.value = history[self._at]
        line.cursor_position = len(line.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#command-message", Static).display = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value.strip()
        history = history_of(self.app)
        if line and (not history or history[-1] != line):
            history.append(line)
            del history[:-HISTORY]
        self._at = None
        self.run_command(parse(line))

    def run_command(self, command: Command) -> None:
        desk = self.console.desk
        if command.verb == "none":
            self.dismiss(None)
        elif command.verb == "help":
            self.say(help_text())
        elif command.verb == "unknown":
            self.say(f"Unknown command “{clean_line(command.argument, 60)}”: try :help", error=True)
        elif command.verb == "ticket":
            opened = command.argument
            self.call_core(lambda: desk.ticket(opened), lambda _: self.dismiss(command), on_error=self._missing)
        elif command.verb == "customer" and command.argument:
            text = command.argument
            self.call_core(lambda: desk.reads.directory.find(text, limit=2), self._customer_found)
        else:
            self.dismiss(command)

    def _missing(self, error: BaseException) -> bool:
        if isinstance(error, LookupError):
            self.say(f"No such ticket: {clean_line(str(error).removeprefix('no ticket '), 40)}", error=True)
            return True
        return False

    def _customer_found(self, found: Found) -> None:
        if not found.customers:
            self.say(f"No customer or caller matches “{clean_line(found.text, 60)}”", error=True)
        elif len(found.customers) == 1:
            self.dismiss(Command("account", found.customers[0].id))
        else:
            self.dismiss(Command("customer", found.text))


def help_text() -> Text:
    text = Text("Commands", style="bold")
    width = max(len(c) for c, _ in HELP)
    for command, what in HELP:
        text.append(f"\n{command.ljust(width)}  ", style="bold")
        text.append(what)
    text.append("\nup/down: earlier commands · escape: cancel", style="dim")
    return text


class CommandMode:
    """Mixin for the console's App: ``:`` opens the prompt over the screen in front (not over a form or a
    dialog) and carries out what it was dismissed with."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "command_mode":  # the help screen lists the keys of the screen it is over (its target)
            screen = self.screen  # type: ignore[attr-defined]
            return command_mode_allowed(getattr(screen, "target", screen))
        return super().check_action(action, parameters)  # type: ignore[misc]

    def action_command_mode(self) -> None:
        app: CspConsoleApp = self  # type: ignore[assignment]
        if command_mode_allowed(app.screen):
            app.push_screen(CommandPrompt(), self.carry_out)

    def carry_out(self, command: Command | None) -> None:
        app: CspConsoleApp = self  # type: ignore[assignment]
        if command is None:
            return
        if command.verb == "ticket":
            app.open_ticket(command.argument)
        elif command.verb == "account":
            if app.desk.may("billing.view"):
                app.open_account(command.argument)
            else:
                app.show_customer_queue(command.argument)
        elif command.verb == "customer":
            self.open_directory(command.argument)
        elif command.verb == "quit":
            app.call_later(app.run_action, "quit")

    def action_open_directory(self) -> None:
        self.open_directory()

    def open_directory(self, text: str = "") -> None:
        from console.screens.directory import DirectoryScreen

        app: CspConsoleApp = self  # type: ignore[assignment]
        if isinstance(app.screen, DirectoryScreen):
            app.pop_screen()
        app.push_screen(DirectoryScreen(text))

    def copy_ticket_id(self, ticket: str) -> None:
        """Yank: the ticket's id to the clipboard (OSC 52: the terminal's, also over SSH)."""
        app: CspConsoleApp = self  # type: ignore[assignment]
        app.copy_to_clipboard(ticket)
        app.notify(f"Copied {ticket}", markup=False, timeout=3)


def command_mode_allowed(screen: object) -> bool:
    """Command mode opens over a full screen (the queue, a ticket, an account, the directory, the boards), not
    over a dialog, a form or itself."""
    return not isinstance(screen, ModalScreen) and not hasattr(screen, "has_unsaved_input")
