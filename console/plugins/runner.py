"""Running plugin checks so that no plugin can take the console down.

Each check runs on a daemon worker thread with a time budget (2 s by default). A check that raises or
returns garbage yields a ``plugin-failure`` finding attributed to its plugin; one that runs past its budget
is abandoned (its thread is left behind, the worker replaced) and disabled for the rest of the session, so
one hung plugin costs one budget, not one per ticket. The other checks' findings still arrive.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from console.plugins import validate
from console.plugins.findings import Finding, Level
from console.plugins.host import PluginHost, RegisteredCheck
from console.plugins.validate import PluginValueError
from console.plugins.views import CheckContext

log = logging.getLogger(__name__)
DEFAULT_BUDGET = 2.0
MAX_FINDINGS_PER_CHECK = 50


@dataclass(frozen=True)
class PluginFailure:
    plugin: str
    check_id: str
    message: str


@dataclass
class CheckRun:
    """What running the checks produced: findings (each with its plugin) and failures."""

    findings: list[tuple[str, Finding]] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)


class _Batch:
    """The checks of one context, run in order on the worker; each check has its own budget, counted from its
    own start. The worker takes the context once and reports once (a hand-over per check between threads was
    most of the cost of triage: ~80 microseconds each, nine checks a ticket)."""

    def __init__(self, checks: Sequence[RegisteredCheck], ctx: CheckContext) -> None:
        self.checks = checks
        self.ctx = ctx
        self.results: list[tuple[str, Any]] = []
        self.current = (0, time.monotonic())  # (index of the running check, when it started)
        self.abandoned = False
        self.done = threading.Event()
        self.lock = threading.Lock()


class _Worker:
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
            for index, registered in enumerate(batch.checks):
                try:
                    outcome: tuple[str, Any] = ("ok", list(registered.check.run(batch.ctx)))
                except BaseException as exc:  # a plugin's fault, whatever it is
                    outcome = ("error", exc)
                with batch.lock:
                    if batch.abandoned:  # this check ran past its budget: a new worker has taken over
                        return
                    batch.results.append(outcome)
                    batch.current = (index + 1, time.monotonic())
            batch.done.set()


class CheckRunner:
    """Runs a host's checks with isolation; reuse one runner for many tickets."""

    def __init__(self, host: PluginHost, budget: float = DEFAULT_BUDGET) -> None:
        self.host = host
        self.budget = budget
        self.disabled: dict[str, str] = {}
        self._worker: _Worker | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.jobs.put(None)
            self._worker = None

    def checks_for(self, ctx: CheckContext, scope: str) -> list[RegisteredCheck]:
        service = ctx.ticket.service if ctx.ticket is not None else None
        out = []
        for rc in self.host.checks:
            if rc.check.scope != scope or rc.check.id in self.disabled:
                continue
            if scope == "ticket" and rc.check.service is not None and rc.check.service != service:
                continue
            if scope == "account" and rc.check.service is not None and not ctx.subscriptions_of(rc.check.service):
                continue
            out.append(rc)
        return out

    def run(
        self, ctx: CheckContext, scope: str = "ticket", checks: Sequence[RegisteredCheck] | None = None
    ) -> CheckRun:
        """Run the checks that apply to ``ctx`` (every ticket-scope check for its service, or account ones)."""
        result = CheckRun()
        todo = list(checks if checks is not None else self.checks_for(ctx, scope))
        with self._lock:
            while todo:
                todo = self._run_batch(todo, ctx, result)
        return result

    def _run_batch(self, checks: list[RegisteredCheck], ctx: CheckContext, result: CheckRun) -> list[RegisteredCheck]:
        """Run ``checks`` on the worker; what is left to run after one that hung (an empty list when done)."""
        if self._worker is None:
            self._worker = _Worker()
        for rc in checks:
            self.host.trace(f"check {rc.check.id} of plugin {rc.plugin}")
        batch = _Batch(checks, ctx)
        self._worker.jobs.put(batch)
        hung: int | None = None
        while not batch.done.is_set():
            index, started = batch.current
            if batch.done.wait(max(0.0, started + self.budget - time.monotonic()) + 0.001):
                break
            with batch.lock:
                running = batch.current == (index, started) and index < len(checks)
                if running and time.monotonic() - started >= self.budget:
                    batch.abandoned = True
                    hung = index
            if hung is not None:
                break
        for rc, (status, value) in zip(checks, batch.results, strict=False):
            if status == "error":
                self._fail(rc, f"check {rc.check.id} raised {type(value).__name__}: {value}", result)
            else:
                findings = self._validate(rc, value, result)
                result.findings.extend((rc.plugin, f) for f in findings)
        if hung is None:
            return []
        # Abandon the stuck thread (daemon: it cannot keep the process alive) and disable the check.
        self._worker = None
        rc = checks[hung]
        message = f"check {rc.check.id} ran past its {self.budget:g} s budget and was stopped for this session"
        self.disabled[rc.check.id] = message
        self._fail(rc, message, result)
        return checks[hung + 1 :]

    def _validate(self, rc: RegisteredCheck, value: Iterable[Any], result: CheckRun) -> list[Finding]:
        """The check's findings, each checked at the boundary (:func:`console.plugins.validate.finding`): one
        that does not fit costs only itself, reported naming the plugin, the check and the field."""
        good: list[Finding] = []
        refused: list[str] = []
        for item in value:
            try:
                good.append(validate.finding(rc.plugin, rc.check.id, item))
            except PluginValueError as exc:
                refused.append(str(exc).removeprefix(f"plugin {rc.plugin}: "))
            if len(good) + len(refused) >= MAX_FINDINGS_PER_CHECK:
                break
        if refused:
            more = f" (and {len(refused) - 1} more refused)" if len(refused) > 1 else ""
            self._fail(rc, refused[0] + more, result)
        return good

    def _fail(self, rc: RegisteredCheck, message: str, result: CheckRun) -> None:
        log.warning("plugin %s: %s", rc.plugin, message)
        result.failures.append(PluginFailure(rc.plugin, rc.check.id, message))
        result.findings.append(
            (
                rc.plugin,
                Finding(
                    check_id=f"{rc.check.id}.failed",
                    family=rc.check.family,
                    level=Level.WARNING,
                    title=f"Plugin {rc.plugin}: check {rc.check.id} failed",
                    explanation=message,
                    action=f"Report it to the maintainers of the {rc.plugin} plugin; the other checks still ran.",
                ),
            )
        )
