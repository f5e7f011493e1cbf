"""The plugins' findings stored through the desk (``ticket.triage``): each ticket's replaced in one write
with an audit row (entity ``findings``, the ticket's id) of the checks before and after, when they changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from console.tickets.triage import TriageResult, finding_row

if TYPE_CHECKING:
    from console.desk.door import Desk


def check_ticket(desk: Desk, ticket: dict[str, Any] | str) -> TriageResult:
    """Run the checks for one ticket and store its findings (replacing earlier ones): ``ticket.triage``, and
    ``ticket.view`` since the findings are shown."""
    desk.authorize("ticket.view")
    desk.authorize("ticket.triage")
    row = desk._fresh(ticket)
    result = desk.triage.run_ticket(row)
    _store(desk, [(row, result)])
    return result


def check_open(desk: Desk, progress: Callable[[int], None] | None = None) -> Iterator[TriageResult]:
    """Triage every open ticket, customer by customer (each account read once), storing findings one batch (one
    transaction) at a time; refused at once, before the first batch, without ``ticket.view`` or
    ``ticket.triage``."""
    desk.authorize("ticket.view")
    desk.authorize("ticket.triage")
    return _check_open(desk, progress)


def _check_open(desk: Desk, progress: Callable[[int], None] | None) -> Iterator[TriageResult]:
    for batch in desk.ws.tickets.iter_open_by_customer():
        results = list(zip(batch, desk.triage.run_tickets(batch), strict=True))  # one request a batch
        _store(desk, results)
        if progress is not None:
            progress(len(batch))
        for _, result in results:
            yield result


def _store(desk: Desk, results: list[tuple[dict[str, Any], TriageResult]]) -> None:
    ws, now = desk.ws, desk.clock()
    with ws.transaction():
        rechecked: list[str] = []  # (written again with the same checks: one row for them all, below)
        for row, result in results:
            stored = ws.tickets.findings(row["seq"])
            before = ", ".join(f["checkId"] for f in stored)
            after = ", ".join(f.check_id for _, f in result.findings)
            if not stored and not result.findings:
                continue  # (nothing to write)
            ws.tickets.replace_findings(row["seq"], [finding_row(p, f, now) for p, f in result.findings])
            if before != after:
                detail = {"before": {"checks": before}, "after": {"checks": after}}
                ws.audit(desk.agent, "ticket.triage", "findings", row["id"], detail)
            else:
                rechecked.append(row["id"])
        if rechecked:  # every change of the desk's records has its audit row (console/store/pg_audited.py)
            ws.audit(desk.agent, "findings.recheck", "findings", rechecked[0], {"tickets": rechecked})
