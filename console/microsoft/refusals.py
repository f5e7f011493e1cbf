"""What the identity platform's refusal of a token means, and what the desk does about it: the AADSTS codes
of learn.microsoft.com, "Microsoft Entra authentication and authorization error codes", each with its advice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from console.microsoft.credentials import Audience


@dataclass(frozen=True)
class Refusal:
    code: str  # "AADSTS700082" or the OAuth error
    text: str


#: AADSTS codes (learn.microsoft.com, "Microsoft Entra authentication and authorization error codes") and what
#: the desk does about each. ``{tenant}`` and ``{api}`` are filled in.
AADSTS_ADVICE = {
    "AADSTS700082": "the refresh token expired after 90 days unused: a partner admin runs "
    "`csp-console microsoft login` again",
    "AADSTS70008": "the refresh token has expired or was revoked: a partner admin runs `csp-console microsoft login`",
    "AADSTS50173": "the refresh token was revoked (the admin's password changed or sessions were revoked): a "
    "partner admin runs `csp-console microsoft login` again",
    "AADSTS70043": "the refresh token is past the tenant's Conditional Access sign-in frequency: a partner admin "
    "runs `csp-console microsoft login` again",
    "AADSTS65001": "the app registration has no consent for {api} in tenant {tenant}: a partner admin runs "
    "`csp-console microsoft login` again and consents (for a customer's tenant: the app is consented there "
    "through Partner Center's application consent, and the customer has an active GDAP relationship)",
    "AADSTS50020": "the partner's admin has no access to tenant {tenant}: the customer has no active GDAP "
    "relationship with the partner (Partner Center, Customers, Admin relationships; `csp-console gdap sync`)",
    "AADSTS500011": "{api} is not registered in tenant {tenant}: the customer's tenant does not use the service",
    "AADSTS700016": "the app registration (client id) is not known in tenant {tenant}: check [microsoft] client_id",
    "AADSTS7000215": "the app's client secret is wrong or expired: set a current one (the environment variable "
    "named by [microsoft] client_secret_env, or client_secret_command)",
    "AADSTS7000222": "the app's client secret has expired: create a new one in the app registration",
    "AADSTS700025": "the refresh token was issued to the app as a public client; log in and exchange it the same "
    "way (both with the client secret, or both without)",
    "AADSTS90002": "tenant {tenant} does not exist at the authority",
}


def refusal_of(result: Mapping[str, Any]) -> Refusal:
    desc = str(result.get("error_description") or "")
    code = desc.split(":", 1)[0].strip() if desc.startswith("AADSTS") else ""
    if not code and result.get("error_codes"):
        code = f"AADSTS{result['error_codes'][0]}"
    return Refusal(code or str(result.get("error") or "error"), desc.splitlines()[0][:300] if desc else "")


def explain(result: Mapping[str, Any], audience: Audience, tenant: str, role: str) -> str:
    refusal = refusal_of(result)
    advice = AADSTS_ADVICE.get(refusal.code, "")
    if not advice:
        advice = (
            "a partner admin runs `csp-console microsoft login` again"
            if result.get("error") == "invalid_grant"
            else "see the identity platform's message"
        )
    advice = advice.format(tenant=tenant, api=audience.api)
    detail = f" ({refusal.text})" if refusal.text else f" ({refusal.code})"
    return f"The {audience.api} token for {role} tenant {tenant} was refused: {advice}{detail}."
