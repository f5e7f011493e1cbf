"""Import customers, subscriptions, receivables, support offers and tickets from JSON Lines and CSV.

An import is all or nothing: files are read in dependency order (customers first) and written inside one
transaction; the first bad record stops it with an :class:`ImportFailure` naming the file, the line and the
field, and the transaction is rolled back.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.records.kinds import (
    CUSTOMERS,
    KINDS,
    OFFERS,
    RECEIVABLE_LINES,
    RECEIVABLES,
    TICKETS,
    Kind,
    RecordError,
    read_stamps,
    validate,
)
from console.shared.clock import parse_iso, to_iso, utcnow
from console.store import Workspace

CHUNK = 2000
ProgressFn = Callable[[int], None]


class ImportFailure(Exception):
    """A bad input: the message names the file, the line and the field."""

    def __init__(self, path: Path | str, line: int | None, message: str, field_name: str | None = None) -> None:
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line
        self.field = field_name
        self.message = message


@dataclass
class ImportResult:
    """What an import wrote, per kind."""

    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

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
        return "; ".join(parts) or "nothing imported"


#: What an export adds to each ticket beyond its fields: the version and the time of its last change, so that
#: importing the file again can tell a record older than the ticket (see :func:`_check_tickets`).
TICKET_STAMPS = ("version", "lastModifiedDate")


def _stamps(raw: Any) -> tuple[Any, dict[str, Any]]:
    """``raw`` without the ticket stamps, and the stamps read (a bad one raises :class:`RecordError`)."""
    if not isinstance(raw, dict):
        return raw, {}
    given = {k: raw[k] for k in TICKET_STAMPS if raw.get(k) not in (None, "")}
    rest = {k: v for k, v in raw.items() if k not in TICKET_STAMPS}
    return rest, read_stamps(given) if given else {}


def detect_kind(path: Path) -> Kind:
    """The record kind of a file, from its name: ``customers.jsonl``, ``2026-11-tickets.csv``..."""
    stem = path.name.lower()
    matches = [k for name, k in KINDS.items() if name in stem or (k is OFFERS and "support_offer" in stem)]
    if RECEIVABLE_LINES in matches:  # "receivable_lines" also contains "receivable"
        matches = [k for k in matches if k is not RECEIVABLES]
    if len(matches) != 1:
        raise ImportFailure(
            path,
            None,
            "cannot tell what the file holds from its name; name it after one of "
            f"{', '.join(KINDS)} (for example customers.jsonl) or pass --kind",
        )
    return matches[0]


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ImportFailure(path, None, f"unknown file type {suffix or '(none)'}; expected .jsonl or .csv")


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailure(path, None, f"cannot read the file ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailure(
            path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def _jsonl_records(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFailure(path, number, f"malformed JSON at column {exc.colno}: {exc.msg}") from None


def _csv_records(path: Path, text: str, kind: Kind) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        known = set(kind.field_names) | (set(TICKET_STAMPS) if kind is TICKETS else set())
        for column in header:
            if column not in known:
                raise (
                    ImportFailure(
                        path, 1, f"unknown column for {kind.name}; expected {', '.join(kind.field_names)}", column
                    )
                    if column
                    else ImportFailure(path, 1, "empty column name in the header")
                )
        if len(set(header)) != len(header):
            raise ImportFailure(path, 1, "a column appears twice in the header")
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                return
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ImportFailure(path, start, f"expected {len(header)} cells, got {len(row)}")
            yield start, {h: (cell if cell != "" else None) for h, cell in zip(header, row, strict=True)}
    except csv.Error as exc:
        raise ImportFailure(path, start, f"malformed CSV (in the record starting here): {exc}") from None


def read_records(path: Path, kind: Kind, services: Collection[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Validated records of one file with their line numbers; raises :class:`ImportFailure`."""
    text = _decode(path)
    fmt = detect_format(path)
    raw = _jsonl_records(path, text) if fmt == "jsonl" else _csv_records(path, text, kind)
    for line, record in raw:
        try:
            record, stamps = _stamps(record) if kind is TICKETS else (record, {})
            yield line, {**validate(kind, record, services), **stamps}
        except RecordError as exc:
            raise ImportFailure(path, line, str(exc), exc.field) from None


