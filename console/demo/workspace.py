"""The demo workspace: a deterministic, realistic CSP desk (same seed and clock, same data).

``generate`` writes customers of all three services (direct and indirect, Japanese among them),
subscriptions in every status, overdue receivables at every dunning stage, several kinds of support offer,
agents, and tickets in every category, severity, service and status, hostile text included.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from console.billing.questions import prorate
from console.demo import content
from console.health.board import backfill_samples
from console.records.kinds import (
    CUSTOMERS,
    OFFERS,
    RECEIVABLE_LINES,
    RECEIVABLES,
    SUBSCRIPTIONS,
    TICKETS,
    refund_details_json,
)
from console.settings.config import Config
from console.shared import model
from console.shared.clock import to_iso
from console.sla import clocks as sla
from console.store import Workspace
from console.store.workspace import ticket_columns
from console.tickets.search_text import search_form

ProgressFn = Callable[[int], None]
CHUNK = 5000
# Days past due that put a receivable at each dunning stage (not yet due, reminder, second notice,
# final notice, access impacted, suspended, collections).
OVERDUE_DAYS = [-10, 3, 16, 32, 47, 65, 95]


@dataclass
class _Customer:
    id: str
    name: str
    country: str
    services: tuple[str, ...]
    japanese: bool
    subscriptions: list[tuple[str, str, int]]  # (service, offerName, quantity)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _customer_specs(count: int, rng: random.Random) -> list[tuple[str, str, str, str, str, tuple[str, ...], str]]:
    specs = list(content.CUSTOMERS)
    services = tuple(model.BUILTIN_SERVICES)
    offer_kinds = list(content.OFFERS)
    n = 0
    while len(specs) < count:
        n += 1
        if rng.random() < 0.5:
            name = f"株式会社{rng.choice(content.JA_NAMES)}{rng.choice(content.JA_TRADES)}{n}"
            culture, country = "ja-JP", "JP"
        else:
            name = f"{rng.choice(content.EN_NAMES)} {rng.choice(content.EN_TRADES)} {n}"
            culture, country = "en-US", "US"
        picked = tuple(s for s in services if rng.random() < 0.5) or (rng.choice(services),)
        relation = "indirect" if rng.random() < 0.4 else "direct"
        specs.append((name, f"customer{n}.example", culture, country, relation, picked, rng.choice(offer_kinds)))
    return specs


def generate(
    ws: Workspace,
    *,
    tickets: int = 2000,
    seed: int = 1,
    now: datetime,
    progress: ProgressFn | None = None,
    extra_admins: tuple[str, ...] = (),
    config: Config | None = None,
) -> dict[str, int]:
    """Write the demo into the (empty) workspace ``ws`` in one transaction; return rows per kind.

    The tickets' SLA clocks count in each customer's business hours under ``config``'s ``[sla]`` defaults."""
    if ws.counts()["customers"]:
        raise ValueError(f"{ws.path}: the workspace is not empty; the demo needs a new file")
    rng = random.Random(seed)
    customer_count = max(len(content.CUSTOMERS), tickets // 200)
    with ws.bulk_load():
        customers = _write_accounts(ws, rng, customer_count, now)
        _write_agents(ws, extra_admins)
        offers, calendars = ws.offers_and_holidays()
        policies = {
            c.id: sla.policy_for(offers.get(c.id), _holidays(offers.get(c.id), calendars), config or Config())
            for c in customers
        }
        _write_tickets(ws, rng, customers, tickets, now, progress, policies)
    backfill_samples(ws, now)  # the health board's trends start with a day of history
    ws.analyze()
    return ws.counts()


def _holidays(offer: dict[str, Any] | None, calendars: dict[str, list[date]]) -> list[date]:
    """The holidays of the calendar a customer's support offer names (none without an offer or a calendar)."""
    name = (offer or {}).get("holidayCalendar")
    return calendars.get(name, []) if name is not None else []


def _write_agents(ws: Workspace, extra_admins: tuple[str, ...]) -> None:
    """The demo desk's agents, and whoever runs the demo as a Global admin (so it can be used at once)."""
    agents = list(content.AGENTS)
    known = {login for login, _, _ in agents}
    agents += [(login, login, ("global_admin",)) for login in extra_admins if login not in known]
    ws.bulk_insert(
        "agents",
        ["login", "displayName", "email"],
        [(login, name, f"{login}@sakura-cloud.example") for login, name, _ in agents],
    )
    ws.bulk_insert("agent_roles", ["login", "role"], [(login, role) for login, _, roles in agents for role in roles])


def _write_accounts(ws: Workspace, rng: random.Random, count: int, now: datetime) -> list[_Customer]:
    customers: list[_Customer] = []
    customer_rows: list[dict[str, Any]] = []
    sub_rows: list[dict[str, Any]] = []
    recv_rows: list[dict[str, Any]] = []
    offer_rows: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}
    for index, (name, domain, culture, country, relation, services, offer_kind) in enumerate(
        _customer_specs(count, rng)
    ):
        cid = _uuid(rng)
        japanese = country == "JP"
        first, last = ("太郎", "山田") if japanese else ("Alex", "Morgan")
        customer_rows.append(
            {
                "id": cid,
                "tenantId": cid,
                "domain": domain,
                "companyName": name,
                "relationshipToPartner": "reseller",
                "associatedPartnerId": f"{5100000 + index}" if relation == "indirect" else None,
                "culture": culture,
                "language": culture.split("-")[0],
                "country": country,
                "billingFirstName": first,
                "billingLastName": last,
                "billingEmail": f"billing@{domain}",
            }
        )
        customer = _Customer(cid, name, country, services, japanese, [])
        for service in services:
            sub_rows.extend(_subscriptions(rng, customer, service, now, index))
        recv_rows.extend(_receivables(rng, customer, now, index))
        index_of[cid] = index
        offer_rows.append(_offer(customer, offer_kind, index))
        customers.append(customer)
    line_rows = [line for r in recv_rows for line in _lines(r, sub_rows, index_of[r["customerId"]])]
    for kind, rows in (
        (CUSTOMERS, customer_rows),
        (SUBSCRIPTIONS, sub_rows),
        (RECEIVABLES, recv_rows),
        (RECEIVABLE_LINES, line_rows),
        (OFFERS, offer_rows),
    ):
        ws.bulk_insert(kind.table, kind.field_names, ([r.get(c) for c in kind.field_names] for r in rows))
    ws.bulk_insert(
        "holidays", ["id", "calendar", "date", "name"], [(f"jp/{d}", "jp", d, n) for d, n in content.HOLIDAYS_JP]
    )
    ws.save_partner_invoices(_partner_invoices(recv_rows, now))
    for sub in sub_rows:
        if sub["offerName"] == "Azure plan" and sub["parentSubscriptionId"] is None:
            ws.save_azure_entitlements(sub["customerId"], sub["id"], _entitlements(sub, index_of[sub["customerId"]]))
    return customers


