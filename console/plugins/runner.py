"""Running plugin checks so that no plugin can take the console down.

On Linux the checks run in a process of the runner's own (:mod:`console.plugins.worker`), each with a time
budget (2 s by default) counted from its own start. A check that raises (``SystemExit`` included), returns
something other than findings, or returns findings that do not pickle yields a ``plugin-failure`` finding
attributed to its plugin; one that runs past its budget has the process killed (its memory returned at once)
and is disabled for the rest of the session, so one hung plugin costs one budget, not one per ticket; the next
checks run in a new process and the other checks' findings still arrive. The process has a memory limit: a
check that allocates without end fails with ``MemoryError``. At most 51 items are taken from a check's
iterator (50 kept), so one that yields without end stops there.

Where the process cannot be forked (not Linux) the checks run on a daemon thread instead
(:mod:`console.plugins.inthread`): the same budgets, but a check past its budget is abandoned, not stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from console.plugins import validate
from console.plugins.findings import Finding, Level
from console.plugins.host import PluginHost, RegisteredCheck
from console.plugins.inthread import ThreadWorker
from console.plugins.loading import describe
from console.plugins.outcomes import MAX_FINDINGS_PER_CHECK, Executor, Job, Outcome, Reply, Stop
from console.plugins.validate import PluginValueError
from console.plugins.views import CheckContext
from console.plugins.worker import MEMORY_HEADROOM, ProcessWorker, WorkerUnavailable, can_fork

__all__ = ["DEFAULT_BUDGET", "MAX_FINDINGS_PER_CHECK", "CheckRun", "CheckRunner", "PluginFailure"]
log = logging.getLogger(__name__)
DEFAULT_BUDGET = 2.0
ISOLATIONS = ("auto", "process", "thread")


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


_Plan = tuple[CheckContext, list[RegisteredCheck]]
_Pending = list[tuple[int, list[int]]]  # (plan index, indexes of its checks still to run)


class CheckRunner:
    """Runs a host's checks with isolation; reuse one runner for many tickets. ``isolation``: ``"process"``
    (the default where it can be forked: Linux), ``"thread"`` (the fallback elsewhere)."""

    def __init__(
        self,
        host: PluginHost,
        budget: float = DEFAULT_BUDGET,
        *,
        isolation: str = "auto",
        memory_headroom: int = MEMORY_HEADROOM,
    ) -> None:
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation is {isolation!r}, expected one of {', '.join(ISOLATIONS)}")
        self.host = host
        self.budget = budget
        self.isolation = ("process" if can_fork() else "thread") if isolation == "auto" else isolation
        self.memory_headroom = memory_headroom
        self.disabled: dict[str, str] = {}
        self._worker: Executor | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()

    @property
    def worker_pid(self) -> int | None:
        """The check process's id while there is one (``None`` on the thread, or before the first run)."""
        return self._worker.pid if self._worker is not None else None

    def close(self) -> None:
        """Stop the check process (a later run starts a new one). A run in progress on another thread is
        waited for, up to a budget; past that the process is stopped under it, and what it had not run yet is
        left out of its results, blamed on no check."""
        waited = self._lock.acquire(timeout=self.budget + 1)
        try:
            if not waited:
                self._closing.set()
            if self._worker is not None:
                self._worker.close()
                self._worker = None
        finally:
            if waited:
                self._lock.release()

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
        (result,) = self._results([(ctx, list(checks if checks is not None else self.checks_for(ctx, scope)))])
        return result

    def run_many(self, contexts: Sequence[CheckContext], scope: str = "ticket") -> list[CheckRun]:
        """:meth:`run` for each of ``contexts``, in one request to the check process (one round trip, the
        contexts' shared views pickled once); a result per context, in order."""
        return list(self.run_each(contexts, scope))

    def run_each(self, contexts: Sequence[CheckContext], scope: str = "ticket") -> Iterator[CheckRun]:
        """:meth:`run_many`, each result given as soon as it and those before it are done: what the caller does
        with one runs while the process runs the next checks. The runner is busy until the last is taken."""
        return self._results([(ctx, self.checks_for(ctx, scope)) for ctx in contexts])

    def _results(self, plans: list[_Plan]) -> Iterator[CheckRun]:
        slots: list[dict[int, CheckRun]] = [{} for _ in plans]  # each check's findings, checked as they came
        pending: _Pending = [(p, list(range(len(checks)))) for p, (_, checks) in enumerate(plans) if checks]
        todo = dict(pending)  # what each context still waits for (a context without checks waits for nothing)
        if self.host.tracing:
            for _, checks in plans:
                for rc in checks:
                    self.host.trace(f"check {rc.check.id} of plugin {rc.plugin}")
        given = 0
        with self._lock:
            self._closing.clear()
            while pending:
                rounds = self._round(plans, pending, slots)
                try:
                    while True:
                        try:
                            next(rounds)
                        except StopIteration as end:
                            pending = end.value
                            break
                        while given < len(plans) and all(i in slots[given] for i in todo.get(given, ())):
                            yield self._collect(slots[given])
                            given += 1
                finally:
                    rounds.close()
                todo.update(pending)
        for slot in slots[given:]:
            yield self._collect(slot)

    def _round(
        self, plans: list[_Plan], pending: _Pending, slots: list[dict[int, CheckRun]]
    ) -> Generator[None, None, _Pending]:
        """Send what is pending, checking the findings as they come back (while the process runs the next
        checks), a step each answer; after a check that stopped, what is left to send again (it disabled)."""
        request: list[Job] = [(plans[p][0], [plans[p][1][i].check for i in todo]) for p, todo in pending]
        replies = self._send(request)
        try:
            for pos, outcomes, stop in replies:
                p, todo = pending[min(pos, len(pending) - 1)]  # (a position the worker read from shared memory)
                for i, outcome in zip(todo, outcomes, strict=False):
                    slots[p][i] = self._taken(plans[p][1][i], outcome)
                if stop is not None and self._closing.is_set():  # closed under this run: nobody's fault
                    self._closing.clear()
                    return []
                if stop is not None:
                    stopped = todo[min(stop.check, len(todo) - 1)]
                    rc = plans[p][1][stopped]
                    slots[p][stopped] = self._taken(rc, ("stopped", self._disable(rc, stop)))
                    return self._left(plans, pending, min(pos, len(pending) - 1), slots)
                yield
        finally:
            close = getattr(replies, "close", None)
            if close is not None:  # left midway (the caller stopped taking results): the worker starts afresh
                close()
        return []

    def _left(self, plans: list[_Plan], pending: _Pending, stopped: int, slots: list[dict[int, CheckRun]]) -> _Pending:
        """What has no outcome yet after a stop at ``pending[stopped]``: the contexts before it (answered, then
        lost with the process) with every check they had, the others without the checks disabled since."""
        rest: _Pending = []
        for k, (q, todo) in enumerate(pending):
            left = [i for i in todo if i not in slots[q]]
            if k >= stopped:
                left = [i for i in left if plans[q][1][i].check.id not in self.disabled]
            if left:
                rest.append((q, left))
        return rest

    def _send(self, request: list[Job]) -> Iterator[Reply]:
        if self._worker is None:
            checks = [rc.check for rc in self.host.checks]
            process = self.isolation == "process"
            self._worker = ProcessWorker(checks, self.memory_headroom) if process else ThreadWorker()
        try:
            return self._worker.run(request, self.budget)
        except WorkerUnavailable as exc:  # on the thread, as where there is no fork: this request or from now on
            log.warning("plugin checks run on a thread %s: %s", "from now on" if exc.lasting else "for now", exc)
            if exc.lasting:
                self.isolation, self._worker = "thread", ThreadWorker()
                return self._worker.run(request, self.budget)
            fallback = ThreadWorker()
            replies = list(fallback.run(request, self.budget))
            fallback.close()
            return iter(replies)

    def _disable(self, rc: RegisteredCheck, stop: Stop) -> str:
        if stop.why != "budget":
            message = f"check {rc.check.id} ended the check process ({stop.why}); it is disabled for this session"
        elif self.isolation == "process":
            message = f"check {rc.check.id} ran past its {self.budget:g} s budget and was stopped for this session"
        else:  # a thread cannot be stopped
            message = (
                f"check {rc.check.id} ran past its {self.budget:g} s budget and was abandoned (still running on "
                "a thread: no check process here); it is disabled for this session"
            )
        self.disabled[rc.check.id] = message
        return message

    @staticmethod
    def _collect(slot: dict[int, CheckRun]) -> CheckRun:
        """A context's result: its checks' findings and failures in the checks' order."""
        result = CheckRun()
        for index in sorted(slot):
            result.findings.extend(slot[index].findings)
            result.failures.extend(slot[index].failures)
        return result

    def _taken(self, rc: RegisteredCheck, outcome: Outcome) -> CheckRun:
        """One check's outcome as findings (each checked) and failures."""
        result = CheckRun()
        status, value = outcome
        if status == "ok":
            result.findings.extend((rc.plugin, f) for f in self._validate(rc, value, result))
        elif status == "raised":
            self._fail(rc, f"check {rc.check.id} raised {value}", result)
        elif status == "unsent":
            self._fail(rc, f"check {rc.check.id} returned findings that do not pickle ({value})", result)
        else:
            self._fail(rc, str(value), result)
        return result

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
            except BaseException as exc:  # a finding of the plugin's own class, whose code raised as it was read
                if isinstance(exc, KeyboardInterrupt):
                    raise
                refused.append(f"check {rc.check.id}: finding raised {describe(exc)} as it was checked")
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
