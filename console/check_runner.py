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

from console.plugin_api import CheckContext, Family, Finding, Level
from console.plugins import PluginHost, RegisteredCheck

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


_Job = tuple[RegisteredCheck, CheckContext]


class _Worker:
    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.results: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="csp-check-worker", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            registered, ctx = job
            try:
                self.results.put(("ok", list(registered.check.run(ctx))))
            except BaseException as exc:  # a plugin's fault, whatever it is
                self.results.put(("error", exc))


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
        with self._lock:
            for rc in checks if checks is not None else self.checks_for(ctx, scope):
                self._run_one(rc, ctx, result)
        return result

    def _run_one(self, rc: RegisteredCheck, ctx: CheckContext, result: CheckRun) -> None:
        if self._worker is None:
            self._worker = _Worker()
        worker = self._worker
        started = time.monotonic()
        self.host.trace(f"check {rc.check.id} of plugin {rc.plugin}")
        worker.jobs.put((rc, ctx))
        try:
            status, value = worker.results.get(timeout=self.budget)
        except queue.Empty:
            # Abandon the stuck thread (daemon: it cannot keep the process alive) and disable the check.
            self._worker = None
            message = f"check {rc.check.id} ran past its {self.budget:g} s budget and was stopped for this session"
            self.disabled[rc.check.id] = message
            self._fail(rc, message, result)
            return
        elapsed = time.monotonic() - started
        if status == "error":
            self._fail(rc, f"check {rc.check.id} raised {type(value).__name__}: {value}", result)
            return
        findings = self._validate(rc, value, result)
        result.findings.extend((rc.plugin, f) for f in findings)
        log.debug("check %s: %d findings in %.1f ms", rc.check.id, len(findings), elapsed * 1000)

    def _validate(self, rc: RegisteredCheck, value: Iterable[Any], result: CheckRun) -> list[Finding]:
        good: list[Finding] = []
        for item in value:
            if not isinstance(item, Finding):
                self._fail(rc, f"check {rc.check.id} returned {type(item).__name__}, expected Finding", result)
                return good
            if not (isinstance(item.title, str) and isinstance(item.explanation, str)):
                self._fail(rc, f"check {rc.check.id} returned a finding without text", result)
                return good
            try:
                Family(item.family), Level(item.level)
            except ValueError as exc:
                self._fail(rc, f"check {rc.check.id} returned a finding with {exc}", result)
                return good
            good.append(item)
            if len(good) >= MAX_FINDINGS_PER_CHECK:
                break
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
