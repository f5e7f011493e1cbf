"""The clients, built from the configuration and the environment (which wins)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from console.config import Microsoft
from console.microsoft.azure_support import AzureSupport
from console.microsoft.credentials import Credentials, credentials_available, credentials_for
from console.microsoft.http import RetryPolicy
from console.microsoft.partner_center import PartnerCenter

URL_ENV = {"partner_center": "CSP_CONSOLE_PARTNER_CENTER_URL", "azure": "CSP_CONSOLE_AZURE_MANAGEMENT_URL"}

__all__ = ["URL_ENV", "Clients", "connect", "credentials_available", "urls"]


@dataclass
class Clients:
    partner_center: PartnerCenter
    azure: AzureSupport
    credentials: Credentials

    def close(self) -> None:
        self.partner_center.close()
        self.azure.close()


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
    return Clients(
        PartnerCenter(pc_url, credentials, policy=policy),
        AzureSupport(azure_url, credentials, policy=policy),
        credentials,
    )
