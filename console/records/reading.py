"""Reading import files: which kind a file holds, its format, and its records, validated, with their line numbers.

Nothing here writes: a bad byte, line, cell or value raises :class:`ImportFailure` naming the file, the line and
the field. JSON Lines are split on line feeds only (a U+2028 or U+0085 inside a string is text, as an export writes
it); a JSON record nested deeper than a record can be, an integer too long to read, ``NaN`` and ``Infinity`` are
refused with their line. A CSV cell the export defused against formula injection (``'=1+1``) reads back as
written before (``=1+1``; :mod:`console.records.csv_cells`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from console.records.csv_cells import restore
from console.records.kinds import (
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


class ImportFailure(Exception):
    """A bad input: the message names the file, the line and the field."""

    def __init__(self, path: Path | str, line: int | None, message: str, field_name: str | None = None) -> None:
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line
        self.field = field_name
        self.message = message


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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number an import accepts")


def _json_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines of a JSON Lines text, split on line feeds only (RFC 8259 allows U+2028, U+2029 and U+0085
    unescaped inside strings; ``str.splitlines`` would cut a record there), a trailing CR dropped."""
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, line[:-1] if line.endswith("\r") else line


def _jsonl_records(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    for number, line in _json_lines(text):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise ImportFailure(path, number, f"malformed JSON at column {exc.colno}: {exc.msg}") from None
        except RecursionError:
            raise ImportFailure(path, number, "JSON nested too deeply: a record is one flat object") from None
        except ValueError as exc:  # an integer of more digits than Python reads, NaN, Infinity
            message = "a number too long to read" if "digits" in str(exc) else str(exc)
            raise ImportFailure(path, number, f"malformed JSON: {message}") from None


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
            yield start, {h: (restore(cell) if cell != "" else None) for h, cell in zip(header, row, strict=True)}
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
