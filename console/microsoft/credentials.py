"""Bearer tokens for Partner Center and the Azure Support API: from an environment variable, or from a
configured command (for example the Azure CLI). A token lives only in memory: never in the workspace, a
log, an error message or the screen."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import threading
from dataclasses import dataclass
from typing import Any


class MissingToken(Exception):
    """No token could be had; the message says which one and how to provide it."""


@dataclass(frozen=True)
class TokenSpec:
    """Where one API's token comes from."""

    api: str  # "Partner Center" | "Azure Support API"
    env_var: str
    command: str = ""  # a shell-free command line whose standard output is the token (or JSON with accessToken)
    config_key: str = ""


PARTNER_CENTER = TokenSpec(
    "Partner Center", "CSP_CONSOLE_PARTNER_CENTER_TOKEN", config_key="partner_center_token_command"
)
AZURE = TokenSpec("Azure Support API", "CSP_CONSOLE_AZURE_TOKEN", config_key="azure_token_command")


class TokenSource:
    """Gets a token on first use and keeps it in memory; ``invalidate()`` after a 401 makes a command-made
    token be fetched again (an environment token cannot be refreshed by us)."""

    def __init__(self, spec: TokenSpec, command: str = "", timeout: float = 60.0) -> None:
        self.spec = spec
        self.command = command or spec.command
        self.timeout = timeout
        self._token: str | None = None
        self._lock = threading.Lock()

    @property
    def from_env(self) -> bool:
        return bool(os.environ.get(self.spec.env_var, "").strip())

    @property
    def available(self) -> bool:
        return self.from_env or bool(self.command)

    @property
    def refreshable(self) -> bool:
        return not self.from_env and bool(self.command)

    def how_to(self) -> str:
        where = f"the [microsoft] {self.spec.config_key} setting" if self.spec.config_key else "a token command"
        return (
            f"Set {self.spec.env_var} to a valid {self.spec.api} access token, or configure {where} "
            "(e.g. az account get-access-token ...)."
        )

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def get(self) -> str:
        value = os.environ.get(self.spec.env_var, "").strip()
        if value:
            return value
        with self._lock:
            if self._token is None:
                self._token = self._run_command()
            return self._token

    def _run_command(self) -> str:
        if not self.command:
            raise MissingToken(f"No {self.spec.api} token. {self.how_to()}")
        try:
            argv = shlex.split(self.command)
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout, check=False)
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise MissingToken(
                f"The {self.spec.api} token command could not run ({type(exc).__name__}). {self.how_to()}"
            ) from None
        if done.returncode != 0:
            raise MissingToken(
                f"The {self.spec.api} token command failed with exit status {done.returncode}. {self.how_to()}"
            )
        out = done.stdout.strip()
        if out.startswith("{"):
            try:
                out = str(json.loads(out).get("accessToken", "")).strip()
            except (ValueError, AttributeError):
                out = ""
        if not out or any(c.isspace() for c in out):
            raise MissingToken(f"The {self.spec.api} token command printed no usable token. {self.how_to()}")
        return out


def credentials_available(settings: Any) -> bool:
    """Whether any token can be had without asking anyone (so background polling makes sense);
    ``settings`` is the config's :class:`~console.config.Microsoft` table."""
    return (
        TokenSource(PARTNER_CENTER, settings.partner_center_token_command).available
        or TokenSource(AZURE, settings.azure_token_command).available
    )
