"""The sandbox's HTTP server: Partner Center's and the Azure Support API's endpoints with their field
names and behaviour (paging with ``links.next``, etags and 412, Azure's 202 long-running creates that are
not safe to replay), Microsoft Graph's GDAP relationships, and an OAuth 2.0 / OpenID authority for MSAL
(console/sandbox/authority.py), plus faults to switch on: 429 with ``Retry-After``, 500 before or after the work,
slow answers, connections dropped before or after the work.

MSAL accepts only an ``https`` authority, so ``Sandbox(tls=True)`` serves HTTPS with a certificate for
127.0.0.1 and localhost from a test certificate authority made by ``trustme``; :attr:`Sandbox.ca_file` is that
CA's PEM file, which the console's clients trust through ``[microsoft] ca_bundle`` / ``CSP_CONSOLE_CA_BUNDLE``."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from console.sandbox import auth, azure, partner_center
from console.sandbox.authority import Authority
from console.sandbox.errors import Answer, error, partner_center_error
from console.sandbox.graph import PREFIX as GRAPH_PREFIX
from console.sandbox.graph import GraphState
from console.sandbox.state import SandboxState


@dataclass
class Fault:
    """Applied to the next ``times`` requests whose ``METHOD path`` contains ``match``.

    ``kind``: ``429`` (with ``Retry-After: retry_after``), ``500``, ``500_after`` (work, then answer 500),
    ``slow`` (wait ``delay`` s, then work),
    ``slow_after`` (work, then wait), ``drop`` (close the connection without working), ``drop_after``
    (work, then close the connection without answering: the client never learns it succeeded),
    ``concurrent_change`` (someone else changes the subscription first: its etag moves on, the PATCH gets 412) or
    ``etag_2055`` (the same, answered as Partner Center also does: 400 with code 2055 "Etag is no longer valid").
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


