"""Where a setting is in a TOML file, for errors that name the line: ``FILE:LINE: field`` (the config file and
the collections policy share it)."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def malformed(path: object, exc: ValueError) -> str:
    """A TOML file that does not parse, said as ``FILE:LINE: malformed TOML: ...`` (tomllib's own words end with
    ``(at line N, column M)``)."""
    found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
    return f"{path}:{found.group(1)}: malformed TOML: {exc}" if found else f"{path}: malformed TOML: {exc}"


def line_of(text: str, dotted: str) -> int | None:
    """The line where ``dotted`` is set, best effort: ``partner.contracts.premier_support`` (a key in a table),
    ``stage.2.days`` (a key in the third ``[[stage]]``), ``stage.2`` (that table's header), or a dotted name
    that is itself a table (``microsoft.gdap_task_roles``: its header, or its key in the parent table)."""
    parts = dotted.split(".")
    index = next((int(p) for p in parts if p.isdigit()), None)
    names = [p for p in parts if not p.isdigit()]
    if not names:
        return None
    header_only = parts[-1].isdigit()
    key = None if header_only else names[-1]
    # A header's name is compared without quotes and spaces (``[views."Breaching soon"]``), so is the path's.
    section = ".".join(names if header_only else names[:-1]).replace(" ", "")
    whole = ".".join(names).replace(" ", "")
    assign = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=') if key is not None else None
    current = ""
    occurrence: dict[str, int] = {}  # [[table]] occurrences seen so far, by name
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = header.group(2).replace('"', "").replace(" ", "")
            if header.group(1) == "[[":
                occurrence[current] = occurrence.get(current, -1) + 1
            at_index = index is None or occurrence.get(current, 0) == index
            if current == section and at_index and key is None:
                return number
            if key is not None and index is None and current == whole:
                return number
            continue
        at_index = index is None or occurrence.get(current, 0) == index
        if assign is not None and current == section and at_index and assign.match(line):
            return number
    return None


def line_near(text: str, path: tuple[str | int, ...]) -> int | None:
    """The line of ``path`` (``("stage", 2, "days")``), else of the nearest table or key above it that has one
    (a key inside an inline table, a missing key: its table's header)."""
    for end in range(len(path), 0, -1):
        line = line_of(text, ".".join(str(p) for p in path[:end]))
        if line is not None:
            return line
    return None
