"""``http://`` to Microsoft's APIs is refused beyond this host: the clients send bearer tokens, which over plain
HTTP cross the network in clear (RFC 6750 section 5.3; OWASP Transport Layer Security Cheat Sheet). Loopback
(127.0.0.0/8, ::1, localhost: the sandbox, these tests) stays allowed, and the desk rule ``microsoft.allow_http``
allows more. Nothing here opens a connection: the refusal comes before any request."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from console.cli.main import main
from console.desk.door import Desk
from console.microsoft.connect import connect, is_loopback
from console.plugins.host import load_plugins
from console.settings.config import Config, ConfigError, Microsoft
from console.store import Workspace
from tests.conftest import NOW
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture

ADMIN = "kenji.sato"


@pytest.mark.parametrize(
    ("settings", "env", "named"),
    [
        (Microsoft(partner_center_url="http://partner.example"), {}, "[microsoft] partner_center_url"),
        (Microsoft(azure_management_url="http://10.0.0.5:8443/"), {}, "[microsoft] azure_management_url"),
        (Microsoft(graph_url="HTTP://graph.example"), {}, "[microsoft] graph_url"),
        (Microsoft(authority="http://login.example"), {}, "[microsoft] authority"),
        (Microsoft(), {"CSP_CONSOLE_PARTNER_CENTER_URL": "http://partner.example"}, "CSP_CONSOLE_PARTNER_CENTER_URL"),
        (Microsoft(), {"CSP_CONSOLE_AZURE_MANAGEMENT_URL": "http://127.0.0.1.nip.example"}, "AZURE_MANAGEMENT_URL"),
        (Microsoft(), {"CSP_CONSOLE_GRAPH_URL": "http://[2001:db8::1]:80"}, "CSP_CONSOLE_GRAPH_URL"),
    ],
)
def test_http_beyond_this_host_is_refused_in_one_sentence(settings: Microsoft, env: dict, named: str) -> None:
    with pytest.raises(ConfigError) as info:
        connect(settings, env=env)
    message = str(info.value)
    assert named in message and "is refused: http:// beyond this host" in message, message
    assert "access tokens across the network in clear" in message
    assert "csp-console policy set microsoft.allow_http true" in message


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9", "http://127.8.9.10:8080/api", "http://[::1]:9", "http://localhost:9", "https://x.example"],
)
def test_loopback_and_https_are_allowed(url: str) -> None:
    settings = Microsoft(partner_center_url=url, azure_management_url=url, graph_url=url)
    connect(settings, env={}).close()


def test_the_desk_rule_allows_http() -> None:
    connect(Microsoft(partner_center_url="http://partner.example"), env={}, allow_http=True).close()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("128.0.0.1", False),
        ("localhost.example", False),
        ("0.0.0.0", False),
        ("", False),
    ],
)
def test_what_counts_as_this_host(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_desk_refuses_http_until_a_global_admin_allows_it(
    demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_PARTNER_CENTER_URL", "http://partner.example")
    desk = Desk(demo_ws, Config(), load_plugins(), ADMIN, lambda: NOW)
    with pytest.raises(ConfigError, match=r"CSP_CONSOLE_PARTNER_CENTER_URL 'http://partner\.example' is refused"):
        desk.clients  # noqa: B018 - building the clients is the check
    desk.rules.set("microsoft.allow_http", "true")
    assert desk.clients.partner_center.base_url == "http://partner.example"
    desk.close()
    again = Desk(demo_ws, Config(), load_plugins(), ADMIN, lambda: NOW)  # the next command reads the rule too
    assert again.clients.partner_center.base_url == "http://partner.example"
    again.close()


def test_sync_says_the_refusal(
    demo_copy: Callable[..., Where], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo_copy("w")
    monkeypatch.setenv("CSP_CONSOLE_AGENT", ADMIN)
    monkeypatch.setenv("CSP_CONSOLE_AZURE_MANAGEMENT_URL", "http://azure.example")
    assert main(["sync", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "CSP_CONSOLE_AZURE_MANAGEMENT_URL 'http://azure.example' is refused" in err and "Traceback" not in err
