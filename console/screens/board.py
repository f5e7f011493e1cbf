"""The read-only board (``csp-console board``, in a terminal or served to browsers): the queue-health board alone,
as the agent who started it, refreshing live from the workspace, and nothing else.

Read-only is held in three places, each enough for what it guards: the desk refuses every action that writes
(:class:`console.desk.read_only.ReadOnlyDesk`, at the door every action goes through, and none of the desk's
upkeep runs: no background jobs, no trend samples); no screen but the board's help can be opened over it, and
there is no queue below it to go back to; the command prompt and the command palette are off. A key that
would act or leave says so in a notice and does nothing."""

from __future__ import annotations

import asyncio
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual.binding import Binding

from console import app as console_app
from console.app import CspConsoleApp
from console.screens.health import HealthScreen
from console.screens.help import HelpScreen

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.tickets.queue_query import QueueQuery

#: The screens that may open over the board: its help (the list of keys), which opens nothing itself.
OVER_THE_BOARD = (HelpScreen,)


class BoardScreen(HealthScreen):
    """The health board as the bottom screen: nothing behind it, no figure opens the queue; ``q`` quits."""

    BINDINGS = [
        Binding("q", "app.quit", "Quit", id="board.quit"),
        Binding("escape,backspace", "back", "Back", show=False, id="board.back"),
        Binding("enter", "open_figure", "Open in queue", show=False, id="board.open"),
    ]

    @property
    def board(self) -> ReadOnlyBoard:
        return cast(ReadOnlyBoard, self.app)

    def action_back(self) -> None:
        self.board.refuse("there is no queue behind this board (q quits)")

    def action_open_figure(self) -> None:
        self.board.refuse("the queue does not open from this board")


class ReadOnlyBoard(CspConsoleApp):
    """The console reduced to the health board, read-only (the module docstring says how)."""

    TITLE = "CSP Triage Console: queue health (read-only)"
    #: The keys that only say they are refused here: left out of ``?`` (console.screens.help), which lists the
    #: board's keys alone.
    REFUSED_BINDINGS = frozenset({"board.back", "board.open", "app.command"})
    CSS_PATH = str(Path(console_app.__file__).with_name("app.tcss"))  # the console's (a relative path is this file's)
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["start_screen"] = "board"
        super().__init__(*args, **kwargs)
        self.refusals = 0  # how many times something was refused (tests read it)

    def refuse(self, what: str) -> None:
        self.refusals += 1
        self.notify(f"Read-only board: {what}.", title="Read-only", severity="warning", markup=False, timeout=4)

    @cached_property
    def desk(self) -> Desk:
        from console.desk.read_only import ReadOnlyDesk

        return ReadOnlyDesk(self.workspace, self.config, self.host, self.agent, self.clock)

    def get_default_screen(self) -> BoardScreen:  # type: ignore[override]
        self._data_version = self.workspace.data_version()  # the baseline of live updates, as the console takes it
        return BoardScreen()

    def settle(self) -> None:
        """Only the desk: no plugin actions, no background jobs, no notices of the agent's own."""
        if self._settled or not self.is_running:
            return
        self._settled = True
        _ = self.desk

    # -- everything that would leave the board or act is refused ---------------------------------
    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(screen, OVER_THE_BOARD):
            return super().push_screen(screen, *args, **kwargs)
        self.refuse("only the board is shown here")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def action_command_mode(self) -> None:
        self.refuse("commands are not taken here")

    def show_queue(self, query: QueueQuery | None) -> None:
        self.refuse("the queue does not open from this board")

    def show_customer_queue(self, customer_id: str) -> None:
        self.refuse("the queue does not open from this board")
