"""Writing many tickets at once (an import's batch, a new ticket): one statement for the batch, and the new
tickets' search entries made from their records (part of the store: all SQL lives in this package)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from console.records.kinds import TICKETS
from console.shared import model
from console.store.rows import audit_updates, existing_keys
from console.store.ticket_columns import ticket_columns
from console.tickets.search_text import search_form

if TYPE_CHECKING:
    from console.store.tickets import TicketRepo


def upsert_tickets(repo: TicketRepo, records: Sequence[dict[str, Any]], agent: str) -> tuple[int, int]:
    """Insert or update validated ticket records (inside the caller's transaction): derived columns, a
    version bump on update, the customer's name and the search entry. Returns ``(inserted, updated)``.

    One ``executemany`` for the batch, and the new tickets' search entries made from their records (a new
    ticket has no notes yet): a statement per ticket and a search entry read back from the table was most
    of an import's time (issue 23)."""
    now = repo.db.now()
    conn = repo.db.conn
    next_seq = (conn.execute("SELECT max(seq) FROM tickets").fetchone()[0] or 0) + 1
    existing = existing_keys(repo.db, TICKETS, [r["id"] for r in records if r["id"]])
    audit_updates(repo.db, TICKETS, [r for r in records if r["id"] in existing], agent)
    names = _company_names(repo, {r["customerId"] for r in records})
    changed = [*TICKETS.field_names, "customerName", "severityRank", "isOpen", "slaDueDate", "lastModifiedDate"]
    cols = ["seq", *changed, "version"]
    update = [c for c in changed if c != "id"]
    rows: list[list[Any]] = []
    updated: list[int] = []
    entries: list[tuple[int, str, str, str, int]] = []
    for rec in records:
        rec = dict(rec)
        if rec["id"]:
            seq = model.ticket_seq(rec["id"])
            assert seq is not None
        else:
            seq = next_seq
            rec["id"] = model.ticket_id(seq)
        next_seq = max(next_seq, seq + 1)
        values = {**rec, **ticket_columns(rec, now), "seq": seq, "customerName": names.get(rec["customerId"], "")}
        # A new ticket from an export keeps its version and last change (the importer passes them only
        # for new tickets); an update bumps the version (ON CONFLICT) and is changed now.
        values["version"] = rec.get("version") or 1
        values["lastModifiedDate"] = rec.get("lastModifiedDate") or now
        rows.append([values[c] for c in cols])
        if rec["id"] in existing:
            updated.append(seq)
        else:
            entries.append((seq, search_form(rec["title"]), search_form(rec["body"]), "", values["isOpen"]))
    sql = repo.db.dialect.upsert("tickets", cols, "seq", update=update, also="version = version + 1")
    conn.executemany(sql, rows)
    repo.reindex_tickets(updated)
    _index_new(repo, entries)
    if repo.directory is not None:
        repo.directory.note_callers(records)
    return len(records) - len(updated), len(updated)


def _company_names(repo: TicketRepo, customer_ids: Iterable[str]) -> dict[str, str]:
    ids = list(customer_ids)
    out: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = repo.db.conn.execute(
            f"SELECT id, companyName FROM customers WHERE id IN ({repo.db.dialect.marks(len(chunk))})", chunk
        )
        out.update((r[0], r[1]) for r in rows)
    return out


def _index_new(repo: TicketRepo, entries: Sequence[tuple[int, str, str, str, int]]) -> None:
    """The search entries ``(seq, title, body, notes, isOpen)`` of tickets new to the workspace."""
    insert = "INSERT INTO {} (rowid, title, body, notes) VALUES (?, ?, ?, ?)"
    repo.db.conn.executemany(insert.format("ticket_search"), (e[:4] for e in entries))
    if not repo.bulk:  # a bulk load refills the open tickets' index once, at its end
        repo.db.conn.executemany(insert.format("open_search"), (e[:4] for e in entries if e[4]))
