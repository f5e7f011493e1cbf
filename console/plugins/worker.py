"""Running checks in a process of their own, where one that never ends can be stopped.

A :class:`ProcessWorker` forks one child (``multiprocessing``'s ``fork`` start method: the child already has
the loaded plugins and their checks, nothing is imported again) and sends it requests: contexts and, for each,
the ids of the checks to run, all pickled once (what the contexts share, an account's views, is pickled once).
The child answers a few contexts at a time (:data:`ANSWER_GROUP`): for each check its findings (one that does
not pickle is that check's failure, named), or the error it raised as ``"Type: message"``. Validation of the
findings stays in the console (:mod:`console.plugins.validate`).

The child notes in a shared page which check is running and since when; a check past its budget gets the
child killed (SIGKILL: whatever it held, memory included, is returned at once) and the next request forks a new
one. A check that ends the child itself (``os._exit``, a crash) is found the same way. The child's address space
is limited (``RLIMIT_AS``: what it had when forked plus :data:`MEMORY_HEADROOM`), so a check that allocates
without end gets ``MemoryError``, reported as its failure; it ignores SIGINT (a Ctrl-C is the console's).

The console has other threads when it forks (Textual's, the desk's workers); the child has only the one that
forked. What it needs it has (Python resets its own locks, logging's included, in the child), and it never
touches the workspace or the screen; a lock another thread held at the fork (a module's import lock, a C
library's) stays held in the child, and a check that waits for it is stopped at its budget.
"""

from __future__ import annotations

import gc
import logging
import mmap
import multiprocessing
import os
import signal
import struct
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Iterator, Mapping, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from console.plugins import wire
from console.plugins.loading import describe
from console.plugins.outcomes import Job, Outcome, Reply, Stop, run_check
from console.plugins.views import Check

log = logging.getLogger(__name__)
#: How much more address space than it was forked with the check process may take (``RLIMIT_AS``).
MEMORY_HEADROOM = 1 << 30
#: The shared page: when the running check started (``time.monotonic``, one clock for both processes on
#: Linux), the index of its context in the request and its index among the context's checks.
STATE = struct.Struct("=dqq")
#: The child answers a few contexts at a time: at most so many, or what it has after so long (a message and a
#: wake-up of the console per context cost more than the pickling; what it had not sent when it is killed is
#: lost with it, and those contexts are sent again to the next child).
ANSWER_GROUP = 32
ANSWER_EVERY = 0.02


class WorkerUnavailable(Exception):
    """The check process cannot take this request: a context does not pickle, or (``lasting``) the process
    cannot be forked here at all."""

    def __init__(self, message: str, *, lasting: bool = False) -> None:
        super().__init__(message)
        self.lasting = lasting


