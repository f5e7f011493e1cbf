"""Import customers, subscriptions, receivables, support offers and tickets from JSON Lines and CSV.

An import works in two steps, so that a long one never stops the desk:

1. **Staging.** Files are read in dependency order (customers first); every record is validated and checked
   against the workspace and against the records staged before it (:mod:`console.records.staging`), holding no
   lock. The first bad record stops the import with an :class:`ImportFailure` naming the file, the line and the
   field: nothing has been written.
2. **Writing**, in batches of :data:`BATCH` records, each batch a short transaction of its own, so that the
   other agents' claims, notes and saves go through between them. A ticket an agent changed after it was
   staged is left as the agent made it and reported with its line (:attr:`ImportResult.kept`). Each batch also
   moves the import's journal forward (``import_runs``): an import stopped half-way (disk full, the process
   killed) is finished by running the same import again, which writes only what is still missing.

Into a workspace without tickets (a desk moving in, nobody working yet) everything is written in one bulk
transaction instead (:meth:`Workspace.bulk_load`), all or nothing.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.records import import_checks as check
from console.records.kinds import KINDS, OFFERS, RECEIVABLE_LINES, TICKETS, Kind
from console.records.reading import ImportFailure, detect_format, detect_kind, read_records
from console.shared.clock import to_iso, utcnow
from console.shared.faults import fault_sentence
from console.store import Workspace
from console.store.import_stage import DuplicateRecord, Stage, Staged

__all__ = ["BATCH", "ImportFailure", "ImportInterrupted", "ImportResult", "import_files"]

CHUNK = 2000  # records read and checked at a time
BATCH = 250  # records written per transaction: a few hundredths of a second of the write lock
#: Seconds between two batches: longer than the longest sleep of a writer waiting on the lock (SQLite's busy
#: handler sleeps at most 100 ms at a time), so that every agent waiting gets in before the next batch.
PAUSE = 0.1
ProgressFn = Callable[[int], None]


@dataclass
class ImportResult:
    """What an import wrote, per kind; ``kept``: tickets changed by an agent while the import ran, left as the
    agent made them (file, line, ticket, who changed it)."""

    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    kept: list[tuple[str, int, str, str]] = field(default_factory=list)
    resumed: bool = False

    @property
    def touched(self) -> set[str]:
        """The kinds of which a record was written."""
        return {k for k in KINDS if self.inserted.get(k) or self.updated.get(k)}

    def summary(self) -> str:
        parts = [
            f"{kind}: {self.inserted.get(kind, 0)} new, {self.updated.get(kind, 0)} updated"
            + (f", {self.unchanged[kind]} unchanged" if self.unchanged.get(kind) else "")
            for kind in KINDS
            if kind in self.inserted or kind in self.updated or kind in self.unchanged
        ]
        text = "; ".join(parts) or "nothing imported"
        if self.resumed:
            text = "resumed a stopped import: " + text
        for path, line, ticket, who in self.kept:
            text += f"\n{path}:{line}: ticket {ticket} was changed by {who} during the import; kept their change"
        return text


class ImportInterrupted(Exception):
    """The import stopped while writing (the cause is chained): what was written is complete and journaled."""

    def __init__(self, written: int, total: int, cause: BaseException, workspace: Path) -> None:
        said = fault_sentence(cause, workspace) or f"{type(cause).__name__}: {cause}"
        super().__init__(
            f"the import stopped after writing {written:,} of {total:,} records: {said}. What was written is "
            "complete: run the same import again to write the rest"
        )
        self.written, self.total = written, total


def import_files(
    ws: Workspace,
    paths: list[Path],
    services: Collection[str],
    *,
    kind: str | None = None,
    agent: str = "import",
    progress: ProgressFn | None = None,
    force: bool = False,
    now: str | None = None,
) -> ImportResult:
    """Import ``paths`` into ``ws``: stage and check everything, then write (see the module's text).

    A ticket record that is older than the stored ticket (by its exported version or last change), or that
    would overwrite another agent's live claim, is refused with its line unless ``force``; an exported record
    identical to the stored ticket is left alone (no write, no version, no audit row). ``progress`` is told of
    each record twice: once read, once written. Who may import, and force, is the desk's to check
    (:meth:`console.desk.door.Desk.import_records`)."""
    checks = check.Checks(agent, force, now or to_iso(utcnow()))
    plan = _plan(paths, kind)
    result = ImportResult()
    # The staging file sits by the workspace file (the same disk, the same owner); for a PostgreSQL workspace in
    # the system's temporary folder (mkstemp makes it 0600, this account's alone).
    stage = Stage(ws.path.parent if ws.engine == "sqlite" else Path(tempfile.gettempdir()))
    try:
        for k, path in plan:
            _stage_file(ws, stage, k, path, services, checks, result, progress)
        kinds = [k for k in KINDS.values() if stage.count(k)]
        writing = _Writing(ws, stage, kinds, result, progress, agent, plan)
        if ws.records.counts_of(TICKETS) == 0:
            _write_in_bulk(writing)
        else:
            _write_in_batches(writing, _digest(plan, force))
    finally:
        stage.close()
    ws.analyze()
    return result


def _plan(paths: list[Path], kind: str | None) -> list[tuple[Kind, Path]]:
    plan: list[tuple[Kind, Path]] = []
    for path in paths:
        if not path.exists():
            raise ImportFailure(path, None, "no such file")
        k = KINDS[kind] if kind else detect_kind(path)
        detect_format(path)
        plan.append((k, path))
    order = list(KINDS.values())
    plan.sort(key=lambda item: order.index(item[0]))
    return plan


def _digest(plan: list[tuple[Kind, Path]], force: bool) -> str:
    """The input's identity for the journal: each file's kind and bytes, and ``force``."""
    digest = hashlib.sha256(b"force" if force else b"")
    for k, path in plan:
        digest.update(k.name.encode() + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _stage_file(
    ws: Workspace,
    stage: Stage,
    kind: Kind,
    path: Path,
    services: Collection[str],
    checks: check.Checks,
    result: ImportResult,
    progress: ProgressFn | None,
) -> None:
    chunk: list[tuple[int, dict[str, Any]]] = []
    for line, record in read_records(path, kind, services):
        chunk.append((line, record))
        if len(chunk) >= CHUNK:
            _stage_chunk(ws, stage, kind, path, chunk, checks, result, progress)
            chunk = []
    _stage_chunk(ws, stage, kind, path, chunk, checks, result, progress)


def _stage_chunk(
    ws: Workspace,
    stage: Stage,
    kind: Kind,
    path: Path,
    chunk: list[tuple[int, dict[str, Any]]],
    checks: check.Checks,
    result: ImportResult,
    progress: ProgressFn | None,
) -> None:
    if not chunk:
        return
    where = str(path)
    if kind.references_customer:
        check.check_customers(ws, stage, where, chunk)
    if kind is OFFERS:
        check.check_one_offer_per_customer(ws, where, chunk, checks)
    if kind is RECEIVABLE_LINES:
        check.check_receivables(ws, stage, where, chunk)
    records: list[tuple[int, dict[str, Any] | None]] = list(chunk)
    if kind is TICKETS:
        _refuse_duplicates_within(kind, where, chunk)
        records = check.check_tickets(ws, where, chunk, checks)
        skipped = sum(1 for _, record in records if record is None)
        result.unchanged[kind.name] = result.unchanged.get(kind.name, 0) + skipped
        if progress is not None and skipped:
            progress(skipped)  # nothing to write for these
    try:
        stage.add(kind, path, records)
    except DuplicateRecord as exc:
        raise ImportFailure(exc.again[0], exc.again[1], f"field 'id': {exc}", "id") from None
    if progress is not None:
        progress(len(chunk))


def _refuse_duplicates_within(kind: Kind, path: str, chunk: list[tuple[int, dict[str, Any]]]) -> None:
    """A ticket twice in one chunk, before the checks (which would take the second for an update)."""
    seen: dict[str, int] = {}
    for line, record in chunk:
        key = record["id"]
        if key is None:
            continue
        if key in seen:
            raise ImportFailure(path, line, f"field 'id': ticket {key} appears twice (first at line {seen[key]})", "id")
        seen[key] = line


@dataclass
class _Writing:
    """What the writing step works with: the staged records, of these kinds, for this import."""

    ws: Workspace
    stage: Stage
    kinds: list[Kind]
    result: ImportResult
    progress: ProgressFn | None
    agent: str
    plan: list[tuple[Kind, Path]]

    def tell(self, count: int) -> None:
        if self.progress is not None and count:
            self.progress(count)


def _write_in_bulk(w: _Writing) -> None:
    """Into a workspace without tickets: one transaction, the rollups and search refilled once at its end."""
    with w.ws.bulk_load():
        for k in w.kinds:
            for _, batch in w.stage.batches(k, CHUNK):
                _write_batch(w.ws, k, batch, w.result, w.agent)
                w.tell(len(batch))
        _audit(w.ws, w.agent, w.plan, w.result)


def _write_in_batches(w: _Writing, digest: str) -> None:
    ws, stage = w.ws, w.stage
    run, done = ws.records.runs.start(digest, w.agent)  # per kind: the number of the last record written
    w.result.resumed = bool(done)
    total = sum(stage.count(k) for k in w.kinds)
    written = sum(stage.count_upto(k, done.get(k.name, 0)) for k in w.kinds)
    w.tell(written)
    for k in w.kinds:
        for last, batch in stage.batches(k, BATCH, after=done.get(k.name, 0)):
            with _interrupted(written, total, ws.path), ws.transaction():
                _write_batch(ws, k, batch, w.result, w.agent)
                _audit_batch(ws, w.agent, k, batch)
                ws.records.runs.advance(run, {**done, k.name: last})
            done[k.name] = last
            written += len(batch)
            w.tell(len(batch))
            time.sleep(PAUSE)
    with _interrupted(written, total, ws.path), ws.transaction():
        _audit(ws, w.agent, w.plan, w.result)
        ws.records.runs.finish(run)


@contextmanager
def _interrupted(written: int, total: int, workspace: Path) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        raise ImportInterrupted(written, total, exc, workspace) from exc


def _write_batch(ws: Workspace, kind: Kind, batch: list[Staged], result: ImportResult, agent: str) -> None:
    records = [record for _, _, record in batch]
    if kind is TICKETS:
        records = _still_as_staged(ws, batch, result)
    inserted, updated = ws.records.upsert(kind, records, agent)
    result.inserted[kind.name] = result.inserted.get(kind.name, 0) + inserted
    result.updated[kind.name] = result.updated.get(kind.name, 0) + updated


def _still_as_staged(ws: Workspace, batch: list[Staged], result: ImportResult) -> list[dict[str, Any]]:
    """The batch's tickets whose stored version is still the one they were checked against; the others were
    changed by an agent after staging: left as the agent made them, reported in ``result.kept``."""
    versions = ws.records.versions([r["id"] for _, _, r in batch if r["id"]])
    out: list[dict[str, Any]] = []
    for path, line, staged in batch:
        record = dict(staged)
        based_on = record.pop(check.BASED_ON, 0)
        now = versions.get(record["id"], 0) if record["id"] else 0
        if now != based_on:
            result.kept.append((path, line, record["id"], ws.tickets.ticket_editor(record["id"]) or "another agent"))
            continue
        out.append(record)
    return out


def _audit_batch(ws: Workspace, agent: str, kind: Kind, batch: list[Staged]) -> None:
    """A batch committed on its own is audited on its own: an import stopped half-way leaves no change of the
    desk's records without its audit row (the whole import's row comes last; on PostgreSQL an agent's own role
    changes no record without one in the same transaction, console/store/pg_audited.py)."""
    (first_path, first_line, _), (last_path, last_line, _) = batch[0], batch[-1]
    where = f"{first_path}:{first_line}" + (
        f"-{last_line}" if last_path == first_path else f" to {last_path}:{last_line}"
    )
    ws.audit(
        agent, "import.batch", "workspace", str(ws.path), {"kind": kind.name, "records": len(batch), "lines": where}
    )


def _audit(ws: Workspace, agent: str, plan: list[tuple[Kind, Path]], result: ImportResult) -> None:
    detail: dict[str, Any] = {
        "files": [str(p) for _, p in plan],
        "inserted": result.inserted,
        "updated": result.updated,
    }
    if result.kept:
        detail["kept"] = [ticket for _, _, ticket, _ in result.kept]
    ws.audit(agent, "import", "workspace", str(ws.path), detail)
