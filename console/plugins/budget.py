"""One call of a plugin's code off the caller's thread, with a time budget: an account section's lines, a ticket
action's run, an intake field's check, a page of a queue column's values.

The call runs on a daemon thread of its own; the caller waits at most the budget. A call past it is abandoned
(its thread is left to end by itself: Python cannot stop it) and said as such, so a plugin that hangs costs its
budget once, never the console. Whatever the call raises (``SystemExit`` included) is handed back, not raised.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """What the call gave: its ``value``, the ``error`` it raised, or ``timed_out``; ``seconds`` it took (measured
    on its own thread, from its start: the wait for a thread to be scheduled is not the plugin's)."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out


def call_within(fn: Callable[[], Any], budget: float, *, name: str = "csp-plugin-call") -> Outcome:
    """``fn()`` on a thread of its own, waited for at most ``budget`` seconds."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        start = time.perf_counter()
        try:
            box["value"] = fn()
        except BaseException as exc:  # a plugin's fault, whatever it is
            box["error"] = exc
        finally:
            box["seconds"] = time.perf_counter() - start
            done.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    if not done.wait(budget):
        return Outcome(timed_out=True, seconds=budget)
    return Outcome(value=box.get("value"), error=box.get("error"), seconds=box.get("seconds", 0.0))


def failure(error: BaseException) -> str:
    """An error said in one line: ``ValueError: boom``."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def seconds_text(budget: float) -> str:
    """``10 s``, ``0.5 s``."""
    return f"{budget:g} s"
