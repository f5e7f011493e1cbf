"""The Textual application: the console an agent keeps open all shift."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from datetime import datetime

from textual.app import App
from textual.binding import Binding

from console.clock import utcnow
from console.config import Config
from console.screens.queue import QueueScreen
from console.store import Workspace


class CspConsoleApp(App[None]):
    """CSP Triage Console."""

    TITLE = "CSP Triage Console"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
    ]

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        *,
        clock: Callable[[], datetime] = utcnow,
        notice: str | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.config = config
        self.clock = clock
        self.notice = notice

    def on_mount(self) -> None:
        self.push_screen(QueueScreen())
        if self.notice:
            self.notify(self.notice, title="First run", timeout=15, markup=False)
        # A dropped SSH session sends SIGHUP: leave cleanly instead of lingering.
        if hasattr(signal, "SIGHUP"):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit)