BULK_BYTES = 8_000_000
"""Imports larger than this (about 10,000 tickets) load in bulk (see :meth:`Workspace.bulk_load`)."""


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
    """Import ``paths`` into ``ws`` in one transaction; raise :class:`ImportFailure` on the first bad record.

    A ticket record that is older than the stored ticket (by its exported version or last change), or that
    would overwrite another agent's live claim, is refused with its line unless ``force``; an exported record
    identical to the stored ticket is left alone (no write, no version, no audit row). Who may import, and
    force, is the desk's to check (:meth:`console.desk.door.Desk.import_records`)."""
    checks = _TicketChecks(agent, force, now or to_iso(utcnow()))
    plan: list[tuple[Kind, Path]] = []
    for path in paths:
        if not path.exists():
            raise ImportFailure(path, None, "no such file")
        k = KINDS[kind] if kind else detect_kind(path)
        detect_format(path)
        plan.append((k, path))
    order = list(KINDS.values())
    plan.sort(key=lambda item: order.index(item[0]))
    result = ImportResult()
    # A large import refills the health rollups once at the end instead of firing their triggers per row.
    large = sum(path.stat().st_size for _, path in plan) > BULK_BYTES
    with ws.bulk_load() if large else ws.transaction():
        for k, path in plan:
            chunk: list[tuple[int, dict[str, Any]]] = []
            for line, record in read_records(path, k, services):
                chunk.append((line, record))
                if len(chunk) >= CHUNK:
                    _write_chunk(ws, k, path, chunk, result, progress, checks)
                    chunk = []
            _write_chunk(ws, k, path, chunk, result, progress, checks)
        ws.audit(
            agent,
            "import",
            "workspace",
            str(ws.path),
            {
                "files": [str(p) for _, p in plan],
                "inserted": result.inserted,
                "updated": result.updated,
            },
        )
    ws.analyze()
    return result


def _write_chunk(
    ws: Workspace,
    kind: Kind,
    path: Path,
    chunk: list[tuple[int, dict[str, Any]]],
    result: ImportResult,
    progress: ProgressFn | None,
    checks: _TicketChecks,
) -> None:
    if not chunk:
        return
    agent = checks.agent
    if kind.references_customer:
        known = ws.records.existing_keys(CUSTOMERS, {r["customerId"] for _, r in chunk})
        for line, record in chunk:
            if record["customerId"] not in known:
                raise ImportFailure(
                    path, line, f"field 'customerId': unknown customer {record['customerId']!r}", "customerId"
                )
    if kind is OFFERS:
        _check_one_offer_per_customer(ws, path, chunk)
    if kind is RECEIVABLE_LINES:
        _check_receivables(ws, path, chunk)
    records = [r for _, r in chunk]
    if kind is TICKETS:
        _check_ticket_ids(path, chunk)
        records = _check_tickets(ws, path, chunk, checks)
        result.unchanged[kind.name] = result.unchanged.get(kind.name, 0) + len(chunk) - len(records)
    inserted, updated = ws.records.upsert(kind, records, agent)
    result.inserted[kind.name] = result.inserted.get(kind.name, 0) + inserted
    result.updated[kind.name] = result.updated.get(kind.name, 0) + updated
    if progress is not None:
        progress(len(chunk))


def _check_one_offer_per_customer(ws: Workspace, path: Path, chunk: list[tuple[int, dict[str, Any]]]) -> None:
    current = ws.accounts.offers_by_customer(r["customerId"] for _, r in chunk)
    for line, record in chunk:
        other = current.get(record["customerId"])
        if other is not None and other != record["id"]:
            raise ImportFailure(
                path,
                line,
                f"field 'customerId': customer {record['customerId']!r} already has support offer {other!r}"
                " (one offer per customer; reuse its id to update it)",
                "customerId",
            )
        current[record["customerId"]] = record["id"]


