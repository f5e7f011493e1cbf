"""The served board takes websockets from its own page only: a browser sends the page's origin with every websocket
(RFC 6455 section 10.2, "Origin Considerations"; the Fetch standard's Origin header), so another site the team lead
has open, or a DNS-rebound name, cannot read the board or type into it, though both reach 127.0.0.1. Tested with a
real server process and aiohttp's websocket client (textual-serve's own dependency) playing the browser."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from console.health.serve import Address, allowed_origins
from console.store import Workspace
from tests.board_browser import served


async def _open(url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin is not None else {}
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(f"{url}/ws?width=80&height=24", headers=headers, timeout=10) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def _page(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/", timeout=10) as answer:
        return answer.status, await answer.text()


def test_the_boards_page_loads_nothing_from_another_host(demo_ws: Workspace) -> None:
    """The page the server gives a browser names only the server's own files (its scripts, styles and font):
    a wall screen behind the desk's firewall asks no other host for anything (textual-serve's own page linked a
    web font at fonts.googleapis.com). The title is escaped as HTML."""
    with served(demo_ws.locator) as server:  # type: ignore[arg-type]
        status, page = asyncio.run(_page(server.url))
    assert status == 200
    links = re.findall(r"""(?:src|href)=["']([^"']+)|url\(["']?([^"')]+)""", page)
    assert links, page
    for link in (a or b for a, b in links):
        assert link.startswith(f"{server.url}/"), link
    assert f'data-session-websocket-url="ws://127.0.0.1:{server.port}/ws"' in page
    assert "googleapis" not in page and "<title>CSP Triage Console: queue health</title>" in page


def test_only_the_boards_own_page_may_open_it(demo_ws: Workspace) -> None:
    with served(demo_ws.locator) as server:  # type: ignore[arg-type]
        port = server.port
        for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
            assert asyncio.run(_open(server.url, origin)) == 101, origin
        for origin in ("https://evil.example", f"http://evil.example:{port}", f"http://127.0.0.1:{port + 1}", None):
            assert asyncio.run(_open(server.url, origin)) == 403, origin


@pytest.mark.parametrize(
    ("public_url", "origin", "taken"),
    [
        (None, "http://127.0.0.1:8000", True),
        (None, "http://[::1]:8000", True),
        (None, "http://127.0.0.1:8001", False),
        ("https://board.example.com/", "https://board.example.com", True),
        ("https://board.example.com/", "http://board.example.com", False),
        ("http://localhost:9000", "http://localhost:9000", True),
    ],
)
def test_the_origins_taken(public_url: str | None, origin: str, taken: bool) -> None:
    assert (origin in allowed_origins(Address("127.0.0.1", 8000), public_url)) is taken
