"""The sandbox's OAuth 2.0 / OpenID Connect authority: Microsoft's identity platform on loopback, for MSAL.

It answers as learn.microsoft.com documents the identity platform (v2.0 endpoints, tenant-specific):

- ``GET /{tenant}/v2.0/.well-known/openid-configuration``: the OpenID discovery document ("OpenID Connect on
  the Microsoft identity platform": ``issuer``, ``authorization_endpoint``, ``token_endpoint``,
  ``device_authorization_endpoint``, ``jwks_uri``, ...); an unknown tenant answers 400 ``invalid_tenant``
  (AADSTS90002).
- ``POST /{tenant}/oauth2/v2.0/devicecode``: ``device_code``, ``user_code``, ``verification_uri``,
  ``expires_in``, ``interval``, ``message`` ("OAuth 2.0 device authorization grant").
- ``POST /{tenant}/oauth2/v2.0/token``: ``grant_type`` ``urn:ietf:params:oauth:grant-type:device_code``
  (``authorization_pending`` AADSTS70016, ``slow_down``, ``authorization_declined``, ``bad_verification_code``,
  ``expired_token`` AADSTS70019) and ``refresh_token`` (a new refresh token with each answer: "Microsoft
  identity platform refresh tokens"); the answer carries ``token_type``, ``scope``, ``expires_in``,
  ``access_token``, ``refresh_token``, ``id_token`` (with ``openid``) and ``client_info`` (with
  ``client_info=1``, as MSAL asks). Errors are ``{"error", "error_description": "AADSTS...: ...",
  "error_codes": [...]}`` with status 400 or 401.

Access tokens come from :func:`console.sandbox.tokens.mint`: ``aud`` from the requested scope's resource,
``tid`` the tenant of the path (the partner's for ``organizations``). A customer's tenant is refused
(AADSTS50020) unless the partner has an active GDAP relationship with it (:mod:`console.sandbox.graph`).

The person trying it approves a device code at ``/devicelogin`` (``POST user_code=...``; ``decision=decline``
declines). Faults: :meth:`Authority.expire_refresh_tokens` (invalid_grant AADSTS700082) and
:meth:`Authority.revoke_consent` (invalid_grant AADSTS65001).
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.sandbox import tokens
from console.sandbox.errors import Answer

if TYPE_CHECKING:
    from console.sandbox.server import Sandbox

#: The partner's app registration in the sandbox (a public client unless a secret is registered for it).
SANDBOX_CLIENT_ID = "3c1f6a2e-8d4b-4e7a-9b0c-5d6e7f8a9b0c"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
GENERIC_TENANTS = frozenset({"organizations", "common"})
ADMIN_USER = "admin@partner.example"


def oauth_error(error: str, code: int | None, text: str, status: int = 400) -> Answer:
    """The identity platform's error body (``error_codes`` carries the AADSTS number)."""
    desc = f"AADSTS{code}: {text}" if code else text
    body: dict[str, Any] = {
        "error": error,
        "error_description": f"{desc}\r\nTrace ID: {uuid.uuid4()}\r\nTimestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ')}",
        "error_codes": [code] if code else [],
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    if code:
        body["error_uri"] = f"https://login.microsoftonline.com/error?code={code}"
    return Answer(status, body)


def _b64json(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    tenant: str
    expires_at: float
    interval: int
    status: str = "pending"  # pending | approved | declined | redeemed
    last_poll: float = 0.0


@dataclass
class Grant:
    """A refresh token: which app and user it belongs to, and whether it still works."""

    client_id: str
    user: str
    home_tenant: str
    expired: bool = False


@dataclass
class Authority:
    box: Sandbox
    apps: dict[str, str | None] = field(default_factory=lambda: {SANDBOX_CLIENT_ID: None})  # client id -> secret
    device_codes: dict[str, DeviceCode] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    token_lifetime: float = 3600
    device_interval: int = 5
    device_lifetime: int = 900
    consent_revoked: bool = False
    issued: list[dict[str, str]] = field(default_factory=list)  # (audience, tenant) of each access token issued
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- faults and the person approving ---------------------------------------------------------------
    def expire_refresh_tokens(self) -> None:
        with self.lock:
            for grant in self.grants.values():
                grant.expired = True

    def revoke_consent(self, revoked: bool = True) -> None:
        with self.lock:
            self.consent_revoked = revoked

    def approve(self, user_code: str, decision: str = "approve") -> bool:
        with self.lock:
            wanted = user_code.strip().upper()
            for code in self.device_codes.values():
                if code.user_code == wanted and code.status == "pending":
                    code.status = "declined" if decision == "decline" else "approved"
                    return True
        return False

    def pending_codes(self) -> list[str]:
        with self.lock:
            return [c.user_code for c in self.device_codes.values() if c.status == "pending"]

    # -- routing -----------------------------------------------------------------------------------------
    def handles(self, path: str) -> bool:
        return path == "/devicelogin" or "/oauth2/v2.0/" in path or path.endswith("/.well-known/openid-configuration")

    def route(self, method: str, path: str, headers: Any, body: Any) -> tuple[int, Any, dict[str, str]]:
        if path == "/devicelogin":
            return self._devicelogin(method, body)
        tenant = path.strip("/").split("/", 1)[0]
        self._known_tenant(tenant)
        if path.endswith("/v2.0/.well-known/openid-configuration") and method == "GET":
            return 200, self.openid_configuration(tenant), {}
        form = body if isinstance(body, dict) else {}
        if path.endswith("/oauth2/v2.0/devicecode") and method == "POST":
            return 200, self._devicecode(tenant, form, headers), {}
        if path.endswith("/oauth2/v2.0/token") and method == "POST":
            return 200, self._token(tenant, form, headers), {"Cache-Control": "no-store", "Pragma": "no-cache"}
        raise oauth_error("invalid_request", 900561, f"The endpoint only accepts POST, OPTIONS requests ({path}).")

    def _known_tenant(self, tenant: str) -> None:
        s = self.box.state
        if tenant in GENERIC_TENANTS or tenant == s.partner_tenant:
            return
        with s.lock:
            known = {str(c["companyProfile"]["tenantId"]) for c in s.customers}
        if tenant not in known:
            raise oauth_error(
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
                "into the correct cloud.",
            )

    def openid_configuration(self, tenant: str) -> dict[str, Any]:
        base = self.box.url
        tid = "{tenantid}" if tenant in GENERIC_TENANTS else tenant
        return {
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tid}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "preferred_username", "name", "tid"],
            "tenant_region_scope": "AS",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    # -- client authentication ---------------------------------------------------------------------------
    def _client(self, form: dict[str, str], headers: Any) -> str:
        client_id = form.get("client_id", "")
        secret = form.get("client_secret")
        basic = str(headers.get("Authorization", ""))
        if basic.startswith("Basic "):
            from urllib.parse import unquote_plus

            raw = base64.b64decode(basic[6:]).decode()
            user, _, password = raw.partition(":")
            client_id, secret = client_id or unquote_plus(user), unquote_plus(password)
        with self.lock:
            self._known_app(client_id)
            registered = self.apps[client_id]
        if registered is not None:
            if not secret:
                raise oauth_error(
                    "invalid_client",
                    7000218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                    401,
                )
            if not secrets.compare_digest(secret, registered):
                raise oauth_error(
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent "
                    "in the request is the client secret value, not the client secret ID.",
                    401,
                )
        return client_id

    def _known_app(self, client_id: str) -> None:
        """AADSTS700016 for an app the directory does not have (call with the lock held)."""
        if client_id not in self.apps:
            raise oauth_error(
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory.",
            )

    # -- device authorization ----------------------------------------------------------------------------
    def _devicecode(self, tenant: str, form: dict[str, str], headers: Any) -> dict[str, Any]:
        client_id = form.get("client_id", "")
        with self.lock:
            self._known_app(client_id)
            alphabet = string.ascii_uppercase + string.digits
            user_code = "".join(secrets.choice(alphabet) for _ in range(9))
            code = DeviceCode(
                device_code=secrets.token_urlsafe(48),
                user_code=user_code,
                client_id=client_id,
                scope=form.get("scope", ""),
                tenant=tenant,
                expires_at=time.time() + self.device_lifetime,
                interval=self.device_interval,
            )
            self.device_codes[code.device_code] = code
        uri = f"{self.box.url}/devicelogin"
        return {
            "user_code": user_code,
            "device_code": code.device_code,
            "verification_uri": uri,
            "expires_in": self.device_lifetime,
            "interval": self.device_interval,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the code {user_code} to "
            "authenticate.",
        }

    def _devicelogin(self, method: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if method == "GET":
            page = (
                "<!doctype html><title>Sandbox device login</title><h1>Enter code</h1>"
                '<form method="post"><input name="user_code" autofocus> '
                '<button name="decision" value="approve">Approve</button> '
                '<button name="decision" value="decline">Decline</button></form>'
            )
            return 200, page, {}
        form = body if isinstance(body, dict) else {}
        decision = str(form.get("decision") or "approve")
        if self.approve(str(form.get("user_code") or ""), decision):
            return 200, {"approved": decision != "decline", "user": ADMIN_USER}, {}
        raise oauth_error("bad_verification_code", None, "The code is not known or was already used.")

    # -- tokens ------------------------------------------------------------------------------------------
    def _token(self, tenant: str, form: dict[str, str], headers: Any) -> dict[str, Any]:
        grant_type = form.get("grant_type", "")
        client_id = self._client(form, headers)
        if grant_type == DEVICE_CODE_GRANT:
            return self._redeem_device_code(tenant, client_id, form)
        if grant_type == "refresh_token":
            return self._redeem_refresh_token(tenant, client_id, form)
        raise oauth_error(
            "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant_type}'."
        )

    def _redeem_device_code(self, tenant: str, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        now = time.time()
        with self.lock:
            code = self.device_codes.get(form.get("device_code", ""))
            if code is None or code.client_id != client_id or code.status == "redeemed":
                raise oauth_error("bad_verification_code", 70000, "The provided device code is not valid.")
            if now >= code.expires_at:
                raise oauth_error("expired_token", 70019, "Verification code expired. The user didn't sign in in time.")
            too_soon = code.last_poll and now - code.last_poll < code.interval * 0.5
            code.last_poll = now
            if code.status == "declined":
                raise oauth_error("authorization_declined", 70000, "The end user denied the authorization request.")
            if code.status == "pending":
                if too_soon:
                    raise oauth_error("slow_down", None, "The client polled faster than the interval allows.")
                raise oauth_error(
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                )
            code.status = "redeemed"
            home = self.box.state.partner_tenant
            # The token request of this grant carries no scope: the device-code request's scope applies.
            asked = {**form, "scope": code.scope}
            return self._issue(client_id, home if code.tenant in GENERIC_TENANTS else code.tenant, asked, home)

    def _redeem_refresh_token(self, tenant: str, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            grant = self.grants.get(form.get("refresh_token", ""))
            if grant is None or grant.client_id != client_id:
                raise oauth_error("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
            if grant.expired:
                raise oauth_error(
                    "invalid_grant",
                    700082,
                    "The refresh token has expired due to inactivity. The token was issued on "
                    f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 91 * 86400))} and was inactive "
                    "for 90.00:00:00.",
                )
            if self.consent_revoked:
                raise oauth_error(
                    "invalid_grant",
                    65001,
                    f"The user or administrator has not consented to use the application with ID '{client_id}'. "
                    "Send an interactive authorization request for this user and resource.",
                )
            target = grant.home_tenant if tenant in GENERIC_TENANTS else tenant
            if target != grant.home_tenant and not self.box.graph.has_active_relationship(target):
                raise oauth_error(
                    "invalid_grant",
                    50020,
                    f"User account '{grant.user}' from identity provider "
                    f"'https://sts.windows.net/{grant.home_tenant}/' "
                    f"does not exist in tenant '{target}' and cannot access the application '{client_id}' in that "
                    "tenant.",
                )
            return self._issue(client_id, target, form, grant.home_tenant, grant.user)

    def _issue(
        self, client_id: str, tenant: str, form: dict[str, str], home: str, user: str = ADMIN_USER
    ) -> dict[str, Any]:
        scopes = form.get("scope", "").split()
        resources = [s for s in scopes if s not in OIDC_SCOPES]
        resource = resources[0].rsplit("/", 1)[0] if resources else "00000003-0000-0000-c000-000000000000"
        access = tokens.mint(resource, tenant, lifetime=self.token_lifetime, user=user)
        refresh = "0.A" + secrets.token_urlsafe(64)
        self.grants[refresh] = Grant(client_id, user, home)
        self.issued.append({"audience": resource, "tenant": tenant})
        now = int(time.time())
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(resources or scopes),
            "expires_in": int(self.token_lifetime),
            "ext_expires_in": int(self.token_lifetime),
            "access_token": access,
            "refresh_token": refresh,
        }
        if "openid" in scopes:
            answer["id_token"] = ".".join(
                (
                    _b64json({"typ": "JWT", "alg": "none"}),
                    _b64json(
                        {
                            "aud": client_id,
                            "iss": f"{self.box.url}/{tenant}/v2.0",
                            "iat": now,
                            "nbf": now,
                            "exp": now + 3600,
                            "name": "Partner Admin",
                            "oid": "5f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b",
                            "preferred_username": user,
                            "sub": "sandbox-subject",
                            "tid": tenant,
                            "ver": "2.0",
                        }
                    ),
                    "",
                )
            )
        if form.get("client_info") == "1":
            answer["client_info"] = _b64json({"uid": "5f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b", "utid": home})
        return answer