_SANDBOX_FAULT = {"error": {"code": "InternalServerError", "message": "sandbox fault"}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (killed, timed out) is part of the game here, not an error to print.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """One request to the sandbox: its faults, its entry in the request log, and the answer of the route it
    names. :meth:`Sandbox._handler_class` makes a subclass bound to its sandbox (``box``)."""

    protocol_version = "HTTP/1.1"
    box: Sandbox

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        form = self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
        # The sandbox's own endpoints take JSON, however curl -d labels it.
        if form and not self.path.startswith("/_sandbox/"):
            # OAuth 2.0 token and device-code requests are forms (RFC 6749 section 4)
            return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        try:
            return json.loads(raw)
        except ValueError:
            raise error(400, "BadRequest", "the body is not JSON") from None

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        html = isinstance(body, str)
        if body is None:  # no body (Azure's 202s)
            data = b""
        else:
            data = body.encode() if html else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", f"{'text/html' if html else 'application/json'}; charset=utf-8")
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
        box = self.box
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        # Faults match the request line and the continuation token (one page of many).
        line = f"{method} {self.path} {self.headers.get('MS-ContinuationToken', '')}".rstrip()
        try:
            body = self._body()
        except Answer as refused:
            self._send(refused.status, refused.body)
            return
        admin = path.startswith("/_sandbox")
        fault = None if admin else box._take_fault(line)
        # Sign-in requests carry refresh tokens, client secrets and device codes, and their answers
        # tokens: they are counted, never kept (GET /_sandbox/state serves the log to anyone local).
        secret = box.authority.handles(path)
        seen = {} if admin else self._log(method, fault, None if secret else body)
        if fault and self._fault_before(fault, path):
            return
        status, answer, extra = self._answer(method, path, query, body)
        with box.state.lock:
            seen.update(status=status, answer=None if secret else answer)
        if fault and self._fault_after(fault):
            return
        self._send(status, answer, extra)

    def _log(self, method: str, fault: Fault | None, body: Any) -> dict[str, Any]:
        """The request's entry in the sandbox's log (its answer is added once known)."""
        with self.box.state.lock:
            seen = {
                "method": method,
                "path": self.path,
                "requestId": self.headers.get("MS-RequestId", ""),
                "ifMatch": self.headers.get("If-Match", ""),
                "contractVersion": self.headers.get("MS-Contract-Version", ""),
                "fault": fault.kind if fault else "",
                "body": body,
            }
            self.box.state.log_request(seen)
        return seen

    def _fault_before(self, fault: Fault, path: str) -> bool:
        """The fault's part before the work; whether it answered (or dropped) the request already."""
        kind = fault.kind
        if kind == "drop":
            self._drop()
            return True
        if kind == "slow":
            time.sleep(fault.delay)
        if kind == "429":
            self._send(
                429,
                {"error": {"code": "TooManyRequests", "message": "throttled"}},
                {"Retry-After": f"{fault.retry_after:g}"},
            )
            return True
        if kind == "500":
            self._send(500, _SANDBOX_FAULT)
            return True
        if kind in ("concurrent_change", "etag_2055"):
            self.box.state.rename_subscription(path.rsplit("/", 1)[-1])
        if kind == "etag_2055":
            stale = partner_center_error(400, "2055", "Etag is no longer valid")
            self._send(stale.status, stale.body)
            return True
        return False

    def _fault_after(self, fault: Fault) -> bool:
        """The fault's part after the work; whether it answered (or dropped) the request instead of the route."""
        if fault.kind == "drop_after":
            self._drop()
            return True
        if fault.kind == "500_after":
            self._send(500, _SANDBOX_FAULT)
            return True
        if fault.kind == "slow_after":
            time.sleep(fault.delay)
        return False

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        box = self.box
        try:
            if box.authority.handles(path):
                return box.authority.route(method, path, self.headers, body)
            if path.startswith(GRAPH_PREFIX):
                return 200, box._graph(method, self.path, self.headers), {}
            return box._route(method, path, query, self.headers, body)
        except Answer as a:
            return a.status, a.body, a.headers

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


class Sandbox:
    """Run with ``with Sandbox(state) as box: box.url``; faults with :meth:`fault`."""

    def __init__(
        self, state: SandboxState | None = None, host: str = "127.0.0.1", port: int = 0, *, tls: bool = False
    ) -> None:
        self.state = state or SandboxState()
        self.graph = GraphState.for_customers(self.state)
        self.authority = Authority(self)
        self.faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        self.server = _Server((host, port), self._handler_class())
        self.thread: threading.Thread | None = None
        self.tls = tls
        self.ca_file: Path | None = None
        self._ca_dir: tempfile.TemporaryDirectory[str] | None = None
        if tls:
            self._serve_tls()

    def _serve_tls(self) -> None:
        try:
            import trustme
        except ImportError:  # pragma: no cover - a dependency of the package
            raise RuntimeError("the sandbox's TLS needs the trustme package (pip install trustme)") from None
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self._ca_dir = tempfile.TemporaryDirectory(prefix="csp-sandbox-ca-")
        self.ca_file = Path(self._ca_dir.name) / "sandbox-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))

    @property
    def url(self) -> str:
        host, port = cast("tuple[str, int]", self.server.server_address[:2])  # AF_INET: (host, port)
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def start(self) -> Sandbox:
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._ca_dir is not None:
            self._ca_dir.cleanup()

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
        return type("Handler", (_Handler,), {"box": self})

    # -- routing -------------------------------------------------------------------------------
    def _route(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        s = self.state
        if path.startswith("/_sandbox/"):
            return self._admin(method, path, body)
        with s.lock:
            if path.startswith("/v1/"):
                auth.partner_center(headers, s.partner_tenant)
                return partner_center.route(self, method, path, query, headers, body)
            if "/providers/Microsoft.Support/" in path:
                if "api-version" not in query:
                    raise error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
                auth.arm(headers)
                return azure.route(self, method, path, headers, body)
        raise error(404, "NotFound", f"no such endpoint: {path}")

    def _graph(self, method: str, raw_path: str, headers: Any) -> Any:
        return self.graph.route(self.url, method, raw_path, headers, self.state.partner_tenant)

    def _admin(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        s = self.state
        if path == "/_sandbox/authority" and method == "POST":
            fault = str((body or {}).get("fault", ""))
            if fault == "expire_refresh_tokens":
                self.authority.expire_refresh_tokens()
            elif fault in ("revoke_consent", "restore_consent"):
                self.authority.revoke_consent(fault == "revoke_consent")
            else:
                raise error(400, "BadRequest", "fault: expire_refresh_tokens, revoke_consent or restore_consent")
            return 200, {"fault": fault}, {}
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
        if path == "/_sandbox/azure" and method == "POST":  # {"async": false}: 200 with the body
            s.azure_async = bool((body or {}).get("async", True))
            return 200, {"async": s.azure_async}, {}
        if path == "/_sandbox/respond" and method == "POST":
            if not isinstance(body, dict) or not body.get("case"):
                raise error(
                    400, "BadRequest", 'send {"case": "<case number or ticket name>", "text": "...", "status": "..."}'
                )
            found = s.respond(str(body["case"]), str(body.get("text", "")), body.get("status"))
            return (200 if found else 404), {"found": found}, {}
        if path == "/_sandbox/servicerequests" and method == "POST":
            if not isinstance(body, dict) or not body.get("customerId") or not body.get("title"):
                raise error(400, "BadRequest", 'send {"customerId": "...", "title": "...", "description": "..."}')
            sr = s.add_service_request(
                str(body.pop("customerId")), str(body.pop("title")), str(body.pop("description", "")), **body
            )
            return 201, sr, {}
        raise error(404, "NotFound", f"no such sandbox endpoint: {path}")
