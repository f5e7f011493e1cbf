"""The desk's billing work: collections, suspension for non-payment and reactivation, payments, the partner's
Microsoft invoices, and time charged against support offers. Every action checks the agent's role first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.billing import collections as coll
from console.billing.account import days_overdue, desk_day
from console.billing.questions import microsoft_invoice_outstanding
from console.shared.errors import UserError
from console.shared.model import ZERO_DECIMAL_CURRENCIES
from console.shared.private_files import private_dir, write_file
from console.tickets.ops import TicketInputError

if TYPE_CHECKING:
    from console.billing import suspension
    from console.billing.suspension_plan import SuspensionPlan
    from console.desk.door import Desk

#: Warn this many days before a Microsoft invoice falls due.
DUE_SOON_DAYS = 14
#: Microsoft suspends a partner's account when payment is more than this many days overdue.
PARTNER_SUSPENSION_DAYS = 60
MAX_MINUTES = 24 * 60


class BillingInputError(UserError, ValueError):
    """Bad input for a billing action; ``field`` names what to fix."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class PartnerInvoice:
    """One of the partner's own Microsoft invoices, with its due date (net 60) and what it waits on."""

    row: dict[str, Any]
    due: date
    unpaid: Decimal
    days_to_due: int
    level: str  # paid | ok | soon | overdue | critical
    waiting_on: list[dict[str, Any]] = field(default_factory=list)  # customers' overdue receivables re-billing it

    @property
    def warning(self) -> str:
        if self.level == "soon":
            return f"due in {self.days_to_due} days"
        if self.level in ("overdue", "critical"):
            late = -self.days_to_due
            left = PARTNER_SUSPENSION_DAYS - late
            if left > 0:
                return f"{late} days overdue: Microsoft suspends the partner account in {left} days"
            return f"{late} days overdue: past the {PARTNER_SUSPENSION_DAYS}-day limit, the partner account is at risk"
        return ""


@dataclass(frozen=True)
class OfferBalance:
    offer: dict[str, Any]
    hours_used: Decimal
    incidents: int
    amount: Decimal
    balance: Decimal | None  # prepaid offers: hours left
    low_at: Decimal

    @property
    def warning(self) -> str:
        if self.balance is None:
            return ""
        if self.balance <= 0:
            return f"prepaid hours used up ({self.balance.normalize():f} h): further work is billable or needs a top-up"
        if self.balance <= self.low_at:
            return f"prepaid balance low: {self.balance.normalize():f} h left"
        return ""


