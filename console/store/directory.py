"""The customer directory (part of the store): who each customer is and who calls from it, found by name,
domain, email or phone.

One row per customer (its name and domain), per billing contact and per caller: each distinct contact of the
customer's tickets (name, email, phone), with the date of the latest ticket that named it. Each row's text is
indexed in its search form (``console.tickets.search_text``: NFKC, case-folded, Japanese as bigrams, as the
tickets' search), and its phone number by its key reversed, so a number typed in any format is a range of an
index (see :func:`console.tickets.search_text.phone_key`).

The store keeps it: a ticket written through :class:`console.store.tickets.TicketRepo` notes its caller, a
customer written through :class:`console.store.records.RecordRepo` is refreshed, and a bulk load (the demo,
a large import) refills it once at the end (:meth:`DirectoryRepo.refill`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from console.store.base import Base
from console.store.dialect import SQLITE
from console.tickets.search_text import SearchQuery, search_form, stored_phone_key

CREATE = (
    "CREATE TABLE IF NOT EXISTS directory (id INTEGER PRIMARY KEY, customerId TEXT NOT NULL, kind TEXT NOT NULL, "
    "name TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '', "
    "phoneKey TEXT NOT NULL DEFAULT '', lastSeen TEXT, UNIQUE (customerId, kind, name, email, phone))",
    "CREATE INDEX IF NOT EXISTS idx_directory_phone ON directory (phoneKey) WHERE phoneKey != ''",
    "CREATE INDEX IF NOT EXISTS idx_directory_customer ON directory (customerId, kind, lastSeen)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS directory_search USING fts5(form, tokenize = 'unicode61 remove_diacritics 2', "
    "prefix = '2 3')",
    "CREATE INDEX IF NOT EXISTS idx_customers_domain ON customers (lower(domain))",
)
#: Kinds of row, in the order a customer's people are listed.
KINDS = ("customer", "billing", "caller")
#: A customer's people: its billing contact (for who may see billing) and its callers.
PEOPLE = ("billing", "caller")
_COLUMNS = ("id", "customerId", "kind", "name", "email", "phone", "phoneKey", "lastSeen")
_CUSTOMER = "id, companyName, domain, billingFirstName, billingLastName, billingEmail"
_ROW = "d.id, d.customerId, d.kind, d.name, d.email, d.phone, d.lastSeen"
_CHUNK = 500


def clean(value: str | None) -> str:
    """A name, email or phone as the directory keeps it: without the whitespace around it (Python's, so also
    U+3000, the full-width space of Japanese input, and tabs). The one cleaning of both the live path and the
    refill: the same caller is the same row whichever wrote it."""
    return (value or "").strip()


def _entry(customer_id: str, kind: str, name: str | None, email: str | None, phone: str | None) -> tuple[str, ...]:
    return (customer_id, kind, clean(name), clean(email), clean(phone))


def _customer_entries(rows: Iterable[Sequence[Any]]) -> list[tuple[str, ...]]:
    """Each customer's own entry (its name and domain) and its billing contact's."""
    entries: list[tuple[str, ...]] = []
    for cid, company, domain, first, last, email in rows:
        entries.append(_entry(cid, "customer", company, domain, None))
        billing = " ".join(p for p in (first, last) if p)
        if billing or email:
            entries.append(_entry(cid, "billing", billing, email, None))
    return entries


class DirectoryRepo:
    """The directory's rows and their search index."""

    def __init__(self, db: Base) -> None:
        self.db = db
        #: While a bulk load writes: the rows are refilled once at its end instead of row by row.
        self.deferred = False

    # -- keeping it ------------------------------------------------------------------------------
    def _add(self, entries: Iterable[tuple[str, ...]], seen: dict[tuple[str, ...], str | None]) -> None:
        """Insert the entries not there yet (with their search rows); move each one's ``lastSeen`` on."""
        conn = self.db.conn
        for entry in dict.fromkeys(entries):
            name, email, phone = entry[2:]
            if not (name or email or phone):
                continue
            cursor = conn.execute(
                self.db.dialect.insert("directory", _COLUMNS[1:], self.db.dialect.insert_or_ignore),
                (*entry, stored_phone_key(phone), seen.get(entry)),
            )
            if cursor.rowcount:
                form = search_form(f"{name} {email}")
                conn.execute("INSERT INTO directory_search (rowid, form) VALUES (?, ?)", (cursor.lastrowid, form))
            elif seen.get(entry):
                conn.execute(
                    "UPDATE directory SET lastSeen = ? WHERE customerId = ? AND kind = ? AND name = ? AND email = ? "
                    "AND phone = ? AND (lastSeen IS NULL OR lastSeen < ?)",
                    (seen[entry], *entry, seen[entry]),
                )

    def note_callers(self, tickets: Sequence[dict[str, Any]]) -> None:
        """The contacts of these ticket records join their customers' callers (inside the caller's
        transaction)."""
        if self.deferred:
            return
        seen: dict[tuple[str, ...], str | None] = {}
        for t in tickets:
            contact = (t.get("contactName"), t.get("contactEmail"), t.get("contactPhone"))
            entry = _entry(t["customerId"], "caller", *contact)
            seen[entry] = max(filter(None, (seen.get(entry), t.get("createdDate"))), default=None)
        self._add(seen, seen)

    def refresh_customers(self, customer_ids: Sequence[str]) -> None:
        """The name, domain and billing contact of these customers, as stored now (inside the caller's
        transaction)."""
        if self.deferred:
            return
        conn = self.db.conn
        for start in range(0, len(customer_ids), _CHUNK):
            chunk = list(customer_ids[start : start + _CHUNK])
            marks = self.db.dialect.marks(len(chunk))
            stale = f"SELECT id FROM directory WHERE kind IN ('customer', 'billing') AND customerId IN ({marks})"
            conn.execute(f"DELETE FROM directory_search WHERE rowid IN ({stale})", chunk)
            conn.execute(f"DELETE FROM directory WHERE id IN ({stale})", chunk)
            rows = conn.execute(
                f"SELECT {_CUSTOMER} FROM customers WHERE id IN ({marks})",
                chunk,
            ).fetchall()
            self._add_customers(rows)

    def _add_customers(self, rows: Iterable[Sequence[Any]]) -> None:
        self._add(_customer_entries(rows), {})

    def refill(self) -> None:
        """Every row again from the customers and the tickets (the end of a bulk load; the migration)."""
        refill(self.db.conn)

    # -- finding ---------------------------------------------------------------------------------
    def matching(self, query: SearchQuery, limit: int, kinds: Sequence[str] = KINDS) -> list[dict[str, Any]]:
        """Rows of ``kinds`` whose text matches ``query`` (every term), at most ``limit`` (the newest entries),
        customers' own rows first, then the latest callers: sorted here, not by SQLite, which would sort every
        match first."""
        clauses, args = [], []
        if query.match:
            clauses.append(f"d.id IN ({self.db.dialect.fts_rowids('directory_search')})")
            args.append(self.db.dialect.fts_arg(query.match))
        for like in query.likes:
            escaped = like.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(f"d.id IN (SELECT rowid FROM directory_search WHERE {self.db.dialect.like_escaped('form')})")
            args.append(f"%{escaped}%")
        if not clauses:
            return []
        clauses.append(f"d.kind IN ({self.db.dialect.marks(len(kinds))})")
        sql = f"SELECT {_ROW} FROM directory d WHERE {' AND '.join(clauses)} ORDER BY d.id DESC LIMIT ?"
        rows = [dict(r) for r in self.db.conn.execute(sql, [*args, *kinds, limit])]
        rows.sort(key=lambda r: r["lastSeen"] or "", reverse=True)
        rows.sort(key=lambda r: r["kind"] != "customer")
        return rows

    def by_phone(
        self, reversed_key: str, suffixes: Sequence[str], limit: int, kinds: Sequence[str] = KINDS
    ) -> list[dict[str, Any]]:
        """Rows of ``kinds`` whose phone ends with the digits of ``reversed_key`` (reversed), or is one of
        ``suffixes`` (the typed number's endings, reversed): both an index range."""
        sql = (
            f"SELECT {_ROW} FROM directory d WHERE d.id IN (SELECT id FROM directory WHERE phoneKey != '' AND "
            "phoneKey >= ? AND phoneKey < ? UNION SELECT id FROM directory WHERE phoneKey != '' AND phoneKey IN "
            f"({self.db.dialect.marks(len(suffixes))})) AND d.kind IN ({self.db.dialect.marks(len(kinds))}) "
            "ORDER BY d.lastSeen DESC LIMIT ?"
        )
        rows = self.db.conn.execute(sql, (reversed_key, reversed_key + ":", *suffixes, *kinds, limit))
        return [dict(r) for r in rows]

    def customers_of_domains(self, domains: Sequence[str]) -> list[str]:
        """The customers whose domain is one of ``domains`` (lower case)."""
        if not domains:
            return []
        sql = f"SELECT id FROM customers WHERE lower(domain) IN ({self.db.dialect.marks(len(domains))})"
        return [r[0] for r in self.db.conn.execute(sql, list(domains))]

    def people(self, customer_id: str, limit: int, kinds: Sequence[str] = PEOPLE) -> list[dict[str, Any]]:
        """A customer's people of ``kinds`` (its billing contact, its callers), the latest caller first, at most
        ``limit``."""
        marks = self.db.dialect.marks(len(kinds))
        rows = self.db.conn.execute(
            f"SELECT {_ROW} FROM directory d WHERE d.customerId = ? AND d.kind IN ({marks}) "
            "ORDER BY d.kind, d.lastSeen DESC LIMIT ?",
            (customer_id, *kinds, limit),
        )
        return [dict(r) for r in rows]

    def people_count(self, customer_id: str, kinds: Sequence[str] = PEOPLE) -> int:
        sql = f"SELECT count(*) FROM directory WHERE customerId = ? AND kind IN ({self.db.dialect.marks(len(kinds))})"
        return int(self.db.conn.execute(sql, (customer_id, *kinds)).fetchone()[0])

    def cards(self, customer_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Each customer's name, domain and open tickets, by id: the open tickets from the health board's rollup
        (``health_open_customer``: its tickets with ``isOpen = 1``, kept by triggers on the tickets), a row read
        per customer instead of counting its tickets at each keystroke."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(customer_ids), _CHUNK):
            chunk = list(customer_ids[start : start + _CHUNK])
            marks = self.db.dialect.marks(len(chunk))
            rows = self.db.conn.execute(
                "SELECT c.id, c.companyName, c.domain, coalesce(o.n, 0) AS openTickets FROM customers c "
                f"LEFT JOIN health_open_customer o ON o.customerId = c.id WHERE c.id IN ({marks})",
                chunk,
            )
            out.update({r["id"]: dict(r) for r in rows})
        return out

    def first_customers(self, limit: int) -> list[str]:
        """The first customers by name (the directory before anything is typed)."""
        rows = self.db.conn.execute("SELECT id FROM customers ORDER BY companyName, id LIMIT ?", (limit,))
        return [r[0] for r in rows]

    def customer_count(self) -> int:
        return int(self.db.conn.execute("SELECT count(*) FROM customers").fetchone()[0])


def _callers(conn: sqlite3.Connection) -> dict[tuple[str, ...], str | None]:
    """Each distinct caller of the tickets, cleaned as the live path cleans it (:func:`clean`, in Python: SQL's
    ``trim()`` strips only U+0020), with its latest ticket's date."""
    callers: dict[tuple[str, ...], str | None] = {}
    rows = conn.execute(
        "SELECT customerId, contactName, contactEmail, contactPhone, max(createdDate) FROM tickets "
        "WHERE coalesce(contactName, contactEmail, contactPhone) IS NOT NULL GROUP BY 1, 2, 3, 4"
    )
    for cid, name, email, phone, last in rows:
        entry = _entry(cid, "caller", name, email, phone)
        callers[entry] = max(filter(None, (callers.get(entry), last)), default=None)
    return callers


def refill(conn: sqlite3.Connection) -> None:
    """Every row of the directory again, from the customers and the tickets, on ``conn`` (inside its
    transaction): new rows of distinct entries, so they are written in batches. The ids are the engine's (on
    PostgreSQL an identity column's sequence gives them: ids written here would leave it behind), read back by
    the primary key for the search rows."""
    conn.execute("DELETE FROM directory")
    conn.execute("DELETE FROM directory_search")
    entries: list[tuple[tuple[str, ...], str | None]] = [
        (e, None) for e in _customer_entries(conn.execute(f"SELECT {_CUSTOMER} FROM customers"))
    ]
    entries += list(_callers(conn).items())
    insert = SQLITE.insert("directory", _COLUMNS[1:])
    last = 0
    for start in range(0, len(entries), 5000):
        batch = [(e, seen) for e, seen in entries[start : start + 5000] if any(e[2:])]
        conn.executemany(insert, [(*e, stored_phone_key(e[4]), seen) for e, seen in batch])
        written = conn.execute("SELECT id, name, email FROM directory WHERE id > ? ORDER BY id", (last,)).fetchall()
        conn.executemany(
            "INSERT INTO directory_search (rowid, form) VALUES (?, ?)",
            [(r[0], search_form(f"{r[1]} {r[2]}")) for r in written],
        )
        last = int(written[-1][0]) if written else last
