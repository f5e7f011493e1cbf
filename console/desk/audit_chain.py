"""The desk's part of the tamper-evident audit trail: checking the chain (:mod:`console.store.audit_chain`) as
``csp-console audit verify`` and every console start do, telling every Global admin of a break, and the
acknowledgement of a break (``audit.acknowledge``, audited, naming the break).

A break stays *open* until acknowledged: an acknowledgement is itself an audit row (entity ``audit``, its id
the break's key), so it is chained like any other and every console sees it. A break found later has another key
(another row, the same row changed again, more rows gone) and is open again.

The console's start-up check runs the walk in a worker; past :data:`CHILD_ABOVE` rows (about 6 s of hashing per
million rows on a shared 2-core host), in a child process (``python -m console.desk.audit_chain WORKSPACE``) at a
lower priority, so it never competes with the screen's thread for the interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from console.notices.kinds import Kind
from console.settings.paths import CHILD_WORKSPACE_ENV, child_env, child_workspace
from console.shared.safe_text import clean_block
from console.store import audit_chain as chain
from console.store.audit_chain import ACKNOWLEDGE, Break, ChainReport

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.store import Workspace

__all__ = ["ACKNOWLEDGE", "CHILD_ABOVE", "Break", "ChainReport", "Verdict"]

#: Above this many rows the start-up check walks the chain in a child process (below, a thread is quicker).
CHILD_ABOVE = 50_000


@dataclass(frozen=True)
class Verdict:
    """A walk's report and which of its breaks are open (not acknowledged yet), first first."""

    report: ChainReport
    open: list[Break] = field(default_factory=list)
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: The agents this check told of its open breaks by a notice (first told: their notices toast it).
    told: frozenset[str] = frozenset()

    @property
    def first(self) -> Break | None:
        return self.open[0] if self.open else None

    def __str__(self) -> str:
        done = len(self.report.breaks)
        if not done:
            return f"audit chain intact: {self.report.rows} rows"
        if self.first is None:
            return f"audit chain: {self.report.rows} rows, every break acknowledged ({done})"
        return f"audit chain broken: {describe(self.first)}"

    def to_json(self) -> dict[str, Any]:
        return {
            **self.report.to_json(),
            "intact": self.report.intact,
            "open": [b.to_json() for b in self.open],
            "acknowledged": {k: {"agent": a, "at": t} for k, (a, t) in self.acknowledged.items()},
        }


def describe(found: Break) -> str:
    """One line for a break: ``row 17 (2026-11-23T03:09:44Z): row 17 was changed after it was written``."""
    if found.kind == "trigger":
        return found.what
    if found.kind == "missing":
        after = f" (after row {found.first - 1}, {found.at})" if found.first > 1 else ""
        return f"{found.what}{after}"
    at = f" ({found.at})" if found.at else ""
    where = f"row {found.first}" if found.first == found.last else f"rows {found.first}-{found.last}"
    return f"{where}{at}: {found.what}"


def verdict(ws: Workspace, report: ChainReport) -> Verdict:
    """The report with its breaks split into open and acknowledged (one indexed read)."""
    done = chain.acknowledged(ws.conn)
    acked = {b.key: done[b.key] for b in report.breaks if b.key in done}
    return Verdict(report, [b for b in report.breaks if b.key not in done], acked)


def check(
    ws: Workspace, *, child_above: int | None = None, started: Callable[[subprocess.Popen[str]], None] | None = None
) -> Verdict:
    """Walk the chain: here for a log of up to ``child_above`` rows (:data:`CHILD_ABOVE`), in a child process for
    a larger one (see the module's doc); ``started`` is given the child, to stop it (:class:`StartCheck`)."""
    if chain.size(ws.conn) <= (CHILD_ABOVE if child_above is None else child_above):
        return verdict(ws, chain.verify(ws.conn))
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.desk.audit_chain", "-"],
        env=child_env(ws.locator),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if started is not None:
        started(proc)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the audit chain check exited with {proc.returncode}: {err.strip()[-500:]}")
    return verdict(ws, ChainReport.from_json(json.loads(out)))


class StartCheck:
    """The console's start-up check as a background job (no role: it shows nothing by itself); an open break
    is told to every agent who may acknowledge it, once per break (:func:`tell`). :meth:`stop` ends a walk
    still running in its child process as the console quits (the next start walks again)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.proc: subprocess.Popen[str] | None = None
        self.stopped = False

    def __call__(self) -> Verdict | str:
        try:
            found = check(self.desk.ws, started=self._started)
        except RuntimeError:
            if self.stopped:
                return "stopped as the console quit; the next start checks again"
            raise
        return replace(found, told=frozenset(tell(self.desk, found.open))) if found.open else found

    def _started(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    def stop(self) -> None:
        self.stopped = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()


def tell(desk: Desk, breaks: Sequence[Break]) -> list[str]:
    """A notice to every agent whose roles allow ``audit.acknowledge`` (the Global admins, by default), once per
    agent and break however many consoles find it; the agents told now (not those told before)."""
    admins = [a["login"] for a in desk.ws.agents.agents() if desk.role_map.allowed(a["roles"], ACKNOWLEDGE)]
    told = []
    with desk.ws.transaction():
        for login in admins:
            rows = (
                {"agent": login, "kind": Kind.AUDIT.value, "text": describe(b), "dedupe": f"audit:{b.key}"}
                for b in breaks
            )
            if desk.ws.notices.add_many(rows):
                told.append(login)
    return told


def acknowledge(desk: Desk) -> list[Break]:
    """Acknowledge every open break (``audit.acknowledge``): one audit row each, naming the break, written in one
    transaction after a fresh walk, which also puts the append-only triggers back as the console made them (a
    trigger dropped or changed is created again; one the console did not make is dropped). The breaks
    acknowledged (none when the chain is intact or all were)."""
    desk.authorize(ACKNOWLEDGE)
    found = check(desk.ws)
    with desk.ws.transaction():
        done = chain.acknowledged(desk.ws.conn)  # again under the write lock: two admins at once ack once
        fresh = [b for b in found.open if b.key not in done]
        restored = chain.restore_triggers(desk.ws.conn) if fresh else []
        for b in fresh:
            detail = {"break": describe(b), "kind": b.kind, "rows": [b.first, b.last], "rowAt": b.at}
            desk.ws.audit(desk.agent, ACKNOWLEDGE, "audit", b.key, {**detail, "triggersRestored": restored})
    return fresh


def open_breaks(desk: Desk, breaks: Sequence[Break]) -> list[Break]:
    """Of breaks a check found, those not acknowledged since (the health board asks on every change)."""
    done = chain.acknowledged(desk.ws.conn)
    return [b for b in breaks if b.key not in done]


def main(argv: Sequence[str]) -> int:
    """``python -m console.desk.audit_chain WORKSPACE``: the walk's report as JSON (the console's child)."""
    from console.store import Workspace, WorkspaceError

    parser = argparse.ArgumentParser(prog="python -m console.desk.audit_chain", description="walk the audit chain")
    parser.add_argument("workspace", help=f"the workspace file, or - for ${CHILD_WORKSPACE_ENV}")
    args = parser.parse_args(argv)
    where = child_workspace(args.workspace)
    if hasattr(os, "nice"):
        os.nice(10)  # the agents' consoles come first
    try:
        ws = Workspace.open(where, create=False)
    except WorkspaceError as exc:
        sys.stderr.write(f"error: {clean_block(str(exc))}\n")  # a path: shown, never run
        return 1
    try:
        sys.stdout.write(json.dumps(chain.verify(ws.conn).to_json()) + "\n")  # ASCII JSON, for the console
    finally:
        ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
