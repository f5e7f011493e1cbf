"""Builders for plugin authors' tests: views and contexts with sensible defaults, overridable by keyword.

    from console.testing import context, subscription
    ctx = context(subscriptions=[subscription(service="windows365", quantity=310)])
    findings = list(my_check(ctx))

``console.pytest_plugin`` wraps these as pytest fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from console.plugin_api import (
    CheckContext,
    CustomerView,
    OfferView,
    ReceivableView,
    Service,
    SubscriptionView,
    TicketView,
)
from console.settings.config import Competency, Contracts, Partner
from console.shared.model import Severity

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def customer(**changes: Any) -> CustomerView:
    base = CustomerView(id="cust-1", company_name="株式会社テスト商事", domain="test.example", indirect=False)
    return replace(base, **changes)


def subscription(**changes: Any) -> SubscriptionView:
    created = changes.pop("created", NOW - timedelta(days=100))
    base = SubscriptionView(
        id="sub-1",
        service="office365",
        offer_id="CFQ7TTC0LDPB:0001",
        offer_name="Microsoft 365 Business Standard",
        quantity=10,
        assigned_seats=10,
        status="active",
        auto_renew=True,
        billing_cycle="annual",
        term="P1Y",
        nce=True,
        created=created,
        commitment_end=created + timedelta(days=365),
        cancellation_allowed_until=created + timedelta(days=7),
        is_trial=False,
        parent_id=None,
        details={},
    )
    return replace(base, **changes)


def receivable(**changes: Any) -> ReceivableView:
    base = ReceivableView(
        id="INV-1",
        invoice_date=date(2026, 10, 1),
        due_date=date(2026, 11, 1),
        total=Decimal(100000),
        paid=Decimal(0),
        currency="JPY",
        status="open",
    )
    return replace(base, **changes)


def offer(**changes: Any) -> OfferView:
    base = OfferView(
        id="OFFER-1",
        name="Standard",
        support_types=("billing", "subscription", "technical"),
        services=(),
        time_zone="Asia/Tokyo",
        service_hours="mon-fri 09:00-18:00",
        holiday_calendar=None,
        contact_methods=("phone", "email", "portal", "chat"),
        pricing_model="included",
        price=None,
        currency=None,
        prepaid_hours=None,
    )
    return replace(base, **changes)


def ticket(**changes: Any) -> TicketView:
    base = TicketView(
        id="CSP-000001",
        customer_id="cust-1",
        channel="email",
        service="office365",
        category="technical",
        severity=Severity.MODERATE,
        status="new",
        assignee=None,
        created=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        first_response=None,
        title="Outlook cannot connect",
        body="Since this morning Outlook cannot connect.",
    )
    return replace(base, **changes)


def partner(premier: bool = False, advanced: bool = False, competencies: Iterable[Competency] = ()) -> Partner:
    return Partner(
        name="Test partner",
        contracts=Contracts(premier_support=premier, advanced_support=advanced),
        competencies=tuple(competencies),
    )


_default_customer = customer
_default_partner = partner


def context(
    *,
    ticket: TicketView | None = None,
    subscriptions: Iterable[SubscriptionView] = (),
    receivables: Iterable[ReceivableView] = (),
    offer: OfferView | None = None,
    partner: Partner | None = None,
    now: datetime = NOW,
    customer: CustomerView | None = None,
    services: Iterable[Service] = (),
) -> CheckContext:
    """A check context; everything not given is empty (no offer, no subscriptions) or a neutral default."""
    return CheckContext(
        customer=customer or _default_customer(),
        subscriptions=tuple(subscriptions),
        receivables=tuple(receivables),
        offer=offer,
        partner=partner or _default_partner(),
        now=now,
        ticket=ticket,
        services=tuple(services),
    )
