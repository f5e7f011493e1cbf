"""The clients, built from the configuration and the environment (which wins).

``http://`` is refused beyond this host: the clients send bearer tokens (and the Secure Application Model's
refresh token goes to the authority), which over plain HTTP cross the network in clear (OWASP Transport Layer
Security Cheat Sheet: "use TLS for all pages"; RFC 6750 section 5.3: bearer tokens need TLS). Loopback
(127.0.0.0/8, ::1, ``localhost``: the sandbox, the tests) stays allowed, and a desk may allow more with the desk
rule ``microsoft.allow_http`` (:mod:`console.desk.policy`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from console.microsoft.azure_support import AzureSupport
from console.microsoft.credentials import Credentials, credentials_available, credentials_for
from console.microsoft.graph import GraphClient
from console.microsoft.http import RetryPolicy
from console.microsoft.msal_credentials import ca_bundle_of
from console.microsoft.partner_center import PartnerCenter
from console.settings.config import ConfigError, Microsoft
from console.shared.hosts import is_loopback

URL_ENV = {
    "partner_center": "CSP_CONSOLE_PARTNER_CENTER_URL",
    "azure": "CSP_CONSOLE_AZURE_MANAGEMENT_URL",
    "graph": "CSP_CONSOLE_GRAPH_URL",
}

__all__ = ["URL_ENV", "Clients", "connect", "credentials_available", "refuse_clear_http", "urls"]


@dataclass
class Clients:
    partner_center: PartnerCenter
    azure: AzureSupport
    credentials: Credentials
    graph: GraphClient | None = None

    def close(self) -> None:
        self.partner_center.close()
        self.azure.close()
        if self.graph is not None:
            self.graph.close()


def urls(settings: Microsoft, env: Mapping[str, str] = os.environ) -> tuple[str, str]:
    return (
        env.get(URL_ENV["partner_center"]) or settings.partner_center_url,
        env.get(URL_ENV["azure"]) or settings.azure_management_url,
    )


def connect(
    settings: Microsoft,
    *,
    policy: RetryPolicy | None = None,
    env: Mapping[str, str] = os.environ,
    credentials: Credentials | None = None,
    allow_http: bool = False,
) -> Clients:
    """The clients; :class:`ConfigError` for an ``http://`` URL beyond this host unless ``allow_http`` (the desk
    rule ``microsoft.allow_http``)."""
    pc_url, azure_url = urls(settings, env)
    refuse_clear_http(
        {
            _origin("partner_center", "partner_center_url", env): pc_url,
            _origin("azure", "azure_management_url", env): azure_url,
            _origin("graph", "graph_url", env): graph_url(settings, env),
            "[microsoft] authority": settings.authority,
        },
        allow_http,
    )
    credentials = credentials or credentials_for(settings, env)
    verify: str | bool = ca_bundle_of(settings, env) or True
    return Clients(
        PartnerCenter(pc_url, credentials, policy=policy, verify=verify),
        AzureSupport(azure_url, credentials, policy=policy, verify=verify),
        credentials,
        GraphClient(graph_url(settings, env), credentials, policy=policy, verify=verify),
    )


def graph_url(settings: Microsoft, env: Mapping[str, str] = os.environ) -> str:
    return env.get(URL_ENV["graph"]) or settings.graph_url


def _origin(api: str, key: str, env: Mapping[str, str]) -> str:
    """Where an API's URL came from, as the refusal names it."""
    return URL_ENV[api] if env.get(URL_ENV[api]) else f"[microsoft] {key}"


def refuse_clear_http(sources: Mapping[str, str], allow_http: bool) -> None:
    """:class:`ConfigError` naming the first ``http://`` URL (by its setting or environment variable) whose host
    is not this machine, unless the desk allows it."""
    if allow_http:
        return
    for where, url in sources.items():
        parts = urlsplit(url.strip())
        if parts.scheme.lower() == "http" and not is_loopback(parts.hostname or ""):
            raise ConfigError(
                f"{where} {url!r} is refused: http:// beyond this host would send the access tokens across the "
                "network in clear; use https://, or a Global admin allows it with csp-console policy set "
                "microsoft.allow_http true"
            )
