"""Running checks on a daemon thread: the fallback where the check process cannot be forked (no ``fork``: not
Linux), and what ``CheckRunner(isolation="thread")`` asks for.

Each check still has its budget, counted from its own start, but a thread cannot be stopped: a check past its
budget is abandoned (its thread left running, and what it allocates kept) and a new thread takes the next
checks. The memory limit of the check process does not apply here.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence

from console.plugins.outcomes import Job, Outcome, Reply, Stop, run_check
from console.plugins.views import Check, CheckContext


class _Batch:
    """The checks of one context, run in order on the worker; each check has its own budget, counted from its
    own start. The worker takes the context once and reports once (a hand-over per check between threads was
    most of the cost of triage: ~80 microseconds each, nine checks a ticket)."""

    def __init__(self, checks: Sequence[Check], ctx: CheckContext) -> None:
        self.checks = checks
        self.ctx = ctx
        self.results: list[Outcome] = []
        self.current = (0, time.monotonic())  # (index of the running check, when it started)
        self.abandoned = False
        self.done = threading.Event()
        self.lock = threading.Lock()


class _Thread:
    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="csp-check-worker", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            batch = self.jobs.get()
            if batch is None:
                return
            with batch.lock:
                batch.current = (0, time.monotonic())
            for index, check in enumerate(batch.checks):
                outcome = run_check(check, batch.ctx)
                with batch.lock:
                    if batch.abandoned:  # this check ran past its budget: a new worker has taken over
                        return
                    batch.results.append(outcome)
                    batch.current = (index + 1, time.monotonic())
            batch.done.set()


class ThreadWorker:
    """Runs checks on one daemon thread, replaced when a check hangs (the old thread is left behind)."""

    pid: int | None = None

    def __init__(self) -> None:
        self._thread: _Thread | None = None

    def close(self) -> None:
        if self._thread is not None:
            self._thread.jobs.put(None)
            self._thread = None

    def run(self, jobs: Sequence[Job], budget: float) -> Iterator[Reply]:
        for pos, (ctx, checks) in enumerate(jobs):
            outcomes, hung = self._one(ctx, checks, budget)
            yield pos, outcomes, None if hung is None else Stop(hung, "budget")
            if hung is not None:
                return

    def _one(self, ctx: CheckContext, checks: Sequence[Check], budget: float) -> tuple[list[Outcome], int | None]:
        thread = self._thread
        if thread is None:
            thread = self._thread = _Thread()
        batch = _Batch(checks, ctx)
        thread.jobs.put(batch)  # (a close() from another thread meanwhile ends the thread after this batch)
        hung: int | None = None
        while not batch.done.is_set():
            index, started = batch.current
            if batch.done.wait(max(0.0, started + budget - time.monotonic()) + 0.001):
                break
            with batch.lock:
                running = batch.current == (index, started) and index < len(checks)
                if running and time.monotonic() - started >= budget:
                    batch.abandoned = True
                    hung = index
            if hung is not None:
                self._thread = None  # abandoned (a daemon: it cannot keep the process alive)
                break
        with batch.lock:
            return list(batch.results), hung
