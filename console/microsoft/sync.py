"""``csp-console sync``: customers, their subscriptions (with an Azure plan's Azure subscriptions) and their
service requests, and the partner's own Microsoft invoices, from Partner Center into the workspace.

Each page (and each customer's details) lands in one transaction together with the sync's cursor, so a
failure midway leaves everything synced before it intact, and the next run resumes where this one
stopped instead of starting over. Nothing is deleted: a record missing at Microsoft stays as it was.

Partner Center's data is read as Microsoft sends it, not as we would like it: enum values this console does
not know yet are kept as they came; one record that cannot be read (a customer, a subscription, an invoice)
is skipped and reported with its id and why, and the rest is synced (the cursor moves past it, so a resumed
sync never sticks on it); service requests refused to an app-only token (403) are reported once and the
sync goes on without them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from console.microsoft.credentials import MissingToken
from console.microsoft.http import ApiError, AuthError, NotFound
from console.microsoft.partner_center import PartnerCenter
from console.plugins.host import PluginHost
from console.records.kinds import CUSTOMERS, SUBSCRIPTIONS, RecordError, validate
from console.shared.model import SERVICE_REQUEST_STATUS_FROM_INT, SEVERITY_FROM_INT, from_code
from console.store import Workspace

STATE = "partner_center"
AGENT = "microsoft-sync"

#: The Azure plan's product id in Partner Center's catalogue: its offer id is ``DZH318Z0BPS6:0001`` (Partner
#: Center REST docs: "Create an order for an Azure plan"; the usage-record examples show
#: ``DZH318Z0BPS6:0001:DZH318Z0BML6``). Only an Azure plan has azureEntitlements (the .NET SDK's
#: Subscriptions/IAzureEntitlementCollection.cs, ``GET .../subscriptions/{id}/azureEntitlements``).
AZURE_PLAN_PRODUCT_ID = "DZH318Z0BPS6"

SERVICE_REQUESTS_APP_ONLY = (
    "service requests not read: Partner Center refused them (403): the token is app-only, and service requests "
    "need App+User credentials (Partner Center REST docs, 'Get all service requests for a customer'). Sign "
    "the desk in as a partner admin (csp-console microsoft login) or give a user's token in "
    "CSP_CONSOLE_PARTNER_CENTER_TOKEN; customers, subscriptions and invoices were synced."
)

_GUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_CATALOG_OFFER = re.compile(r"^[A-Za-z0-9]{12}:[A-Za-z0-9]{4}(?::[A-Za-z0-9]{12})?$")


class SyncFailed(Exception):
    """The sync stopped; the message says what failed. What was synced before stays; the next run resumes."""


class Unreadable(ValueError):
    """One record from Partner Center that cannot be read; it is skipped and reported."""


@dataclass
class SyncReport:
    customers: int = 0
    subscriptions: int = 0
    service_requests: int = 0
    invoices: int = 0
    azure_entitlements: int = 0
    resumed: bool = False
    skipped: list[str] = field(default_factory=list)  # records not read: "<kind> <id>: why"
    notes: list[str] = field(default_factory=list)  # parts not read, and what to do about it


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unreadable(f"{where}: expected an object, got {type(value).__name__}")
    return value


def customer_record(raw: dict[str, Any]) -> dict[str, Any]:
    """Partner Center's customer resource as a workspace record (not yet validated)."""
    company = _object(raw.get("companyProfile"), "companyProfile")
    billing = _object(raw.get("billingProfile"), "billingProfile")
    return {
        "id": raw.get("id"),
        "tenantId": company.get("tenantId"),
        "domain": company.get("domain"),
        "companyName": company.get("companyName") or billing.get("companyName"),
        "relationshipToPartner": raw.get("relationshipToPartner") or "reseller",
        "associatedPartnerId": raw.get("associatedPartnerId") or None,
        "culture": billing.get("culture"),
        "language": billing.get("language"),
        "country": _object(billing.get("defaultAddress"), "billingProfile.defaultAddress").get("country"),
        "billingFirstName": billing.get("firstName") or None,
        "billingLastName": billing.get("lastName") or None,
        "billingEmail": billing.get("email") or None,
    }


