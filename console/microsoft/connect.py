"""The two clients, built from the configuration and the environment (which wins)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from console.config import Microsoft
from console.microsoft.azure_support import AzureSupport
from console.microsoft.credentials import AZURE, PARTNER_CENTER, TokenSource
from console.microsoft.http import RetryPolicy
from console.microsoft.partner_center import PartnerCenter

URL_ENV = {"partner_center": "CSP_CONSOLE_PARTNER_CENTER_URL", "azure": "CSP_CONSOLE_AZURE_MANAGEMENT_URL"}


@dataclass
class Clients:
    partner_center: PartnerCenter
    azure: AzureSupport

    def close(self) -> None:
        self.partner_center.close()
        self.azure.close()


def urls(settings: Microsoft, env: Mapping[str, str] = os.environ) -> tuple[str, str]:
    return (
        env.get(URL_ENV["partner_center"]) or settings.partner_center_url,
        env.get(URL_ENV["azure"]) or settings.azure_management_url,
    )


def connect(settings: Microsoft, *, policy: RetryPolicy | None = None, env: Mapping[str, str] = os.environ) -> Clients:
    pc_url, azure_url = urls(settings, env)
    pc_token = TokenSource(PARTNER_CENTER, settings.partner_center_token_command)
    azure_token = TokenSource(AZURE, settings.azure_token_command)
    return Clients(
        PartnerCenter(pc_url, pc_token, policy=policy),
        AzureSupport(azure_url, azure_token, auxiliary=pc_token, policy=policy),
    )


from console.microsoft.credentials import credentials_available  # noqa: E402,F401 - re-exported
