"""How the sandbox checks the tokens a request carries, as the real services do.

Sources: Azure Resource Manager's 401 answers (codes ``InvalidAuthenticationToken``,
``InvalidAuthenticationTokenTenant``, ``ExpiredAuthenticationToken``: learn.microsoft.com, "Troubleshoot
common Azure deployment errors" and ARM's own messages); the cross-tenant rule for a CSP customer's
subscription: the primary token from the tenant the subscription belongs to, the partner tenant's ARM token in
``x-ms-authorization-auxiliary`` (learn.microsoft.com, "Authenticate requests across tenants"); Partner Center:
tokens from the partner's tenant for ``https://api.partnercenter.microsoft.com``, app+user only for service
requests ("Partner Center authentication").
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from console.sandbox import tokens
from console.sandbox.errors import error


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%m/%d/%Y %H:%M:%S")


def bearer(headers: Any, header: str = "Authorization") -> dict[str, Any]:
    """The claims of the bearer token in ``header``, or the 401 an API answers for a missing or unreadable one."""
    value = str(headers.get(header, ""))
    if not value.startswith("Bearer "):
        raise error(401, "AuthenticationFailed", f"Authentication failed. The '{header}' header is missing.")
    claims = tokens.read(value.removeprefix("Bearer ").strip())
    if claims is None:
        raise error(401, "InvalidAuthenticationToken", f"The access token in '{header}' is invalid.")
    now = time.time()
    if float(claims["exp"]) <= now:
        raise error(
            401,
            "ExpiredAuthenticationToken",
            f"The access token expiry UTC time '{_stamp(float(claims['exp']))}' is earlier than current UTC time "
            f"'{_stamp(now)}'.",
        )
    return claims


def expect_audience(claims: dict[str, Any], allowed: tuple[str, ...], what: str = "access token") -> None:
    if tokens.audience_of(claims) not in allowed:
        raise error(
            401,
            "InvalidAuthenticationToken",
            f"The {what} has been obtained for wrong audience or resource '{claims.get('aud')}'. It should exactly "
            f"match with one of the allowed audiences {', '.join(repr(a) for a in allowed)}.",
        )


def wrong_tenant(claims: dict[str, Any], tenant: str) -> None:
    if claims.get("tid") != tenant:
        raise error(
            401,
            "InvalidAuthenticationTokenTenant",
            f"The access token is from the wrong issuer 'https://sts.windows.net/{claims.get('tid')}/'. It must match "
            f"the tenant 'https://sts.windows.net/{tenant}/' associated with this subscription. Please use the "
            f"authority (URL) 'https://login.windows.net/{tenant}' to get the token.",
        )


def partner_center(headers: Any, partner_tenant: str) -> dict[str, Any]:
    claims = bearer(headers)
    expect_audience(claims, tokens.PARTNER_CENTER_AUDIENCES)
    wrong_tenant(claims, partner_tenant)
    return claims


def graph(headers: Any, partner_tenant: str) -> dict[str, Any]:
    claims = bearer(headers)
    expect_audience(claims, tokens.GRAPH_AUDIENCES)
    wrong_tenant(claims, partner_tenant)
    return claims


def arm(headers: Any) -> dict[str, Any]:
    """Any valid ARM token (tenant-independent endpoints: the services and problem classifications)."""
    claims = bearer(headers)
    expect_audience(claims, tokens.ARM_AUDIENCES)
    return claims


def arm_subscription(headers: Any, subscription_tenant: str, partner_tenant: str) -> None:
    """A request on a subscription: the primary token of the subscription's tenant; in a customer's tenant, the
    partner tenant's ARM token as the auxiliary token."""
    wrong_tenant(arm(headers), subscription_tenant)
    if subscription_tenant == partner_tenant:
        return
    if "x-ms-authorization-auxiliary" not in headers:
        raise error(
            401,
            "InvalidAuthenticationToken",
            "The auxiliary token is missing: a partner acting in its customer's tenant sends its own tenant's "
            "token in x-ms-authorization-auxiliary.",
        )
    aux = bearer(headers, "x-ms-authorization-auxiliary")
    expect_audience(aux, tokens.ARM_AUDIENCES, "auxiliary token")
    if aux.get("tid") != partner_tenant:
        raise error(
            401,
            "InvalidAuthenticationToken",
            f"The auxiliary token is from tenant '{aux.get('tid')}', which is not the partner of the subscription's "
            f"tenant '{subscription_tenant}'.",
        )
