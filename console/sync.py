"""``csp-console sync``: customers, their subscriptions and their service requests, and the partner's own
Microsoft invoices, from Partner Center into the workspace.

Each page (and each customer's details) lands in one transaction together with the sync's cursor, so a
failure midway leaves everything synced before it intact, and the next run resumes where this one
stopped instead of starting over. Nothing is deleted: a record missing at Microsoft stays as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from console.microsoft.credentials import MissingToken
from console.microsoft.http import ApiError, NotFound
from console.microsoft.partner_center import PartnerCenter
from console.model import SERVICE_REQUEST_STATUS_FROM_INT, SEVERITY_FROM_INT, from_code
from console.plugins import PluginHost
from console.records import CUSTOMERS, SUBSCRIPTIONS, RecordError, validate
from console.store import Workspace

STATE = "partner_center"
AGENT = "microsoft-sync"


class SyncFailed(Exception):
    """The sync stopped; the message says what failed. What was synced before stays; the next run resumes."""


@dataclass
class SyncReport:
    customers: int = 0
    subscriptions: int = 0
    service_requests: int = 0
    invoices: int = 0
    resumed: bool = False
    skipped: list[str] = field(default_factory=list)


def customer_record(raw: dict[str, Any]) -> dict[str, Any]:
    """Partner Center's customer resource as a workspace record (not yet validated)."""
    company = raw.get("companyProfile") or {}
    billing = raw.get("billingProfile") or {}
    return {
        "id": raw.get("id"),
        "tenantId": company.get("tenantId"),
        "domain": company.get("domain"),
        "companyName": company.get("companyName") or billing.get("companyName"),
        "relationshipToPartner": raw.get("relationshipToPartner") or "reseller",
        "associatedPartnerId": raw.get("associatedPartnerId") or None,
        "culture": billing.get("culture"),
        "language": billing.get("language"),
        "country": (billing.get("defaultAddress") or {}).get("country"),
        "billingFirstName": billing.get("firstName") or None,
        "billingLastName": billing.get("lastName") or None,
        "billingEmail": billing.get("email") or None,
    }


def subscription_record(
    raw: dict[str, Any], customer_id: str, service: str, local: dict[str, Any] | None
) -> dict[str, Any]:
    """Partner Center's subscription as a workspace record; what only the workspace knows (assigned seats,
    service details, commerce type) is kept from ``local``."""
    local = local or {}
    keep = ("assignedSeats", "commerceType", "details")
    record = {k: raw.get(k) for k in SUBSCRIPTIONS.field_names if k not in keep and k not in ("customerId", "service")}
    record.update(customerId=customer_id, service=service, etag=(raw.get("attributes") or {}).get("etag"))
    for k in keep:
        record[k] = local.get(k)
    if record["suspensionReasons"] == []:
        record["suspensionReasons"] = None
    return record


def service_of(host: PluginHost, offer_id: str, offer_name: str) -> str | None:
    return next((s.id for s in host.services.values() if s.owns_offer(offer_id or "", offer_name or "")), None)


