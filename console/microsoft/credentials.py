"""Access tokens per audience and per tenant.

Microsoft's APIs take a bearer token issued for one *audience* (the API) by one *tenant*:

- Partner Center (``https://api.partnercenter.microsoft.com``): a token from the partner's tenant; service
  requests accept app+user tokens only.
- Azure Resource Manager (``https://management.azure.com``), for the Azure Support API: for a CSP customer's
  subscription the primary ``Authorization`` token comes from the **customer's** tenant and the
  ``x-ms-authorization-auxiliary`` header carries an ARM token from the **partner's** tenant
  (learn.microsoft.com, "Authenticate requests across tenants"; azure-rest-api-specs, Microsoft.Support
  2024-04-01 support.json).
- Microsoft Graph (``https://graph.microsoft.com``): the partner's GDAP relationships, from the partner's tenant.

:class:`Credentials` hands out one :class:`TokenSource` per (audience, tenant). Tokens come from a configured
command (``{resource}`` and ``{tenant}`` are filled in, e.g. the Azure CLI's
``az account get-access-token --resource {resource} --tenant {tenant} --query accessToken -o tsv``), from an
environment variable (the partner's own tenant only: one token cannot serve many tenants), or from the Secure
Application Model's refresh token through MSAL (:mod:`console.microsoft.msal_credentials`). A token lives only
in memory: never in the workspace, a log, an error message or the screen.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class MissingToken(Exception):
    """No token could be had; the message says which one (audience, tenant) and how to provide it."""


@dataclass(frozen=True)
class Audience:
    """One API's token audience and where its development token may come from."""

    api: str  # "Partner Center" | "Azure Resource Manager" | "Microsoft Graph"
    resource: str  # the audience's URL, as Microsoft's identity platform names it
    env_var: str
    config_key: str

    @property
    def scope(self) -> str:
        """The MSAL scope of the audience's default permissions."""
        return f"{self.resource.rstrip('/')}/.default"


PARTNER_CENTER = Audience(
    "Partner Center",
    "https://api.partnercenter.microsoft.com",
    "CSP_CONSOLE_PARTNER_CENTER_TOKEN",
    "partner_center_token_command",
)
ARM = Audience(
    "Azure Resource Manager", "https://management.azure.com/", "CSP_CONSOLE_AZURE_TOKEN", "azure_token_command"
)
GRAPH = Audience("Microsoft Graph", "https://graph.microsoft.com", "CSP_CONSOLE_GRAPH_TOKEN", "graph_token_command")
AUDIENCES = (PARTNER_CENTER, ARM, GRAPH)
#: Exchange Online's IMAP and SMTP (XOAUTH2) for the desk's mailbox (console/mail), in the partner's tenant:
#: the delegated permissions IMAP.AccessAsUser.All and SMTP.Send of the resource https://outlook.office.com
#: (learn.microsoft.com, "Authenticate an IMAP, POP or SMTP connection using OAuth"). Not among AUDIENCES:
#: only a desk with ``[mail] oauth`` asks for it.
EXCHANGE = Audience("Exchange Online", "https://outlook.office.com", "CSP_CONSOLE_MAIL_TOKEN", "mail_token_command")

