"""How the sandbox answers: an :class:`Answer` raised from any route, Microsoft's error body, and Partner
Center's paged collections."""

from __future__ import annotations

import base64
from typing import Any


class Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


def error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"error": {"code": code, "message": message}})


def partner_center_error(status: int, code: str, description: str) -> Answer:
    """Partner Center's error shape (learn.microsoft.com/partner-center/developer/error-codes: ``code``,
    ``description``, ``data``, ``source``)."""
    return Answer(status, {"code": code, "description": description, "data": [], "source": "PartnerCenterSandbox"})


def page(items: list[dict[str, Any]], query: dict[str, list[str]], headers: Any, path: str) -> dict[str, Any]:
    size = int((query.get("size") or ["100"])[0])
    token = headers.get("MS-ContinuationToken")
    offset = int(base64.b64decode(token).decode()) if token else 0
    chunk = items[offset : offset + size]
    body: dict[str, Any] = {
        "totalCount": len(items),
        "items": chunk,
        "links": {},
        "attributes": {"objectType": "Collection"},
    }
    if offset + size < len(items):
        body["links"]["next"] = {
            "uri": f"{path.removeprefix('/v1')}?size={size}&seekOperation=Next",
            "method": "GET",
            "headers": [
                {"key": "MS-ContinuationToken", "value": base64.b64encode(str(offset + size).encode()).decode()}
            ],
        }
    return body
