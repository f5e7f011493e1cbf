"""The checks an import makes against the workspace and against what it staged before: customers and
receivables named by later records, one support offer per customer, and tickets older than the stored ones or
claimed by another agent. Each failing check raises :class:`ImportFailure` with the file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.records.kinds import CUSTOMERS, RECEIVABLES, TICKETS
from console.records.reading import TICKET_STAMPS, ImportFailure
from console.shared.clock import parse_iso
from console.store import Workspace
from console.store.import_stage import Stage

Chunk = list[tuple[int, dict[str, Any]]]
#: The staged ticket's key for the version of the stored ticket it was checked against (0: a new ticket).
BASED_ON = "_basedOn"

FORCE_HINT = "export the ticket again and edit that, or import with --force (records.overwrite: a Global admin)"


@dataclass
class Checks:
    agent: str
    force: bool
    now: str
    offers: dict[str, str] = field(default_factory=dict)  # customer -> its support offer, staged or stored


def check_customers(ws: Workspace, stage: Stage, path: str, chunk: Chunk) -> None:
    wanted = {r["customerId"] for _, r in chunk}
    known = ws.records.existing_keys(CUSTOMERS, wanted)
    known |= stage.known(CUSTOMERS, wanted - known)
    for line, record in chunk:
        if record["customerId"] not in known:
            raise ImportFailure(
                path, line, f"field 'customerId': unknown customer {record['customerId']!r}", "customerId"
            )


def check_one_offer_per_customer(ws: Workspace, path: str, chunk: Chunk, checks: Checks) -> None:
    current = checks.offers
    stored = ws.accounts.offers_by_customer(r["customerId"] for _, r in chunk if r["customerId"] not in current)
    current.update(stored)
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


def check_receivables(ws: Workspace, stage: Stage, path: str, chunk: Chunk) -> None:
    wanted = {r["receivableId"] for _, r in chunk}
    owners = ws.billing.receivable_owners(wanted)
    owners.update(stage.values(RECEIVABLES, wanted - owners.keys(), "customerId"))
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


def check_tickets(ws: Workspace, path: str, chunk: Chunk, checks: Checks) -> list[tuple[int, dict[str, Any] | None]]:
    """The chunk's ticket records to write: a new ticket keeps its stamps; an existing one is checked against
    the stored ticket (refused when older or claimed by another agent, unless forced; skipped when an exported
    record is identical: ``None``) and written without stamps, so the update bumps its version and is changed now. Each
    carries the stored version it was checked against (:data:`BASED_ON`), checked again when it is written."""
    existing = ws.records.existing_keys(TICKETS, [r["id"] for _, r in chunk if r["id"]])
    out: list[tuple[int, dict[str, Any] | None]] = []
    for line, record in chunk:
        if record["id"] not in existing:
            out.append((line, {**record, BASED_ON: 0}))
            continue
        stored = ws.tickets.ticket(record["id"])
        assert stored is not None
        stamped = any(k in record for k in TICKET_STAMPS)
        if stamped and all(record[f] == stored[f] for f in TICKETS.field_names):
            out.append((line, None))  # identical: nothing to write
            continue
        if not checks.force:
            refuse_older(path, line, record, stored)
            refuse_claimed(path, line, stored, checks)
        kept = {k: v for k, v in record.items() if k not in TICKET_STAMPS}
        out.append((line, {**kept, BASED_ON: stored["version"]}))
    return out


def refuse_older(path: str, line: int, record: dict[str, Any], stored: dict[str, Any]) -> None:
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


def refuse_claimed(path: str, line: int, stored: dict[str, Any], checks: Checks) -> None:
    holder, until = stored.get("assignee"), stored.get("claimedUntil")
    if holder and until and holder != checks.agent and parse_iso(until) > parse_iso(checks.now):
        raise ImportFailure(
            path, line, f"ticket {stored['id']} is claimed by {holder} until {until}; {FORCE_HINT}", "id"
        )