#: A token is fetched again this many seconds before it expires.
EXPIRY_MARGIN = 300.0


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float | None = None  # epoch seconds; None: unknown (used until refused)

    def fresh(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at - EXPIRY_MARGIN


def jwt_claims(value: str) -> dict[str, Any]:
    """The claims of a JWT access token, read without verifying it (to refresh in time, to tell an app-only
    token); ``{}`` for a token that is not a readable JWT."""
    parts = value.split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def jwt_expiry(value: str) -> float | None:
    """The ``exp`` claim of a JWT access token."""
    try:
        return float(jwt_claims(value)["exp"])
    except (KeyError, TypeError, ValueError):
        return None


def app_only(value: str) -> bool | None:
    """Whether a token is app-only (``idtyp: app``, or no ``scp`` while it carries ``roles``: Microsoft identity
    platform, "Access token claims reference"); ``None`` when the token cannot be read."""
    claims = jwt_claims(value)
    if not claims:
        return None
    return claims.get("idtyp") == "app" or ("scp" not in claims and "roles" in claims)


class TokenSource:
    """The token of one audience in one tenant: fetched on first use, kept in memory, fetched again before it
    expires or after :meth:`invalidate` (a 401)."""

    def __init__(
        self,
        audience: Audience,
        tenant: str,
        fetch: Callable[[], Token],
        *,
        how_to: str,
        refreshable: bool,
        role: str = "",
    ) -> None:
        self.audience = audience
        self.tenant = tenant
        self.refreshable = refreshable
        self.role = role  # "the partner's" | "the customer's": for messages
        self._fetch = fetch
        self._how_to = how_to
        self._token: Token | None = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        who = f"{self.role} tenant {self.tenant}" if self.role else f"tenant {self.tenant}"
        return f"the {self.audience.api} token for {who}"

    def how_to(self) -> str:
        return self._how_to

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def get(self) -> str:
        with self._lock:
            if self._token is None or not self._token.fresh(time.time()):
                self._token = self._fetch()
            return self._token.value


class Credentials:
    """Where the console's tokens come from; one :class:`TokenSource` per (audience, tenant), cached."""

    kind = "none"

    def __init__(self, partner_tenant: str = "") -> None:
        self.partner_tenant = partner_tenant
        self._sources: dict[tuple[str, str], TokenSource] = {}
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """Whether any token can be had without asking anyone (so background work makes sense)."""
        return False

    def is_partner_tenant(self, tenant: str | None) -> bool:
        """Whether ``tenant`` is the partner's own (``None`` is); tenant ids are GUIDs, compared without case."""
        return tenant is None or (bool(self.partner_tenant) and tenant.casefold() == self.partner_tenant.casefold())

    def source(self, audience: Audience, tenant: str | None = None) -> TokenSource:
        """The token source of ``audience`` in ``tenant`` (``None``: the partner's own tenant)."""
        home = self.is_partner_tenant(tenant)
        key = (audience.resource, "" if home else str(tenant))
        with self._lock:
            found = self._sources.get(key)
            if found is None:
                found = self._sources[key] = self._make(audience, None if home else tenant)
            return found

    def _make(self, audience: Audience, tenant: str | None) -> TokenSource:
        raise NotImplementedError

    def _label(self, tenant: str | None) -> tuple[str, str]:
        if tenant is None:
            return (self.partner_tenant or "(the partner's home tenant)", "the partner's")
        return tenant, "the customer's"


class CommandCredentials(Credentials):
    """Tokens from environment variables (the partner's tenant only) or configured commands."""

    kind = "command"

    def __init__(
        self, commands: Mapping[str, str], partner_tenant: str = "", env: Mapping[str, str] = os.environ
    ) -> None:
        super().__init__(partner_tenant)
        self.commands = {a.resource: commands.get(a.config_key, "").strip() for a in (*AUDIENCES, EXCHANGE)}
        self.env = env

    @property
    def available(self) -> bool:
        return any(self.commands[a.resource] for a in AUDIENCES) or any(
            self.env.get(a.env_var, "").strip() for a in AUDIENCES
        )

    def _make(self, audience: Audience, tenant: str | None) -> TokenSource:
        command = self.commands.get(audience.resource, "")
        tenant_id, role = self._label(tenant)
        env_value = self.env.get(audience.env_var, "").strip() if tenant is None else ""
        how = self._how_to(audience, tenant)
        if env_value:
            return TokenSource(
                audience,
                tenant_id,
                lambda: Token(env_value, jwt_expiry(env_value)),
                how_to=how,
                refreshable=False,
                role=role,
            )

        def fetch() -> Token:
            if not command:
                raise MissingToken(f"No {audience.api} token for {role} tenant {tenant_id}. {how}")
            if tenant is not None and "{tenant}" not in command:
                raise MissingToken(
                    f"No {audience.api} token for {role} tenant {tenant_id}: the [microsoft] {audience.config_key} "
                    "has no {tenant} in it, so it cannot get a token in a customer's tenant. " + how
                )
            if "{tenant}" in command and not self.partner_tenant and tenant is None:
                raise MissingToken(
                    f"No {audience.api} token for the partner's tenant: set partner_tenant_id in the [microsoft] "
                    "table of the config file (the {tenant} of the token command)."
                )
            value = run_token_command(command, audience, tenant_id if tenant else self.partner_tenant, how)
            return Token(value, jwt_expiry(value))

        return TokenSource(audience, tenant_id, fetch, how_to=how, refreshable=bool(command), role=role)

    @staticmethod
    def _how_to(audience: Audience, tenant: str | None) -> str:
        if tenant is None:
            return (
                f"Run `csp-console microsoft login` (the partner's app registration), or configure the [microsoft] "
                f"{audience.config_key} setting (a command printing the token; {{resource}} and {{tenant}} are "
                f"filled in), or set {audience.env_var} for development."
            )
        return (
            "Run `csp-console microsoft login` (the partner's app registration), or configure the [microsoft] "
            f"{audience.config_key} setting with {{tenant}} in it (e.g. az account get-access-token --resource "
            "{resource} --tenant {tenant} --query accessToken -o tsv)."
        )


def run_token_command(command: str, audience: Audience, tenant: str, how: str, timeout: float = 60.0) -> str:
    """Run a shell-free token command with ``{resource}`` and ``{tenant}`` filled in; its standard output is the
    token, or JSON with ``accessToken`` (as the Azure CLI prints it)."""
    what = f"The {audience.api} token command (tenant {tenant})"
    try:
        argv = [p.replace("{resource}", audience.resource).replace("{tenant}", tenant) for p in shlex.split(command)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise MissingToken(f"{what} could not run ({type(exc).__name__}). {how}") from None
    if done.returncode != 0:
        raise MissingToken(f"{what} failed with exit status {done.returncode}. {how}")
    out = done.stdout.strip()
    if out.startswith("{"):
        try:
            out = str(json.loads(out).get("accessToken", "")).strip()
        except (ValueError, AttributeError):
            out = ""
    if not out or any(c.isspace() for c in out):
        raise MissingToken(f"{what} printed no usable token. {how}")
    return out


def settings_commands(settings: Any, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The token commands of the config's :class:`~console.settings.config.Microsoft` table; an environment variable
    ``CSP_CONSOLE_<KEY>`` (e.g. ``CSP_CONSOLE_AZURE_TOKEN_COMMAND``) wins, for development and tests."""
    return {
        a.config_key: env.get(f"CSP_CONSOLE_{a.config_key.upper()}") or getattr(settings, a.config_key, "") or ""
        for a in (*AUDIENCES, EXCHANGE)
    }


PARTNER_TENANT_ENV = "CSP_CONSOLE_PARTNER_TENANT_ID"


def partner_tenant_of(settings: Any, env: Mapping[str, str] = os.environ) -> str:
    return (env.get(PARTNER_TENANT_ENV) or getattr(settings, "partner_tenant_id", "") or "").strip()


def partner_tenant_origin(settings: Any, env: Mapping[str, str] = os.environ, config_file: str = "") -> str:
    """Where :func:`partner_tenant_of` found the partner tenant (the environment variable wins), said so that
    whoever fixes a wrong one edits the right place; ``""`` when it is set nowhere."""
    if (env.get(PARTNER_TENANT_ENV) or "").strip():
        return f"the environment variable {PARTNER_TENANT_ENV}"
    if (getattr(settings, "partner_tenant_id", "") or "").strip():
        return f"partner_tenant_id in the [microsoft] table of {config_file or 'the config file'}"
    return ""


def credentials_for(settings: Any, env: Mapping[str, str] = os.environ) -> Credentials:
    """The credentials the config describes: the Secure Application Model through MSAL when the app
    registration's ``client_id`` and a refresh-token file or command are configured (a token command or an
    environment variable still wins for its audience, for development); token commands and environment
    variables otherwise."""
    from console.microsoft.msal_credentials import msal_credentials_for

    commands = CommandCredentials(settings_commands(settings, env), partner_tenant_of(settings, env), env)
    msal = msal_credentials_for(settings, env)
    if msal is None:
        return commands
    if not commands.available:
        return msal
    return LayeredCredentials(commands, msal)


class LayeredCredentials(Credentials):
    """Development overrides first: an audience with a token command or environment variable takes it from
    there, every other from MSAL."""

    kind = "msal"

    def __init__(self, first: CommandCredentials, then: Credentials) -> None:
        super().__init__(then.partner_tenant or first.partner_tenant)
        self.first = first
        self.then = then

    @property
    def available(self) -> bool:
        return self.first.available or self.then.available

    def _make(self, audience: Audience, tenant: str | None) -> TokenSource:
        overridden = bool(self.first.commands.get(audience.resource)) or (
            tenant is None and bool(self.first.env.get(audience.env_var, "").strip())
        )
        return (self.first if overridden else self.then).source(audience, tenant)


def credentials_available(settings: Any) -> bool:
    """Whether any token can be had without asking anyone (so background polling makes sense);
    ``settings`` is the config's :class:`~console.settings.config.Microsoft` table."""
    return credentials_for(settings).available
