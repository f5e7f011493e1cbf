"""The sandbox's Partner Center endpoints: customers, subscriptions (PATCH with ``If-Match``), service
requests and the partner's invoices, with Partner Center's field names and paging."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from console.sandbox.errors import error as _error
from console.sandbox.errors import page as _page
from console.sandbox.state import etag_of, now_iso

if TYPE_CHECKING:
    from console.sandbox.server import Sandbox


def route(
    box: Sandbox, method: str, path: str, query: dict[str, list[str]], headers: Any, body: Any
) -> tuple[int, Any, dict[str, str]]:
    s = box.state
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
            if s.app_only_service_requests:
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


def patch_subscription(box: Sandbox, sub: dict[str, Any], headers: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
    if_match = headers.get("If-Match")
    if not if_match:
        raise _error(412, "PreconditionFailed", "If-Match with the subscription's etag is required")
    if if_match != sub["attributes"]["etag"]:
        raise _error(412, "PreconditionFailed", "the etag does not match the subscription")
    body = body or {}
    if body.get("status") not in (None, "active", "suspended"):
        raise _error(400, "BadRequest", f"status {body.get('status')!r} cannot be set")
    base = box.state.subscription(sub["parentSubscriptionId"]) if sub.get("parentSubscriptionId") else None
    was = sub["status"]
    if body.get("status") == "active" and was != "active" and base is not None and base["status"] != "active":
        raise _error(
            409, "BaseSubscriptionNotActive", f"the base subscription {base['id']} must be active before its add-on"
        )
    for key in ("status", "quantity", "autoRenewEnabled", "friendlyName"):
        if key in body:
            sub[key] = body[key]
    if sub["status"] == "suspended" and was != "suspended":
        sub["suspensionReasons"] = body.get("suspensionReasons") or ["CustomerCancellation"]
        sub["autoRenewEnabled"] = False  # suspension switches auto-renew off
        for addon in box.state.addons_of(sub["id"]):  # add-ons go with their base
            if addon["status"] == "active":
                addon["status"] = "suspended"
                addon["suspensionReasons"] = list(sub["suspensionReasons"])
                addon["autoRenewEnabled"] = False
                addon["attributes"]["etag"] = etag_of(addon)
    elif sub["status"] != "suspended":
        sub["suspensionReasons"] = []
    sub["attributes"]["etag"] = etag_of(sub)
    return 200, sub, {}
