"""The sandbox's Partner Center endpoints: customers, subscriptions (PATCH with ``If-Match``), service
requests and the partner's invoices, with Partner Center's field names and paging.

As Microsoft documents them: ``MS-Contract-Version`` is required on every call (learn.microsoft.com/partner-center/
developer/headers: "Required. Specifies the version of the API requested"); ``MS-RequestId`` makes a call
idempotent (same page), so a PATCH sent again with the same id answers what the first one did; the error codes
400/2055 "Etag is no longer valid" and 403/900115 "Azure plan can't be moved to suspended state since you have one
or more Azure Subscriptions in the active state" come from learn.microsoft.com/partner-center/developer/error-codes,
in Partner Center's error shape (``code``, ``description``, ``data``, ``source``); ``suspensionReasons`` is
read-only on the Subscription resource (subscription-resources): whoever suspended sets it, a PATCH does not.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from console.sandbox import tokens
from console.sandbox.errors import error as _error
from console.sandbox.errors import page as _page
from console.sandbox.errors import partner_center_error
from console.sandbox.state import etag_of, now_iso

if TYPE_CHECKING:
    from console.sandbox.server import Sandbox


def route(
    box: Sandbox, method: str, path: str, query: dict[str, list[str]], headers: Any, body: Any
) -> tuple[int, Any, dict[str, str]]:
    s = box.state
    if headers.get("MS-Contract-Version") is None:
        raise _error(400, "MissingContractVersion", "The MS-Contract-Version header is required (v1).")
    if method == "GET" and path == "/v1/customers":
        return 200, _page(s.customers, query, headers, path), {}
    if method == "GET" and path == "/v1/invoices":
        return 200, _page(s.invoices, query, headers, path), {}
    m = re.fullmatch(r"/v1/customers/([^/]+)/subscriptions/([^/]+)/azureEntitlements", path)
    if m and method == "GET":
        plan = next((x for x in s.subscriptions.get(m.group(1), []) if x["id"] == m.group(2)), None)
        if plan is None:
            raise _error(404, "SubscriptionNotFound", f"subscription {m.group(2)} not found")
        return 200, _page(s.entitlements.get(plan["id"], []), query, headers, path), {}
    m = re.fullmatch(r"/v1/customers/([^/]+)(/subscriptions|/servicerequests)?(?:/([^/]+))?", path)
    if m:
        cid, collection, item = m.groups()
        customer = next((c for c in s.customers if c["id"] == cid), None)
        if customer is None:
            raise _error(404, "CustomerNotFound", f"customer {cid} not found")
        if collection is None and method == "GET":
            return 200, customer, {}
        if collection == "/servicerequests" and method == "GET" and item is None:
            claims = tokens.read(str(headers.get("Authorization", "")).removeprefix("Bearer ").strip()) or {}
            if s.app_only_service_requests or claims.get("idtyp") == "app":
                raise _error(
                    403,
                    "Forbidden",
                    "This operation requires App+User credentials; the access token is app-only.",
                )
            mine = [r for r in s.service_requests.values() if r["organization"]["id"] == cid]
            return 200, _page(mine, query, headers, path), {}
        if collection == "/subscriptions":
            subs = s.subscriptions.get(cid, [])
            if item is None and method == "GET":
                return 200, _page(subs, query, headers, path), {}
            sub = next((x for x in subs if x["id"] == item), None)
            if sub is None:
                raise _error(404, "SubscriptionNotFound", f"subscription {item} not found")
            if method == "GET":
                return 200, sub, {}
            if method == "PATCH":
                return patch_subscription(box, sub, headers, body)
    m = re.fullmatch(r"/v1/servicerequests/([^/]+)", path)
    if m:
        sr = s.service_requests.get(m.group(1))
        if sr is None:
            raise _error(404, "ServiceRequestNotFound", f"service request {m.group(1)} not found")
        if method == "GET":
            return 200, sr, {}
        if method == "PATCH":
            request_id = headers.get("MS-RequestId", "")
            if request_id and request_id in s.replies:
                status, answer = s.replies[request_id]
                return status, answer, {}
            note = ((body or {}).get("NewNote") or {}).get("Text")
            if not note:
                raise _error(400, "BadRequest", "NewNote.Text is required")
            sr["notes"].append({"createdByName": "Partner", "createdDate": now_iso(), "text": note})
            sr["lastModifiedDate"] = now_iso()
            if request_id:
                s.replies[request_id] = (200, json.loads(json.dumps(sr)))
            return 200, sr, {}
    raise _error(404, "NotFound", f"no such Partner Center endpoint: {method} {path}")


def etag_value(header: str) -> str:
    """An ``If-Match`` value without its quotes (and weak prefix): what the resource's etag is compared with."""
    value = header.strip()
    value = value.removeprefix("W/")
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    return value


def patch_subscription(box: Sandbox, sub: dict[str, Any], headers: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
    s = box.state
    request_id = headers.get("MS-RequestId", "")
    if request_id and request_id in s.replies:  # a retry of a request already carried out: the same answer
        status, answer = s.replies[request_id]
        return status, answer, {}
    if_match = headers.get("If-Match")
    if not if_match:
        raise _error(412, "PreconditionFailed", "If-Match with the subscription's etag is required")
    if etag_value(if_match) != etag_value(sub["attributes"]["etag"]):
        raise _error(412, "PreconditionFailed", "the etag does not match the subscription")
    body = body or {}
    if body.get("status") not in (None, "active", "suspended"):
        raise _error(400, "BadRequest", f"status {body.get('status')!r} cannot be set")
    base = s.subscription(sub["parentSubscriptionId"]) if sub.get("parentSubscriptionId") else None
    was = sub["status"]
    if body.get("status") == "active" and was != "active" and base is not None and base["status"] != "active":
        raise _error(
            409, "BaseSubscriptionNotActive", f"the base subscription {base['id']} must be active before its add-on"
        )
    if body.get("status") == "suspended" and was != "suspended":
        active = [e for e in s.entitlements.get(sub["id"], []) if e.get("status") == "active"]
        if active:
            raise partner_center_error(
                403,
                "900115",
                "Azure plan can't be moved to suspended state since you have one or more Azure Subscriptions in "
                "the active state",
            )
    for key in ("status", "quantity", "autoRenewEnabled", "friendlyName"):
        if key in body:
            sub[key] = body[key]
    if sub["status"] == "suspended" and was != "suspended":
        s.suspend(sub, PARTNER_SUSPENSION_REASONS)
    elif sub["status"] != "suspended":
        sub["suspensionReasons"] = []
    # A subscription already suspended keeps the reasons its suspender gave (read-only on the resource).
    sub["attributes"]["etag"] = etag_of(sub)
    if request_id:
        s.replies[request_id] = (200, json.loads(json.dumps(sub)))
    return 200, sub, {}


#: What the sandbox records as the reason when the partner suspends through this PATCH.
PARTNER_SUSPENSION_REASONS = ("CustomerCancellation",)
