"""Leaving when the terminal goes away or a signal asks (SIGHUP: a dropped SSH session; SIGTERM: ``kill``, a
shutdown), as on quitting: the claims taken in this console released, the workspace closed.

Textual (8.2) is not enough for that: its writer thread dies on the EIO of a hung-up terminal and the event loop
then blocks for good in ``Queue.put`` (console/shared/hangup.py says how), so a signal handler on the loop
(``loop.add_signal_handler``) never runs. Here: a Linux driver whose writer thread never dies
(:class:`HangupDriver`), a watch that sees the terminal hang up, and Python-level signal handlers
(``signal.signal``), which CPython runs in the main thread even while it waits on a lock (a lock's acquire is
interrupted by the signal and runs the handlers: Modules/_threadmodule.c, ``acquire_timed``). Both schedule the
console's exit on the loop and set the watch's last resort, which lets go and ends the process if the exit
cannot finish."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING, Any

from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver

from console.shared.hangup import GRACE_SECONDS, HangupWatch, TerminalOutput, terminal_fds

if TYPE_CHECKING:
    from textual.app import App

#: The signals that make the console leave (SIGHUP where the platform has it).
SIGNALS = tuple(getattr(signal, name) for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name))

#: One console lets go at a time (the main thread leaving, or the watch's last resort): each, once.
_LETTING_GO = threading.Lock()


class HangupDriver(LinuxDriver):
    """Textual's Linux driver, its writer thread writing through :class:`TerminalOutput`: once the terminal
    fails, output is dropped instead of the thread dying with a queue nobody empties."""

    def __init__(self, app: App[Any], **options: Any) -> None:
        super().__init__(app, **options)
        if self._file is not None:
            self._file = TerminalOutput(self._file)  # type: ignore[assignment]  # a file to the writer thread


class HangUp:
    """Mixin for the console's App: :meth:`watch_terminal` on mount; :meth:`release_held` is the app's."""

    _let_go_done = False

    def get_driver_class(self) -> type[Driver]:
        driver: type[Driver] = super().get_driver_class()  # type: ignore[misc]
        # Linux only: how a hung-up tty reads, writes and polls is Linux's (console/shared/hangup.py); elsewhere
        # (macOS runs Textual's LinuxDriver too) the loop's signal handlers, as before. Not headless tests'.
        linux = sys.platform.startswith("linux")
        return HangupDriver if driver is LinuxDriver and linux else driver

    def watch_terminal(self) -> None:
        """On a real terminal (:class:`HangupDriver`): leave when it hangs up, or on SIGHUP or SIGTERM."""
        app: App[None] = self  # type: ignore[assignment]
        loop = asyncio.get_running_loop()
        if not isinstance(app._driver, HangupDriver):  # headless (tests), web, inline: the loop's handlers
            for sig in SIGNALS:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, app.exit)
            return

        def leave(status: int) -> None:  # from any thread or a signal handler: only scheduled on the loop
            with contextlib.suppress(RuntimeError):  # the loop is closed: the console has left
                loop.call_soon_threadsafe(partial(app.exit, return_code=status))

        watch = HangupWatch(terminal_fds(), leave=leave, let_go=self.let_go)

        def on_signal(signum: int, frame: FrameType | None) -> None:
            leave(watch.leaving(signum))

        for sig in SIGNALS:  # kept to the end of the process: a signal while leaving is harmless
            signal.signal(sig, on_signal)
        watch.start()

    def let_go(self) -> None:
        """Release what this console holds (:meth:`release_held`), once: on unmount, or from the watch's thread
        as its last resort, whichever comes first; the other waits for it."""
        if not _LETTING_GO.acquire(timeout=GRACE_SECONDS):  # (never stuck behind the other for good)
            return
        try:
            if not self._let_go_done:
                self._let_go_done = True
                self.release_held()
        finally:
            _LETTING_GO.release()

    def release_held(self) -> None:
        """What the console still holds, let go (the app's)."""