class BillingDesk:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.ws = desk.ws

    # -- collections -----------------------------------------------------------------------------
    def policy(self) -> coll.Policy:
        return self.desk.policy

    def collections(self, today: date | None = None) -> coll.Collections:
        self.desk.authorize("billing.view")
        today = today or self._today()
        receivables = self.ws.billing.open_receivables()
        suspensions = {s["customerId"]: s for s in self.ws.suspensions.suspensions() if s["state"] != "reactivated"}
        ids = {r["customerId"] for r in receivables} | set(suspensions)
        customers = self.ws.accounts.customer_cards(ids)
        payments = self.ws.billing.payments_by_customer()
        report = coll.assess(
            receivables, customers, self.ws.billing.dunning_actions(), payments, suspensions, self.policy(), today
        )
        for standing in report.customers:
            standing.zone = self.desk.config.time_zone
        return report

    def record_notices(self, actions: list[coll.DueAction], notices: Path | None = None) -> int:
        """Record due notices as sent (writing each notice to ``notices`` when given); return how many."""
        self.desk.authorize("billing.manage")
        chosen = [a for a in actions if a.action == "notice"]
        if notices is not None:
            private_dir(notices)
            for a in chosen:
                receivable = self.ws.billing.receivable(a.receivable_id)
                assert receivable is not None  # the action was read from it
                text = coll.notice_text(a, receivable, self.desk.config.partner)
                write_file(notices / f"{a.receivable_id}-{a.stage}.md", text)
        return self.ws.billing.record_dunning_actions(
            [
                {"customerId": a.customer_id, "receivableId": a.receivable_id, "stage": a.stage, "action": a.action}
                for a in chosen
            ],
            self.desk.agent,
        )

    # -- suspension ------------------------------------------------------------------------------
    def suspension_plan(self, customer_id: str) -> SuspensionPlan:
        from console.billing import suspension

        self.desk.authorize("subscription.suspend")
        rows = self.ws.accounts.account_rows(customer_id)
        if rows is None:
            raise LookupError(f"no customer {customer_id}")
        return suspension.plan(
            rows["customer"],
            rows["subscriptions"],
            self.desk.clock(),
            self.ws.microsoft.azure_entitlements(customer_id),
        )

    def suspend(self, customer_id: str) -> suspension.RunResult:
        from console.billing import suspension

        self.desk.authorize("subscription.suspend")
        self._need_partner_center("suspend")
        return suspension.suspend(
            self.ws, self.desk.clients.partner_center, customer_id, self.desk.agent, self.desk.clock()
        )

    def reactivate(self, customer_id: str) -> suspension.RunResult:
        from console.billing import suspension

        self.desk.authorize("subscription.reactivate")
        self._need_partner_center("reactivate")
        return suspension.reactivate(self.ws, self.desk.clients.partner_center, customer_id, self.desk.agent)

    def _need_partner_center(self, verb: str) -> None:
        from console.billing.suspension import SuspensionError

        if not self.desk.microsoft_configured:
            raise SuspensionError(
                f"Cannot {verb}: Partner Center is not configured (set CSP_CONSOLE_PARTNER_CENTER_TOKEN or "
                "[microsoft] partner_center_token_command). Nothing was changed."
            )

    def reactivation_due(self, customer_id: str) -> bool:
        standing = next((c for c in self.collections().customers if c.customer_id == customer_id), None)
        return standing is not None and any(a.action == "reactivate" for a in standing.actions)

    def open_receivables(self, customer_id: str) -> list[dict[str, Any]]:
        self.desk.authorize("billing.view")
        return self.ws.billing.open_receivables(customer_id)

    # -- payments --------------------------------------------------------------------------------
    def record_payment(
        self, customer_id: str, invoice_id: str, amount_text: str, paid_on: date | None = None
    ) -> dict[str, Any]:
        """Record a payment; raise :class:`BillingInputError` naming the bad field."""
        self.desk.authorize("billing.manage")
        if not self.ws.accounts.customer_cards([customer_id]):
            raise BillingInputError("customer", f"no customer {customer_id}")
        try:
            amount = Decimal(amount_text.strip().replace(",", ""))
        except InvalidOperation:
            raise BillingInputError("amount", f"{amount_text!r} is not an amount (e.g. 125000 or 1250.50)") from None
        if not amount.is_finite() or amount <= 0:
            raise BillingInputError("amount", f"the amount must be above 0, got {amount_text}")
        receivable = self.ws.billing.receivable(invoice_id)
        if receivable is None or receivable["customerId"] != customer_id:
            raise BillingInputError("invoice", f"customer {customer_id} has no invoice {invoice_id}")
        currency = receivable["currencyCode"]
        if currency in ZERO_DECIMAL_CURRENCIES and amount != amount.to_integral_value():
            raise BillingInputError("amount", f"{currency} has no minor unit, got {amount_text}")
        if amount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise BillingInputError("amount", f"{amount_text} has more than two decimals")
        today = self._today()
        on = paid_on or today
        if on > today:
            raise BillingInputError("date", f"{on.isoformat()} is in the future")
        try:
            return self.ws.billing.record_payment(customer_id, invoice_id, amount, on, self.desk.agent)
        except ValueError as exc:
            raise BillingInputError("amount", str(exc)) from None

    # -- the partner's Microsoft invoices ---------------------------------------------------------
    def partner_invoices(self, today: date | None = None) -> list[PartnerInvoice]:
        self.desk.authorize("billing.view")
        today = today or self._today()
        rows = self.ws.billing.partner_invoices()
        rebilling = self.ws.billing.receivables_rebilling([r["id"] for r in rows])
        out = []
        for row in rows:
            due = date.fromisoformat(row["dueDate"])
            unpaid = microsoft_invoice_outstanding(row)
            days = -days_overdue(due, today)
            if unpaid <= 0:
                level = "paid"
            elif days < -(PARTNER_SUSPENSION_DAYS // 2):
                level = "critical"
            elif days < 0:
                level = "overdue"
            elif days <= DUE_SOON_DAYS:
                level = "soon"
            else:
                level = "ok"
            waiting = []
            for r in rebilling.get(row["id"], []):
                outstanding = Decimal(r["totalCharges"]) - Decimal(r["paidAmount"] or "0")
                late = days_overdue(r["dueDate"], today)
                if outstanding > 0 and late > 0 and r["status"] not in ("paid", "written_off"):
                    waiting.append({**r, "outstanding": outstanding, "daysOverdue": late})
            out.append(PartnerInvoice(row, due, unpaid, days, level, waiting))
        return out

    # -- time against the offer -------------------------------------------------------------------
    def offer_balance(self, customer_id: str) -> OfferBalance | None:
        offer = self.ws.accounts.offer_of(customer_id)
        if offer is None:
            return None
        usage = self.ws.billing.offer_usage(offer["id"])
        balance = None
        if offer["pricingModel"] == "prepaid_hours":
            balance = Decimal(offer["prepaidHours"] or "0") - usage["hours"]
        low = offer.get("lowBalanceHours")
        low_at = Decimal(low) if low else Decimal(str(self.desk.config.sla.low_balance_hours))
        return OfferBalance(offer, usage["hours"], usage["incidents"], usage["amount"], balance, low_at)

    def log_time(
        self, ticket_id: str, minutes: int, note: str = "", work_date: date | None = None
    ) -> tuple[list[dict[str, Any]], OfferBalance | None]:
        """Log ``minutes`` on a ticket and charge the customer's offer; return the charges and the balance."""
        self.desk.authorize("ticket.time")
        ticket = self.ws.tickets.ticket(ticket_id)
        if ticket is None:
            raise LookupError(f"no ticket {ticket_id}")
        if not 1 <= minutes <= MAX_MINUTES:
            raise TicketInputError("minutes", f"log 1 to {MAX_MINUTES} minutes at a time, got {minutes}")
        if len(note) > 2000:
            raise TicketInputError("note", "keep the note under 2,000 characters")
        today = self._today()
        day = work_date or today
        if day > today:
            raise TicketInputError("date", f"{day.isoformat()} is in the future")
        offer = self.ws.accounts.offer_of(ticket["customerId"])
        hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
        charges: list[dict[str, Any]] = []
        if offer is not None:
            price = Decimal(offer["price"]) if offer["price"] else Decimal(0)
            currency = offer["currencyCode"]
            places = Decimal(1) if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
            model = offer["pricingModel"]
            if model in ("prepaid_hours", "hourly"):
                amount = (price * hours).quantize(places) if model == "hourly" else Decimal(0)
                charges.append({"kind": "hours", "hours": str(hours), "amount": str(amount)})
            elif model == "per_incident":
                charges.append({"kind": "incident", "hours": "0", "amount": str(price)})
            for c in charges:
                c.update(offerId=offer["id"], currencyCode=currency)
        entry = {
            "ticketSeq": ticket["seq"],
            "ticketId": ticket["id"],
            "customerId": ticket["customerId"],
            "offerId": offer["id"] if offer else None,
            "minutes": minutes,
            "note": note.strip() or None,
            "workDate": day.isoformat(),
        }
        _, stored = self.ws.billing.log_time(entry, charges, self.desk.agent)
        return stored, self.offer_balance(ticket["customerId"])

    def _today(self) -> date:
        return desk_day(self.desk.clock(), self.desk.config.time_zone)

    def live_suspension(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's suspension for non-payment not yet fully reactivated, with its items (``billing.view``)."""
        self.desk.authorize("billing.view")
        return self.ws.suspensions.live_suspension(customer_id)

    def time_entries(self, ticket: dict[str, Any] | str) -> list[dict[str, Any]]:
        """The time logged on a ticket (``ticket.view``)."""
        self.desk.authorize("ticket.view")
        return self.ws.billing.time_entries(self.desk.ticket(ticket)["seq"])