_ENTITLEMENT_NS = uuid.UUID("0b9c5c1e-3f0a-4d7e-9a61-5a2f0c7d4e11")
_LEGACY_OFFER_NS = uuid.UUID("5d1f0a3e-8c2b-4b7e-a9d4-3e6f1c2b7a90")


def _entitlements(plan: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """An Azure plan's Azure subscriptions, as Partner Center's azureEntitlements lists them; derived from the
    plan's id (not from the random stream, which would move every later demo row)."""
    names = ["Production"] + (["Dev/Test"] if index % 2 == 0 else [])
    return [
        {
            "id": str(uuid.uuid5(_ENTITLEMENT_NS, f"{plan['id']}/entitlement/{n}")),
            "subscriptionId": str(uuid.uuid5(_ENTITLEMENT_NS, f"{plan['id']}/azure/{n}")),
            "friendlyName": name,
            "status": "active" if plan["status"] == "active" else plan["status"],
        }
        for n, name in enumerate(names)
    ]


def _subscriptions(
    rng: random.Random, customer: _Customer, service: str, now: datetime, index: int
) -> Iterator[dict[str, Any]]:
    offers = content.SUBSCRIPTION_OFFERS[service]
    statuses = ["active", "suspended", "deleted", "expired", "pending", "disabled"]  # the demo's spread
    for n, (offer_id, offer_name, billing_type, unit) in enumerate(offers[: 2 + (index % 2)]):
        # Spread the interesting cases across customers: every status, NCE windows open and closed,
        # trials near conversion, over-assigned licences.
        variant = (index + n) % 8
        status = statuses[(index // 3) % len(statuses)] if n == 1 and index % 3 == 0 else "active"
        created = now - timedelta(days=[2, 200, 25, 400, 5, 90, 40, 500][variant], hours=rng.randint(0, 20))
        quantity = 1 if billing_type == "usage" else rng.choice([5, 12, 25, 60, 150, 290])
        if "Finance" in offer_name:
            quantity = rng.choice([12, 20, 35])
        assigned = (
            quantity + rng.randint(1, 5)
            if variant == 6 and billing_type != "usage"
            else (max(0, quantity - rng.randint(0, 3)))
        )
        term = "P1M" if variant in (0, 4) else ("P3Y" if variant == 3 else "P1Y")
        is_trial = variant == 2 and billing_type != "usage"
        # Legacy CSP offers have GUID offer ids; new commerce ones productId:skuId (an Azure plan is always new
        # commerce): the sync reads the commerce type from that, as Partner Center has it.
        legacy = variant == 3 and offer_name != "Azure plan"
        if legacy:
            offer_id = str(uuid.uuid5(_LEGACY_OFFER_NS, offer_id)).upper()
        refundable = quantity if variant in (0, 4) else 0
        sid = _uuid(rng)
        customer.subscriptions.append((service, offer_name, quantity))
        yield {
            "id": sid,
            "customerId": customer.id,
            "service": service,
            "offerId": offer_id,
            "offerName": offer_name,
            "friendlyName": offer_name,
            "quantity": 25 if is_trial else quantity,
            "assignedSeats": assigned,
            "unitType": unit,
            "status": status,
            "autoRenewEnabled": 0 if status == "suspended" else 1,
            "billingType": billing_type,
            "billingCycle": "monthly" if term == "P1M" else "annual",
            "termDuration": term,
            "commerceType": "legacy" if legacy else "nce",
            "creationDate": to_iso(created),
            "effectiveStartDate": to_iso(created),
            "commitmentEndDate": to_iso(created + timedelta(days={"P1M": 30, "P1Y": 365, "P3Y": 1095}[term])),
            "cancellationAllowedUntilDate": to_iso(created + timedelta(days=7)),
            "refundableQuantity": refundable,
            "refundableDetails": refund_details_json(
                None,
                [{"quantity": refundable, "allowedUntilDateTime": to_iso(created + timedelta(days=7))}]
                if refundable
                else [],
            ),
            "isTrial": int(is_trial),
            "suspensionReasons": '["CustomerCancellation"]' if status == "suspended" else None,
            "parentSubscriptionId": None,
            "etag": f'W/"{rng.getrandbits(32):08x}"',
            "details": _details(offer_name, index + n),
        }
        if n == 0 and service in content.ADDONS:
            addon_id, addon_name, addon_billing, addon_unit = content.ADDONS[service]
            yield {
                "id": _uuid(rng),
                "customerId": customer.id,
                "service": service,
                "offerId": addon_id,
                "offerName": addon_name,
                "friendlyName": addon_name,
                "quantity": 5,
                "assignedSeats": 5,
                "unitType": addon_unit,
                "status": "suspended" if status == "suspended" else "active",
                "autoRenewEnabled": 1,
                "billingType": addon_billing,
                "billingCycle": "annual",
                "termDuration": "P1Y",
                "commerceType": "nce",
                "creationDate": to_iso(created),
                "effectiveStartDate": to_iso(created),
                "commitmentEndDate": to_iso(created + timedelta(days=365)),
                "cancellationAllowedUntilDate": to_iso(created + timedelta(days=7)),
                "refundableQuantity": 0,
                "isTrial": 0,
                "suspensionReasons": None,
                "parentSubscriptionId": sid,
                "etag": f'W/"{rng.getrandbits(32):08x}"',
            }


def _canonical_json(value: dict[str, object]) -> str:
    """As the import stores a ``details`` object, so an export of the demo imports back byte for byte."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _details(offer_name: str, variant: int) -> str | None:
    """Service-specific data the Azure checks read: budget and spend, partner admin access, reservations."""
    if offer_name == "Azure plan":
        budget = 5000 * (1 + variant % 4)
        ratio = (0.45, 0.85, 1.12, 0.7)[variant % 4]
        return _canonical_json(
            {
                "budget": budget,
                "monthToDateCost": round(budget * ratio, 2),
                "currency": "USD",
                "partnerAdminAccess": variant % 5 != 3,
            },
        )
    if "Reserved" in offer_name:
        return _canonical_json({"price": 24000, "currency": "USD", "refundedThisYear": (0, 30000, 48000)[variant % 3]})
    return None


def _receivables(rng: random.Random, customer: _Customer, now: datetime, index: int) -> Iterator[dict[str, Any]]:
    currency = content.CURRENCIES.get(customer.country, "USD")
    for month in range(3):
        # This month's invoice at a dunning stage; the two before it older, and paid.
        overdue = OVERDUE_DAYS[(index + month) % len(OVERDUE_DAYS)] if month == 0 else 5 + month * 30
        due = (now - timedelta(days=overdue)).date()
        issued = due - timedelta(days=30)
        if currency == "JPY":
            total = Decimal(rng.randint(30, 900) * 1000)
        else:
            total = Decimal(rng.randint(20000, 900000)) / 100
        paid = total if month else Decimal(0)
        status = "paid" if paid == total else ("disputed" if index % 11 == 5 and month == 0 else "open")
        yield {
            "id": f"INV-{index:05d}-{month}",
            "customerId": customer.id,
            "invoiceDate": issued.isoformat(),
            "dueDate": due.isoformat(),
            "totalCharges": str(total),
            "paidAmount": str(paid),
            "currencyCode": currency,
            "status": status,
            "microsoftInvoiceId": _microsoft_invoice_id(issued),
        }


def _microsoft_invoice_id(issued: date) -> str:
    """The partner's Microsoft invoice that a customer invoice re-bills: the one of the month it was issued."""
    return f"G{issued.year}{issued.month:02d}0417"


#: What a JPY amount is worth in USD in the demo, to total the partner's Microsoft invoices.
_USD_JPY = Decimal(150)


def _partner_invoices(receivables: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The partner's own Microsoft invoices (in USD, net 60): what the customers' invoices re-bill, at cost."""
    totals: dict[str, Decimal] = {}
    for r in receivables:
        amount = Decimal(r["totalCharges"])
        usd = amount / _USD_JPY if r["currencyCode"] == "JPY" else amount
        totals[r["microsoftInvoiceId"]] = totals.get(r["microsoftInvoiceId"], Decimal(0)) + usd * Decimal("0.85")
    out = []
    for invoice_id, total in sorted(totals.items()):
        issued = date(int(invoice_id[1:5]), int(invoice_id[5:7]), 1)
        due = issued + timedelta(days=60)
        paid = due < now.date()  # the partner pays Microsoft on time; what is not yet due is unpaid
        start = (issued - timedelta(days=1)).replace(day=1)
        out.append(
            {
                "id": invoice_id,
                "invoiceDate": issued.isoformat(),
                "billingPeriodStartDate": start.isoformat(),
                "billingPeriodEndDate": (issued - timedelta(days=1)).isoformat(),
                "totalCharges": str(total.quantize(Decimal("0.01"))),
                # Partner Center's sign: a payment received is negative (REST docs, invoice resources).
                "paidAmount": str(-total.quantize(Decimal("0.01"))) if paid else "0",
                "currencyCode": "USD",
                "invoiceType": "recurring",
                "documentType": "invoice",
                "dueDate": due.isoformat(),
                "syncedDate": to_iso(now),
            }
        )
    return out


def _lines(receivable: dict[str, Any], subscriptions: list[dict[str, Any]], index: int) -> Iterator[dict[str, Any]]:
    """Invoice lines that add up to the receivable: one per licence subscription, and for some customers a
    prorated line for seats added mid-term (worked out with the proration formula)."""
    subs = [
        s for s in subscriptions if s["customerId"] == receivable["customerId"] and s["billingType"] == "license"
    ] or [s for s in subscriptions if s["customerId"] == receivable["customerId"]]
    total = Decimal(receivable["totalCharges"])
    currency = receivable["currencyCode"]
    zero = currency in model.ZERO_DECIMAL_CURRENCIES
    lines: list[dict[str, Any]] = []
    remaining = total
    issued = date.fromisoformat(receivable["invoiceDate"])
    if subs and index % 4 == 1 and receivable["id"].endswith("-0"):
        added_to = subs[0]
        term_start = issued - timedelta(days=200)
        term_end = term_start + timedelta(days=365)
        added = Decimal(3)
        unit = Decimal(20400) if zero else Decimal("144.00")
        change = issued - timedelta(days=20)
        amount = prorate(unit, added, change, term_end, term_start, term_end, currency)
        if amount < total:
            lines.append(
                {
                    "id": f"{receivable['id']}-P",
                    "receivableId": receivable["id"],
                    "customerId": receivable["customerId"],
                    "subscriptionId": added_to["id"],
                    "description": f"{added_to['offerName']}: 3 seats added {change.isoformat()}",
                    "chargeType": "prorated",
                    "quantity": str(added),
                    "unitPrice": str(unit),
                    "amount": str(amount),
                    "periodStart": change.isoformat(),
                    "periodEnd": term_end.isoformat(),
                    "termStart": term_start.isoformat(),
                    "termEnd": term_end.isoformat(),
                }
            )
            remaining -= amount
    charged: list[dict[str, Any] | None] = [*subs] or [None]  # no subscription: one line for services
    for n, sub in enumerate(charged):
        share = (
            remaining
            if n == len(charged) - 1
            else (remaining / (len(subs) - n)).quantize(Decimal(1) if zero else Decimal("0.01"))
        )
        remaining -= share
        lines.append(
            {
                "id": f"{receivable['id']}-{n + 1}",
                "receivableId": receivable["id"],
                "customerId": receivable["customerId"],
                "subscriptionId": sub["id"] if sub else None,
                "description": f"{sub['offerName']}, {issued:%Y-%m}" if sub else f"Services, {issued:%Y-%m}",
                "chargeType": "usage" if sub and sub["billingType"] == "usage" else "recurring",
                "quantity": str(sub["quantity"]) if sub else None,
                "unitPrice": None,
                "amount": str(share),
                "periodStart": issued.isoformat(),
                "periodEnd": (issued + timedelta(days=30)).isoformat(),
                "termStart": None,
                "termEnd": None,
            }
        )
    return iter(lines)


def _offer(customer: _Customer, kind: str, index: int) -> dict[str, Any]:
    name, types, tz, hours, holidays, contacts, pricing, price, currency, prepaid = content.OFFERS[kind]
    local = content.CURRENCIES.get(customer.country, "USD")  # priced in the customer's currency unless set
    return {
        "id": f"OFFER-{index:05d}",
        "customerId": customer.id,
        "name": name,
        "supportTypes": _json_list(types),
        "services": _json_list(list(customer.services)),
        "timeZone": tz or content.TIME_ZONES.get(customer.country, "UTC"),
        "serviceHours": hours,
        "holidayCalendar": holidays,
        "contactMethods": _json_list(contacts),
        "pricingModel": pricing,
        "price": str(int(price) * 100) if price and not currency and local == "JPY" else price,
        "currencyCode": currency or (local if price else None),
        "prepaidHours": prepaid,
    }


def _json_list(items: list[str]) -> str:
    return json.dumps(items, ensure_ascii=False)


def _write_tickets(
    ws: Workspace,
    rng: random.Random,
    customers: list[_Customer],
    count: int,
    now: datetime,
    progress: ProgressFn | None,
    policies: dict[str, sla.SlaPolicy],
) -> None:
    statuses = [s.value for s in model.TicketStatus]
    open_statuses = [s.value for s in model.OPEN_STATUSES]
    open_share = 0.5 if count <= 5000 else 0.12
    agents = [login for login, _, roles in content.AGENTS if "sales_agent" not in roles]
    channels = [c.value for c in model.Channel]
    columns = [
        "seq",
        *TICKETS.field_names,
        "severityRank",
        "isOpen",
        "slaDueDate",
        "lastModifiedDate",
        "customerName",
        "claimedUntil",
        "firstResponseBreachedDate",
        "resolutionBreachedDate",
        "slaPausedSince",
    ]
    timeline_columns = ["ticketSeq", "kind", "author", "createdDate", "text", "fromValue", "toValue"]
    rows: list[list[Any]] = []
    index_rows: list[tuple[int, str, str, str]] = []
    timeline_rows: list[tuple[Any, ...]] = []
    stamp = to_iso(now)

    def flush() -> None:
        nonlocal rows, index_rows, timeline_rows
        ws.bulk_insert("tickets", columns, rows)
        ws.bulk_insert("timeline", timeline_columns, timeline_rows)
        ws.bulk_index(index_rows)
        if progress is not None:
            progress(len(rows))
        rows, index_rows, timeline_rows = [], [], []

    for seq in range(1, count + 1):
        customer = customers[rng.randrange(len(customers))] if seq > 40 else customers[seq % len(customers)]
        hostile = seq <= len(content.HOSTILE) * 2 and seq % 2 == 1
        service: str | None  # None: the ticket arrived unclassified
        category: str | None
        if hostile:
            title, body = content.HOSTILE[(seq // 2) % len(content.HOSTILE)]
            service, category, severity = customer.services[0], "technical", "critical"
        else:
            pool = content.TEMPLATES_JA if customer.japanese and rng.random() < 0.7 else content.TEMPLATES
            candidates = [t for t in pool if t[0] in customer.services] or content.TEMPLATES
            service, category, severity, title_t, body_t = candidates[rng.randrange(len(candidates))]
            offer = next((o for s, o, _ in customer.subscriptions if s == service), "Microsoft 365 Business Basic")
            contact = rng.choice(content.CONTACTS_JA if customer.japanese else content.CONTACTS_EN)
            values = {
                "offer": offer,
                "seats": rng.choice([3, 5, 10, 25]),
                "company": customer.name,
                "contact": contact,
                "amount": f"{rng.randint(100, 9000)}.00",
            }
            title, body = title_t.format(**values), body_t.format(**values)
        # Every status, severity, service and category appears even in a small demo.
        if seq <= 60:
            status = statuses[seq % len(statuses)]
            severity = [s.value for s in model.Severity][seq % 4] if not hostile else severity
        else:
            status = rng.choice(open_statuses) if rng.random() < open_share else rng.choice(["resolved", "closed"])
        if hostile:
            status = "new"
        if 40 < seq <= 48:
            service, category = None, None  # arrived unclassified
        is_open = status in open_statuses
        if status == "new":
            age = timedelta(minutes=rng.randint(3, 60 * 14))
        elif is_open:  # most open tickets are still inside their resolution target; some have breached it
            age = timedelta(minutes=rng.randint(30, int(60 * model.RESOLUTION_HOURS[model.Severity(severity)] * 1.25)))
        else:
            age = timedelta(minutes=rng.randint(60, 60 * 24 * 365))
        created = now - age
        responded = status not in ("new",)
        first_response = created + timedelta(minutes=rng.randint(5, 300)) if responded else None
        if first_response and first_response > now:
            first_response = now
        resolved = min(now, created + timedelta(hours=rng.randint(1, 96))) if not is_open else None
        if resolved and first_response and resolved < first_response:
            resolved = first_response
        contact = rng.choice(content.CONTACTS_JA if customer.japanese else content.CONTACTS_EN)
        record: dict[str, Any] = {
            "id": model.ticket_id(seq),
            "customerId": customer.id,
            "contactName": contact,
            "contactEmail": f"{contact.split()[-1].lower()}@example.com"
            if not customer.japanese
            else f"user{seq % 97}@example.jp",
            "contactPhone": f"+81-3-{5000 + seq % 4000:04d}-{seq % 10000:04d}" if customer.japanese else None,
            "channel": channels[seq % len(channels)],
            "service": service,
            "category": category,
            "severity": severity,
            "status": status,
            "assignee": None if (status == "new" or rng.random() < 0.25) and is_open else rng.choice(agents),
            "createdDate": to_iso(created),
            "firstResponseDate": to_iso(first_response) if first_response else None,
            "resolvedDate": to_iso(resolved) if resolved else None,
            "firstResponseDueDate": None,
            "resolutionDueDate": None,
            "title": title,
            "body": body,
            "resolutionCode": rng.choice(list(model.RESOLUTION_CODES)) if resolved else None,
        }
        history = [(record["firstResponseDate"], status, "new")] if responded else []
        clocks = sla.ticket_sla(record, history, policies[customer.id], now).fields()
        record["firstResponseDueDate"] = clocks["firstResponseDueDate"]
        record["resolutionDueDate"] = clocks["resolutionDueDate"]
        derived = {**ticket_columns(record, stamp), "slaDueDate": clocks["slaDueDate"]}
        # Some agents are working their tickets right now: a live claim with minutes left.
        working = record["assignee"] and status in ("triaged", "in_progress") and rng.random() < 0.4
        claimed_until = to_iso(now + timedelta(minutes=rng.randint(3, 30))) if working else None
        derived_values = [derived[c] for c in ("severityRank", "isOpen", "slaDueDate", "lastModifiedDate")]
        rows.append(
            [
                seq,
                *(record[c] for c in TICKETS.field_names),
                *derived_values,
                customer.name,
                claimed_until,
                clocks["firstResponseBreachedDate"],
                clocks["resolutionBreachedDate"],
                clocks["slaPausedSince"],
            ]
        )
        notes = ""
        if rng.random() < 0.2 and responded:
            note = rng.choice(content.NOTES_JA if customer.japanese else content.NOTES_EN)
            author = record["assignee"] or agents[0]
            timeline_rows.append((seq, "note", author, record["firstResponseDate"], note, None, None))
            notes = note
        if responded:
            timeline_rows.append(
                (
                    seq,
                    "status_change",
                    record["assignee"] or agents[0],
                    record["firstResponseDate"],
                    None,
                    "new",
                    status,
                )
            )
        index_rows.append((seq, search_form(title), search_form(body), search_form(notes)))
        if len(rows) >= CHUNK:
            flush()
    flush()
