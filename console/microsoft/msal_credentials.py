"""Tokens the way Microsoft tells CSP partners to work unattended: the Secure Application Model.

A partner admin consents once to the partner's app registration (``csp-console microsoft login``: the OAuth 2.0
device authorization grant, so it works over SSH). The identity platform then holds a refresh token for the
app and that admin; the console keeps it outside the workspace (a file only the desk's service account can
read, or a command that prints it from a vault) and exchanges it with MSAL for an access token per audience and
per tenant: Partner Center and ARM in the partner's tenant, ARM in each customer's tenant (the customer's
GDAP relationship lets the partner's admin in), Graph in the partner's tenant.

Sources: learn.microsoft.com, "Secure Application Model framework" and "Partner Center authentication" (one
consent with MFA, the refresh token in a vault, exchanged per resource); "Microsoft identity platform and the
OAuth 2.0 device authorization grant flow" (``/devicecode``, ``device_code``/``user_code``/``verification_uri``/
``message``, polling errors ``authorization_pending``, ``authorization_declined``, ``bad_verification_code``,
``expired_token``); "Microsoft identity platform refresh tokens" (a refresh token may be replaced by a new one
on each redemption: store the new one); "Microsoft Entra authentication and authorization error codes"
(the AADSTS codes explained in :mod:`console.microsoft.refusals`). MSAL Python (``msal``):
``acquire_token_by_refresh_token``, ``initiate_device_flow``, and its ``oauth2cli`` client's device-flow loop,
read in its source. Where the refresh token is kept: :mod:`console.microsoft.token_stores`.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from console.microsoft.credentials import (
    ARM,
    GRAPH,
    PARTNER_CENTER,
    Audience,
    Credentials,
    MissingToken,
    Token,
    TokenSource,
    jwt_claims,
)
from console.microsoft.refusals import explain, refusal_of
from console.microsoft.token_stores import RefreshTokenStore, token_store

# MSAL's own debug lines describe token requests and its cache: never in the desk's log, whatever its level.
logging.getLogger("msal").setLevel(logging.WARNING)

#: Hosts MSAL knows itself (no instance discovery is needed, or wanted, for any other: the sandbox).
MICROSOFT_AUTHORITY_HOSTS = frozenset(
    {"login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "login.microsoftonline.us"}
)
#: What the one-time consent asks for: Partner Center's delegated permission (the refresh token it yields is
#: redeemed for the other APIs the app registration has permissions for), and a refresh token.
LOGIN_SCOPES = (PARTNER_CENTER.scope,)


# -- the app registration's credential ----------------------------------------------------------------------
def client_credential(settings: Any, env: Mapping[str, str] = os.environ) -> str | dict[str, str] | None:
    """The confidential app's secret (from the environment variable ``client_secret_env`` names, or printed by
    ``client_secret_command``) or certificate; ``None``: a public client (device code only)."""
    env_name = (getattr(settings, "client_secret_env", "") or "").strip()
    if env_name and env.get(env_name, "").strip():
        return env[env_name].strip()
    command = (getattr(settings, "client_secret_command", "") or "").strip()
    if command:
        try:
            done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60, check=False)
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise MissingToken(f"The [microsoft] client_secret_command could not run ({type(exc).__name__}).") from None
        if done.returncode != 0 or not done.stdout.strip():
            raise MissingToken(
                f"The [microsoft] client_secret_command printed no secret (exit status {done.returncode})."
            )
        return done.stdout.strip()
    cert = (getattr(settings, "client_certificate_file", "") or "").strip()
    if cert:
        thumbprint = (getattr(settings, "client_certificate_thumbprint", "") or "").strip()
        if not thumbprint:
            raise MissingToken("[microsoft] client_certificate_file needs client_certificate_thumbprint (SHA-1, hex).")
        try:
            key = Path(cert).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MissingToken(f"Cannot read [microsoft] client_certificate_file {cert} ({exc}).") from None
        return {"private_key": key, "thumbprint": thumbprint}
    return None


# -- the credentials ------------------------------------------------------------------------------------------
class MsalCredentials(Credentials):
    """Access tokens from the refresh token of the one-time consent, per audience and per tenant."""

    kind = "msal"

    def __init__(
        self,
        client_id: str,
        store: RefreshTokenStore,
        partner_tenant: str,
        *,
        authority: str = "https://login.microsoftonline.com",
        credential: str | dict[str, str] | Callable[[], str | dict[str, str] | None] | None = None,
        ca_bundle: str = "",
        timeout: float = 30.0,
        partner_tenant_origin: str = "",
    ) -> None:
        super().__init__(partner_tenant)
        self.partner_tenant_origin = partner_tenant_origin  # where partner_tenant was set, for the hints
        self.client_id = client_id
        self.store = store
        self.authority = authority.rstrip("/")
        self._credential_source = credential
        self._credential_read = False
        self._credential: str | dict[str, str] | None = None
        self.ca_bundle = ca_bundle
        self.timeout = timeout
        self._refresh_token: str | None = None
        self._rt_lock = threading.Lock()
        self._apps: dict[str, Any] = {}
        self._apps_lock = threading.Lock()

    @property
    def available(self) -> bool:
        return bool(self.client_id) and self.store.exists()

    @property
    def credential(self) -> str | dict[str, str] | None:
        """The confidential app's secret or certificate, read once when first needed (a command may run)."""
        if not self._credential_read:
            source = self._credential_source
            self._credential = source() if callable(source) else source
            self._credential_read = True
        return self._credential

    @property
    def confidential(self) -> bool:
        return self.credential is not None

    # MSAL applications, one per tenant's authority
    def app(self, tenant: str) -> Any:
        with self._apps_lock:
            found = self._apps.get(tenant)
            if found is None:
                found = self._apps[tenant] = self._build_app(tenant)
            return found

    def _build_app(self, tenant: str) -> Any:
        import msal  # loads requests and cryptography: only when a token is needed

        host = (urlsplit(self.authority).hostname or "").lower()
        kwargs: dict[str, Any] = {"authority": f"{self.authority}/{tenant}", "http_client": self._http_client()}
        if host not in MICROSOFT_AUTHORITY_HOSTS:
            kwargs["instance_discovery"] = False  # a loopback authority (the sandbox) is no Microsoft instance
        try:
            credential = self.credential
            if credential is not None:
                return msal.ConfidentialClientApplication(self.client_id, client_credential=credential, **kwargs)
            return msal.PublicClientApplication(self.client_id, **kwargs)
        except ValueError as exc:  # the authority's OpenID configuration could not be read
            raise MissingToken(
                f"The authority {self.authority}/{tenant} cannot be used: {exc}{self._tenant_hint(tenant)}"
            ) from None
        except OSError as exc:  # requests' connection errors, a CA bundle that cannot be read
            raise MissingToken(
                f"Cannot reach the authority {self.authority}/{tenant} ({type(exc).__name__}); check the network "
                "and [microsoft] authority / ca_bundle."
            ) from None

    def _tenant_hint(self, tenant: str) -> str:
        """What to check when the authority does not know ``tenant`` (MSAL's "Unable to get authority
        configuration": the tenant's OpenID discovery document answered 400, as for a tenant that does not
        exist): for the partner's tenant, the setting it came from."""
        if tenant != self.partner_tenant:
            return ""
        origin = self.partner_tenant_origin or "partner_tenant_id in the [microsoft] table of the config file"
        return (
            f" Check the partner tenant {tenant}, set by {origin}: it must be the tenant ID of the partner's own "
            "Microsoft Entra tenant (the Microsoft Entra admin center's Overview shows it; `csp-console microsoft "
            "login` prints the tenant it signed in to)."
        )

    def _http_client(self) -> Any:
        """MSAL's HTTP client: a requests session trusting ``ca_bundle`` (the sandbox's test CA) or the system's
        CAs. ``trust_env`` is off: requests would otherwise let ``REQUESTS_CA_BUNDLE`` override the session's
        ``verify``, and take proxies from the environment."""
        import functools

        import requests

        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_bundle or True
        session.request = functools.partial(session.request, timeout=self.timeout)  # type: ignore[method-assign]
        return session

    def _tenant_id(self, tenant: str | None) -> str:
        if tenant is not None:
            return tenant
        if not self.partner_tenant:
            raise MissingToken(
                "No partner tenant: set partner_tenant_id in the [microsoft] table of the config file (the tenant "
                "`csp-console microsoft login` signed in to; it prints it)."
            )
        return self.partner_tenant

    def refresh_token(self) -> str:
        with self._rt_lock:
            if self._refresh_token is None:
                self._refresh_token = self.store.read()
            return self._refresh_token

    def _rotated(self, new: str) -> None:
        with self._rt_lock:
            if new and new != self._refresh_token:
                self.store.write(new)
                self._refresh_token = new

    def acquire(self, audience: Audience, tenant: str | None) -> Token:
        tenant_id, role = self._label(tenant)
        tenant_id = self._tenant_id(tenant)
        token = self.refresh_token()
        try:
            result = self.app(tenant_id).acquire_token_by_refresh_token(token, scopes=[audience.scope])
        except OSError as exc:
            raise MissingToken(
                f"The {audience.api} token for {role} tenant {tenant_id}: cannot reach the authority "
                f"{self.authority} ({type(exc).__name__})."
            ) from None
        if "access_token" not in result:
            raise MissingToken(explain(result, audience, tenant_id, role))
        self._rotated(str(result.get("refresh_token") or ""))
        expires_in = float(result.get("expires_in") or 3600)
        return Token(str(result["access_token"]), time.time() + expires_in)

    def _make(self, audience: Audience, tenant: str | None) -> TokenSource:
        tenant_id, role = self._label(tenant)
        how = (
            "The Secure Application Model's refresh token gives it: a partner admin runs `csp-console microsoft "
            "login` once" + ("" if tenant is None else "; the customer needs an active GDAP relationship") + "."
        )
        return TokenSource(
            audience, tenant_id, lambda: self.acquire(audience, tenant), how_to=how, refreshable=True, role=role
        )

    # -- the one-time consent ------------------------------------------------------------------------------
    def login(self, show: Callable[[str], None], *, tenant: str | None = None) -> dict[str, Any]:
        """The device-code flow in the partner's tenant (or ``organizations`` when none is configured):
        ``show`` gets the identity platform's message (URL and user code); blocks while the admin signs in.
        Stores the refresh token and returns the token response's ID token claims (``tid``, the user). A
        network failure or a refresh-token file that cannot be written is a :class:`MissingToken` saying so."""
        try:
            return self._login(show, tenant)
        except OSError as exc:  # requests' connection errors and the token file's write are OSErrors
            raise MissingToken(
                f"Login failed: {type(exc).__name__}: {str(exc)[:300]} (authority {self.authority}; the refresh "
                "token file must be writable by the desk's account)"
            ) from None

    def _login(self, show: Callable[[str], None], tenant: str | None) -> dict[str, Any]:
        where = tenant or self.partner_tenant or "organizations"
        app = self.app(where)
        scopes = list(LOGIN_SCOPES)
        if self.confidential:
            # MSAL offers device flow on public clients only; its OAuth client runs the same grant for a
            # confidential one (with the client's credential), as the identity platform allows.
            flow = app.client.initiate_device_flow(scope=[*scopes, "offline_access", "openid", "profile"])
        else:
            flow = app.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            raise MissingToken(
                f"The authority {self.authority}/{where} refused the device code: {refusal_of(flow).text or flow}"
            )
        show(str(flow.get("message") or f"Open {flow['verification_uri']} and enter the code {flow['user_code']}."))
        if self.confidential:
            result = app.client.obtain_token_by_device_flow(flow, data={"code": flow["device_code"]})
        else:
            result = app.acquire_token_by_device_flow(flow)
        if "refresh_token" not in result:
            error = str(result.get("error") or "")
            what = {
                "authorization_declined": "the sign-in was declined",
                "access_denied": "the sign-in was declined",
                "expired_token": "the code expired before anyone signed in: run it again",
                "bad_verification_code": "the code was not recognised: run it again",
            }.get(error, refusal_of(result).text or error or "no refresh token came back")
            raise MissingToken(f"Login failed: {what}.")
        self.store.write(str(result["refresh_token"]))
        with self._rt_lock:
            self._refresh_token = str(result["refresh_token"])
        claims = dict(result.get("id_token_claims") or {})
        if "tid" not in claims:
            claims.update(jwt_claims(str(result.get("access_token") or "")))
        return claims

    def logout(self) -> bool:
        with self._rt_lock:
            self._refresh_token = None
        for source in list(self._sources.values()):
            source.invalidate()
        return self.store.forget()


