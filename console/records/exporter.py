"""Export the workspace's records in the import formats (JSON Lines or CSV), so that an export imports back
unchanged. CSV cells a spreadsheet would run as formulas are defused (:mod:`console.records.csv_cells`); JSON
Lines carry control and bidi characters as ``\\uXXXX`` escapes; each file is written with mode 0600 and never
through a symlink (:mod:`console.shared.private_files`)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from console.records.csv_cells import defuse
from console.records.kinds import KINDS, TICKETS, Kind
from console.shared.private_files import private_dir, replace_file
from console.shared.safe_text import json_text
from console.store import Workspace

#: A ticket's version and last change follow its fields, so that importing the file again refuses the records
#: of tickets changed since (see :mod:`console.records.importer`).
TICKET_STAMPS = ("version", "lastModifiedDate")


def columns(kind: Kind) -> list[str]:
    """The columns of an exported file of ``kind``."""
    return [*kind.field_names, *(TICKET_STAMPS if kind is TICKETS else ())]


def to_json_value(kind: Kind, record: dict[str, Any]) -> dict[str, Any]:
    """A stored record as a JSON object: lists as arrays, flags as booleans, empty fields left out."""
    out: dict[str, Any] = {}
    for f in kind.fields:
        value = record.get(f.name)
        if value is None:
            continue
        if f.type in ("list", "json"):
            value = json.loads(value)
        elif f.type == "bool":
            value = bool(value)
        out[f.name] = value
    return {**out, **_stamps(kind, record)}


def _stamps(kind: Kind, record: dict[str, Any]) -> dict[str, Any]:
    if kind is not TICKETS:
        return {}
    return {k: record[k] for k in TICKET_STAMPS if record.get(k) is not None}


def to_csv_row(kind: Kind, record: dict[str, Any]) -> list[str]:
    """A stored record as CSV cells: lists joined with ``;``, flags as true/false, empty as empty, formulas
    defused."""
    cells: list[str] = []
    for f in kind.fields:
        value = record.get(f.name)
        if value is None:
            cells.append("")
        elif f.type == "list":
            cells.append(defuse(";".join(json.loads(value))))
        elif f.type == "bool":
            cells.append("true" if value else "false")
        else:
            cells.append(defuse(str(value), f.type))
    if kind is TICKETS:
        cells += ["" if record.get(k) is None else defuse(str(record[k]), "int") for k in TICKET_STAMPS]
    return cells


def write_kind(ws: Workspace, kind: Kind, fmt: str, out: IO[str]) -> int:
    """Write every record of ``kind`` to ``out``; return how many."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        # csv quotes a cell holding a line terminator of the writer's (\n) only: a row with a CR in a cell is
        # written fully quoted, or a reader (which takes CR as a line end) would cut the record there.
        quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(columns(kind))
        for record in ws.records.iter_records(kind):
            row = to_csv_row(kind, record)
            (quoted if any("\r" in cell for cell in row) else writer).writerow(row)
            count += 1
    elif fmt == "jsonl":
        for record in ws.records.iter_records(kind):
            out.write(json_text(to_json_value(kind, record)) + "\n")
            count += 1
    else:
        raise ValueError(f"unknown format {fmt!r}; expected jsonl or csv")
    return count


def export_dir(
    ws: Workspace,
    directory: Path,
    fmt: str,
    kinds: Iterable[str] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, Path]:
    """Write one file per kind into ``directory`` (``customers.jsonl``...); return the files written.

    Each file is written to a fresh temporary name (mode 0600) and renamed, so a failed export leaves no
    half-written file and a symlink planted at a file's name is replaced, its target untouched.
    """
    private_dir(directory)
    written: dict[str, Path] = {}
    for name in kinds or KINDS:
        kind = KINDS[name]
        target = directory / f"{name}.{fmt}"
        with replace_file(target, newline="") as out:
            count = write_kind(ws, kind, fmt, out)
        written[name] = target
        if progress is not None:
            progress(name, count)
    return written
