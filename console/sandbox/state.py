"""The sandbox's data: Partner Center customers, subscriptions and service requests, Azure support tickets,
and everything the tests want to count (requests seen, tickets created)."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from console.sandbox import catalog, tokens

PC_SUBSCRIPTION_FIELDS = (
    "id",
    "offerId",
    "offerName",
    "friendlyName",
    "quantity",
    "unitType",
    "status",
    "autoRenewEnabled",
    "billingType",
    "billingCycle",
    "termDuration",
    "creationDate",
    "effectiveStartDate",
    "commitmentEndDate",
    "cancellationAllowedUntilDate",
    "refundableQuantity",
    "isTrial",
    "parentSubscriptionId",
)


#: How many requests the sandbox remembers (tests count far fewer; ``csp-console sandbox`` runs for hours).
REQUEST_LOG = 10_000


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def etag_of(resource: dict[str, Any]) -> str:
    body = {k: v for k, v in resource.items() if k != "attributes"}
    return hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def refundable_quantity(record: dict[str, Any]) -> dict[str, Any]:
    """``refundableQuantity`` as Partner Center sends it: ``{totalQuantity, details: [{quantity,
    allowedUntilDateTime}]}`` (.NET SDK Subscriptions/RefundableQuantity.cs, RefundableQuantityDetail.cs), from a
    workspace record (or a record already carrying the object)."""
    value = record.get("refundableQuantity")
    if isinstance(value, dict):
        return value
    details = record.get("refundableDetails")
    if isinstance(details, str):
        details = json.loads(details)
    return {"totalQuantity": int(value or 0), "details": list(details or [])}


@dataclass
class SandboxState:
    """Thread-safe: the server handles requests on many threads; every access holds ``lock``."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    service_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    azure_subscriptions: dict[str, str] = field(default_factory=dict)  # Azure subscription id -> customer id
    entitlements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # Azure plan id -> its Azure subs
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)  # ticket name -> ticket
    communications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    partner_tenant: str = tokens.PARTNER_TENANT
    requests: list[dict[str, str]] = field(default_factory=list)  # method, path, request id
    replies: dict[str, tuple[int, Any]] = field(default_factory=dict)  # MS-RequestId of a PATCH -> its answer
    invoices: list[dict[str, Any]] = field(default_factory=list)  # the partner's own Microsoft invoices
    #: Answer service-request listings 403, as Partner Center does to an app-only token (service requests
    #: accept App+User credentials only).
    app_only_service_requests: bool = False
    # Azure Support API: 202 + operation headers as documented (False: 200 with the body), the operations
    # under way, the Retry-After they answer and how long one takes when nobody polls it.
    azure_async: bool = True
    azure_operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    azure_retry_after: float = 0
    azure_settle_seconds: float = 0.05
    azure_fail: dict[str, dict[str, str]] = field(default_factory=dict)  # ticket name -> the operation's error
    lock: threading.RLock = field(default_factory=threading.RLock)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.services = catalog.services()
        self.problems = catalog.problem_classifications()

    # -- seeding -------------------------------------------------------------------------------
    def add_customer(self, record: dict[str, Any]) -> dict[str, Any]:
        """A customer in Partner Center's shape from a workspace record (``console.records.kinds.CUSTOMERS``)."""
        customer = {
            "id": record["id"],
            "companyProfile": {
                "tenantId": record.get("tenantId") or record["id"],
                "domain": record["domain"],
                "companyName": record["companyName"],
            },
            "billingProfile": {
                "firstName": record.get("billingFirstName") or "",
                "lastName": record.get("billingLastName") or "",
                "email": record.get("billingEmail") or "",
                "culture": record.get("culture") or "en-US",
                "language": record.get("language") or "en",
                "companyName": record["companyName"],
                "defaultAddress": {"country": record.get("country") or "US"},
            },
            "relationshipToPartner": record.get("relationshipToPartner") or "reseller",
            "associatedPartnerId": record.get("associatedPartnerId"),
            "attributes": {"objectType": "Customer"},
        }
        with self.lock:
            self.customers.append(customer)
            self.subscriptions.setdefault(record["id"], [])
        return customer

    def add_subscription(self, record: dict[str, Any], azure_subscription_id: str | None = None) -> dict[str, Any]:
        """A subscription in Partner Center's shape from a workspace record."""
        keys = PC_SUBSCRIPTION_FIELDS
        sub: dict[str, Any] = {k: record.get(k) for k in keys}
        sub["autoRenewEnabled"] = bool(sub["autoRenewEnabled"])
        sub["isTrial"] = bool(sub["isTrial"])
        reasons = record.get("suspensionReasons")
        sub["suspensionReasons"] = json.loads(reasons) if isinstance(reasons, str) and reasons else (reasons or [])
        sub["refundableQuantity"] = refundable_quantity(record)
        if record.get("commerceType") == "nce" and record.get("service") != "azure":
            # New commerce licences say so (REST docs' new commerce subscription examples).
            sub["productType"] = {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"}
        sub["attributes"] = {"etag": "", "objectType": "Subscription"}
        sub["attributes"]["etag"] = etag_of(sub)
        with self.lock:
            self.subscriptions.setdefault(record["customerId"], []).append(sub)
            if azure_subscription_id:
                self.azure_subscriptions[azure_subscription_id] = record["customerId"]
        return sub

    def tenant_of(self, customer_id: str) -> str:
        """The customer's Microsoft Entra tenant (``companyProfile.tenantId``); the partner's for its own."""
        with self.lock:
            found = next((c for c in self.customers if c["id"] == customer_id), None)
            return str(found["companyProfile"]["tenantId"]) if found else self.partner_tenant

    def add_entitlement(self, customer_id: str, plan_id: str, entitlement: dict[str, Any]) -> dict[str, Any]:
        """An Azure subscription under Azure plan ``plan_id`` (Partner Center's AzureEntitlement: ``id``,
        ``friendlyName``, ``subscriptionId`` (the Azure subscription id), ``status``)."""
        row: dict[str, Any] = {
            "id": str(entitlement.get("id") or entitlement["subscriptionId"]),
            "friendlyName": entitlement.get("friendlyName") or "",
            "subscriptionId": str(entitlement["subscriptionId"]),
            "status": entitlement.get("status") or "active",
            "attributes": {"objectType": "AzureEntitlement"},
        }
        with self.lock:
            self.entitlements.setdefault(plan_id, []).append(row)
            self.azure_subscriptions[row["subscriptionId"]] = customer_id
        return row

    def subscription(self, subscription_id: str) -> dict[str, Any] | None:
        with self.lock:
            return next((x for subs in self.subscriptions.values() for x in subs if x["id"] == subscription_id), None)

    def addons_of(self, subscription_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                x
                for subs in self.subscriptions.values()
                for x in subs
                if x.get("parentSubscriptionId") == subscription_id
            ]

    def add_invoice(self, record: dict[str, Any]) -> dict[str, Any]:
        """A partner invoice in Partner Center's shape (amounts as numbers, dates as timestamps)."""

        def stamp(name: str) -> str:
            return f"{(record.get(name) or record['invoiceDate'])[:10]}T00:00:00Z"

        invoice = {
            "id": record["id"],
            "invoiceDate": f"{record['invoiceDate'][:10]}T00:00:00Z",
            "billingPeriodStartDate": stamp("billingPeriodStartDate"),
            "billingPeriodEndDate": stamp("billingPeriodEndDate"),
            "totalCharges": float(record["totalCharges"]),
            # Microsoft's sign: negative when a payment was received (REST docs, invoice resources).
            "paidAmount": float(record.get("paidAmount") or 0),
            "currencyCode": record["currencyCode"],
            "currencySymbol": "$" if record["currencyCode"] == "USD" else "",
            "pdfDownloadLink": f"/invoices/{record['id']}/documents/statement",
            "invoiceType": record.get("invoiceType") or "recurring",
            "documentType": record.get("documentType") or "invoice",
            "attributes": {"objectType": "Invoice"},
        }
        amendments = record.get("amendments")
        if isinstance(amendments, str):
            amendments = json.loads(amendments)
        if amendments:
            invoice["amendments"] = [
                {
                    "id": a["id"],
                    "invoiceDate": f"{(a.get('invoiceDate') or record['invoiceDate'])[:10]}T00:00:00Z",
                    "totalCharges": float(a["totalCharges"]),
                    "paidAmount": float(a.get("paidAmount") or 0),
                    "currencyCode": a.get("currencyCode") or record["currencyCode"],
                    "documentType": a.get("documentType") or "credit_note",
                    "amendsOf": a.get("amendsOf") or record["id"],
                    "attributes": {"objectType": "Invoice"},
                }
                for a in amendments
            ]
        with self.lock:
            self.invoices.append(invoice)
        return invoice

    def add_service_request(self, customer_id: str, title: str, description: str, **extra: Any) -> dict[str, Any]:
        with self.lock:
            number = next(self._numbers)
            sr_id = extra.pop("id", None) or f"{2611230000000 + number}"
            stamp = extra.pop("createdDate", None) or now_iso()
            sr = {
                "id": sr_id,
                "title": title,
                "description": description,
                "severity": extra.pop("severity", "moderate"),
                "status": extra.pop("status", "open"),
                "supportTopicId": extra.pop("supportTopicId", "32444671"),
                "supportTopicName": extra.pop("supportTopicName", "Microsoft 365"),
                "primaryContact": extra.pop("primaryContact", {"firstName": "", "lastName": "", "email": ""}),
                "organization": {"id": customer_id},
                "productName": extra.pop("productName", "Microsoft 365"),
                "createdDate": stamp,
                "lastModifiedDate": stamp,
                "lastClosedDate": None,
                "notes": extra.pop("notes", []),
                "attributes": {"objectType": "ServiceRequest"},
                **extra,
            }
            self.service_requests[sr_id] = sr
            return sr

    def suspend(self, sub: dict[str, Any], reasons: tuple[str, ...] | list[str]) -> None:
        """Suspend ``sub`` (and its active add-ons, which go with their base) for ``reasons``: suspension
        switches auto-renew off. Whoever suspends sets ``suspensionReasons``; they stay until reactivation."""
        with self.lock:
            sub["status"] = "suspended"
            sub["suspensionReasons"] = list(reasons)
            sub["autoRenewEnabled"] = False
            sub["attributes"]["etag"] = etag_of(sub)
            for addon in self.addons_of(sub["id"]):
                if addon["status"] == "active":
                    addon["status"] = "suspended"
                    addon["suspensionReasons"] = list(reasons)
                    addon["autoRenewEnabled"] = False
                    addon["attributes"]["etag"] = etag_of(addon)

    def suspend_elsewhere(self, subscription_id: str, reasons: list[str]) -> dict[str, Any]:
        """Someone else (Microsoft for fraud, another admin) suspends the subscription, outside this console."""
        with self.lock:
            sub = self.subscription(subscription_id)
            if sub is None:
                raise KeyError(subscription_id)
            self.suspend(sub, reasons)
            return sub

    def rename_subscription(self, subscription_id: str) -> None:
        """Another writer changes the subscription (its etag moves on)."""
        with self.lock:
            for subs in self.subscriptions.values():
                for sub in subs:
                    if sub["id"] == subscription_id:
                        sub["friendlyName"] = f"{sub.get('friendlyName') or sub['offerName']} (renamed)"
                        sub["attributes"]["etag"] = etag_of(sub)

    # -- Microsoft's side answering ----------------------------------------------------------------
    def respond(self, case: str, text: str = "", status: str | None = None, author: str = "Microsoft Support") -> bool:
        """A support engineer answers case ``case`` (service request id, ticket name or support ticket id)."""
        with self.lock:
            stamp = now_iso()
            sr = self.service_requests.get(case)
            if sr is not None:
                if text:
                    sr["notes"].append({"createdByName": author, "createdDate": stamp, "text": text})
                if status:
                    sr["status"] = status
                    if status == "closed":
                        sr["lastClosedDate"] = stamp
                sr["lastModifiedDate"] = stamp
                return True
            ticket = self.tickets.get(case) or next(
                (t for t in self.tickets.values() if t["properties"]["supportTicketId"] == case), None
            )
            if ticket is None:
                return False
            if text:
                # An engineer's message reaches the customer "inbound" (the customer's own are "outbound" in
                # the spec's CreateSupportTicketCommunication.json).
                self.add_message(ticket["name"], f"m-{next(self._numbers)}", "Update", text, author, "inbound")
            if status:
                ticket["properties"]["status"] = status
            ticket["properties"]["modifiedDate"] = stamp
            return True

    def add_message(self, ticket: str, name: str, subject: str, body: str, sender: str, direction: str) -> dict:
        with self.lock:
            existing = next((c for c in self.communications.setdefault(ticket, []) if c["name"] == name), None)
            if existing is not None:
                return existing
            parent = self.tickets[ticket]["id"]
            message = {
                "id": f"{parent}/communications/{name}",
                "name": name,
                "type": "Microsoft.Support/communications",
                "properties": {
                    "communicationType": "web",
                    "communicationDirection": direction,
                    "sender": sender,
                    "subject": subject,
                    "body": body,
                    "createdDate": now_iso(),
                },
            }
            self.communications[ticket].append(message)
            return message

    def log_request(self, seen: dict[str, Any]) -> None:
        """Keep a request for the tests to count; a long-running sandbox keeps the last :data:`REQUEST_LOG`."""
        with self.lock:
            self.requests.append(seen)
            if len(self.requests) > REQUEST_LOG:
                del self.requests[: len(self.requests) - REQUEST_LOG]

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                "customers": len(self.customers),
                "subscriptions": sum(len(v) for v in self.subscriptions.values()),
                "serviceRequests": len(self.service_requests),
                "tickets": sorted(self.tickets),
                "requests": list(self.requests),
            }
