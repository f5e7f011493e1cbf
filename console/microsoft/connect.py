"""The clients, built from the configuration and the environment (which wins)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from console.microsoft.azure_support import AzureSupport
from console.microsoft.credentials import Credentials, credentials_available, credentials_for
from console.microsoft.graph import GraphClient
from console.microsoft.http import RetryPolicy
from console.microsoft.msal_credentials import ca_bundle_of
from console.microsoft.partner_center import PartnerCenter
from console.settings.config import Microsoft

URL_ENV = {
    "partner_center": "CSP_CONSOLE_PARTNER_CENTER_URL",
    "azure": "CSP_CONSOLE_AZURE_MANAGEMENT_URL",
    "graph": "CSP_CONSOLE_GRAPH_URL",
}

__all__ = ["URL_ENV", "Clients", "connect", "credentials_available", "urls"]


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
) -> Clients:
    pc_url, azure_url = urls(settings, env)
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
