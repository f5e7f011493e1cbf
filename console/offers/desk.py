"""Support offers and holiday calendars: edited (validated, audited) and stated to the customer. A change
moves the SLA clocks of the customer's open tickets at once."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from console.offers import statement as offer_statement
from console.records.kinds import OFFERS, RecordError, validate
from console.sla import clocks as sla
from console.sla.business_clock import reaches

if TYPE_CHECKING:
    from console.desk.door import Desk


class OfferDesk:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.ws = desk.ws

    def update(self, customer_id: str, changes: dict[str, Any]) -> int:
        """Set fields of the customer's offer (creating it needs the required fields); return how many open
        tickets' clocks moved. Raises ``ValueError`` naming the field."""
        self.desk.authorize("offer.manage")
        current = self.ws.accounts.offer_of(customer_id) or {}
        unknown = set(changes) - set(OFFERS.field_names)
        if unknown:
            name = sorted(unknown)[0]
            raise ValueError(f"field '{name}': unknown; expected one of {', '.join(OFFERS.field_names)}")
        raw = {k: v for k, v in current.items() if k in OFFERS.field_names and v is not None}
        raw.update(changes)
        raw.setdefault("id", f"OFFER-{customer_id[:8]}")
        raw["customerId"] = customer_id
        for name in ("supportTypes", "services", "contactMethods"):
            value = raw.get(name)
            if isinstance(value, str) and value.startswith("["):
                raw[name] = json.loads(value)
        try:
            record = validate(OFFERS, raw, set(self.desk.host.services))
        except RecordError as exc:
            raise ValueError(str(exc)) from None
        self.ws.accounts.save_offer(record, self.desk.agent)
        return sla.recompute_open(self.ws, self.desk.clocks)

    def add_holiday(self, calendar: str, day: date, name: str) -> int:
        self.desk.authorize("offer.manage")
        if not calendar.strip() or not name.strip():
            raise ValueError("a holiday needs a calendar name and a name")
        self.ws.accounts.save_holiday(calendar.strip(), day, name.strip(), self.desk.agent)
        return sla.recompute_open(self.ws, self.desk.clocks)

    def remove_holiday(self, calendar: str, day: date) -> int:
        self.desk.authorize("offer.manage")
        if not self.ws.accounts.delete_holiday(calendar, day, self.desk.agent):
            raise LookupError(f"calendar {calendar!r} has no holiday on {day.isoformat()}")
        return sla.recompute_open(self.ws, self.desk.clocks)

    def intake_warnings(
        self, customer_id: str, channel: str | None, category: str | None, service: str | None
    ) -> list[str]:
        """What about a request arriving now falls outside the customer's support offer: hours (holidays
        included), contact method, type of support, service; and a prepaid balance running low."""
        offer = self.ws.accounts.offer_of(customer_id)
        if offer is None:
            return ["No support offer is recorded for this customer: the partner must state one."]
        out = []
        types = json.loads(offer["supportTypes"])
        if category and category not in types:
            out.append(f"{category.title()} support is not in the offer (it covers {', '.join(types)}).")
        services = json.loads(offer["services"] or "[]")
        if service and services and service not in services:
            names = ", ".join(self.desk.host.services[s].name if s in self.desk.host.services else s for s in services)
            out.append(f"The offer does not cover this service (it covers {names}).")
        methods = json.loads(offer["contactMethods"])
        if channel and channel not in methods:
            out.append(f"Contact by {channel} is not in the offer (it lists {', '.join(methods)}).")
        policy = self.desk.clocks.policy(self.ws, customer_id)
        now = self.desk.clock()
        if not policy.calendar.is_open(now):
            local = now.astimezone(policy.calendar.zone)
            holiday = (
                next(
                    (
                        h["name"]
                        for h in self.ws.accounts.holiday_rows(policy.holiday_calendar)
                        if h["date"] == local.date().isoformat()
                    ),
                    None,
                )
                if policy.holiday_calendar
                else None
            )
            from console.settings.local_time import customer_zone, local_time_text

            there = f"{local:%a %H:%M} {customer_zone(policy.time_zone)}"
            why = f"today is a holiday there ({holiday})" if holiday else f"it is {there}"
            opens = reaches(policy.calendar, now, 1.0)
            start = f"; the SLA clocks start {local_time_text(opens, self.desk.config.time_zone)}" if opens else ""
            out.append(f"Outside service hours ({policy.describe()}): {why}{start}.")
        balance = self.desk.billing.offer_balance(customer_id)
        if balance is not None and balance.warning:
            out.append(balance.warning[0].upper() + balance.warning[1:] + ".")
        return out

    def statement(self, customer_id: str, fmt: str = "md") -> str:
        """The customer's support offer as a statement to send (``md`` or ``html``)."""
        self.desk.authorize("billing.view")
        rows = self.ws.accounts.account_rows(customer_id)
        if rows is None:
            raise LookupError(f"no customer {customer_id}")
        offer = rows["offer"]
        if offer is None:
            raise LookupError(f"{rows['customer']['companyName']} has no support offer to state; set one first")
        today = self.desk.billing._today()
        balance = self.desk.billing.offer_balance(customer_id)
        names = {sid: s.name for sid, s in self.desk.host.services.items()}
        sections = offer_statement.statement_sections(
            rows["customer"],
            offer,
            self.ws.accounts.holiday_rows(offer["holidayCalendar"]) if offer["holidayCalendar"] else [],
            self.desk.config,
            names,
            balance.balance if balance else None,
            today,
        )
        return offer_statement.render(rows["customer"], offer, sections, self.desk.config.partner.name, today, fmt)

    def offer(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's support offer as stored (``billing.view``)."""
        self.desk.authorize("billing.view")
        return self.ws.accounts.offer_of(customer_id)

    def holidays(self, calendar: str | None = None) -> list[dict[str, Any]]:
        """The holidays of one calendar, or of all (``billing.view``)."""
        self.desk.authorize("billing.view")
        return self.ws.accounts.holiday_rows(calendar)
