"""Access tokens as the sandbox issues and checks them: JWTs carrying the claims Microsoft's APIs decide on.

Microsoft Entra access tokens name their audience (``aud``), the tenant that issued them (``tid``, and ``iss``
``https://sts.windows.net/{tid}/``), their expiry (``exp``) and, for app-only tokens, ``idtyp: app`` (user
tokens carry ``scp`` and ``upn``): learn.microsoft.com, "Access token claims reference". The sandbox does not
sign them (it is no identity provider to trust), but it refuses a token for another audience or tenant, an
expired one, or an app-only one where the API needs app+user, with the errors the real services answer.

``python -m console.sandbox.tokens RESOURCE TENANT [--app-only]`` prints one (a token command for tests and
trying the sandbox: ``{resource}`` and ``{tenant}`` of the token command setting fill its arguments).
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from typing import Any

from console.microsoft.credentials import jwt_claims

#: The tenant the sandbox's partner signs in to.
PARTNER_TENANT = "7d3e2f10-5a4b-4c1d-8e9f-0a1b2c3d4e5f"

PARTNER_CENTER_AUDIENCES = ("https://api.partnercenter.microsoft.com",)
ARM_AUDIENCES = ("https://management.azure.com", "https://management.core.windows.net")
GRAPH_AUDIENCES = ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def mint(
    audience: str,
    tenant: str,
    *,
    app_only: bool = False,
    lifetime: float = 3600,
    now: float | None = None,
    user: str = "admin@partner.example",
) -> str:
    now = time.time() if now is None else now
    claims: dict[str, Any] = {
        "aud": audience.rstrip("/"),
        "iss": f"https://sts.windows.net/{tenant}/",
        "tid": tenant,
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now + lifetime),
    }
    if app_only:
        claims["idtyp"] = "app"
    else:
        claims.update(idtyp="user", scp="user_impersonation", upn=user)
    return f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(claims)}."


def read(token: str) -> dict[str, Any] | None:
    """The claims of a token the sandbox can read, or ``None``."""
    claims = jwt_claims(token)
    return claims if all(k in claims for k in ("aud", "tid", "exp")) else None


def audience_of(claims: dict[str, Any]) -> str:
    return str(claims.get("aud", "")).rstrip("/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.sandbox.tokens", description=__doc__.split("\n")[0])
    parser.add_argument("resource")
    parser.add_argument("tenant")
    parser.add_argument("--app-only", action="store_true")
    args = parser.parse_args(argv)
    print(mint(args.resource, args.tenant, app_only=args.app_only))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