def _check_receivables(ws: Workspace, path: Path, chunk: list[tuple[int, dict[str, Any]]]) -> None:
    owners = ws.billing.receivable_owners({r["receivableId"] for _, r in chunk})
    for line, record in chunk:
        owner = owners.get(record["receivableId"])
        if owner is None:
            raise ImportFailure(
                path, line, f"field 'receivableId': unknown receivable {record['receivableId']!r}", "receivableId"
            )
        if owner != record["customerId"]:
            raise ImportFailure(
                path,
                line,
                f"field 'customerId': receivable {record['receivableId']!r} belongs to {owner!r}, not "
                f"{record['customerId']!r}",
                "customerId",
            )


def _check_ticket_ids(path: Path, chunk: list[tuple[int, dict[str, Any]]]) -> None:
    seen: dict[str, int] = {}
    for line, record in chunk:
        if record["id"] is None:
            continue
        if record["id"] in seen:
            raise ImportFailure(
                path,
                line,
                f"field 'id': ticket {record['id']} appears twice (first at line {seen[record['id']]})",
                "id",
            )
        seen[record["id"]] = line


@dataclass(frozen=True)
class _TicketChecks:
    agent: str
    force: bool
    now: str


def _check_tickets(
    ws: Workspace, path: Path, chunk: list[tuple[int, dict[str, Any]]], checks: _TicketChecks
) -> list[dict[str, Any]]:
    """The chunk's ticket records to write: a new ticket keeps its stamps; an existing one is checked against
    the stored ticket (refused when older or claimed by another agent, unless forced; skipped when an exported
    record is identical) and written without stamps, so the update bumps its version and is changed now."""
    existing = ws.records.existing_keys(TICKETS, [r["id"] for _, r in chunk if r["id"]])
    out: list[dict[str, Any]] = []
    for line, record in chunk:
        if record["id"] not in existing:
            out.append(record)
            continue
        stored = ws.tickets.ticket(record["id"])
        assert stored is not None
        stamped = any(k in record for k in TICKET_STAMPS)
        if stamped and all(record[f] == stored[f] for f in TICKETS.field_names):
            continue
        if not checks.force:
            _refuse_older(path, line, record, stored)
            _refuse_claimed(path, line, stored, checks)
        out.append({k: v for k, v in record.items() if k not in TICKET_STAMPS})
    return out


FORCE_HINT = "export the ticket again and edit that, or import with --force (records.overwrite: a Global admin)"


def _refuse_older(path: Path, line: int, record: dict[str, Any], stored: dict[str, Any]) -> None:
    version, changed = record.get("version"), record.get("lastModifiedDate")
    older = (version is not None and version < stored["version"]) or (
        changed is not None
        and stored["lastModifiedDate"]
        and parse_iso(changed) < parse_iso(stored["lastModifiedDate"])
    )
    if older:
        field_name = "version" if version is not None else "lastModifiedDate"
        raise ImportFailure(
            path,
            line,
            f"field '{field_name}': ticket {stored['id']} changed since this record "
            f"(record: version {version or '-'}, {changed or '-'}; now: version {stored['version']}, "
            f"{stored['lastModifiedDate']}); {FORCE_HINT}",
            field_name,
        )


def _refuse_claimed(path: Path, line: int, stored: dict[str, Any], checks: _TicketChecks) -> None:
    holder, until = stored.get("assignee"), stored.get("claimedUntil")
    if holder and until and holder != checks.agent and parse_iso(until) > parse_iso(checks.now):
        raise ImportFailure(
            path, line, f"ticket {stored['id']} is claimed by {holder} until {until}; {FORCE_HINT}", "id"
        )
