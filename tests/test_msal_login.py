"""The Secure Application Model through MSAL, against the sandbox's authority on 127.0.0.1 over TLS.

What the authority answers follows learn.microsoft.com ("OAuth 2.0 device authorization grant", "Microsoft
identity platform refresh tokens", the v2.0 OpenID discovery document, "Microsoft Entra authentication and
authorization error codes"); the client side is Microsoft's own ``msal`` package, unmodified. The refresh token
lives in a real file; tokens are read back with the sandbox's token reader (aud, tid).
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from console.cli.main import main
from console.microsoft.credentials import ARM, GRAPH, PARTNER_CENTER, CommandCredentials, MissingToken, credentials_for
from console.microsoft.msal_credentials import MsalCredentials, msal_credentials_for
from console.microsoft.token_stores import FileTokenStore, InsecureTokenFile
from console.sandbox import Sandbox, tokens
from console.sandbox.authority import SANDBOX_CLIENT_ID, Grant
from console.sandbox.seed import state_from_workspace
from console.settings.paths import log_path
from console.store import Workspace
from tests.conftest import SANDBOX_ENV, empty_config
from tests.foreign_conn import stored_bytes


@pytest.fixture
def authority(demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The sandbox over HTTPS (test CA) with the console configured for the Secure Application Model only."""
    with Sandbox(state_from_workspace(demo_ws), tls=True) as box:
        box.authority.device_interval = 1
        assert box.ca_file is not None
        for var in SANDBOX_ENV:
            monkeypatch.delenv(var, raising=False)
        env = {
            "CSP_CONSOLE_AUTHORITY": box.url,
            "CSP_CONSOLE_CA_BUNDLE": str(box.ca_file),
            "CSP_CONSOLE_CLIENT_ID": SANDBOX_CLIENT_ID,
            "CSP_CONSOLE_REFRESH_TOKEN_FILE": str(tmp_path / "vault" / "refresh-token"),
            "CSP_CONSOLE_PARTNER_TENANT_ID": box.state.partner_tenant,
            "CSP_CONSOLE_PARTNER_CENTER_URL": box.url,
            "CSP_CONSOLE_AZURE_MANAGEMENT_URL": box.url,
            "CSP_CONSOLE_GRAPH_URL": box.url,
        }
        for var, value in env.items():
            monkeypatch.setenv(var, value)
        yield box


def token_file(tmp_path: Path) -> Path:
    return tmp_path / "vault" / "refresh-token"


def consented(box: Sandbox, tmp_path: Path, value: str = "0.Aseeded-refresh-token") -> Path:
    """As after a partner admin's `csp-console microsoft login`: a grant at the authority, the file 0600."""
    box.authority.grants[value] = Grant(SANDBOX_CLIENT_ID, "admin@partner.example", box.state.partner_tenant)
    path = token_file(tmp_path)
    FileTokenStore(path).write(value)
    return path


def credentials(box: Sandbox, tmp_path: Path) -> MsalCredentials:
    assert box.ca_file is not None
    return MsalCredentials(
        SANDBOX_CLIENT_ID,
        FileTokenStore(token_file(tmp_path)),
        box.state.partner_tenant,
        authority=box.url,
        ca_bundle=str(box.ca_file),
    )


def approve_when_shown(box: Sandbox, decision: str = "approve") -> threading.Thread:
    """The partner admin on another device: waits for the code, posts it to the sandbox's /devicelogin page."""

    def run() -> None:
        for _ in range(200):
            codes = box.authority.pending_codes()
            if codes:
                httpx.post(
                    f"{box.url}/devicelogin",
                    data={"user_code": codes[0], "decision": decision},
                    verify=ssl.create_default_context(cafile=str(box.ca_file)),
                    timeout=5,
                )
                return
            time.sleep(0.05)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def customer_tenant(box: Sandbox, index: int = 0) -> str:
    return str(box.state.customers[index]["companyProfile"]["tenantId"])


