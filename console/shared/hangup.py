"""When the console's terminal goes away under it (a tmux server killed, an SSH link whose pty master is closed):
notice, leave, and if leaving cannot finish, let go of what the console holds and end the process.

A hung-up tty (the kernel's ``tty_vhangup`` when the pty master closes) reads as end of file, fails every write
with EIO and polls as ``POLLHUP | POLLERR`` (Linux drivers/tty/tty_io.c, ``hung_up_tty_fops``). Textual's writer
thread dies on the first EIO; the main thread then blocks for good in ``Queue.put`` once its queue of writes is
full, so nothing on the event loop (an asyncio signal handler included) ever runs again, and Textual's input thread
spins reading end of file. Hence, beside the event loop: :class:`TerminalOutput`, a file for the writer thread that
drops output once the terminal fails instead of dying; :class:`HangupWatch`, a thread that sees the hang-up
(``poll``) and asks the console to leave, and ends the process itself if the console has not left
:data:`GRACE_SECONDS` after a hang-up or a signal (a main thread blocked writing to a terminal nobody reads).

No Textual here: the console's app wires these in (console/screens/hangup.py)."""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Final, TextIO

#: The exit status of a console whose terminal hung up: 128 + SIGHUP, as POSIX shells report a command that
#: signal ended (POSIX, Shell Command Language 2.8.2 "Exit Status for Commands").
HANGUP_STATUS: Final = 128 + int(getattr(signal, "SIGHUP", 1))

#: Seconds a console has to leave on its own after its terminal went (or a signal asked it to) before the watch
#: lets go of its claims itself and ends the process.
GRACE_SECONDS: Final = 5.0

#: How often the watch looks at the terminal (a hang-up also wakes a ``poll`` under way at once).
TICK_SECONDS: Final = 0.25

#: Output kept before it is written out even without a flush.
_FLUSH_AT: Final = 64 * 1024


def terminal_fds() -> list[int]:
    """The descriptors of the terminal the console runs on: standard input (read) and standard error (written),
    as Textual's Linux driver uses them, those that are ttys."""
    fds = []
    for stream in (sys.__stdin__, sys.__stderr__):
        if stream is not None and stream.isatty() and stream.fileno() not in fds:
            fds.append(stream.fileno())
    return fds


def hung_up(fds: Iterable[int]) -> bool:
    """Whether any of ``fds`` has hung up (or is no longer open): ``poll`` with no events asked still reports
    ``POLLHUP``, ``POLLERR`` and ``POLLNVAL`` (poll(2)). Never waits; makes no lock, so a signal handler may ask."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, 0)
    return bool(poller.poll(0))


class TerminalOutput:
    """The file Textual's writer thread writes to: the text kept until :meth:`flush` (or :data:`_FLUSH_AT`), then
    written to the descriptor itself, not through ``sys.stderr``'s buffer (which would keep what a failed write
    left and fail again, with exit status 120, when Python flushes it at exit). Once a write fails (EIO: the
    terminal hung up) everything after it is dropped: the writer thread goes on emptying its queue, so the
    console is never blocked writing to a terminal that is gone."""

    def __init__(self, file: TextIO) -> None:
        self._fd = file.fileno()
        self._encoding = file.encoding or "utf-8"
        self._errors = file.errors or "strict"
        self._pending: list[str] = []
        self._size = 0
        self.failed: OSError | None = None

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, text: str) -> int:
        if self.failed is None:
            self._pending.append(text)
            self._size += len(text)
            if self._size >= _FLUSH_AT:
                self.flush()
        return len(text)

    def flush(self) -> None:
        data = memoryview("".join(self._pending).encode(self._encoding, self._errors))
        self._pending.clear()
        self._size = 0
        while data and self.failed is None:
            try:
                data = data[os.write(self._fd, data) :]
            except InterruptedError:
                continue
            except OSError as exc:  # EIO: hung up; whatever else a terminal can fail with, the same
                self.failed = exc


class HangupWatch:
    """A daemon thread watching the terminal ``fds``. On a hang-up it calls ``leave(HANGUP_STATUS)`` (any thread:
    it must only schedule the console's exit); once a hang-up is seen or :meth:`leaving` is called, it waits
    ``grace`` seconds and then, if the process is still there, calls ``let_go()`` (release what the console holds,
    from this thread) and ends the process with ``os._exit``: the last resort when the console cannot leave."""

    def __init__(
        self,
        fds: Iterable[int],
        *,
        leave: Callable[[int], None],
        let_go: Callable[[], None],
        grace: float = GRACE_SECONDS,
    ) -> None:
        self.fds = list(fds)
        self._leave = leave
        self._let_go = let_go
        self._grace = grace
        self._deadline: float | None = None
        self._status = HANGUP_STATUS
        self._thread = threading.Thread(target=self._run, name="csp-hangup-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def leaving(self, signum: int) -> int:
        """Signal ``signum`` asks the console to leave: the status it leaves with (:data:`HANGUP_STATUS` when the
        terminal is gone, else 0, as on quitting). Sets the last resort (its status 128 + ``signum``, or
        :data:`HANGUP_STATUS`). Takes no lock and waits for nothing, so a signal handler may call it."""
        gone = hung_up(self.fds)
        self._set_deadline(HANGUP_STATUS if gone else 128 + signum)
        return HANGUP_STATUS if gone else 0

    def _set_deadline(self, status: int) -> None:
        if self._deadline is None:
            self._status = status
            self._deadline = time.monotonic() + self._grace

    def _run(self) -> None:
        poller = select.poll()
        for fd in self.fds:
            poller.register(fd, 0)  # only the hang-up (and an error), never input
        while self._deadline is None:
            if poller.poll(TICK_SECONDS * 1000):  # (with no terminal to watch: a sleep)
                self._set_deadline(HANGUP_STATUS)
                self._leave(HANGUP_STATUS)
        while (left := self._deadline - time.monotonic()) > 0:
            time.sleep(min(left, TICK_SECONDS))
        try:
            self._let_go()
        finally:
            os._exit(self._status)
