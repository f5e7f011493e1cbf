"""Running a plugin's own code at load time (its import, its hooks) so that nothing it raises or how long its
import takes ends the console's command.

Everything a plugin raises is caught, ``BaseException`` included: ``SystemExit`` (``sys.exit()`` at import or in
a hook), ``KeyboardInterrupt`` raised by the plugin's code, ``GeneratorExit``; it becomes that plugin's error.
A real Ctrl-C of the user still ends the command: while plugins load on the main thread the console watches
for SIGINT (when Python's default handler is in place), and a ``KeyboardInterrupt`` that follows a real SIGINT
goes on up; one raised by a plugin with no SIGINT seen is the plugin's error.

Each plugin is imported on a daemon thread of its own, timed, and waited for at most the import budget
(``CSP_CONSOLE_PLUGIN_IMPORT_BUDGET`` seconds, 10 by default). A plugin still importing after its budget is
refused and named; its thread cannot be stopped and keeps importing in the background, holding Python's
import lock of the module it is in, so the console never imports that module again in this process (another
plugin that imports it waits on its own thread, within its own budget, and never blocks the console).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

IMPORT_BUDGET_ENV = "CSP_CONSOLE_PLUGIN_IMPORT_BUDGET"
DEFAULT_IMPORT_BUDGET = 10.0
#: An import slower than this is reported as a warning on the plugin (it delays every command as long).
SLOW_IMPORT = 1.0


def describe(exc: BaseException) -> str:
    """``exc`` as a plugin's error names it: ``ValueError: bad``; ``SystemExit(3)`` for an exit."""
    name = type(exc).__name__
    if isinstance(exc, SystemExit):
        return f"{name}({exc.code!r})" if exc.code is not None else f"{name}()"
    text = str(exc)
    return f"{name}: {text}" if text else name


def import_budget(env: Mapping[str, str]) -> float:
    """The import budget in seconds from ``env`` (an unreadable or non-positive value: the default)."""
    raw = env.get(IMPORT_BUDGET_ENV, "").strip()
    if not raw:
        return DEFAULT_IMPORT_BUDGET
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        log.warning("%s=%r is not a number of seconds; using %g", IMPORT_BUDGET_ENV, raw, DEFAULT_IMPORT_BUDGET)
        return DEFAULT_IMPORT_BUDGET
    return value


class _CtrlC:
    """Whether a real SIGINT arrived while plugin code ran (see :func:`watching_ctrl_c`)."""

    watched = 0
    seen = False


@contextlib.contextmanager
def watching_ctrl_c() -> Iterator[None]:
    """While plugins load: note a real SIGINT, so :func:`guarded` can tell it from a plugin's own
    ``KeyboardInterrupt``. Only on the main thread with Python's default handler (never replacing another's)."""
    if threading.current_thread() is not threading.main_thread() or _CtrlC.watched:
        yield
        return
    try:
        installed = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    except ValueError:  # pragma: no cover - not the main thread after all
        installed = False
    if not installed:
        yield
        return

    def noted(signum: int, frame: FrameType | None) -> None:
        _CtrlC.seen = True
        signal.default_int_handler(signum, frame)

    _CtrlC.watched, _CtrlC.seen = 1, False
    signal.signal(signal.SIGINT, noted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _CtrlC.watched, _CtrlC.seen = 0, False


def _users(exc: BaseException) -> bool:
    """Whether ``exc`` is the user's Ctrl-C (to let through) rather than the plugin's own doing."""
    return isinstance(exc, KeyboardInterrupt) and _CtrlC.seen


@dataclass
class Called:
    """What calling a plugin's code gave: its value, or the error (``describe``d) it raised."""

    value: Any = None
    error: str | None = None


def guarded(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Called:
    """``fn(*args, **kwargs)`` with anything it raises (``BaseException`` too) as :attr:`Called.error`; only a
    real Ctrl-C of the user goes on up."""
    try:
        return Called(value=fn(*args, **kwargs))
    except BaseException as exc:
        if _users(exc):
            raise
        return Called(error=describe(exc))


@dataclass
class Imported:
    """A plugin's import: the module (or object) it gave, or its error; how long it took (or was waited for)."""

    value: object = None
    error: str | None = None
    seconds: float = 0.0
    timed_out: bool = False


def import_within(load: Callable[[], object], budget: float, name: str = "") -> Imported:
    """Run ``load`` (a plugin's import) on a daemon thread and wait at most ``budget`` seconds for it."""
    box = Imported()

    def run() -> None:
        try:
            box.value = load()
        except BaseException as exc:  # SystemExit and KeyboardInterrupt of the plugin's own: its error
            box.error = describe(exc)

    started = time.perf_counter()
    thread = threading.Thread(target=run, name=f"csp-plugin-import-{name}", daemon=True)
    thread.start()
    thread.join(budget)
    waited = time.perf_counter() - started
    if thread.is_alive():  # given up on: whatever the thread does later is not looked at
        return Imported(seconds=waited, timed_out=True)
    box.seconds = waited
    return box