def run(
    ws: Workspace,
    pc: PartnerCenter,
    host: PluginHost,
    *,
    page_size: int = 100,
    restart: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> SyncReport:
    report = SyncReport()
    saved = None if restart else ws.sync_state(STATE)
    cursor: dict[str, Any] = {"phase": "customers", "link": None, "ids": []}
    if saved and saved["state"] != "done" and saved["cursor"]:
        cursor = saved["cursor"]
        report.resumed = True
        report.customers = int(saved["counts"].get("customers", 0))
        report.subscriptions = int(saved["counts"].get("subscriptions", 0))
        report.service_requests = int(saved["counts"].get("service_requests", 0))
        report.invoices = int(saved["counts"].get("invoices", 0))
    ws.save_sync_state(STATE, state="running", cursor=cursor, lastError=None, counts=_counts(report))
    services = set(host.services)
    step = "listing customers"
    try:
        while cursor["phase"] == "customers":
            step = f"listing customers (page after {len(cursor['ids'])} customers)"
            page = pc.customers_page(cursor["link"], size=page_size)
            records = []
            for raw in page.items:
                try:
                    records.append(validate(CUSTOMERS, customer_record(raw), services))
                except RecordError as exc:
                    raise SyncFailed(f"Partner Center customer {raw.get('id')!r}: {exc}") from None
            cursor = {
                "phase": "customers" if page.next else "details",
                "link": page.next,
                "ids": cursor["ids"] + [r["id"] for r in records],
                "index": 0,
            }
            report.customers += len(records)
            with ws.transaction():
                ws.upsert(CUSTOMERS, records, agent=AGENT)
                ws.save_sync_state(STATE, cursor=cursor, counts=_counts(report))
            if progress:
                progress("customers", report.customers, page.total)
        ids: list[str] = cursor["ids"]
        while cursor["index"] < len(ids):
            customer_id = ids[cursor["index"]]
            step = f"reading customer {customer_id}"
            try:
                subs = pc.subscriptions(customer_id)
                requests = pc.service_requests(customer_id)
            except NotFound as exc:
                report.skipped.append(f"customer {customer_id}: {exc}")
                subs, requests = [], []
            local = ws.records_by_id("subscriptions", [str(s.get("id")) for s in subs])
            records = []
            for raw in subs:
                service = service_of(host, str(raw.get("offerId") or ""), str(raw.get("offerName") or ""))
                if service is None:
                    report.skipped.append(
                        f"subscription {raw.get('id')}: no service plugin owns offer {raw.get('offerId')}"
                    )
                    continue
                try:
                    records.append(
                        validate(
                            SUBSCRIPTIONS,
                            subscription_record(raw, customer_id, service, local.get(raw.get("id"))),
                            services,
                        )
                    )
                except RecordError as exc:
                    raise SyncFailed(f"Partner Center subscription {raw.get('id')!r} of {customer_id}: {exc}") from None
            srs = [_service_request(raw, customer_id) for raw in requests]
            cursor = {**cursor, "index": cursor["index"] + 1}
            report.subscriptions += len(records)
            report.service_requests += len(srs)
            with ws.transaction():
                ws.upsert(SUBSCRIPTIONS, records, agent=AGENT)
                ws.upsert_service_requests(srs)
                ws.save_sync_state(STATE, cursor=cursor, counts=_counts(report))
            if progress:
                progress("accounts", cursor["index"], len(ids))
        if cursor["phase"] != "invoices":
            cursor = {**cursor, "phase": "invoices", "link": None}
        while cursor["phase"] == "invoices":
            step = f"listing the partner's Microsoft invoices (after {report.invoices})"
            page = pc.invoices_page(cursor["link"], size=page_size)
            rows = [invoice_row(raw) for raw in page.items]
            cursor = {**cursor, "phase": "invoices" if page.next else "finished", "link": page.next}
            report.invoices += len(rows)
            with ws.transaction():
                ws.save_partner_invoices(rows)
                ws.save_sync_state(STATE, cursor=cursor, counts=_counts(report))
            if progress:
                progress("invoices", report.invoices, page.total)
    except (ApiError, MissingToken, SyncFailed) as exc:
        message = str(exc) if isinstance(exc, SyncFailed) else f"{step}: {exc}"
        ws.save_sync_state(STATE, state="failed", lastError=message)
        raise SyncFailed(
            f"{message}\nEverything synced before this is kept; run `csp-console sync` again to resume."
        ) from None
    ws.save_sync_state(STATE, state="done", cursor=None, counts=_counts(report))
    return report


def _counts(report: SyncReport) -> dict[str, int]:
    return {
        "customers": report.customers,
        "subscriptions": report.subscriptions,
        "service_requests": report.service_requests,
        "invoices": report.invoices,
    }


#: Partner terms: Microsoft's invoices are due this many days after the invoice date.
NET_DAYS = 60


def invoice_row(raw: dict[str, Any]) -> dict[str, Any]:
    """Partner Center's invoice resource as a stored row, with its due date (net 60)."""
    from console.clock import to_iso, utcnow

    where = f"Partner Center invoice {raw.get('id')!r}"
    try:
        invoice_date = date.fromisoformat(str(raw["invoiceDate"])[:10])
        total = Decimal(str(raw["totalCharges"]))
        paid = Decimal(str(raw.get("paidAmount") or 0))
        currency = str(raw["currencyCode"]).upper()
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise SyncFailed(
            f"{where}: missing or malformed invoiceDate, totalCharges, paidAmount or currencyCode ({exc})"
        ) from None
    if not raw.get("id") or not total.is_finite() or not paid.is_finite() or len(currency) != 3:
        raise SyncFailed(f"{where}: an invoice needs an id, finite amounts and a currency code")

    def day(name: str) -> str | None:
        value = raw.get(name)
        return str(value)[:10] if value else None

    return {
        "id": str(raw["id"]),
        "invoiceDate": invoice_date.isoformat(),
        "billingPeriodStartDate": day("billingPeriodStartDate"),
        "billingPeriodEndDate": day("billingPeriodEndDate"),
        "totalCharges": str(total),
        "paidAmount": str(paid),
        "currencyCode": currency,
        "invoiceType": raw.get("invoiceType"),
        "documentType": raw.get("documentType"),
        "dueDate": (invoice_date + timedelta(days=NET_DAYS)).isoformat(),
        "syncedDate": to_iso(utcnow()),
    }


def _service_request(raw: dict[str, Any], customer_id: str) -> dict[str, Any]:
    return {
        "id": str(raw["id"]),
        "customerId": customer_id,
        "title": str(raw.get("title") or ""),
        "description": raw.get("description"),
        "severity": from_code(raw.get("severity"), SEVERITY_FROM_INT),
        "status": from_code(raw.get("status"), SERVICE_REQUEST_STATUS_FROM_INT),
        "supportTopicName": raw.get("supportTopicName"),
        "productName": raw.get("productName"),
        "primaryContact": raw.get("primaryContact"),
        "notes": raw.get("notes") or [],
        "createdDate": raw.get("createdDate"),
        "lastModifiedDate": raw.get("lastModifiedDate"),
        "lastClosedDate": raw.get("lastClosedDate"),
    }


def describe(state: dict[str, Any] | None) -> str:
    if state is None:
        return "never synced"
    return json.dumps({k: state[k] for k in ("state", "counts", "updatedDate", "lastError")}, ensure_ascii=False)
