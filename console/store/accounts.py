"""Customers, their subscriptions and support offers, and the holiday calendars offers count in (part of the
store: all SQL lives in this package)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from console.store.base import Base
from console.store.rows import rows_in


class AccountRepo:
    """What the workspace knows of each customer: the record, its subscriptions, its support offer."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def find_customer(self, key: str) -> str | None:
        """A customer's id from its id or its domain."""
        row = self.db.conn.execute(
            "SELECT id FROM customers WHERE id = ? UNION ALL SELECT id FROM customers WHERE lower(domain) = lower(?) "
            "LIMIT 1",
            (key.strip(), key.strip()),
        ).fetchone()
        return row[0] if row else None

    def customer_ids(self) -> list[str]:
        return [r[0] for r in self.db.conn.execute("SELECT id FROM customers ORDER BY companyName, id")]

    def customer_directory(self) -> list[dict[str, Any]]:
        """Every customer's id, name and domain, for the intake's type-ahead."""
        rows = self.db.conn.execute("SELECT id, companyName, domain FROM customers ORDER BY companyName")
        return [dict(r) for r in rows]

    def customer_cards(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{customerId, domain, companyName}`` of each of these customers, by id."""
        sql = "SELECT id AS customerId, domain, companyName FROM customers WHERE id IN ({})"
        return {r["customerId"]: dict(r) for r in rows_in(self.db, sql, ids)}

    def customer_names(self, ids: Iterable[str]) -> dict[str, str]:
        return {r[0]: r[1] for r in rows_in(self.db, "SELECT id, companyName FROM customers WHERE id IN ({})", ids)}

    def subscription_rows(self, customer_id: str) -> list[dict[str, Any]]:
        rows = self.db.conn.execute("SELECT * FROM subscriptions WHERE customerId = ? ORDER BY id", (customer_id,))
        return [dict(r) for r in rows]

    def account_rows(self, customer_id: str) -> dict[str, Any] | None:
        """A customer with its subscriptions, receivables and support offer, as stored."""
        customer = self.db.conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
        if customer is None:
            return None
        q = self.db.conn.execute
        return {
            "customer": dict(customer),
            "subscriptions": [
                dict(r) for r in q("SELECT * FROM subscriptions WHERE customerId = ? ORDER BY id", (customer_id,))
            ],
            "receivables": [
                dict(r) for r in q("SELECT * FROM receivables WHERE customerId = ? ORDER BY dueDate", (customer_id,))
            ],
            "offer": (
                dict(o)
                if (o := q("SELECT * FROM support_offers WHERE customerId = ?", (customer_id,)).fetchone())
                else None
            ),
        }

    def offers_by_customer(self, customer_ids: Iterable[str]) -> dict[str, str]:
        """The support offer id of each of ``customer_ids`` that has one."""
        ids = list(dict.fromkeys(customer_ids))
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.db.conn.execute(
                f"SELECT customerId, id FROM support_offers WHERE customerId IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            out.update({r[0]: r[1] for r in rows})
        return out

    # -- offers and holidays -------------------------------------------------------------------
    def offer_of(self, customer_id: str) -> dict[str, Any] | None:
        row = self.db.conn.execute("SELECT * FROM support_offers WHERE customerId = ?", (customer_id,)).fetchone()
        return dict(row) if row else None

    def offers_and_holidays(self) -> tuple[dict[str, dict[str, Any]], dict[str, list[date]]]:
        """Every offer by customer and every holiday calendar: what the SLA clocks of a bulk load need."""
        offers = {r["customerId"]: dict(r) for r in self.db.conn.execute("SELECT * FROM support_offers")}
        calendars: dict[str, list[date]] = {}
        for r in self.db.conn.execute("SELECT calendar, date FROM holidays ORDER BY date"):
            calendars.setdefault(r[0], []).append(date.fromisoformat(r[1]))
        return offers, calendars

    def save_offer(self, record: dict[str, Any], agent: str) -> None:
        """Insert or replace a customer's offer (validated by the caller), audited with what changed."""
        before = self.offer_of(record["customerId"])
        cols = list(record)
        with self.db.writing():
            if before is not None and before["id"] != record["id"]:
                self.db.conn.execute("DELETE FROM support_offers WHERE id = ?", (before["id"],))
            self.db.conn.execute(
                self.db.dialect.insert("support_offers", cols, self.db.dialect.insert_or_replace),
                [record[c] for c in cols],
            )
            changed = {c: record[c] for c in cols if before is None or before.get(c) != record[c]}
            self.db.audit(
                agent,
                "offer.update" if before else "offer.create",
                "offer",
                record["id"],
                {"before": {c: before.get(c) for c in changed} if before else None, "after": changed},
            )

    def holidays(self, calendar: str | None) -> list[date]:
        if not calendar:
            return []
        rows = self.db.conn.execute("SELECT date FROM holidays WHERE calendar = ? ORDER BY date", (calendar,))
        return [date.fromisoformat(r[0]) for r in rows]

    def holiday_rows(self, calendar: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT calendar, date, name FROM holidays"
        args: tuple[Any, ...] = ()
        if calendar:
            sql += " WHERE calendar = ?"
            args = (calendar,)
        return [dict(r) for r in self.db.conn.execute(sql + " ORDER BY calendar, date", args)]

    def save_holiday(self, calendar: str, day: date, name: str, agent: str) -> None:
        with self.db.writing():
            self.db.conn.execute(
                self.db.dialect.upsert("holidays", ("id", "calendar", "date", "name"), "id", update=["name"]),
                (f"{calendar}/{day.isoformat()}", calendar, day.isoformat(), name),
            )
            self.db.audit(agent, "holiday.save", "holiday", f"{calendar}/{day.isoformat()}", {"name": name})

    def delete_holiday(self, calendar: str, day: date, agent: str) -> bool:
        with self.db.writing():
            gone = self.db.conn.execute(
                "DELETE FROM holidays WHERE calendar = ? AND date = ?", (calendar, day.isoformat())
            ).rowcount
            if gone:
                self.db.audit(agent, "holiday.delete", "holiday", f"{calendar}/{day.isoformat()}", {})
        return bool(gone)