def can_fork() -> bool:
    """Whether checks can run in a forked process here (Linux: ``fork`` and a shared clock)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class ProcessWorker:
    """The check process of one :class:`~console.plugins.runner.CheckRunner`, forked on first use."""

    def __init__(self, checks: Sequence[Check], memory_headroom: int = MEMORY_HEADROOM) -> None:
        self._checks = {c.id: c for c in checks}
        self._headroom = memory_headroom
        self._state = mmap.mmap(-1, mmap.PAGESIZE)  # shared with every child forked from here
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._stopper: weakref.finalize | None = None
        self._sender = wire.Sender()
        # close() may come from another thread while a request is read (the console quitting): the reading
        # thread owns the pipe and the process until its request ends, so close() then only kills the child
        # (the reader sees it end) and leaves the rest to the reader.
        self._guard = threading.RLock()
        self._running = False
        self._close_pending = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def close(self) -> None:
        """Stop the child. Under a request read on another thread the child is killed and the request ends
        with what came back before (a stop the runner blames on no check); the reader closes the rest."""
        with self._guard:
            if not self._running:
                self._close_now()
                return
            self._close_pending = True
            if self._proc is not None:
                self._proc.kill()  # a signal: the reader finds the pipe at its end and the process gone

    def _close_now(self) -> None:
        with self._guard:
            if self._stopper is not None:
                self._stopper()  # kills the child and waits for it (its memory returned)
            self._proc = self._conn = self._stopper = None
            self._sender.forget()

    def _finish(self, *, failed: bool) -> None:
        """The request has ended: the child is stopped if it failed midway or a close came meanwhile."""
        with self._guard:
            self._running = False
            if failed or self._close_pending:
                self._close_pending = False
                self._close_now()

    def _start(self) -> None:
        mp = multiprocessing.get_context("fork")
        ours, theirs = mp.Pipe(duplex=True)
        args = (theirs, ours, self._state, self._checks, self._headroom)
        proc = mp.Process(target=serve, args=args, name="csp-check-worker", daemon=True)
        try:
            with warnings.catch_warnings():  # Python 3.12+ warns of fork() with threads: see the module's note
                warnings.filterwarnings("ignore", r".*fork\(\) may lead to deadlocks", DeprecationWarning)
                proc.start()
        except Exception as exc:  # out of processes or memory; a daemonic process cannot have children
            ours.close()
            theirs.close()
            message = f"the check process could not be started: {describe(exc)}"
            raise WorkerUnavailable(message, lasting=True) from exc
        theirs.close()
        self._proc, self._conn = proc, ours
        self._stopper = weakref.finalize(self, _stop, proc, ours, os.getpid())

    def run(self, jobs: Sequence[Job], budget: float) -> Iterator[Reply]:
        """Send ``jobs`` as one request; raises :class:`WorkerUnavailable` before anything is run. One request
        at a time: the replies are to be read to their end (or the iterator closed) before the next."""
        with self._guard:
            if self._running:
                raise RuntimeError("the check process is still answering another request")
            self._running, self._close_pending = True, False
        try:
            self._send(jobs)
        except BaseException:
            self._finish(failed=False)
            raise
        return self._replies(len(jobs), budget)

    def _send(self, jobs: Sequence[Job]) -> None:
        if any(c.id not in self._checks or self._checks[c.id] is not c for _, checks in jobs for c in checks):
            self._close_now()  # checks the child was not forked with
            self._checks.update((c.id, c) for _, checks in jobs for c in checks)
        request = [(ctx, [c.id for c in checks]) for ctx, checks in jobs]
        for attempt in (1, 2):
            if self._conn is None:
                self._start()
            assert self._conn is not None
            try:
                payload = self._sender.request(request)
            except Exception as exc:
                raise WorkerUnavailable(f"a check context does not pickle: {describe(exc)}") from exc
            STATE.pack_into(self._state, 0, time.monotonic(), 0, 0)
            try:
                self._conn.send_bytes(payload)
                break
            except OSError:  # the child is gone (killed from outside while idle): a new one, once
                self._close_now()
                if attempt == 2:
                    raise WorkerUnavailable("the check process went away twice") from None

    def _replies(self, count: int, budget: float) -> Iterator[Reply]:
        done = False
        reader = wire.ReplyReader()
        try:
            expected = 0
            while expected < count:
                got = self._await(budget, reader)
                if isinstance(got, tuple):  # (context, Stop): what the child had not sent yet is lost with it
                    self._close_now()
                    done = True
                    yield got[0], [], got[1]
                    return
                for outcomes in got:
                    yield expected, outcomes, None
                    expected += 1
            done = True
        finally:  # abandoned midway (the console interrupted): the child is busy, start afresh
            self._finish(failed=not done)

    def _await(self, budget: float, reader: wire.ReplyReader) -> list[list[Outcome]] | tuple[int, Stop]:
        """The next contexts' outcomes, or where and why the child stopped (killed here past a budget)."""
        conn = self._conn
        assert conn is not None
        while True:
            started, pos, index = STATE.unpack_from(self._state)
            try:
                ready = conn.poll(max(0.0, started + budget - time.monotonic()) + 0.001)
            except OSError:  # closed under this run (CheckRunner.close from another thread)
                return pos, Stop(index, "closed")
            if ready:
                return self._receive(conn, reader)
            again, _, index_again = STATE.unpack_from(self._state)
            overdue = (again, index_again) == (started, index) and time.monotonic() - started >= budget
            if overdue and not conn.poll(0):  # (not an answer sent just now, as the last check ended in time)
                return pos, Stop(index, "budget")

    def _receive(self, conn: Connection, reader: wire.ReplyReader) -> list[list[Outcome]] | tuple[int, Stop]:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            why = self._ended()
            _, pos, index = STATE.unpack_from(self._state)
            return pos, Stop(index, why)
        try:
            return reader.reply(data)
        except Exception as exc:  # not what the child writes: something else wrote on its end
            log.warning("the check process sent what the console cannot read: %s", describe(exc))
            _, pos, index = STATE.unpack_from(self._state)
            return pos, Stop(index, "garbled answer")

    def _ended(self) -> str:
        """How the child ended (it closed its end: it has or is about to)."""
        proc = self._proc
        if proc is None:
            return "ended"
        proc.join(2)
        code = proc.exitcode
        if code is None:
            return "stopped answering"
        if code < 0:
            return f"signal {signal.Signals(-code).name}"
        return f"exit status {code}"


def _stop(proc: BaseProcess, conn: Connection, owner: int) -> None:
    if os.getpid() != owner:  # a copy of this object in a child: not its process to stop
        return
    conn.close()
    if proc.exitcode is None:
        proc.kill()
        proc.join(5)
    if proc.exitcode is not None:
        proc.close()


# The child ------------------------------------------------------------------------------------------------


def serve(conn: Connection, other: Connection, state: mmap.mmap, checks: Mapping[str, Check], headroom: int) -> None:
    """The check process: run requests until the console closes its end, then leave at once (``os._exit``:
    nothing the console had buffered is written again, nothing of its is cleaned up from here)."""
    other.close()
    gc.freeze()  # what was forked stays out of the collector's way (a full collection would copy every page)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _quiet()
    limit_memory(headroom)
    receiver = wire.Receiver()
    while True:
        try:
            request = receiver.request(conn.recv_bytes())
        except EOFError:
            os._exit(0)
        writer = wire.ReplyWriter()
        held: list[list[Outcome]] = []
        sent = time.monotonic()
        for pos, (ctx, ids) in enumerate(request):
            outcomes = []
            for index, ident in enumerate(ids):
                STATE.pack_into(state, 0, time.monotonic(), pos, index)
                outcomes.append(wire.outcome(*run_check(checks[ident], ctx)))  # encoded within its budget
            held.append(outcomes)
            now = time.monotonic()
            if len(held) >= ANSWER_GROUP or now - sent >= ANSWER_EVERY or pos == len(request) - 1:
                conn.send_bytes(writer.reply(held))
                held, sent = [], now


def _quiet() -> None:
    """What a check prints goes nowhere: never onto the console's screen (through Textual's capture, which
    needs the console's event loop) or among its ``--json`` lines."""
    null = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - the process's output until it ends
    os.dup2(null.fileno(), 1)
    sys.stdout = sys.stderr = null


def limit_memory(headroom: int) -> None:
    """Limit this process's address space to what it has now plus ``headroom`` (never above a limit set)."""
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + headroom
        for given in (soft, hard):
            if given != resource.RLIM_INFINITY:
                limit = min(limit, given)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError, StopIteration) as exc:
        log.warning("the check process runs without a memory limit: %s", describe(exc))
