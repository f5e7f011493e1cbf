"""The command line's one writer: every line a command prints goes through :func:`out` or :func:`out_json`.

A command's text mixes its own words with untrusted text (names, titles, notes, Microsoft's case numbers, the
audit's agents, plugins' findings, the config): :func:`out` renders the whole line with
:func:`console.shared.safe_text.clean_block`, the rule the console's screens use, so an ESC, a CSI or OSC
sequence, a C1 control, a bidi override or a NUL in the data shows as a visible symbol (or is dropped) and never
acts on the terminal. :func:`out_json` writes JSON with :func:`console.shared.safe_text.json_text`: the same
values, every control or invisible format character as ``\\uXXXX``.

To adopt it in a new command module::

    from console.cli.output import out, out_json

    out(f"{ticket['id']}  {ticket['title']}")        # instead of print(...)
    out(f"pending: {line}", err=True)                 # instead of print(..., file=sys.stderr)
    out_json(rows)                                    # instead of print(json.dumps(rows, ...))

``tests/test_safe_output.py`` runs every command of the command tree on a workspace full of hostile strings and
fails on any raw control character on standard output or standard error, and ``tests/test_house.py`` refuses a
``print(`` or ``sys.stdout.write`` in ``console/cli/`` outside this module.
"""

from __future__ import annotations

import sys
from typing import Any

from console.shared.safe_text import clean_block, json_text


def out(*parts: object, sep: str = " ", end: str = "\n", err: bool = False, flush: bool = False) -> None:
    """Print ``parts`` (like :func:`print`) on standard output, or standard error with ``err``, made safe for a
    terminal: line breaks kept, tabs expanded, every other control character shown as a symbol."""
    stream = sys.stderr if err else sys.stdout
    stream.write(clean_block(sep.join(str(p) for p in parts)) + end)
    if flush:
        stream.flush()


def out_json(
    value: Any, *, err: bool = False, indent: int | None = None, default: Any = None, flush: bool = False
) -> None:
    """Print ``value`` as one JSON document (one line unless ``indent``), controls escaped as ``\\uXXXX``."""
    stream = sys.stderr if err else sys.stdout
    stream.write(json_text(value, indent=indent, default=default) + "\n")
    if flush:
        stream.flush()
