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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from console.sandbox import tokens
from console.sandbox.errors import error as _error
from console.sandbox.errors import page as _page
from console.sandbox.errors import partner_center_error
from console.sandbox.state import SandboxState, etag_of, now_iso

if TYPE_CHECKING:
    from console.sandbox.server import Sandbox


@dataclass(frozen=True)
class _Call:
    """One request to a Partner Center endpoint, as the routes read it."""

    box: Sandbox
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    body: Any

    @property
    def state(self) -> SandboxState:
        return self.box.state

    def page(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        return _page(items, self.query, self.headers, self.path)


_Reply = tuple[int, Any, dict[str, str]]
#: A route's handler: its answer, or ``None`` when the path is its but not the method (the next route is tried).
_Handler = Callable[[_Call, "re.Match[str]"], "_Reply | None"]


def route(
    box: Sandbox, method: str, path: str, query: dict[str, list[str]], headers: Any, body: Any
) -> tuple[int, Any, dict[str, str]]:
    if headers.get("MS-Contract-Version") is None:
        raise _error(400, "MissingContractVersion", "The MS-Contract-Version header is required (v1).")
    call = _Call(box, method, path, query, headers, body)
    for wanted, pattern, handler in _ROUTES:
        m = pattern.fullmatch(path)
        if m and wanted in (None, method):
            answer = handler(call, m)
            if answer is not None:
                return answer
    raise _error(404, "NotFound", f"no such Partner Center endpoint: {method} {path}")


def _customers(call: _Call, m: re.Match[str]) -> _Reply:
    return 200, call.page(call.state.customers), {}


def _invoices(call: _Call, m: re.Match[str]) -> _Reply:
    return 200, call.page(call.state.invoices), {}


def _entitlements(call: _Call, m: re.Match[str]) -> _Reply:
    s = call.state
    plan = next((x for x in s.subscriptions.get(m.group(1), []) if x["id"] == m.group(2)), None)
    if plan is None:
        raise _error(404, "SubscriptionNotFound", f"subscription {m.group(2)} not found")
    return 200, call.page(s.entitlements.get(plan["id"], [])), {}


def _customer(call: _Call, m: re.Match[str]) -> _Reply | None:
    """A customer, its service requests, its subscriptions (any method: an unknown customer is a 404 first)."""
    cid, collection, item = m.groups()
    customer = next((c for c in call.state.customers if c["id"] == cid), None)
    if customer is None:
        raise _error(404, "CustomerNotFound", f"customer {cid} not found")
    if collection is None and call.method == "GET":
        return 200, customer, {}
    if collection == "/servicerequests" and call.method == "GET" and item is None:
        return _customer_service_requests(call, cid)
    if collection == "/subscriptions":
        return _subscription(call, cid, item)
    return None


def _customer_service_requests(call: _Call, cid: str) -> _Reply:
    s = call.state
    claims = tokens.read(str(call.headers.get("Authorization", "")).removeprefix("Bearer ").strip()) or {}
    if s.app_only_service_requests or claims.get("idtyp") == "app":
        raise _error(
            403,
            "Forbidden",
            "This operation requires App+User credentials; the access token is app-only.",
        )
    mine = [r for r in s.service_requests.values() if r["organization"]["id"] == cid]
    return 200, call.page(mine), {}


def _subscription(call: _Call, cid: str, item: str | None) -> _Reply | None:
    subs = call.state.subscriptions.get(cid, [])
    if item is None and call.method == "GET":
        return 200, call.page(subs), {}
    sub = next((x for x in subs if x["id"] == item), None)
    if sub is None:
        raise _error(404, "SubscriptionNotFound", f"subscription {item} not found")
    if call.method == "GET":
        return 200, sub, {}
    if call.method == "PATCH":
        return patch_subscription(call.box, sub, call.headers, call.body)
    return None


def _service_request(call: _Call, m: re.Match[str]) -> _Reply | None:
    sr = call.state.service_requests.get(m.group(1))
    if sr is None:
        raise _error(404, "ServiceRequestNotFound", f"service request {m.group(1)} not found")
    if call.method == "GET":
        return 200, sr, {}
    if call.method == "PATCH":
        return _add_note(call, sr)
    return None


def _add_note(call: _Call, sr: dict[str, Any]) -> _Reply:
    s = call.state
    request_id = call.headers.get("MS-RequestId", "")
    if request_id and request_id in s.replies:
        status, answer = s.replies[request_id]
        return status, answer, {}
    note = ((call.body or {}).get("NewNote") or {}).get("Text")
    if not note:
        raise _error(400, "BadRequest", "NewNote.Text is required")
    sr["notes"].append({"createdByName": "Partner", "createdDate": now_iso(), "text": note})
    sr["lastModifiedDate"] = now_iso()
    if request_id:
        s.replies[request_id] = (200, json.loads(json.dumps(sr)))
    return 200, sr, {}


#: (method, or ``None`` for any; the whole path; handler), tried in order.
_ROUTES: list[tuple[str | None, re.Pattern[str], _Handler]] = [
    ("GET", re.compile(r"/v1/customers"), _customers),
    ("GET", re.compile(r"/v1/invoices"), _invoices),
    ("GET", re.compile(r"/v1/customers/([^/]+)/subscriptions/([^/]+)/azureEntitlements"), _entitlements),
    (None, re.compile(r"/v1/customers/([^/]+)(/subscriptions|/servicerequests)?(?:/([^/]+))?"), _customer),
    (None, re.compile(r"/v1/servicerequests/([^/]+)"), _service_request),
]


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
