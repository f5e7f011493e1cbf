"""The sandbox's HTTP server: Partner Center's and the Azure Support API's endpoints with their field
names and behaviour (paging with ``links.next``, etags and 412, an idempotent ticket PUT), plus faults to
switch on: 429 with ``Retry-After``, 500, slow answers, connections dropped before or after the work."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from console.microsoft.azure_support import SEVERITIES
from console.sandbox.state import SandboxState, etag_of, now_iso

CONTACT_FIELDS = (
    "firstName",
    "lastName",
    "preferredContactMethod",
    "primaryEmailAddress",
    "preferredTimeZone",
    "country",
    "preferredSupportLanguage",
)


@dataclass
class Fault:
    """Applied to the next ``times`` requests whose ``METHOD path`` contains ``match``.

    ``kind``: ``429`` (with ``Retry-After: retry_after``), ``500``, ``slow`` (wait ``delay`` s, then work),
    ``slow_after`` (work, then wait), ``drop`` (close the connection without working), ``drop_after``
    (work, then close the connection without answering: the client never learns it succeeded) or
    ``concurrent_change`` (someone else changes the subscription first: its etag moves on).
    """

    match: str
    kind: str
    times: int = 1
    retry_after: float = 1
    delay: float = 5

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Fault:
        return cls(
            str(raw["match"]),
            str(raw["kind"]),
            int(raw.get("times", 1)),
            float(raw.get("retry_after", 1)),
            float(raw.get("delay", 5)),
        )


class _Dropped(Exception):
    pass


class _Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


def _error(status: int, code: str, message: str) -> _Answer:
    return _Answer(status, {"error": {"code": code, "message": message}})


def _page(items: list[dict[str, Any]], query: dict[str, list[str]], headers: Any, path: str) -> dict[str, Any]:
    size = int((query.get("size") or ["100"])[0])
    token = headers.get("MS-ContinuationToken")
    offset = int(base64.b64decode(token).decode()) if token else 0
    chunk = items[offset : offset + size]
    body: dict[str, Any] = {
        "totalCount": len(items),
        "items": chunk,
        "links": {},
        "attributes": {"objectType": "Collection"},
    }
    if offset + size < len(items):
        body["links"]["next"] = {
            "uri": f"{path.removeprefix('/v1')}?size={size}&seekOperation=Next",
            "method": "GET",
            "headers": [
                {"key": "MS-ContinuationToken", "value": base64.b64encode(str(offset + size).encode()).decode()}
            ],
        }
    return body


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (killed, timed out) is part of the game here, not an error to print.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class Sandbox:
    """Run with ``with Sandbox(state) as box: box.url``; faults with :meth:`fault`."""

    def __init__(self, state: SandboxState | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state or SandboxState()
        self.faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        self.server = _Server((host, port), self._handler_class())
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Sandbox:
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fault(self, match: str, kind: str, times: int = 1, **kw: float) -> None:
        with self._faults_lock:
            self.faults.append(Fault(match, kind, times, **kw))

    def clear_faults(self) -> None:
        with self._faults_lock:
            self.faults.clear()

    def _take_fault(self, line: str) -> Fault | None:
        with self._faults_lock:
            for fault in self.faults:
                if fault.match in line and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    # -- the handler ---------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        box = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not raw:
                    return None
                try:
                    return json.loads(raw)
                except ValueError:
                    raise _error(400, "BadRequest", "the body is not JSON") from None

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                path, query = parts.path, parse_qs(parts.query)
                # Faults match the request line and the continuation token (one page of many).
                line = f"{method} {self.path} {self.headers.get('MS-ContinuationToken', '')}".rstrip()
                try:
                    body = self._body()
                except _Answer as answer:
                    self._send(answer.status, answer.body)
                    return
                admin = path.startswith("/_sandbox")
                fault = None if admin else box._take_fault(line)
                if not admin:
                    with box.state.lock:
                        box.state.requests.append(
                            {
                                "method": method,
                                "path": self.path,
                                "requestId": self.headers.get("MS-RequestId", ""),
                                "fault": fault.kind if fault else "",
                            }
                        )
                if fault and fault.kind == "drop":
                    self._drop()
                    return
                if fault and fault.kind == "slow":
                    time.sleep(fault.delay)
                if fault and fault.kind == "429":
                    self._send(
                        429,
                        {"error": {"code": "TooManyRequests", "message": "throttled"}},
                        {"Retry-After": f"{fault.retry_after:g}"},
                    )
                    return
                if fault and fault.kind == "500":
                    self._send(500, {"error": {"code": "InternalServerError", "message": "sandbox fault"}})
                    return
                if fault and fault.kind == "concurrent_change":
                    box.state.rename_subscription(path.rsplit("/", 1)[-1])
                try:
                    status, answer, extra = box._route(method, path, query, self.headers, body)
                except _Answer as a:
                    status, answer, extra = a.status, a.body, a.headers
                if fault and fault.kind == "drop_after":
                    self._drop()
                    return
                if fault and fault.kind == "slow_after":
                    time.sleep(fault.delay)
                self._send(status, answer, extra)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        return Handler

    # -- routing -------------------------------------------------------------------------------
    def _route(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        s = self.state
        if path.startswith("/_sandbox/"):
            return self._admin(method, path, body)
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in s.tokens:
            raise _error(401, "InvalidAuthenticationToken", "The access token is invalid or has expired.")
        with s.lock:
            if path.startswith("/v1/"):
                return self._partner_center(method, path, query, headers, body)
            if "/providers/Microsoft.Support/" in path:
                if "api-version" not in query:
                    raise _error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
                return self._azure(method, path, headers, body)
        raise _error(404, "NotFound", f"no such endpoint: {path}")

    def _admin(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        s = self.state
        if path == "/_sandbox/state":
            return 200, s.summary(), {}
        if path == "/_sandbox/faults" and method == "POST":
            for raw in body or []:
                with self._faults_lock:
                    self.faults.append(Fault.from_json(raw))
            return 200, {"faults": len(self.faults)}, {}
        if path == "/_sandbox/faults" and method == "DELETE":
            self.clear_faults()
            return 200, {"faults": 0}, {}
        if path == "/_sandbox/respond" and method == "POST":
            found = s.respond(str(body["case"]), str(body.get("text", "")), body.get("status"))
            return (200 if found else 404), {"found": found}, {}
        if path == "/_sandbox/servicerequests" and method == "POST":
            sr = s.add_service_request(
                str(body.pop("customerId")), str(body.pop("title")), str(body.pop("description", "")), **body
            )
            return 201, sr, {}
        raise _error(404, "NotFound", f"no such sandbox endpoint: {path}")

    def _partner_center(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        s = self.state
        if method == "GET" and path == "/v1/customers":
            return 200, _page(s.customers, query, headers, path), {}
        if method == "GET" and path == "/v1/invoices":
            return 200, _page(s.invoices, query, headers, path), {}
        m = re.fullmatch(r"/v1/customers/([^/]+)(/subscriptions|/servicerequests)?(?:/([^/]+))?", path)
        if m:
            cid, collection, item = m.groups()
            customer = next((c for c in s.customers if c["id"] == cid), None)
            if customer is None:
                raise _error(404, "CustomerNotFound", f"customer {cid} not found")
            if collection is None and method == "GET":
                return 200, customer, {}
            if collection == "/servicerequests" and method == "GET" and item is None:
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
                    return self._patch_subscription(sub, headers, body)
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

    def _patch_subscription(self, sub: dict[str, Any], headers: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        if_match = headers.get("If-Match")
        if not if_match:
            raise _error(412, "PreconditionFailed", "If-Match with the subscription's etag is required")
        if if_match != sub["attributes"]["etag"]:
            raise _error(412, "PreconditionFailed", "the etag does not match the subscription")
        body = body or {}
        if body.get("status") not in (None, "active", "suspended"):
            raise _error(400, "BadRequest", f"status {body.get('status')!r} cannot be set")
        base = self.state.subscription(sub["parentSubscriptionId"]) if sub.get("parentSubscriptionId") else None
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
            for addon in self.state.addons_of(sub["id"]):  # add-ons go with their base
                if addon["status"] == "active":
                    addon["status"] = "suspended"
                    addon["suspensionReasons"] = list(sub["suspensionReasons"])
                    addon["autoRenewEnabled"] = False
                    addon["attributes"]["etag"] = etag_of(addon)
        elif sub["status"] != "suspended":
            sub["suspensionReasons"] = []
        sub["attributes"]["etag"] = etag_of(sub)
        return 200, sub, {}

    def _azure(self, method: str, path: str, headers: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        s = self.state
        if method == "GET" and path == "/providers/Microsoft.Support/services":
            return 200, {"value": s.services}, {}
        m = re.fullmatch(r"/providers/Microsoft.Support/services/([^/]+)/problemClassifications", path)
        if m and method == "GET":
            if m.group(1) not in s.problems:
                raise _error(404, "ServiceNotFound", f"service {m.group(1)} not found")
            return 200, {"value": s.problems[m.group(1)]}, {}
        m = re.fullmatch(
            r"/subscriptions/([^/]+)/providers/Microsoft.Support/supportTickets/([^/]+)(/communications(?:/([^/]+))?)?",
            path,
        )
        if not m:
            raise _error(404, "NotFound", f"no such Azure endpoint: {method} {path}")
        subscription, name, comms, comm_name = m.groups()
        if subscription not in s.azure_subscriptions:
            raise _error(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")
        if not headers.get("x-ms-authorization-auxiliary", "").startswith("Bearer "):
            raise _error(
                403,
                "AuthorizationFailed",
                "A CSP customer's subscription needs the partner token in x-ms-authorization-auxiliary.",
            )
        ticket = s.tickets.get(name)
        if comms:
            if ticket is None or not ticket["id"].startswith(f"/subscriptions/{subscription}/"):
                raise _error(404, "SupportTicketNotFound", f"support ticket {name} not found")
            if method == "GET" and comm_name is None:
                return 200, {"value": s.communications.get(name, [])}, {}
            if method == "PUT" and comm_name:
                props = (body or {}).get("properties") or {}
                if not props.get("subject") or not props.get("body"):
                    raise _error(400, "BadRequest", "properties.subject and properties.body are required")
                message = s.add_message(
                    name, comm_name, props["subject"], props["body"], props.get("sender", ""), "inbound"
                )
                return 200, message, {}
            raise _error(405, "MethodNotAllowed", method)
        if method == "GET":
            if ticket is None or not ticket["id"].startswith(f"/subscriptions/{subscription}/"):
                raise _error(404, "SupportTicketNotFound", f"support ticket {name} not found")
            return 200, ticket, {}
        if method != "PUT":
            raise _error(405, "MethodNotAllowed", method)
        if ticket is not None:
            return 200, ticket, {}  # the same name again: the same ticket, nothing new
        props = self._valid_ticket(body)
        stamp = now_iso()
        number = f"{2611230010000000 + len(s.tickets) + 1}"
        ticket = {
            "id": f"/subscriptions/{subscription}/providers/Microsoft.Support/supportTickets/{name}",
            "name": name,
            "type": "Microsoft.Support/supportTickets",
            "properties": {
                **props,
                "supportTicketId": number,
                "status": "Open",
                "createdDate": stamp,
                "modifiedDate": stamp,
                "serviceLevelAgreement": {
                    "startTime": stamp,
                    "slaMinutes": {"critical": 60, "moderate": 240}.get(props["severity"], 480),
                },
            },
        }
        s.tickets[name] = ticket
        s.add_message(
            name,
            "welcome",
            "Case received",
            f"Case {number} was received; an engineer will contact you.",
            "Microsoft Support",
            "outbound",
        )
        return 201, ticket, {}

    def _valid_ticket(self, body: Any) -> dict[str, Any]:
        props = (body or {}).get("properties")
        if not isinstance(props, dict):
            raise _error(400, "BadRequest", "properties is required")
        for key in ("title", "description", "serviceId", "problemClassificationId", "severity", "contactDetails"):
            if not props.get(key):
                raise _error(400, "BadRequest", f"properties.{key} is required")
        if props["severity"] not in SEVERITIES:
            raise _error(400, "BadRequest", f"properties.severity must be one of {', '.join(SEVERITIES)}")
        service = str(props["serviceId"]).rsplit("/", 1)[-1]
        if service not in self.state.problems:
            raise _error(400, "InvalidServiceId", f"service {service} does not exist")
        if not any(p["id"] == props["problemClassificationId"] for p in self.state.problems[service]):
            raise _error(
                400, "InvalidProblemClassificationId", "the problem classification is not one of the service's"
            )
        contact = props["contactDetails"]
        missing = [f for f in CONTACT_FIELDS if not (isinstance(contact, dict) and contact.get(f))]
        if missing:
            raise _error(400, "BadRequest", f"properties.contactDetails.{missing[0]} is required")
        return props