def commerce_type(raw: Mapping[str, Any]) -> str | None:
    """New commerce (``nce``) or ``legacy``, as Partner Center marks it; ``None`` when it does not say.

    - ``productType.id`` ``OnlineServicesNCE`` (the SDK's Subscription.ProductType; the REST docs' new
      commerce subscription examples, e.g. "Update autorenew for ... new commerce subscriptions");
    - otherwise the offer id: new commerce offers are catalogue ids ``productId:skuId[:availabilityId]``
      (``CFQ7TTC0LH18:0001:CFQ7TTC0K971``, the Azure plan's ``DZH318Z0BPS6:0001``; REST docs "Purchase new
      commerce license-based services": product, SKU, availability), legacy CSP offers GUIDs.
    """
    product_type = raw.get("productType")
    kind = product_type.get("id") if isinstance(product_type, Mapping) else product_type
    if str(kind or "").casefold() == "onlineservicesnce":
        return "nce"
    offer = str(raw.get("offerId") or "").strip()
    if _GUID.match(offer):
        return "legacy"
    if _CATALOG_OFFER.match(offer):
        return "nce"
    return None


def subscription_record(
    raw: dict[str, Any], customer_id: str, service: str, local: dict[str, Any] | None
) -> dict[str, Any]:
    """Partner Center's subscription as a workspace record; what only the workspace knows (assigned seats,
    service details) is kept from ``local``. The commerce type is read from Partner Center (see
    :func:`commerce_type`); only when Partner Center does not say is the workspace's kept."""
    local = local or {}
    keep = ("assignedSeats", "details")
    derived = ("customerId", "service", "etag", "commerceType", "refundableDetails")
    record = {k: raw.get(k) for k in SUBSCRIPTIONS.field_names if k not in keep and k not in derived}
    attributes = _object(raw.get("attributes"), "attributes")
    record.update(customerId=customer_id, service=service, etag=attributes.get("etag"))
    record["commerceType"] = commerce_type(raw) or local.get("commerceType")
    for k in keep:
        record[k] = local.get(k)
    if record["suspensionReasons"] == []:
        record["suspensionReasons"] = None
    return record


def service_of(host: PluginHost, offer_id: str, offer_name: str) -> str | None:
    return next((s.id for s in host.services.values() if s.owns_offer(offer_id or "", offer_name or "")), None)


def is_azure_plan(record: Mapping[str, Any]) -> bool:
    """An Azure plan: the Azure service's (its plugin owns the offer) with the Azure plan's product id."""
    product = str(record.get("offerId") or "").split(":", 1)[0].strip().upper()
    return record.get("service") == "azure" and product == AZURE_PLAN_PRODUCT_ID


def entitlement_row(raw: Any) -> dict[str, Any]:
    """Partner Center's AzureEntitlement (SDK Subscriptions/AzureEntitlement.cs: ``id``, ``friendlyName``,
    ``subscriptionId``, ``status``) as stored; ``subscriptionId`` is the Azure subscription id."""
    if not isinstance(raw, dict):
        raise Unreadable(f"expected an object, got {type(raw).__name__}")
    azure_id = raw.get("subscriptionId")
    if not isinstance(azure_id, str) or not azure_id.strip():
        raise Unreadable("subscriptionId (the Azure subscription id) is missing")
    return {
        "id": str(raw.get("id") or azure_id).strip(),
        "subscriptionId": azure_id.strip(),
        "friendlyName": str(raw["friendlyName"]) if raw.get("friendlyName") is not None else None,
        "status": str(raw["status"]) if raw.get("status") is not None else None,
    }


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, (RecordError, Unreadable)) else f"{type(exc).__name__}: {exc}"


