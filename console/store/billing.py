"""Billing in the store: time and charges against support offers, invoice lines, payments, dunning actions
and the partner's Microsoft invoices."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from console.shared.money import money
from console.store.base import Base
from console.store.rows import rows_in

_DUNNING_COLUMNS = ("customerId", "receivableId", "stage", "action", "actedDate", "agent", "detail")


class UnknownRecord(LookupError):
    """A customer, receivable or suspension that the workspace does not hold."""


class BillingRepo:
    """Time, charges, receivables, payments, dunning and the partner's own invoices."""

    def __init__(self, db: Base) -> None:
        self.db = db

    # -- time and charges --------------------------------------------------------------------
    def log_time(
        self, entry: dict[str, Any], charges: Sequence[dict[str, Any]], agent: str
    ) -> tuple[int, list[dict[str, Any]]]:
        """Store a time entry and the charges it makes against the offer, in one transaction."""
        now = self.db.now()
        with self.db.writing():
            cursor = self.db.conn.execute(
                "INSERT INTO time_entries (ticketSeq, customerId, offerId, agent, minutes, note, workDate, "
                "createdDate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry["ticketSeq"],
                    entry["customerId"],
                    entry["offerId"],
                    agent,
                    entry["minutes"],
                    entry["note"],
                    entry["workDate"],
                    now,
                ),
            )
            entry_id = int(cursor.lastrowid or 0)
            stored = []
            for charge in charges:
                if (
                    charge["kind"] == "incident"
                    and self.db.conn.execute(
                        "SELECT 1 FROM support_charges WHERE offerId = ? AND ticketSeq = ? AND kind = 'incident'",
                        (charge["offerId"], entry["ticketSeq"]),
                    ).fetchone()
                ):
                    continue
                self.db.conn.execute(
                    "INSERT INTO support_charges (offerId, customerId, ticketSeq, timeEntryId, kind, hours, amount, "
                    "currencyCode, createdDate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        charge["offerId"],
                        entry["customerId"],
                        entry["ticketSeq"],
                        entry_id,
                        charge["kind"],
                        charge["hours"],
                        charge["amount"],
                        charge["currencyCode"],
                        now,
                    ),
                )
                stored.append(charge)
            self.db.audit(
                agent,
                "ticket.time",
                "ticket",
                str(entry["ticketId"]),
                {
                    "minutes": entry["minutes"],
                    "charges": [{k: c[k] for k in ("kind", "hours", "amount")} for c in stored],
                },
            )
        return entry_id, stored

    def time_entries(self, seq: int) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(
            "SELECT id, agent, minutes, note, workDate, createdDate FROM time_entries WHERE ticketSeq = ? ORDER BY id",
            (seq,),
        )
        return [dict(r) for r in rows]

    def offer_usage(self, offer_id: str) -> dict[str, Any]:
        """Hours charged, incidents charged and the amount charged so far against an offer."""
        hours, amount, incidents = Decimal(0), Decimal(0), 0
        for kind, h, a in self.db.conn.execute(
            "SELECT kind, hours, amount FROM support_charges WHERE offerId = ?", (offer_id,)
        ):
            hours += Decimal(h) if kind == "hours" else 0
            incidents += kind == "incident"
            amount += Decimal(a)
        return {"hours": hours, "incidents": incidents, "amount": amount}

    # -- receivables, lines and payments -----------------------------------------------------
    def receivable_owners(self, ids: Iterable[str]) -> dict[str, str]:
        """The customer of each of these receivables that exists."""
        return {r[0]: r[1] for r in rows_in(self.db, "SELECT id, customerId FROM receivables WHERE id IN ({})", ids)}

    def receivable(self, receivable_id: str) -> dict[str, Any] | None:
        row = self.db.conn.execute("SELECT * FROM receivables WHERE id = ?", (receivable_id,)).fetchone()
        return dict(row) if row else None

    def receivable_lines(self, receivable_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {r: [] for r in receivable_ids}
        if not receivable_ids:
            return out
        rows = self.db.conn.execute(
            f"SELECT * FROM receivable_lines WHERE receivableId IN ({','.join('?' * len(receivable_ids))}) "
            "ORDER BY receivableId, id",
            list(receivable_ids),
        )
        for r in rows:
            out[r["receivableId"]].append(dict(r))
        return out

    def open_receivables(self, customer_id: str | None = None) -> list[dict[str, Any]]:
        """Every receivable with something outstanding (of one customer, or all), with the customer's name,
        oldest due first."""
        where, args = ("AND r.customerId = ? ", (customer_id,)) if customer_id else ("", ())
        rows = self.db.conn.execute(
            "SELECT r.*, c.companyName FROM receivables r JOIN customers c ON c.id = r.customerId "
            f"WHERE r.status NOT IN ('paid', 'written_off') {where}ORDER BY r.dueDate, r.id",
            args,
        )
        return [dict(r) for r in rows if Decimal(r["totalCharges"]) - Decimal(r["paidAmount"] or "0") > 0]

    def record_payment(
        self, customer_id: str, receivable_id: str, amount: Decimal, paid_on: date, agent: str
    ) -> dict[str, Any]:
        """Record a payment against a receivable and update what is paid; return the receivable as updated.

        Raises :class:`UnknownRecord` for a receivable that is not the customer's and ``ValueError`` for an
        amount above what is outstanding (nothing is written then)."""
        now = self.db.now()
        with self.db.writing():
            row = self.db.conn.execute(
                "SELECT * FROM receivables WHERE id = ? AND customerId = ?", (receivable_id, customer_id)
            ).fetchone()
            if row is None:
                raise UnknownRecord(f"customer {customer_id} has no invoice {receivable_id}")
            total, paid = Decimal(row["totalCharges"]), Decimal(row["paidAmount"] or "0")
            if row["status"] in ("paid", "written_off") or total - paid <= 0:
                raise ValueError(f"invoice {receivable_id} is already {row['status']}; nothing is outstanding")
            if amount > total - paid:
                raise ValueError(
                    f"{money(amount, row['currencyCode'])} is more than the {money(total - paid, row['currencyCode'])} "
                    f"outstanding on invoice {receivable_id}; record what "
                    "was actually received against this invoice"
                )
            new_paid = paid + amount
            status = "paid" if new_paid >= total else "partial"
            self.db.conn.execute(
                "INSERT INTO payments (customerId, receivableId, amount, currencyCode, paidDate, recordedBy, "
                "recordedDate) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (customer_id, receivable_id, str(amount), row["currencyCode"], paid_on.isoformat(), agent, now),
            )
            self.db.conn.execute(
                "UPDATE receivables SET paidAmount = ?, status = ? WHERE id = ?", (str(new_paid), status, receivable_id)
            )
            self.db.audit(
                agent,
                "payment.record",
                "receivable",
                receivable_id,
                {"customer": customer_id, "amount": str(amount), "paidDate": paid_on.isoformat(), "status": status},
            )
            return dict(self.db.conn.execute("SELECT * FROM receivables WHERE id = ?", (receivable_id,)).fetchone())

    def payments_of(self, customer_id: str) -> list[dict[str, Any]]:
        return self.payments_by_customer(customer_id).get(customer_id, [])

    def payments_by_customer(self, customer_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Recorded payments, oldest first, grouped by customer (one read for the collections view)."""
        where, args = ("WHERE customerId = ? ", (customer_id,)) if customer_id else ("", ())
        out: dict[str, list[dict[str, Any]]] = {}
        for r in self.db.conn.execute(
            "SELECT customerId, receivableId, amount, currencyCode, paidDate, recordedBy FROM payments "
            f"{where}ORDER BY paidDate, id",
            args,
        ):
            out.setdefault(r["customerId"], []).append(dict(r))
        return out

    # -- dunning -----------------------------------------------------------------------------
    def dunning_actions(self) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(
            "SELECT customerId, receivableId, stage, action, actedDate, agent, detail FROM dunning_actions ORDER BY id"
        )
        return [dict(r) for r in rows]

    def record_dunning_actions(self, actions: Sequence[dict[str, Any]], agent: str) -> int:
        """Record dunning steps as taken (each once per customer, invoice and stage); return how many were new."""
        now = self.db.now()
        added = 0
        with self.db.writing():
            for a in actions:
                cursor = self.db.conn.execute(
                    self.db.dialect.insert("dunning_actions", _DUNNING_COLUMNS, self.db.dialect.insert_or_ignore),
                    (a["customerId"], a["receivableId"], a["stage"], a["action"], now, agent, a.get("detail")),
                )
                if cursor.rowcount:
                    added += 1
                    self.db.audit(
                        agent,
                        f"dunning.{a['action']}",
                        "customer",
                        a["customerId"],
                        {"stage": a["stage"], "receivable": a["receivableId"]},
                    )
        return added

    # -- the partner's Microsoft invoices ----------------------------------------------------
    def save_partner_invoices(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        with self.db.writing():
            self.db.conn.executemany(
                self.db.dialect.upsert("partner_invoices", cols, "id"),
                [[r[c] for c in cols] for r in rows],
            )

    def partner_invoices(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.conn.execute("SELECT * FROM partner_invoices ORDER BY dueDate, id")]

    def receivables_rebilling(self, invoice_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Customers' receivables that re-bill each Microsoft invoice, with the customer's name."""
        out: dict[str, list[dict[str, Any]]] = {i: [] for i in invoice_ids}
        if not invoice_ids:
            return out
        rows = self.db.conn.execute(
            "SELECT r.*, c.companyName FROM receivables r JOIN customers c ON c.id = r.customerId "
            f"WHERE r.microsoftInvoiceId IN ({','.join('?' * len(invoice_ids))}) ORDER BY r.dueDate",
            list(invoice_ids),
        )
        for r in rows:
            out[r["microsoftInvoiceId"]].append(dict(r))
        return out