def test_login_with_a_device_code_end_to_end(
    authority: Sandbox, tmp_path: Path, demo_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    approver = approve_when_shown(authority)
    assert main(["microsoft", "login", "--db", str(demo_ws.locator), "--config", str(empty_config(tmp_path))]) == 0
    approver.join(5)
    out = capsys.readouterr().out
    assert f"{authority.url}/devicelogin" in out and "enter the code" in out
    assert "Signed in as admin@partner.example" in out
    path = token_file(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    saved = path.read_text().strip()
    assert saved in authority.authority.grants  # the refresh token the authority issued for the device code
    # Never in the workspace, the log or what was printed.
    stored = stored_bytes(demo_ws)
    assert b"kenji.sato" in stored  # (the demo's agents: what was read is the workspace's data)
    assert saved.encode() not in stored
    if log_path().exists():
        assert saved not in log_path().read_text()
    assert saved not in out
    # The status: a token for each API in the partner's tenant, none printed.
    assert main(["microsoft", "status", "--config", str(empty_config(tmp_path))]) == 0
    status = capsys.readouterr().out
    assert status.count(": ok") == 3 and "eyJ" not in status and saved not in status


def test_a_declined_device_code_stores_nothing(authority: Sandbox, tmp_path: Path) -> None:
    approver = approve_when_shown(authority, decision="decline")
    with pytest.raises(MissingToken, match="declined"):
        credentials(authority, tmp_path).login(lambda _line: None)
    approver.join(5)
    assert not token_file(tmp_path).exists()


def test_tokens_per_audience_and_tenant(authority: Sandbox, tmp_path: Path) -> None:
    consented(authority, tmp_path)
    creds = credentials(authority, tmp_path)
    customer = customer_tenant(authority)
    partner_arm = tokens.read(creds.source(ARM).get())
    customer_arm = tokens.read(creds.source(ARM, customer).get())
    partner_center = tokens.read(creds.source(PARTNER_CENTER).get())
    graph = tokens.read(creds.source(GRAPH).get())
    assert partner_arm and customer_arm and partner_center and graph
    assert (partner_arm["aud"], partner_arm["tid"]) == ("https://management.azure.com", authority.state.partner_tenant)
    assert (customer_arm["aud"], customer_arm["tid"]) == ("https://management.azure.com", customer)
    assert partner_center["aud"] == "https://api.partnercenter.microsoft.com"
    assert graph["aud"] == "https://graph.microsoft.com"
    # Cached in memory: asking again goes nowhere.
    issued = len(authority.authority.issued)
    creds.source(ARM, customer).get()
    assert len(authority.authority.issued) == issued


def test_a_rotated_refresh_token_is_stored(authority: Sandbox, tmp_path: Path) -> None:
    path = consented(authority, tmp_path, "0.Afirst")
    creds = credentials(authority, tmp_path)
    creds.source(PARTNER_CENTER).get()
    rotated = path.read_text().strip()
    assert rotated != "0.Afirst" and rotated in authority.authority.grants
    assert path.stat().st_mode & 0o777 == 0o600
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temporary file left behind
    # The next exchange, even in a new process, uses the rotated one.
    authority.authority.grants["0.Afirst"].expired = True
    assert credentials(authority, tmp_path).source(ARM).get()


def test_a_token_near_its_expiry_is_fetched_again(authority: Sandbox, tmp_path: Path) -> None:
    consented(authority, tmp_path)
    authority.authority.token_lifetime = 200  # inside the 300 s margin: stale as soon as it arrives
    creds = credentials(authority, tmp_path)
    creds.source(ARM).get()
    creds.source(ARM).get()
    assert len([t for t in authority.authority.issued if t["audience"] == "https://management.azure.com"]) == 2


def test_a_customer_without_gdap_is_refused_by_name(authority: Sandbox, tmp_path: Path) -> None:
    consented(authority, tmp_path)
    customer = customer_tenant(authority, 1)
    authority.graph.remove_customer(customer)
    creds = credentials(authority, tmp_path)
    with pytest.raises(MissingToken) as refused:
        creds.source(ARM, customer).get()
    text = str(refused.value)
    assert f"Azure Resource Manager token for the customer's tenant {customer}" in text
    assert "GDAP" in text and "AADSTS50020" in text


def test_an_expired_refresh_token_and_revoked_consent_say_what_to_do(authority: Sandbox, tmp_path: Path) -> None:
    consented(authority, tmp_path)
    authority.authority.expire_refresh_tokens()
    with pytest.raises(MissingToken, match=r"AADSTS700082.*") as expired:
        credentials(authority, tmp_path).source(PARTNER_CENTER).get()
    assert "csp-console microsoft login" in str(expired.value)
    consented(authority, tmp_path, "0.Afresh")
    authority.authority.revoke_consent()
    with pytest.raises(MissingToken, match="AADSTS65001") as revoked:
        credentials(authority, tmp_path).source(GRAPH).get()
    assert "consent" in str(revoked.value)


def test_an_insecure_refresh_token_file_is_refused(authority: Sandbox, tmp_path: Path) -> None:
    path = consented(authority, tmp_path)
    os.chmod(path, 0o644)
    with pytest.raises(InsecureTokenFile) as refused:
        credentials(authority, tmp_path).source(ARM).get()
    assert str(path) in str(refused.value) and "chmod 600" in str(refused.value)
    assert authority.authority.issued == []  # refused before anything was sent


def test_a_confidential_app_sends_its_secret_from_the_environment(
    authority: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority.authority.apps[SANDBOX_CLIENT_ID] = "s3cret-value"
    consented(authority, tmp_path)
    settings = type("S", (), {"client_secret_env": "CSP_CONSOLE_CLIENT_SECRET"})()
    monkeypatch.setenv("CSP_CONSOLE_CLIENT_SECRET", "wrong")
    creds = msal_credentials_for(settings)
    assert creds is not None
    with pytest.raises(MissingToken, match="AADSTS7000215"):
        creds.source(ARM).get()
    monkeypatch.setenv("CSP_CONSOLE_CLIENT_SECRET", "s3cret-value")
    creds = msal_credentials_for(settings)
    assert creds is not None and creds.confidential
    assert tokens.read(creds.source(ARM).get())


def test_credentials_for_picks_msal_when_configured(authority: Sandbox, tmp_path: Path) -> None:
    settings = object()
    assert isinstance(credentials_for(settings), MsalCredentials)
    assert isinstance(credentials_for(settings, {}), CommandCredentials)  # no client id: development tokens


def test_logout_removes_the_refresh_token(authority: Sandbox, tmp_path: Path) -> None:
    path = consented(authority, tmp_path)
    assert main(["microsoft", "logout", "--config", str(empty_config(tmp_path))]) == 0
    assert not path.exists()
    assert main(["microsoft", "status", "--config", str(empty_config(tmp_path))]) == 1


WRONG_TENANT = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"  # a well-formed GUID that is no tenant at the authority


@pytest.mark.parametrize("where", ["environment", "config"])
def test_a_wrong_partner_tenant_names_the_setting_it_came_from(
    authority: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    """An unknown tenant's OpenID discovery document answers 400 (learn.microsoft.com, "OpenID Connect on the
    Microsoft identity platform": AADSTS90002 invalid_tenant) and MSAL raises "Unable to get authority
    configuration ... double check your tenant name or GUID": the desk adds where that tenant was set."""
    config = tmp_path / "config.toml"
    if where == "config":
        monkeypatch.delenv("CSP_CONSOLE_PARTNER_TENANT_ID")
        config.write_text(f'[microsoft]\npartner_tenant_id = "{WRONG_TENANT}"\n', encoding="utf-8")
        origin = f"partner_tenant_id in the [microsoft] table of {config}"
    else:
        config.write_text("", encoding="utf-8")
        monkeypatch.setenv("CSP_CONSOLE_PARTNER_TENANT_ID", WRONG_TENANT)
        origin = "the environment variable CSP_CONSOLE_PARTNER_TENANT_ID"
    assert main(["microsoft", "login", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "Unable to get authority configuration" in err
    assert f"Check the partner tenant {WRONG_TENANT}, set by {origin}" in err
    consented(authority, tmp_path)
    assert main(["microsoft", "status", "--config", str(config)]) == 1  # token acquisition says it too
    out = capsys.readouterr().out
    assert f"Partner tenant {WRONG_TENANT}, from {origin}." in out
    assert out.count(f"set by {origin}") == 3, out


def test_status_says_which_partner_tenant_it_used_and_from_where(
    authority: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    consented(authority, tmp_path)
    assert main(["microsoft", "status", "--config", str(empty_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    tenant = authority.state.partner_tenant
    assert f"Partner tenant {tenant}, from the environment variable CSP_CONSOLE_PARTNER_TENANT_ID." in out


def test_a_refresh_token_file_that_cannot_be_written_is_a_clear_login_error(authority: Sandbox, tmp_path: Path) -> None:
    """Found in review: an OSError from storing the refresh token escaped login as a traceback."""
    approver = approve_when_shown(authority)
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the token's folder should be", encoding="utf-8")
    assert authority.ca_file is not None
    creds = MsalCredentials(
        SANDBOX_CLIENT_ID,
        FileTokenStore(blocked / "refresh-token"),
        authority.state.partner_tenant,
        authority=authority.url,
        ca_bundle=str(authority.ca_file),
    )
    with pytest.raises(MissingToken, match=r"Login failed: .*writable by the desk's account"):
        creds.login(lambda _line: None)
    approver.join(5)
