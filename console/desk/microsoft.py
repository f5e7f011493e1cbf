"""The desk's two longer Microsoft actions, as plain functions of the desk: an escalation's draft (with the
Azure Support API's catalogue) and a Microsoft round under the workspace's lease."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.shared.clock import to_iso
from console.shared.model import Vehicle

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.escalation import cases as escalation
    from console.escalation.courier import CourierReport


def draft(desk: Desk, ticket_id: str, vehicle: Vehicle) -> escalation.Draft:
    """The plugin's case for ``vehicle`` (``ticket.escalate``); for the Azure Support API, with the service and
    problem classification lists (read from the API once, then from the workspace)."""
    desk.authorize("ticket.escalate")
    from console.escalation import cases as escalation

    ticket = desk._fresh(ticket_id)
    made = escalation.build_draft(desk, ticket, vehicle)
    made.ticket_title, made.ticket_body = ticket["title"] or "", ticket.get("body") or ""
    if made.via_api:
        from console.escalation.azure_case import preselect
        from console.microsoft.credentials import MissingToken
        from console.microsoft.http import ApiError

        try:
            services = desk.courier().services()  # read again when older than a day
            preselect(made, services, desk.escalation_problems)
        except (ApiError, MissingToken) as exc:
            made.catalog_error = str(exc)
    return made


def sync(desk: Desk, *, force: bool = False, poll: bool = True, keep: bool = False) -> CourierReport:
    """Deliver the outbox (and poll open cases): exactly once, whatever happened before, and by one process
    of the workspace at a time, under the Microsoft lease.

    While another live process holds the lease, nothing is sent to Microsoft: the report has one
    ``pending`` line saying who will send it. With ``keep`` (the console's background loop) the lease stays
    with this desk after the run; otherwise a lease taken for this call is given back when it ends (one
    the desk held already stays held)."""
    from console.escalation.courier import CourierReport

    lease = desk.microsoft_lease
    with lease.lock:
        had = lease.held
        if not lease.acquire():
            state = lease.state
            assert state is not None
            return CourierReport(
                pending=[
                    f"queued: {state.who} does this workspace's Microsoft work and sends it in its next round "
                    f"(it holds the Microsoft lease until {to_iso(state.expires)})"
                ]
            )
        try:
            courier = desk.courier()
            courier.keep_alive = lease.keep  # checked item by item: a long round keeps its lease
            report = courier.run(force=force) if poll else courier.deliver(force=force)
        except Exception as exc:
            lease.ran(f"failed: {type(exc).__name__}: {exc}"[:300])
            raise
        else:
            lease.ran(
                f"{len(report.delivered)} delivered, {len(report.pending)} pending, {len(report.failed)} failed"
                + (f"; {report.polled} cases read, {report.updates} updates" if poll else "")
                + (f", {len(report.poll_errors)} read errors" if report.poll_errors else "")
            )
        finally:
            if not (keep or had):
                lease.release()
    return report
