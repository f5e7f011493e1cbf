"""CSV cells that a spreadsheet cannot run: formula injection defused as OWASP recommends
(https://owasp.org/www-community/attacks/CSV_Injection), and read back to the same value.

A spreadsheet (Excel, LibreOffice, Google Sheets) treats a cell starting with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=cmd|' /C calc'!A0``, ``+HYPERLINK(...)``), and some also after a leading tab, CR, space or quote. The
export writes such a text cell with one ``'`` before it, which a spreadsheet shows as text; the rule:

- a text cell **needs defusing** when any of ``= + - @ TAB CR`` appears in its leading run of whitespace and
  quotes or as the first character after that run (``=1+1``, ``  =1+1``, ``"=1+1``, ``\\t1``, ``-5 seats``);
- :func:`defuse` writes such a cell as ``'`` + the cell; :func:`restore` (the importer) drops that one ``'``
  exactly when what follows needs defusing. A text whose own first character is ``'`` and whose rest needs
  defusing therefore needs defusing too (``'`` is in the leading run), and gets a second ``'``: every text
  reads back to itself.
- Numeric, date, time and flag columns hold values the importer validates as such and are written as they are,
  so an amount of ``-12.5`` stays a number a spreadsheet can add; a stored value there that is not a plain
  number is defused like text.
"""

from __future__ import annotations

import re

#: The characters that start a formula, or that a spreadsheet skips before one.
TRIGGERS = frozenset("=+-@\t\r")
#: What may stand before a formula's first character: whitespace and quotes.
_LEADING = frozenset(" \t\r\n'\"")
#: Column types whose values are not text (numbers, times, flags): written as they are.
TYPED = frozenset({"int", "decimal", "bool", "date", "datetime"})
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def needs_defusing(cell: str) -> bool:
    """Whether a spreadsheet could read ``cell`` as a formula (see the module's rule)."""
    for char in cell:
        if char in TRIGGERS:
            return True
        if char not in _LEADING:
            return False
    return False


def defuse(cell: str, column_type: str = "str") -> str:
    """``cell`` of a column of ``column_type`` (a field type of :mod:`console.records.kinds`) as the export
    writes it."""
    if column_type in TYPED and _PLAIN_NUMBER.fullmatch(cell):
        return cell
    return "'" + cell if needs_defusing(cell) else cell


def restore(cell: str) -> str:
    """A cell as read from a file, back to the value :func:`defuse` was given (whatever the column's type)."""
    return cell[1:] if cell.startswith("'") and needs_defusing(cell[1:]) else cell
