"""The demo's accounts as rows: customers, their subscriptions (add-ons and Azure entitlements with them) and
support offers. Pure row building from the seeded random stream; ``workspace`` writes the rows."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from console.demo import content
from console.records.kinds import refund_details_json
from console.shared import model
from console.shared.clock import to_iso

CustomerSpec = tuple[str, str, str, str, str, tuple[str, ...], str]

# The demo's spread of subscription statuses.
_STATUSES = ["active", "suspended", "deleted", "expired", "pending", "disabled"]
_ENTITLEMENT_NS = uuid.UUID("0b9c5c1e-3f0a-4d7e-9a61-5a2f0c7d4e11")
_LEGACY_OFFER_NS = uuid.UUID("5d1f0a3e-8c2b-4b7e-a9d4-3e6f1c2b7a90")


@dataclass
class Customer:
    id: str
    name: str
    country: str
    services: tuple[str, ...]
    japanese: bool
    subscriptions: list[tuple[str, str, int]]  # (service, offerName, quantity)


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def customer_specs(count: int, rng: random.Random) -> list[CustomerSpec]:
    """The named customers of ``content``, then generated ones up to ``count``."""
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


def customer_row(cid: str, spec: CustomerSpec, index: int) -> dict[str, Any]:
    """The customer record of ``spec``, the ``index``-th customer."""
    name, domain, culture, country, relation, _, _ = spec
    first, last = ("太郎", "山田") if country == "JP" else ("Alex", "Morgan")
    return {
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


def entitlements(plan: dict[str, Any], index: int) -> list[dict[str, Any]]:
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


def subscriptions(
    rng: random.Random, customer: Customer, service: str, now: datetime, index: int
) -> Iterator[dict[str, Any]]:
    """The ``index``-th customer's subscriptions of ``service``, the first one's add-on after it."""
    offers = content.SUBSCRIPTION_OFFERS[service]
    for n, product in enumerate(offers[: 2 + (index % 2)]):
        sub, created = _subscription(rng, customer, service, now, index, n, product)
        yield sub
        if n == 0 and service in content.ADDONS:
            yield _addon(rng, sub, created, content.ADDONS[service])


def _subscription(
    rng: random.Random,
    customer: Customer,
    service: str,
    now: datetime,
    index: int,
    n: int,
    product: tuple[str, str, str, str],
) -> tuple[dict[str, Any], datetime]:
    """The ``n``-th subscription of the ``index``-th customer, and when it was created."""
    offer_id, offer_name, billing_type, unit = product
    # Spread the interesting cases across customers: every status, NCE windows open and closed,
    # trials near conversion, over-assigned licences.
    variant = (index + n) % 8
    status = _STATUSES[(index // 3) % len(_STATUSES)] if n == 1 and index % 3 == 0 else "active"
    created = now - timedelta(days=[2, 200, 25, 400, 5, 90, 40, 500][variant], hours=rng.randint(0, 20))
    quantity, assigned = _seats(rng, variant, offer_name, billing_type)
    term, cycle, quantity, assigned = _terms(variant, offer_name, billing_type, quantity, assigned)
    usage = billing_type == "usage"  # an Azure plan: pay-as-you-go, billed monthly in arrears, no term
    is_trial = variant == 2 and not usage and "Reserved" not in offer_name
    # Legacy CSP offers have GUID offer ids; new commerce ones productId:skuId (an Azure plan is always new
    # commerce): the sync reads the commerce type from that, as Partner Center has it.
    legacy = variant == 3 and offer_name != "Azure plan"
    if legacy:
        offer_id = str(uuid.uuid5(_LEGACY_OFFER_NS, offer_id)).upper()
    refundable = quantity if variant in (0, 4) and not usage else 0
    window = None if usage else to_iso(created + timedelta(days=7))  # new commerce's (an Azure plan has none)
    sid = new_uuid(rng)
    customer.subscriptions.append((service, offer_name, quantity))
    row = {
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
        "billingCycle": cycle,
        "termDuration": term,
        "commerceType": "legacy" if legacy else "nce",
        "creationDate": to_iso(created),
        "effectiveStartDate": to_iso(created),
        "commitmentEndDate": None if term is None else to_iso(_term_end(created, term, status, now)),
        "cancellationAllowedUntilDate": window,
        "refundableQuantity": refundable,
        "refundableDetails": refund_details_json(
            None, [{"quantity": refundable, "allowedUntilDateTime": window}] if refundable else []
        ),
        "isTrial": int(is_trial),
        "suspensionReasons": '["CustomerCancellation"]' if status == "suspended" else None,
        "parentSubscriptionId": None,
        "etag": f'W/"{rng.getrandbits(32):08x}"',
        "details": _details(offer_name, index + n),
    }
    return row, created


def _terms(
    variant: int, offer_name: str, billing_type: str, quantity: int, assigned: int
) -> tuple[str | None, str, int, int]:
    """(termDuration, billingCycle, seats bought, seats assigned) of a subscription of ``offer_name``."""
    if billing_type == "usage":  # an Azure plan: no term, billed monthly in arrears, one plan (no seats)
        return None, "monthly", 1, 1
    if "Reserved" in offer_name:  # a 1-year reservation of a few VM instances, not seats
        return "P1Y", "monthly", 1 + quantity % 3, 1 + quantity % 3
    term = "P1M" if variant in (0, 4) else ("P3Y" if variant == 3 else "P1Y")
    # New commerce bills a term monthly or annually; a few of the demo's 1-year terms are paid up front.
    return term, "annual" if variant in (1, 5) and term == "P1Y" else "monthly", quantity, assigned


def _term_end(created: datetime, term: str, status: str, now: datetime) -> datetime:
    """The end of the current term: a subscription still running has renewed (auto-renew), term after term."""
    length = timedelta(days={"P1M": 30, "P1Y": 365, "P3Y": 1095}[term])
    end = created + length
    while status in ("active", "suspended", "pending") and end < now:
        end += length
    return end


def _seats(rng: random.Random, variant: int, offer_name: str, billing_type: str) -> tuple[int, int]:
    """(seats bought, seats assigned): for some, more assigned than bought."""
    quantity = 1 if billing_type == "usage" else rng.choice([5, 12, 25, 60, 150, 290])
    if "Finance" in offer_name:
        quantity = rng.choice([12, 20, 35])
    assigned = (
        quantity + rng.randint(1, 5)
        if variant == 6 and billing_type != "usage"
        else (max(0, quantity - rng.randint(0, 3)))
    )
    return quantity, assigned


def _addon(
    rng: random.Random, parent: dict[str, Any], created: datetime, addon: tuple[str, str, str, str]
) -> dict[str, Any]:
    """The add-on bought with ``parent`` (created with it, suspended with it)."""
    addon_id, addon_name, addon_billing, addon_unit = addon
    return {
        "id": new_uuid(rng),
        "customerId": parent["customerId"],
        "service": parent["service"],
        "offerId": addon_id,
        "offerName": addon_name,
        "friendlyName": addon_name,
        "quantity": 5,
        "assignedSeats": 5,
        "unitType": addon_unit,
        "status": "suspended" if parent["status"] == "suspended" else "active",
        "autoRenewEnabled": 1,
        "billingType": addon_billing,
        "billingCycle": parent["billingCycle"],  # co-terminous with its base: same term, same cycle
        "termDuration": parent["termDuration"],
        "commerceType": "nce",
        "creationDate": to_iso(created),
        "effectiveStartDate": to_iso(created),
        "commitmentEndDate": parent["commitmentEndDate"],
        "cancellationAllowedUntilDate": to_iso(created + timedelta(days=7)),
        "refundableQuantity": 0,
        "isTrial": 0,
        "suspensionReasons": None,
        "parentSubscriptionId": parent["id"],
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


def offer(customer: Customer, kind: str, index: int) -> dict[str, Any]:
    """The ``index``-th customer's support offer, of ``kind`` (a key of ``content.OFFERS``)."""
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
