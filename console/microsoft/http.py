"""One retrying request: capped exponential backoff on timeouts, dropped connections, 5xx and 429 (honouring
``Retry-After``); the same ``MS-RequestId`` on every attempt of one operation; errors that say what to do."""

from __future__ import annotations

import email.utils
import re
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from console.microsoft.credentials import Audience, Credentials, TokenSource

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; the wait before try *n* is ``base * 2**(n-1)`` capped at ``cap`` seconds
    (or the server's ``Retry-After``, capped at ``max_retry_after``)."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    max_retry_after: float = 60.0
    timeout: float = 20.0

    def backoff(self, attempt: int) -> float:
        return min(self.cap, self.base * 2 ** (attempt - 1))


DEFAULT_POLICY = RetryPolicy()
"""The policy of clients built without one (the tests shorten its waits)."""


class ApiError(Exception):
    """A request Microsoft (or the network) refused; ``status`` is ``None`` when no answer came."""

    def __init__(self, api: str, operation: str, message: str, status: int | None = None, code: str = "") -> None:
        super().__init__(f"{api}: {operation}: {message}")
        self.api = api
        self.operation = operation
        self.status = status
        self.code = code

    @property
    def retryable(self) -> bool:
        """Whether trying again later, unchanged, may succeed (network, throttling, Microsoft's side). A refused
        token is not: the same token would be refused again, so the error says what to fix."""
        return self.status is None or self.status in RETRYABLE_STATUS


class AuthError(ApiError):
    """401 (token missing, expired, for another tenant or audience) or 403 (role, consent, app-only token)."""


class NotFound(ApiError):
    """404: the resource does not exist (or is not visible to this partner)."""


class StaleEtag(ApiError):
    """412, or Partner Center's 400 with code 2055 ("Etag is no longer valid"): the resource changed since its
    etag was read (learn.microsoft.com/partner-center/developer/error-codes)."""


class AzurePlanHasActiveSubscriptions(ApiError):
    """Partner Center's 403 with code 900115: "Azure plan can't be moved to suspended state since you have one or
    more Azure Subscriptions in the active state" (learn.microsoft.com/partner-center/developer/error-codes). Not a
    missing role: the Azure subscriptions under the plan must be cancelled first."""

    @property
    def retryable(self) -> bool:
        return False


#: Partner Center's error codes (learn.microsoft.com/partner-center/developer/error-codes).
ETAG_NO_LONGER_VALID = "2055"
AZURE_PLAN_SUBSCRIPTIONS_ACTIVE = "900115"


class AnswerLost(ApiError):
    """A request that is not safe to repeat (``idempotent=False``) may have been carried out, but its answer
    never came (a timeout or a dropped connection after it was sent, a 5xx): look before sending it again."""


#: Characters httpx refuses in a URL (controls and spaces, RFC 3986 section 2): percent-encoded, so a name or case
#: number from the workspace holding them is sent as data (Microsoft answers it is unknown) and never crashes.
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_text(response: httpx.Response) -> tuple[str, str]:
    """Microsoft's error code and message from either API's error body, printable and short."""
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200].strip()
    if isinstance(body, dict):
        error = body.get("error")
        inner: dict[str, Any] = error if isinstance(error, dict) else body
        code = str(inner.get("code") or inner.get("errorName") or "")
        message = str(inner.get("message") or inner.get("description") or "")
        return code, message[:300]
    return "", str(body)[:200]


