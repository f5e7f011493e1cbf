"""Billing support in the store: holiday calendars, SLA bookkeeping, time and charges against support offers,
invoice lines, payments, dunning actions, suspensions for non-payment and the partner's Microsoft invoices."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from console.shared.clock import to_iso, utcnow
from console.shared.model import TicketStatus

#: The ticket statuses, as an SQL list (constants of ours, not input).
_STATUS_LIST = ", ".join(f"'{s.value}'" for s in TicketStatus)


class UnknownRecord(LookupError):
    """A customer, receivable or suspension that the workspace does not hold."""


class BillingStoreMixin:
    """Mixed into :class:`console.store.Workspace`."""

    if TYPE_CHECKING:
        # The workspace's per-thread connection (a read-only property of :class:`Workspace`).
        @property
        def conn(self) -> sqlite3.Connection: ...

    def _writing(self) -> AbstractContextManager[Any]:
        """A transaction of its own, or the caller's when one is open (a bulk load)."""
        return nullcontext() if self.conn.in_transaction else self.transaction()  # type: ignore[attr-defined]

    # -- holidays and offers -----------------------------------------------------------------
    def holidays(self, calendar: str | None) -> list[date]:
        if not calendar:
            return []
        rows = self.conn.execute("SELECT date FROM holidays WHERE calendar = ? ORDER BY date", (calendar,))
        return [date.fromisoformat(r[0]) for r in rows]

    def holiday_rows(self, calendar: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT calendar, date, name FROM holidays"
        args: tuple[Any, ...] = ()
        if calendar:
            sql += " WHERE calendar = ?"
            args = (calendar,)
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY calendar, date", args)]

    def save_holiday(self, calendar: str, day: date, name: str, agent: str) -> None:
        with self._writing():
            self.conn.execute(
                "INSERT INTO holidays (id, calendar, date, name) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                (f"{calendar}/{day.isoformat()}", calendar, day.isoformat(), name),
            )
            self.audit(agent, "holiday.save", "holiday", f"{calendar}/{day.isoformat()}", {"name": name})  # type: ignore[attr-defined]

    def delete_holiday(self, calendar: str, day: date, agent: str) -> bool:
        with self._writing():
            gone = self.conn.execute(
                "DELETE FROM holidays WHERE calendar = ? AND date = ?", (calendar, day.isoformat())
            ).rowcount
            if gone:
                self.audit(agent, "holiday.delete", "holiday", f"{calendar}/{day.isoformat()}", {})  # type: ignore[attr-defined]
        return bool(gone)

    def find_customer(self, key: str) -> str | None:
        """A customer's id from its id or its domain."""
        row = self.conn.execute(
            "SELECT id FROM customers WHERE id = ? UNION ALL SELECT id FROM customers WHERE lower(domain) = lower(?) "
            "LIMIT 1",
            (key.strip(), key.strip()),
        ).fetchone()
        return row[0] if row else None

    def offer_of(self, customer_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM support_offers WHERE customerId = ?", (customer_id,)).fetchone()
        return dict(row) if row else None

    def offers_and_holidays(self) -> tuple[dict[str, dict[str, Any]], dict[str, list[date]]]:
        """Every offer by customer and every holiday calendar: what the SLA clocks of a bulk load need."""
        offers = {r["customerId"]: dict(r) for r in self.conn.execute("SELECT * FROM support_offers")}
        calendars: dict[str, list[date]] = {}
        for r in self.conn.execute("SELECT calendar, date FROM holidays ORDER BY date"):
            calendars.setdefault(r[0], []).append(date.fromisoformat(r[1]))
        return offers, calendars

    def save_offer(self, record: dict[str, Any], agent: str) -> None:
        """Insert or replace a customer's offer (validated by the caller), audited with what changed."""
        before = self.offer_of(record["customerId"])
        cols = list(record)
        with self._writing():
            if before is not None and before["id"] != record["id"]:
                self.conn.execute("DELETE FROM support_offers WHERE id = ?", (before["id"],))
            self.conn.execute(
                f"INSERT OR REPLACE INTO support_offers ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [record[c] for c in cols],
            )
            changed = {c: record[c] for c in cols if before is None or before.get(c) != record[c]}
            self.audit(  # type: ignore[attr-defined]
                agent,
                "offer.update" if before else "offer.create",
                "offer",
                record["id"],
                {"before": {c: before.get(c) for c in changed} if before else None, "after": changed},
            )

    # -- SLA bookkeeping ---------------------------------------------------------------------
    def status_history(self, seq: int) -> list[tuple[str, str, str | None]]:
        """``(when, to, from)`` of every status change of a ticket, oldest first: the agents' changes and an
        escalation's move to ``waiting_microsoft`` (an ``escalation`` event whose values are statuses; its other
        events carry case numbers there)."""
        rows = self.conn.execute(
            "SELECT createdDate, toValue, fromValue FROM timeline WHERE ticketSeq = ? AND (kind = 'status_change' "
            f"OR (kind = 'escalation' AND toValue IN ({_STATUS_LIST}))) ORDER BY createdDate, id",
            (seq,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def record_breaches(self, now: str) -> int:
        """Mark every open ticket whose SLA target has passed unmet with the time it passed; return how many
        clocks were marked. Only due dates already stored are used, so this is cheap to run every minute."""
        changed = 0
        with self._writing():
            changed += self.conn.execute(
                "UPDATE tickets SET firstResponseBreachedDate = firstResponseDueDate "
                "WHERE isOpen = 1 AND slaDueDate <= ? AND firstResponseDate IS NULL "
                "AND firstResponseBreachedDate IS NULL AND firstResponseDueDate <= ?",
                (now, now),
            ).rowcount
            changed += self.conn.execute(
                "UPDATE tickets SET resolutionBreachedDate = resolutionDueDate "
                "WHERE isOpen = 1 AND slaDueDate <= ? AND resolutionDueDate <= ? AND resolutionBreachedDate IS NULL "
                "AND slaPausedSince IS NULL",
                (now, now),
            ).rowcount
        return changed

    def open_ticket_clocks(self, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Open tickets with what their SLA clocks need, in number order from ``after_seq``."""
        rows = self.conn.execute(
            "SELECT seq, id, customerId, severity, status, createdDate, firstResponseDate, resolvedDate, "
            "firstResponseDueDate, resolutionDueDate, firstResponseBreachedDate, resolutionBreachedDate, "
            "slaPausedSince, slaDueDate FROM tickets WHERE isOpen = 1 AND seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        )
        return [dict(r) for r in rows]

    def set_clocks(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store recomputed SLA fields (``seq`` plus the fields) without touching versions: they are derived."""
        fields = (
            "firstResponseDueDate",
            "resolutionDueDate",
            "firstResponseBreachedDate",
            "resolutionBreachedDate",
            "slaPausedSince",
            "slaDueDate",
        )
        with self._writing():
            self.conn.executemany(
                f"UPDATE tickets SET {', '.join(f'{f} = ?' for f in fields)} WHERE seq = ?",
                [[r[f] for f in fields] + [r["seq"]] for r in rows],
            )

    # -- time and charges --------------------------------------------------------------------
    def log_time(
        self, entry: dict[str, Any], charges: Sequence[dict[str, Any]], agent: str
    ) -> tuple[int, list[dict[str, Any]]]:
        """Store a time entry and the charges it makes against the offer, in one transaction."""
        now = to_iso(utcnow())
        with self._writing():
            cursor = self.conn.execute(
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
                    and self.conn.execute(
                        "SELECT 1 FROM support_charges WHERE offerId = ? AND ticketSeq = ? AND kind = 'incident'",
                        (charge["offerId"], entry["ticketSeq"]),
                    ).fetchone()
                ):
                    continue
                self.conn.execute(
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
            self.audit(  # type: ignore[attr-defined]
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
        rows = self.conn.execute(
            "SELECT id, agent, minutes, note, workDate, createdDate FROM time_entries WHERE ticketSeq = ? ORDER BY id",
            (seq,),
        )
        return [dict(r) for r in rows]

    def offer_usage(self, offer_id: str) -> dict[str, Any]:
        """Hours charged, incidents charged and the amount charged so far against an offer."""
        hours, amount, incidents = Decimal(0), Decimal(0), 0
        for kind, h, a in self.conn.execute(
            "SELECT kind, hours, amount FROM support_charges WHERE offerId = ?", (offer_id,)
        ):
            hours += Decimal(h) if kind == "hours" else 0
            incidents += kind == "incident"
            amount += Decimal(a)
        return {"hours": hours, "incidents": incidents, "amount": amount}

    # -- receivables, lines and payments -----------------------------------------------------
    def receivable_owners(self, ids: Iterable[str]) -> dict[str, str]:
        """The customer of each of these receivables that exists."""
        return self._pairs("SELECT id, customerId FROM receivables WHERE id IN ({})", ids)

    def _rows_in(self, sql: str, ids: Iterable[str]) -> Iterator[sqlite3.Row]:
        """Rows of ``sql`` (with one ``IN ({})``) for these ids, 500 at a time."""
        keys = list(dict.fromkeys(ids))
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            yield from self.conn.execute(sql.format(",".join("?" * len(chunk))), chunk)

    def _pairs(self, sql: str, ids: Iterable[str]) -> dict[str, str]:
        return {r[0]: r[1] for r in self._rows_in(sql, ids)}

    def receivable(self, receivable_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM receivables WHERE id = ?", (receivable_id,)).fetchone()
        return dict(row) if row else None

    def customer_cards(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{customerId, domain, companyName}`` of each of these customers, by id."""
        sql = "SELECT id AS customerId, domain, companyName FROM customers WHERE id IN ({})"
        return {r["customerId"]: dict(r) for r in self._rows_in(sql, ids)}

    def receivable_lines(self, receivable_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {r: [] for r in receivable_ids}
        if not receivable_ids:
            return out
        rows = self.conn.execute(
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
        rows = self.conn.execute(
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
        now = to_iso(utcnow())
        with self._writing():
            row = self.conn.execute(
                "SELECT * FROM receivables WHERE id = ? AND customerId = ?", (receivable_id, customer_id)
            ).fetchone()
            if row is None:
                raise UnknownRecord(f"customer {customer_id} has no invoice {receivable_id}")
            total, paid = Decimal(row["totalCharges"]), Decimal(row["paidAmount"] or "0")
            if row["status"] in ("paid", "written_off") or total - paid <= 0:
                raise ValueError(f"invoice {receivable_id} is already {row['status']}; nothing is outstanding")
            if amount > total - paid:
                raise ValueError(
                    f"{amount} is more than the {total - paid} outstanding on invoice {receivable_id}; record what "
                    "was actually received against this invoice"
                )
            new_paid = paid + amount
            status = "paid" if new_paid >= total else "partial"
            self.conn.execute(
                "INSERT INTO payments (customerId, receivableId, amount, currencyCode, paidDate, recordedBy, "
                "recordedDate) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (customer_id, receivable_id, str(amount), row["currencyCode"], paid_on.isoformat(), agent, now),
            )
            self.conn.execute(
                "UPDATE receivables SET paidAmount = ?, status = ? WHERE id = ?", (str(new_paid), status, receivable_id)
            )
            self.audit(  # type: ignore[attr-defined]
                agent,
                "payment.record",
                "receivable",
                receivable_id,
                {"customer": customer_id, "amount": str(amount), "paidDate": paid_on.isoformat(), "status": status},
            )
            return dict(self.conn.execute("SELECT * FROM receivables WHERE id = ?", (receivable_id,)).fetchone())

    def payments_of(self, customer_id: str) -> list[dict[str, Any]]:
        return self.payments_by_customer(customer_id).get(customer_id, [])

    def payments_by_customer(self, customer_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Recorded payments, oldest first, grouped by customer (one read for the collections view)."""
        where, args = ("WHERE customerId = ? ", (customer_id,)) if customer_id else ("", ())
        out: dict[str, list[dict[str, Any]]] = {}
        for r in self.conn.execute(
            "SELECT customerId, receivableId, amount, currencyCode, paidDate, recordedBy FROM payments "
            f"{where}ORDER BY paidDate, id",
            args,
        ):
            out.setdefault(r["customerId"], []).append(dict(r))
        return out

    # -- dunning -----------------------------------------------------------------------------
    def dunning_actions(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT customerId, receivableId, stage, action, actedDate, agent, detail FROM dunning_actions ORDER BY id"
        )
        return [dict(r) for r in rows]

    def record_dunning_actions(self, actions: Sequence[dict[str, Any]], agent: str) -> int:
        """Record dunning steps as taken (each once per customer, invoice and stage); return how many were new."""
        now = to_iso(utcnow())
        added = 0
        with self._writing():
            for a in actions:
                cursor = self.conn.execute(
                    "INSERT OR IGNORE INTO dunning_actions (customerId, receivableId, stage, action, actedDate, agent, "
                    "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (a["customerId"], a["receivableId"], a["stage"], a["action"], now, agent, a.get("detail")),
                )
                if cursor.rowcount:
                    added += 1
                    self.audit(  # type: ignore[attr-defined]
                        agent,
                        f"dunning.{a['action']}",
                        "customer",
                        a["customerId"],
                        {"stage": a["stage"], "receivable": a["receivableId"]},
                    )
        return added

    # -- suspensions -------------------------------------------------------------------------
    def live_suspension(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's suspension for non-payment that is not yet fully reactivated, with its items."""
        row = self.conn.execute(
            "SELECT * FROM suspensions WHERE customerId = ? AND state != 'reactivated'", (customer_id,)
        ).fetchone()
        return self._with_items(row)

    def suspension(self, suspension_id: int) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM suspensions WHERE id = ?", (suspension_id,)).fetchone()
        return self._with_items(row)

    def suspensions(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT s.*, c.companyName FROM suspensions s JOIN customers c ON c.id = s.customerId ORDER BY s.id"
        )
        return [dict(r) for r in rows]

    def _with_items(self, row: sqlite3.Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        out = dict(row)
        out["items"] = [
            dict(r)
            for r in self.conn.execute(
                "SELECT * FROM suspension_items WHERE suspensionId = ? ORDER BY position", (row["id"],)
            )
        ]
        return out

    def start_suspension(
        self, customer_id: str, reason: str, items: Sequence[dict[str, Any]], agent: str, detail: dict[str, Any]
    ) -> int:
        """Write the plan (every subscription to suspend, ``pending``; one that cannot be, ``blocked`` with its
        ``note``) before anything is sent to Partner Center, so that a failure midway always leaves a record of
        what was meant and what was done."""
        now = to_iso(utcnow())
        with self._writing():
            try:
                cursor = self.conn.execute(
                    "INSERT INTO suspensions (customerId, reason, state, startedDate, startedBy) "
                    "VALUES (?, ?, 'suspending', ?, ?)",
                    (customer_id, reason, now, agent),
                )
            except sqlite3.IntegrityError:  # another session started one a moment ago
                raise ValueError(f"a suspension of {customer_id} is already under way in another session") from None
            sid = int(cursor.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO suspension_items (suspensionId, subscriptionId, position, offerName, "
                "parentSubscriptionId, commerceType, priorStatus, priorAutoRenew, state, note, updatedDate) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sid,
                        i["subscriptionId"],
                        n,
                        i["offerName"],
                        i["parentSubscriptionId"],
                        i["commerceType"],
                        i["priorStatus"],
                        i["priorAutoRenew"],
                        i.get("state") or "pending",
                        i.get("note"),
                        now,
                    )
                    for n, i in enumerate(items)
                ],
            )
            self.audit(agent, "subscription.suspend.start", "customer", customer_id, {"suspension": sid, **detail})  # type: ignore[attr-defined]
        return sid

    def record_suspension_intent(self, suspension_id: int, subscription_id: str, intent: str, agent: str) -> None:
        """Before anything is sent for one subscription: what is about to be done to it (``suspend`` or
        ``reactivate``), committed. A request may have gone out only once :meth:`record_suspension_read` recorded
        its read and request id."""
        now = to_iso(utcnow())
        state = "intent" if intent == "suspend" else "reactivate_intent"
        with self._writing():
            self.conn.execute(
                # A PATCH recorded under the same intent may still be in flight: its request id and read stay
                # until the next read replaces them, so that it can still be recognised.
                "UPDATE suspension_items SET state = :state, intent = :intent, intentDate = :now, "
                "requestId = CASE WHEN intent = :intent THEN requestId END, "
                "readJson = CASE WHEN intent = :intent THEN readJson END, "
                "readDate = CASE WHEN intent = :intent THEN readDate END, error = NULL, updatedDate = :now "
                "WHERE suspensionId = :sid AND subscriptionId = :sub",
                {"state": state, "intent": intent, "now": now, "sid": suspension_id, "sub": subscription_id},
            )
            self.audit(  # type: ignore[attr-defined]
                agent, f"subscription.{intent}.intent", "subscription", subscription_id, {"suspension": suspension_id}
            )

    def record_suspension_read(
        self, suspension_id: int, subscription_id: str, read: dict[str, Any], request_id: str, agent: str
    ) -> None:
        """The subscription as Partner Center had it just before the PATCH sent with ``request_id``, committed
        before that PATCH is sent. Before a suspension, what was read is what reactivation restores
        (``priorStatus``, ``priorAutoRenew``)."""
        now = to_iso(utcnow())
        row = self.conn.execute(
            "SELECT intent FROM suspension_items WHERE suspensionId = ? AND subscriptionId = ?",
            (suspension_id, subscription_id),
        ).fetchone()
        if row is None:
            raise UnknownRecord(f"suspension {suspension_id} has no subscription {subscription_id}")
        suspending = row[0] == "suspend"
        prior = ", priorStatus = :status, priorAutoRenew = :autoRenew" if suspending else ""
        with self._writing():
            self.conn.execute(
                "UPDATE suspension_items SET state = :state, requestId = :requestId, readJson = :read, "
                f"readDate = :now, updatedDate = :now{prior} WHERE suspensionId = :sid AND subscriptionId = :sub",
                {
                    "state": "read" if suspending else "reactivate_read",
                    "requestId": request_id,
                    "read": json.dumps(read, ensure_ascii=False, sort_keys=True),
                    "now": now,
                    "status": read.get("status"),
                    "autoRenew": int(bool(read.get("autoRenewEnabled"))),
                    "sid": suspension_id,
                    "sub": subscription_id,
                },
            )
            self.audit(  # type: ignore[attr-defined]
                agent,
                f"subscription.{row[0]}.read",
                "subscription",
                subscription_id,
                {
                    "suspension": suspension_id,
                    "requestId": request_id,
                    "status": read.get("status"),
                    "suspensionReasons": read.get("suspensionReasons") or [],
                    "autoRenewEnabled": bool(read.get("autoRenewEnabled")),
                },
            )

    def set_suspension_item(
        self,
        suspension_id: int,
        subscription_id: str,
        state: str,
        agent: str,
        *,
        error: str | None = None,
        note: str | None = None,
        subscription: dict[str, Any] | None = None,
        suspended: dict[str, Any] | None = None,
    ) -> None:
        """Record one subscription's outcome (and Partner Center's copy of it) in one transaction; ``suspended``
        is the answer to our own suspension, kept to recognise it later."""
        now = to_iso(utcnow())
        with self._writing():
            self.conn.execute(
                "UPDATE suspension_items SET state = ?, error = ?, note = coalesce(?, note), "
                "suspendedJson = coalesce(?, suspendedJson), updatedDate = ? "
                "WHERE suspensionId = ? AND subscriptionId = ?",
                (
                    state,
                    error,
                    note,
                    json.dumps(suspended, ensure_ascii=False, sort_keys=True) if suspended is not None else None,
                    now,
                    suspension_id,
                    subscription_id,
                ),
            )
            if subscription is not None:
                self.conn.execute(
                    "UPDATE subscriptions SET status = ?, autoRenewEnabled = ?, suspensionReasons = ?, etag = ? "
                    "WHERE id = ?",
                    (
                        subscription["status"],
                        subscription["autoRenewEnabled"],
                        subscription["suspensionReasons"],
                        subscription["etag"],
                        subscription_id,
                    ),
                )
            self.audit(  # type: ignore[attr-defined]
                agent,
                f"subscription.{state}",
                "subscription",
                subscription_id,
                {
                    "suspension": suspension_id,
                    **({"error": error} if error else {}),
                    **({"note": note} if note else {}),
                },
            )

    def set_suspension_state(self, suspension_id: int, state: str, agent: str, *, error: str | None = None) -> None:
        now = to_iso(utcnow())
        stamp = {
            "suspended": ", suspendedDate = :now",
            "reactivating": (
                ", reactivationStartedDate = coalesce(reactivationStartedDate, :now), reactivatedBy = :agent"
            ),
            "reactivated": ", reactivatedDate = :now",
        }.get(state, "")
        with self._writing():
            self.conn.execute(
                f"UPDATE suspensions SET state = :state, lastError = :error{stamp} WHERE id = :id",
                {"state": state, "error": error, "now": now, "agent": agent, "id": suspension_id},
            )
            row = self.conn.execute("SELECT customerId FROM suspensions WHERE id = ?", (suspension_id,)).fetchone()
            self.audit(  # type: ignore[attr-defined]
                agent,
                f"suspension.{state}",
                "customer",
                row[0],
                {"suspension": suspension_id, **({"error": error} if error else {})},
            )

    # -- the partner's Microsoft invoices ----------------------------------------------------
    def save_partner_invoices(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
        with self._writing():
            self.conn.executemany(
                f"INSERT INTO partner_invoices ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                f"ON CONFLICT(id) DO UPDATE SET {updates}",
                [[r[c] for c in cols] for r in rows],
            )

    def partner_invoices(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM partner_invoices ORDER BY dueDate, id")]

    def receivables_rebilling(self, invoice_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Customers' receivables that re-bill each Microsoft invoice, with the customer's name."""
        out: dict[str, list[dict[str, Any]]] = {i: [] for i in invoice_ids}
        if not invoice_ids:
            return out
        rows = self.conn.execute(
            "SELECT r.*, c.companyName FROM receivables r JOIN customers c ON c.id = r.customerId "
            f"WHERE r.microsoftInvoiceId IN ({','.join('?' * len(invoice_ids))}) ORDER BY r.dueDate",
            list(invoice_ids),
        )
        for r in rows:
            out[r["microsoftInvoiceId"]].append(dict(r))
        return out

    def subscription_rows(self, customer_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM subscriptions WHERE customerId = ? ORDER BY id", (customer_id,))
        return [dict(r) for r in rows]

    def customer_names(self, ids: Iterable[str]) -> dict[str, str]:
        return self._pairs("SELECT id, companyName FROM customers WHERE id IN ({})", ids)