#: What reading one record may raise when Partner Center sends something unexpected in it.
_UNREADABLE = (RecordError, Unreadable, TypeError, ValueError, KeyError, AttributeError)


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
        for name in ("customers", "subscriptions", "service_requests", "invoices", "azure_entitlements"):
            setattr(report, name, int(saved["counts"].get(name, 0)))
        report.skipped = list(cursor.get("skipped") or [])
        report.notes = list(cursor.get("notes") or [])
    ws.save_sync_state(STATE, state="running", cursor=cursor, lastError=None, counts=_counts(report))
    services = set(host.services)

    def advance(**changes: Any) -> dict[str, Any]:
        """The cursor with ``changes``, carrying what was skipped so far (a resumed run reports it too)."""
        return {**cursor, **changes, "skipped": report.skipped, "notes": report.notes}

    step = "listing customers"
    try:
        while cursor["phase"] == "customers":
            step = f"listing customers (page after {len(cursor['ids'])} customers)"
            page = pc.customers_page(cursor["link"], size=page_size)
            records = []
            for raw in page.items:
                try:
                    if not isinstance(raw, dict):
                        raise Unreadable(f"expected an object, got {type(raw).__name__}")
                    records.append(validate(CUSTOMERS, customer_record(raw), services, open_enums=True))
                except _UNREADABLE as exc:
                    rid = raw.get("id") if isinstance(raw, dict) else None
                    report.skipped.append(f"customer {rid!r}: {_why(exc)}")
            report.customers += len(records)
            cursor = advance(
                phase="customers" if page.next else "details",
                link=page.next,
                ids=cursor["ids"] + [r["id"] for r in records],
                index=0,
            )
            with ws.transaction():
                ws.upsert(CUSTOMERS, records, agent=AGENT)
                ws.save_sync_state(STATE, cursor=cursor, counts=_counts(report))
            if progress:
                progress("customers", report.customers, page.total)
        ids: list[str] = cursor["ids"]
        while cursor["index"] < len(ids):
            customer_id = ids[cursor["index"]]
            step = f"reading customer {customer_id}"
            _sync_customer(ws, pc, host, services, customer_id, cursor, report, advance)
            cursor = advance(index=cursor["index"] + 1)  # as _sync_customer saved it
            if progress:
                progress("accounts", cursor["index"], len(ids))
        if cursor["phase"] != "invoices":
            cursor = advance(phase="invoices", link=None)
        while cursor["phase"] == "invoices":
            step = f"listing the partner's Microsoft invoices (after {report.invoices})"
            page = pc.invoices_page(cursor["link"], size=page_size)
            rows = []
            for raw in page.items:
                try:
                    rows.append(invoice_row(raw))
                except _UNREADABLE as exc:
                    rid = raw.get("id") if isinstance(raw, dict) else None
                    report.skipped.append(f"Microsoft invoice {rid!r}: {_why(exc)}")
            report.invoices += len(rows)
            cursor = advance(phase="invoices" if page.next else "finished", link=page.next)
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


def _sync_customer(
    ws: Workspace,
    pc: PartnerCenter,
    host: PluginHost,
    services: set[str],
    customer_id: str,
    cursor: dict[str, Any],
    report: SyncReport,
    advance: Callable[..., dict[str, Any]],
) -> None:
    """One customer's subscriptions, Azure plans' entitlements and service requests, in one transaction
    with the cursor (the caller moves it on)."""
    try:
        subs = pc.subscriptions(customer_id)
    except NotFound as exc:  # gone from Partner Center since it was listed: kept as it was
        report.skipped.append(f"customer {customer_id}: {exc}")
        subs = []
    local = ws.records_by_id("subscriptions", [str(s.get("id")) for s in subs if isinstance(s, dict)])
    records = []
    for raw in subs:
        rid = raw.get("id") if isinstance(raw, dict) else None
        try:
            if not isinstance(raw, dict):
                raise Unreadable(f"expected an object, got {type(raw).__name__}")
            service = service_of(host, str(raw.get("offerId") or ""), str(raw.get("offerName") or ""))
            if service is None:
                report.skipped.append(f"subscription {rid}: no service plugin owns offer {raw.get('offerId')}")
                continue
            record = subscription_record(raw, customer_id, service, local.get(str(rid)))
            if record["commerceType"] is None:
                report.notes.append(
                    f"subscription {rid}: Partner Center does not say whether offer {raw.get('offerId')!r} is new "
                    "commerce or legacy; taken as new commerce"
                )
            records.append(validate(SUBSCRIPTIONS, record, services, open_enums=True))
        except _UNREADABLE as exc:
            report.skipped.append(f"subscription {rid!r} of customer {customer_id}: {_why(exc)}")
    entitlements: dict[str, list[dict[str, Any]]] = {}
    for plan in (r for r in records if is_azure_plan(r)):
        try:
            listed = pc.azure_entitlements(customer_id, plan["id"])
        except NotFound as exc:
            report.skipped.append(f"Azure entitlements of plan {plan['id']}: {exc}")
            continue
        rows = entitlements[plan["id"]] = []
        for raw in listed:
            try:
                rows.append(entitlement_row(raw))
            except _UNREADABLE as exc:
                rid = raw.get("id") if isinstance(raw, dict) else None
                report.skipped.append(f"Azure entitlement {rid!r} of plan {plan['id']}: {_why(exc)}")
    srs = []
    if not cursor.get("serviceRequestsRefused"):
        try:
            requests = pc.service_requests(customer_id)
        except NotFound:
            requests = []
        except AuthError as exc:
            if exc.status != 403:
                raise
            requests = []
            if pc.app_only_token():  # the token itself is refused: asked no more this run, the answer won't change
                cursor["serviceRequestsRefused"] = True
                report.notes.append(SERVICE_REQUESTS_APP_ONLY)
            else:  # this customer's refusal (GDAP, consent): said for it alone, the others are still asked
                report.notes.append(f"service requests of customer {customer_id} not read: {exc}")
        for raw in requests:
            try:
                srs.append(_service_request(raw, customer_id))
            except _UNREADABLE as exc:
                rid = raw.get("id") if isinstance(raw, dict) else None
                report.skipped.append(f"service request {rid!r} of customer {customer_id}: {_why(exc)}")
    report.subscriptions += len(records)
    report.service_requests += len(srs)
    report.azure_entitlements += sum(len(v) for v in entitlements.values())
    with ws.transaction():
        ws.upsert(SUBSCRIPTIONS, records, agent=AGENT)
        for plan_id, rows in entitlements.items():
            ws.save_azure_entitlements(customer_id, plan_id, rows)
        ws.upsert_service_requests(srs)
        ws.save_sync_state(STATE, cursor=advance(index=cursor["index"] + 1), counts=_counts(report))