class MicrosoftApi:
    """Base of the clients: a base URL, the credentials, and :meth:`request` with retries. ``audience`` is the
    API's token audience; a request names the tenant it acts in (``None``: the partner's own)."""

    name = "Microsoft API"
    audience: Audience

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        verify: str | bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.policy = policy or DEFAULT_POLICY
        self.sleep = sleep
        self.client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.policy.timeout, connect=min(10.0, self.policy.timeout)),
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            # a CA bundle's path: [microsoft] ca_bundle (the sandbox's test CA)
            verify=ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> MicrosoftApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def extra_headers(self, tenant: str | None) -> dict[str, str]:
        return {}

    def request_json(self, method: str, url: str, operation: str, **kw: Any) -> dict[str, Any]:
        """:meth:`request`, and its answer's JSON object; an answer that is not one (a proxy's HTML page, say)
        is an :class:`ApiError` naming the operation, not a ``ValueError`` escaping the caller."""
        response = self.request(method, url, operation, **kw)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            kind = response.headers.get("Content-Type", "no content type")
            raise ApiError(self.name, operation, f"{response.status_code}: the answer is not a JSON object ({kind})")
        return body

    def _same_origin(self, url: str, operation: str) -> None:
        """Tokens go only to the API's own host: a link or operation URL elsewhere (scheme, host and port) is
        refused, not followed."""
        parts = urlsplit(url)
        if not parts.scheme and not parts.netloc:
            return  # a path on the API itself
        base = urlsplit(self.base_url)
        if (parts.scheme, parts.netloc.casefold()) != (base.scheme, base.netloc.casefold()):
            raise ApiError(
                self.name, operation, f"refused to follow {parts.scheme}://{parts.netloc}: not {self.base_url}"
            )

    def auxiliary(self, tenant: str | None) -> TokenSource | None:
        """A second token the request carries (Azure: the partner's for a customer's subscription)."""
        return None

    def request(
        self,
        method: str,
        url: str,
        operation: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        tenant: str | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send with retries (``idempotent=False``: only while the request surely was not carried out, i.e.
        no connection, a 429 or a 401; otherwise :class:`AnswerLost`). Every attempt carries the same
        ``MS-RequestId`` (``request_id``, or a new GUID for this operation), so that Microsoft recognises a
        retry of a request it already carried out. The token is the API's audience in ``tenant`` (``None``:
        the partner's tenant)."""
        url = _UNSENDABLE.sub(lambda m: f"%{ord(m.group()):02X}", url)  # a case number holding ESC: encoded
        token = self.credentials.source(self.audience, tenant)
        aux = self.auxiliary(tenant)
        request_id = request_id or str(uuid.uuid4())
        correlation = str(uuid.uuid4())
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            sent = self._headers(token, aux, request_id, correlation, tenant, headers)
            try:
                response = self.client.request(method, url, json=json, params=params, headers=sent)
            except httpx.TransportError as exc:  # timeouts included
                failure = self._unanswered(exc, operation, idempotent)
                wait = self.policy.backoff(attempt)
            else:
                if response.status_code in ok:
                    return response
                failure = self._failure(response, operation, token, aux)
                if response.status_code == 401 and not refreshed and _refreshable(token, aux):
                    refreshed = True  # once: a token from the same place is refused the same way
                    token.invalidate()
                    if aux is not None:
                        aux.invalidate()
                    attempt -= 1
                    continue
                wait = self._retry_wait(response, failure, operation, idempotent, attempt)
            if attempt >= self.policy.attempts:
                raise failure
            self.sleep(wait)

    def _headers(
        self,
        token: TokenSource,
        aux: TokenSource | None,
        request_id: str,
        correlation: str,
        tenant: str | None,
        headers: Mapping[str, str] | None,
    ) -> dict[str, str]:
        """One attempt's headers: the tokens (asked again each time: a refreshed one is sent), the request's ids."""
        return {
            "Authorization": f"Bearer {token.get()}",
            "Accept": "application/json",
            "MS-RequestId": request_id,
            "MS-CorrelationId": correlation,
            "x-ms-client-request-id": request_id,
            **({"x-ms-authorization-auxiliary": f"Bearer {aux.get()}"} if aux is not None else {}),
            **self.extra_headers(tenant),
            **(headers or {}),
        }

    def _unanswered(self, exc: httpx.TransportError, operation: str, idempotent: bool) -> ApiError:
        """No answer came: the failure to raise if the retries run out, or :class:`AnswerLost` at once when a
        request that must not be replayed may have been carried out (only a connection never made was not)."""
        if isinstance(exc, httpx.TimeoutException):
            if not idempotent and not isinstance(exc, httpx.ConnectTimeout):
                raise AnswerLost(self.name, operation, f"no answer within {self.policy.timeout:g} s") from exc
            return ApiError(self.name, operation, f"no answer within {self.policy.timeout:g} s")
        if not idempotent and not isinstance(exc, httpx.ConnectError):
            raise AnswerLost(self.name, operation, f"the connection dropped ({type(exc).__name__})") from exc
        return ApiError(self.name, operation, f"cannot reach {self.base_url} ({type(exc).__name__})")

    def _retry_wait(
        self, response: httpx.Response, failure: ApiError, operation: str, idempotent: bool, attempt: int
    ) -> float:
        """How long to wait before the next attempt after a refused answer; ``failure`` raised when it is not
        worth another (or, for a request that must not be replayed, :class:`AnswerLost`)."""
        if response.status_code not in RETRYABLE_STATUS:
            raise failure
        if not idempotent and response.status_code not in (408, 429):
            raise AnswerLost(self.name, operation, str(failure).split(": ", 2)[-1], failure.status, failure.code)
        wait = self.policy.backoff(attempt)
        if response.status_code == 429:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None:
                wait = min(asked, self.policy.max_retry_after)
        return wait

    def _failure(
        self, response: httpx.Response, operation: str, token: TokenSource, aux: TokenSource | None = None
    ) -> ApiError:
        status = response.status_code
        code, message = _error_text(response)
        detail = f"{code}: {message}" if code and message else (code or message)
        if status == 401:
            refused = token.describe()
            if aux is not None and "auxiliary" in f"{code} {message}".casefold():
                refused = f"{aux.describe()} (sent as x-ms-authorization-auxiliary)"
            return AuthError(
                self.name,
                operation,
                f"401 {refused} was refused (missing, expired, or issued by another tenant or for another "
                f"audience). {token.how_to()}" + (f" ({detail})" if detail else ""),
                status,
                code,
            )
        if status == 403 and code == AZURE_PLAN_SUBSCRIPTIONS_ACTIVE:
            return AzurePlanHasActiveSubscriptions(
                self.name,
                operation,
                "403 code 900115: an Azure plan cannot be suspended while Azure subscriptions under it are active; "
                "cancel them first (Partner Center: the customer's Azure plan, each Azure subscription, Cancel; or "
                "the azureEntitlements cancel API)" + (f" ({message})" if message else ""),
                status,
                code,
            )
        if status == 403:
            return self._forbidden(operation, token, code, detail)
        if status == 404:
            return NotFound(self.name, operation, "404 not found" + (f" ({detail})" if detail else ""), status, code)
        if status == 400 and code == ETAG_NO_LONGER_VALID:
            return StaleEtag(
                self.name, operation, "400 code 2055: the etag is no longer valid (the resource changed)", status, code
            )
        if status == 412:
            return StaleEtag(
                self.name, operation, "412 the resource changed since it was read (stale etag)", status, code
            )
        if status == 429:
            return ApiError(self.name, operation, "429 throttled by Microsoft; try again later", status, code)
        return ApiError(self.name, operation, f"{status} {detail or response.reason_phrase}", status, code)

    def _forbidden(self, operation: str, token: TokenSource, code: str, detail: str) -> ApiError:
        """403: what the API says is missing. Subclasses know their API's codes."""
        return AuthError(
            self.name,
            operation,
            f"403 forbidden with {token.describe()}: the signed-in account lacks a role this needs, or the "
            "customer has not granted the partner (GDAP) access" + (f" ({detail})" if detail else ""),
            403,
            code,
        )


def _refreshable(token: TokenSource, aux: TokenSource | None) -> bool:
    """Whether a 401 is worth one more attempt with fresh tokens."""
    return token.refreshable or (aux is not None and aux.refreshable)
