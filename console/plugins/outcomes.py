"""What running checks gives back, the same from the check process (:mod:`console.plugins.worker`) and from the
thread it falls back to (:mod:`console.plugins.inthread`): an outcome per check, a reply per context."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from console.plugins.loading import describe
from console.plugins.views import Check, CheckContext

#: At most so many findings of one check are kept; one more is taken from its iterator, no further (a check
#: that yields without end stops there).
MAX_FINDINGS_PER_CHECK = 50

Outcome = tuple[str, Any]
"""``("ok", items)``: what the check returned, at most ``MAX_FINDINGS_PER_CHECK + 1`` items, not yet checked;
``("raised", "Type: message")``; ``("unsent", "Type: message")``: its findings could not be pickled back."""

Job = tuple[CheckContext, Sequence[Check]]
"""A context and the checks to run on it, in order."""


@dataclass(frozen=True)
class Stop:
    """Where running stopped: the check (its index in its context's checks) and why: ``"budget"`` (it ran past
    its time budget) or how the check process ended (``"signal SIGSEGV"``, ``"exit status 3"``)."""

    check: int
    why: str


Reply = tuple[int, list[Outcome], Stop | None]
"""A context's outcomes (by its index in the request): all of them; or, with a :class:`Stop`, those of the checks
before the one that stopped (the thread's), or none (the process's, lost with it, as are those of the contexts
it had not answered yet: the runner sends whatever has no outcome again)."""


class Executor(Protocol):
    @property
    def pid(self) -> int | None:
        """The check process's id, if the checks run in one."""
        ...

    def run(self, jobs: Sequence[Job], budget: float) -> Iterator[Reply]:
        """Run ``jobs`` in order; a reply per context; after a reply with a :class:`Stop`, no more."""
        ...

    def close(self) -> None: ...


def run_check(check: Check, ctx: CheckContext) -> Outcome:
    """Run one check, taking at most one item more than are kept."""
    try:
        return ("ok", list(itertools.islice(iter(check.run(ctx)), MAX_FINDINGS_PER_CHECK + 1)))
    except BaseException as exc:  # a plugin's fault, whatever it is (SystemExit, MemoryError...)
        return ("raised", describe(exc))