def _counts(report: SyncReport) -> dict[str, int]:
    return {
        "customers": report.customers,
        "subscriptions": report.subscriptions,
        "service_requests": report.service_requests,
        "invoices": report.invoices,
        "azure_entitlements": report.azure_entitlements,
    }


#: Partner terms: Microsoft's invoices are due this many days after the invoice date.
NET_DAYS = 60


def _amount(raw: Mapping[str, Any], name: str, default: Any = None) -> Decimal:
    value = raw.get(name, default)
    if isinstance(value, bool) or value is None:
        raise Unreadable(f"{name} is missing or not a number ({value!r})")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Unreadable(f"{name} is not a number ({value!r})") from None
    if not amount.is_finite():
        raise Unreadable(f"{name} must be finite ({value!r})")
    return amount


def _amendment(raw: Any, currency: str) -> dict[str, Any]:
    """One of ``amendments[]``: an Invoice object of its own (a credit note, an adjustment note) with its own
    id, charges and payments, amending the document named in ``amendsOf`` (REST docs, invoice resources)."""
    if not isinstance(raw, dict) or not raw.get("id"):
        raise Unreadable("an amendment needs an id")
    return {
        "id": str(raw["id"]),
        "invoiceDate": str(raw["invoiceDate"])[:10] if raw.get("invoiceDate") else None,
        "totalCharges": str(_amount(raw, "totalCharges")),
        "paidAmount": str(_amount(raw, "paidAmount", 0)),
        "currencyCode": str(raw.get("currencyCode") or currency).upper(),
        "documentType": raw.get("documentType"),
        "amendsOf": raw.get("amendsOf"),
    }


def invoice_row(raw: Any) -> dict[str, Any]:
    """Partner Center's invoice resource as a stored row, with its due date (net 60).

    ``paidAmount`` is kept in Microsoft's sign, negative when a payment was received (REST docs, invoice
    resources: "The amount paid by the partner. Negative if a payment was received."; the SDK's
    Invoices/Invoice.cs says the same), and ``amendments[]`` with it; what is still owed is worked out by
    :func:`console.billing.questions.microsoft_invoice_outstanding`.
    """
    from console.shared.clock import to_iso, utcnow

    if not isinstance(raw, dict):
        raise Unreadable(f"expected an object, got {type(raw).__name__}")
    try:
        invoice_date = date.fromisoformat(str(raw["invoiceDate"])[:10])
    except (KeyError, ValueError):
        raise Unreadable(f"invoiceDate is missing or not a date ({raw.get('invoiceDate')!r})") from None
    total = _amount(raw, "totalCharges")
    paid = _amount(raw, "paidAmount", 0)
    currency = str(raw.get("currencyCode") or "").upper()
    if not raw.get("id") or len(currency) != 3 or not currency.isalpha():
        raise Unreadable("an invoice needs an id and a currency code")
    listed = raw.get("amendments") or []
    if not isinstance(listed, list):
        raise Unreadable("amendments must be a list of invoices")
    amendments = [_amendment(a, currency) for a in listed]

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
        "amendments": json.dumps(amendments, ensure_ascii=False) if amendments else None,
        "dueDate": (invoice_date + timedelta(days=NET_DAYS)).isoformat(),
        "syncedDate": to_iso(utcnow()),
    }


def _service_request(raw: Any, customer_id: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise Unreadable("a service request needs an id")
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
