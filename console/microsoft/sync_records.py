"""Partner Center's resources as the workspace's records, read as Microsoft sends them (console/microsoft/
sync.py runs the sync): customers, subscriptions (with their commerce type), an Azure plan's Azure
subscriptions, service requests and the partner's own invoices (due net 60). A record that cannot be read is
:class:`Unreadable`, with why; enum values this console does not know yet are kept as they came."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from console.plugins.host import PluginHost
from console.records.kinds import SUBSCRIPTIONS
from console.shared.model import SERVICE_REQUEST_STATUS_FROM_INT, SEVERITY_FROM_INT, from_code

#: The Azure plan's product id in Partner Center's catalogue: its offer id is ``DZH318Z0BPS6:0001`` (Partner
#: Center REST docs: "Create an order for an Azure plan"; the usage-record examples show
#: ``DZH318Z0BPS6:0001:DZH318Z0BML6``). Only an Azure plan has azureEntitlements (the .NET SDK's
#: Subscriptions/IAzureEntitlementCollection.cs, ``GET .../subscriptions/{id}/azureEntitlements``).
AZURE_PLAN_PRODUCT_ID = "DZH318Z0BPS6"

_GUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_CATALOG_OFFER = re.compile(r"^[A-Za-z0-9]{12}:[A-Za-z0-9]{4}(?::[A-Za-z0-9]{12})?$")


class Unreadable(ValueError):
    """One record from Partner Center that cannot be read; it is skipped and reported."""


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


def service_request_row(raw: Any, customer_id: str) -> dict[str, Any]:
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