def ca_bundle_of(settings: Any, env: Mapping[str, str] = os.environ) -> str:
    return (env.get("CSP_CONSOLE_CA_BUNDLE") or getattr(settings, "ca_bundle", "") or "").strip()


def msal_credentials_for(
    settings: Any, env: Mapping[str, str] = os.environ, *, config_file: str = ""
) -> MsalCredentials | None:
    """MSAL credentials when the config names the app registration (``client_id``, or ``CSP_CONSOLE_CLIENT_ID``)
    and where its refresh token lives; ``None`` otherwise. ``config_file`` names the file in the hints."""
    from console.microsoft.credentials import partner_tenant_of, partner_tenant_origin

    client_id = (env.get("CSP_CONSOLE_CLIENT_ID") or getattr(settings, "client_id", "") or "").strip()
    store = token_store(settings, env)
    if not client_id or store is None:
        return None
    authority = (env.get("CSP_CONSOLE_AUTHORITY") or getattr(settings, "authority", "") or "").strip()
    return MsalCredentials(
        client_id,
        store,
        partner_tenant_of(settings, env),
        authority=authority or "https://login.microsoftonline.com",
        credential=lambda: client_credential(settings, env),
        ca_bundle=ca_bundle_of(settings, env),
        partner_tenant_origin=partner_tenant_origin(settings, env, config_file),
    )


__all__ = [
    "ARM",
    "GRAPH",
    "PARTNER_CENTER",
    "MsalCredentials",
    "msal_credentials_for",
]
