"""``csp-console audit verify`` and ``audit acknowledge``: the audit chain checked, and its breaks acknowledged
(:mod:`console.desk.audit_chain`). Exit status: ``verify`` 0 when every break is acknowledged (or there is
none), 1 naming the first open break; ``acknowledge`` 0 (with what it acknowledged), 3 refused (not a Global
admin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.cli.output import out, out_json
from console.desk.audit_chain import describe
from console.shared.safe_text import clean_line

if TYPE_CHECKING:
    from console.desk.door import Desk

INTACT, BROKEN = 0, 1


def verify(desk: Desk, as_json: bool) -> int:
    found = desk.agents.verify_audit()
    code = INTACT if found.first is None else BROKEN
    if as_json:
        out_json({**found.to_json(), "exit": code})
        return code
    if found.first is None:
        out(clean_line(str(found)))
        for b in found.report.breaks:
            who, at = found.acknowledged[b.key]
            out(clean_line(f"  acknowledged by {who} at {at}: {describe(b)}"))
        return code
    out(clean_line(f"audit chain broken at {describe(found.first)}"))
    if len(found.open) > 1 or found.report.more:
        more = "more than " if found.report.more else ""
        out(f"  ({more}{len(found.open)} open breaks in {found.report.rows} rows; --json lists them)")
    out("  acknowledge with: csp-console audit acknowledge (a Global admin)")
    return code


def acknowledge(desk: Desk, as_json: bool) -> int:
    done = desk.agents.acknowledge_audit()
    if as_json:
        out_json({"acknowledged": [b.to_json() for b in done]})
    elif not done:
        out("nothing to acknowledge: no open break in the audit chain")
    for b in [] if as_json else done:
        out(clean_line(f"acknowledged: {describe(b)}"))
    return 0
