"""The Partner Center and Azure Support clients against the local server: retries, faults, tokens, etags."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from console.microsoft.azure_support import AzureSupport
from console.microsoft.credentials import ARM, PARTNER_CENTER, CommandCredentials, MissingToken
from console.microsoft.http import ApiError, AuthError, NotFound, RetryPolicy, StaleEtag, retry_after_seconds
from console.microsoft.partner_center import PartnerCenter, SubscriptionChanged
from console.sandbox import Sandbox, SandboxState, catalog, tokens
from tests.conftest import TOKEN_COMMAND

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05, timeout=2)
PROPS = {
    "title": "VMs unreachable",
    "description": "All VMs in Japan East stopped answering.",
    "serviceId": catalog.services()[0]["id"],
    "problemClassificationId": catalog.problem_classifications()[str(catalog.services()[0]["name"])][0]["id"],
    "severity": "critical",
    "advancedDiagnosticConsent": "No",
    "contactDetails": {
        "firstName": "Aiko",
        "lastName": "Tanaka",
        "preferredContactMethod": "email",
        "primaryEmailAddress": "support@sakura-cloud.example",
        "preferredTimeZone": "Tokyo Standard Time",
        "country": "JPN",
        "preferredSupportLanguage": "ja-JP",
    },
}
AZURE_SUB = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def box() -> Sandbox:
    state = SandboxState()
    for n in range(25):
        state.add_customer({"id": f"c{n:02d}", "domain": f"c{n}.example", "companyName": f"Customer {n}"})
    state.add_subscription(
        {
            "id": "s1",
            "customerId": "c00",
            "offerId": "CFQ7TTC0LH18:0001",
            "offerName": "Microsoft 365 Business Basic",
            "quantity": 10,
            "status": "active",
            "autoRenewEnabled": 1,
            "isTrial": 0,
        }
    )
    state.azure_subscriptions[AZURE_SUB] = "c00"
    with Sandbox(state) as sandbox:
        yield sandbox


COMMANDS = {a.config_key: TOKEN_COMMAND for a in (PARTNER_CENTER, ARM)}


def creds(commands: dict[str, str] | None = None, env: dict[str, str] | None = None) -> CommandCredentials:
    return CommandCredentials(COMMANDS if commands is None else commands, tokens.PARTNER_TENANT, env or {})


def pc(box: Sandbox, sleeps: list[float] | None = None, credentials: CommandCredentials | None = None) -> PartnerCenter:
    sleep = sleeps.append if sleeps is not None else (lambda s: None)
    return PartnerCenter(box.url, credentials or creds(), policy=FAST, sleep=sleep)


def azure(box: Sandbox, credentials: CommandCredentials | None = None) -> AzureSupport:
    return AzureSupport(box.url, credentials or creds(), policy=FAST, sleep=lambda s: None)


def test_paging_follows_links_next_with_the_continuation_token(box: Sandbox) -> None:
    client = pc(box)
    first = client.customers_page(size=10)
    assert len(first.items) == 10 and first.total == 25 and first.next is not None
    assert first.next["headers"][0]["key"] == "MS-ContinuationToken"
    second = client.customers_page(first.next, size=10)
    third = client.customers_page(second.next, size=10)
    assert [c["id"] for c in third.items] == [f"c{n}" for n in range(20, 25)]
    assert third.next is None


def test_a_500_is_retried_with_the_same_request_id(box: Sandbox) -> None:
    box.fault("GET /v1/customers/c00", "500", times=2)
    sleeps: list[float] = []
    assert pc(box, sleeps).customer("c00")["companyProfile"]["companyName"] == "Customer 0"
    tries = [r for r in box.state.requests if r["path"] == "/v1/customers/c00"]
    assert [r["fault"] for r in tries] == ["500", "500", ""]
    assert len({r["requestId"] for r in tries}) == 1
    assert sleeps == [0.01, 0.02]  # capped exponential backoff


def test_429_waits_as_long_as_retry_after_says(box: Sandbox) -> None:
    box.fault("GET /v1/customers", "429", times=1, retry_after=3)
    sleeps: list[float] = []
    pc(box, sleeps).customers_page()
    assert sleeps == [3.0]


def test_retry_after_as_an_http_date() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("soon") is None


def test_retries_end_with_a_clear_error(box: Sandbox) -> None:
    box.fault("GET /v1/customers/c00", "500", times=10)
    with pytest.raises(ApiError) as caught:
        pc(box).customer("c00")
    assert caught.value.status == 500 and caught.value.retryable
    assert "read customer c00" in str(caught.value) and "500" in str(caught.value)
    assert len([r for r in box.state.requests if r["path"] == "/v1/customers/c00"]) == FAST.attempts


def test_a_dropped_connection_is_retried(box: Sandbox) -> None:
    box.fault("GET /v1/customers/c01", "drop")
    assert pc(box).customer("c01")["id"] == "c01"


def test_nothing_listening_is_a_clear_error() -> None:
    client = PartnerCenter("http://127.0.0.1:9", creds(), policy=FAST, sleep=lambda s: None)
    with pytest.raises(ApiError, match=r"cannot reach http://127\.0\.0\.1:9") as caught:
        client.customer("c00")
    assert caught.value.status is None


def test_an_expired_token_says_which_one_and_how_to_fix_it(box: Sandbox) -> None:
    expired = tokens.mint(PARTNER_CENTER.resource, tokens.PARTNER_TENANT, lifetime=-60)
    client = pc(box, credentials=creds({}, {PARTNER_CENTER.env_var: expired}))
    with pytest.raises(AuthError) as caught:
        client.customer("c00")
    message = str(caught.value)
    assert "401" in message and "ExpiredAuthenticationToken" in message
    assert f"Partner Center token for the partner's tenant {tokens.PARTNER_TENANT}" in message
    assert "CSP_CONSOLE_PARTNER_CENTER_TOKEN" in message and expired not in message
    assert not caught.value.retryable  # the same token would be refused again: no retry loop


def test_a_token_from_another_tenant_is_refused_naming_audience_and_tenant(box: Sandbox) -> None:
    """ARM answers 401 InvalidAuthenticationTokenTenant to a token of the partner's tenant on a customer's
    subscription; it is not retried (issue #16, item 1)."""
    partner_only = creds({}, {ARM.env_var: tokens.mint(ARM.resource, tokens.PARTNER_TENANT)})
    client = azure(box, partner_only)
    with pytest.raises(MissingToken, match=r"Azure Resource Manager token for the customer's tenant c00"):
        client.create_ticket(AZURE_SUB, "csp-1", PROPS, request_id="r0", tenant="c00")
    # A command without {tenant} yields the partner's token for every tenant: ARM refuses it.
    one_tenant = creds(
        {ARM.config_key: f"{sys.executable} -m console.sandbox.tokens {{resource}} {tokens.PARTNER_TENANT}"}
    )
    with pytest.raises(MissingToken, match=r"has no \{tenant\} in it"):
        azure(box, one_tenant).ticket(AZURE_SUB, "csp-1", tenant="c00")
    wrong = creds({ARM.config_key: f"{sys.executable} -m console.sandbox.tokens {{resource}} {{tenant}}-x"})
    box.state.requests.clear()
    with pytest.raises(AuthError, match="InvalidAuthenticationTokenTenant") as caught:
        azure(box, wrong).ticket(AZURE_SUB, "csp-1", tenant="c00")
    assert "Azure Resource Manager token for the customer's tenant c00" in str(caught.value)
    assert not caught.value.retryable and len(box.state.requests) == 2  # once, then once with fresh tokens


def test_a_customer_tenant_call_carries_the_partner_arm_token_as_auxiliary(box: Sandbox) -> None:
    client = azure(box)
    client.create_ticket(AZURE_SUB, "csp-aux-1", PROPS, request_id="r-aux", tenant="c00")
    assert box.state.tickets["csp-aux-1"]
    wrong_aux = creds({**COMMANDS}, {})
    wrong_aux.partner_tenant = "c01"  # the "partner" token would come from another tenant
    with pytest.raises(AuthError, match="auxiliary token"):
        azure(box, wrong_aux).ticket(AZURE_SUB, "csp-aux-1", tenant="c00")


def test_a_missing_token_never_reaches_the_network(box: Sandbox) -> None:
    client = PartnerCenter(box.url, creds({}), policy=FAST)
    with pytest.raises(MissingToken, match="CSP_CONSOLE_PARTNER_CENTER_TOKEN"):
        client.customer("c00")
    assert box.state.requests == []


def test_a_token_command_is_asked_again_after_a_401(box: Sandbox, tmp_path: Path) -> None:
    counter = tmp_path / "n"
    script = tmp_path / "issue_token.py"
    script.write_text(
        "import json, pathlib, sys\n"
        "from console.sandbox.tokens import mint\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) if p.exists() else 0\n"
        "p.write_text(str(n + 1))\n"
        "print(json.dumps({'accessToken': 'stale' if n == 0 else mint(sys.argv[1], sys.argv[2])}))\n"
    )
    client = pc(
        box, credentials=creds({PARTNER_CENTER.config_key: f"{sys.executable} {script} {{resource}} {{tenant}}"})
    )
    assert client.customer("c00")["id"] == "c00"
    assert counter.read_text() == "2"


def test_a_failing_token_command_is_a_clear_error() -> None:
    bad = creds({PARTNER_CENTER.config_key: f"{sys.executable} -c 'import sys; sys.exit(3)'"})
    with pytest.raises(MissingToken, match="exit status 3"):
        bad.source(PARTNER_CENTER).get()
    with pytest.raises(MissingToken, match="could not run"):
        creds({PARTNER_CENTER.config_key: "/nonexistent/az account get-access-token"}).source(PARTNER_CENTER).get()


def test_404_is_not_retried(box: Sandbox) -> None:
    with pytest.raises(NotFound, match="CustomerNotFound"):
        pc(box).customer("nobody")
    assert len(box.state.requests) == 1


def test_subscription_patch_sends_the_etag(box: Sandbox) -> None:
    updated = pc(box).update_subscription("c00", "s1", {"status": "suspended"}, expected={"status": "active"})
    assert updated["status"] == "suspended"
    assert updated["attributes"]["etag"] != ""


def test_a_stale_etag_is_refetched_and_the_change_reapplied(box: Sandbox) -> None:
    box.fault("PATCH /v1/customers/c00/subscriptions/s1", "concurrent_change", times=1)
    updated = pc(box).update_subscription("c00", "s1", {"quantity": 12}, expected={"status": "active"})
    assert updated["quantity"] == 12 and updated["friendlyName"].endswith("(renamed)")
    patches = [r for r in box.state.requests if r["method"] == "PATCH"]
    assert len(patches) == 2


def test_a_subscription_that_keeps_changing_is_reported(box: Sandbox) -> None:
    box.fault("PATCH /v1/customers/c00/subscriptions/s1", "concurrent_change", times=10)
    with pytest.raises(StaleEtag, match="412"):
        pc(box).update_subscription("c00", "s1", {"quantity": 12})


def test_a_subscription_that_moved_away_from_the_expected_state_is_not_patched(box: Sandbox) -> None:
    client = pc(box)
    client.update_subscription("c00", "s1", {"status": "suspended"})
    with pytest.raises(SubscriptionChanged, match="status is now 'suspended', expected 'active'"):
        client.update_subscription("c00", "s1", {"quantity": 3}, expected={"status": "active"})
    assert len([r for r in box.state.requests if r["method"] == "PATCH"]) == 1


def test_service_request_note_is_added_once_when_retried(box: Sandbox) -> None:
    sr = box.state.add_service_request("c00", "Mail flow", "Delayed")
    box.fault(f"PATCH /v1/servicerequests/{sr['id']}", "drop_after")
    pc(box).add_note(sr["id"], "Customer confirms the issue persists.", request_id="rid-1")
    assert [n["text"] for n in box.state.service_requests[sr["id"]]["notes"]] == [
        "Customer confirms the issue persists."
    ]


@pytest.mark.parametrize("fault", ["drop_after", "500_after"])
def test_a_lost_create_answer_is_looked_up_never_sent_again(box: Sandbox, fault: str) -> None:
    """The PUT "creates a new support ticket" (support.json, SupportTickets_Create): after the answer is lost
    the client reads the ticket by name instead of sending the create again (it used to re-send it, assuming
    an idempotent PUT)."""
    box.fault("PUT /subscriptions/", fault)
    box.state.azure_settle_seconds = 0  # Microsoft finishes at once; nobody polls the lost operation
    client = azure(box)
    ticket = client.create_ticket(AZURE_SUB, "csp-000001-abc", PROPS, request_id="r1", tenant="c00")
    assert ticket["properties"]["supportTicketId"]
    assert list(box.state.tickets) == ["csp-000001-abc"]
    puts = [r for r in box.state.requests if r["method"] == "PUT"]
    assert len(puts) == 1 and puts[0]["requestId"] == "r1"
    assert box.state.requests[0]["method"] == "POST"  # checkNameAvailability came first


def test_azure_slow_answer_times_out_and_the_retry_finds_the_same_ticket(box: Sandbox) -> None:
    box.fault("PUT /subscriptions/", "slow_after", delay=3)
    client = azure(box)
    ticket = client.create_ticket(AZURE_SUB, "csp-000002-abc", PROPS, request_id="r2", tenant="c00")
    assert len(box.state.tickets) == 1
    assert (
        ticket["properties"]["supportTicketId"] == box.state.tickets["csp-000002-abc"]["properties"]["supportTicketId"]
    )


def test_azure_validates_the_case(box: Sandbox) -> None:
    with pytest.raises(ApiError, match=r"400 BadRequest: properties\.severity"):
        azure(box).create_ticket(AZURE_SUB, "x-2", {**PROPS, "severity": "urgent"}, request_id="r4", tenant="c00")
    with pytest.raises(NotFound, match="SubscriptionNotFound"):
        azure(box).create_ticket("00000000-0000-0000-0000-000000000000", "x-3", PROPS, request_id="r5", tenant="c00")


def test_azure_catalogue_and_communications(box: Sandbox) -> None:
    client = azure(box)
    services = client.services()
    assert any(s["properties"]["displayName"] == "SQL Database" for s in services)
    problems = client.problem_classifications(services[0]["name"])
    assert problems and all(p["id"].startswith(services[0]["id"]) for p in problems)
    client.create_ticket(AZURE_SUB, "csp-000003-abc", PROPS, request_id="r6", tenant="c00")
    for _ in range(2):
        client.add_communication(
            AZURE_SUB,
            "csp-000003-abc",
            "note-1",
            "Logs",
            "Attached the logs.",
            "aiko.tanaka@sakura-cloud.example",
            request_id="r7",
            tenant="c00",
        )
    names = [c["name"] for c in client.communications(AZURE_SUB, "csp-000003-abc", tenant="c00")]
    assert names == ["welcome", "note-1"]


# -- Azure's long-running creates (support.json: x-ms-long-running-operation, final-state-via azure-async-operation)
def test_a_202_create_is_followed_to_its_end_honouring_retry_after(box: Sandbox) -> None:
    box.state.azure_retry_after = 3
    sleeps: list[float] = []
    client = AzureSupport(box.url, creds(), policy=FAST, sleep=sleeps.append)
    ticket = client.create_ticket(AZURE_SUB, "csp-lro-1", PROPS, request_id="r-lro", tenant="c00")
    assert ticket["name"] == "csp-lro-1" and ticket["properties"]["status"] == "Open"
    put = next(r for r in box.state.requests if r["method"] == "PUT")
    assert put["status"] == 202 and put["answer"] is None  # no body: nothing to .json()
    polls = [r for r in box.state.requests if "/operationsStatus/" in r["path"]]
    assert [r["answer"]["status"] for r in polls] == ["InProgress", "Succeeded"]
    assert sleeps[:2] == [3.0, 3.0]  # Retry-After of the 202, then of the InProgress answer
    assert box.state.requests[-1]["method"] == "GET" and box.state.requests[-1]["path"].startswith(
        f"/subscriptions/{AZURE_SUB}/providers/Microsoft.Support/supportTickets/csp-lro-1"
    )  # then the resource itself


def test_a_200_create_is_used_as_it_came(box: Sandbox) -> None:
    box.state.azure_async = False
    ticket = azure(box).create_ticket(AZURE_SUB, "csp-sync-1", PROPS, request_id="r-s", tenant="c00")
    assert ticket["properties"]["supportTicketId"]
    assert not [r for r in box.state.requests if "/operation" in r["path"]]


def test_a_failed_operation_is_a_clear_error_naming_the_ticket(box: Sandbox) -> None:
    from console.microsoft.azure_support import OperationFailed

    box.state.azure_fail["csp-fail-1"] = {"code": "SupportPlanNotFound", "message": "No support plan"}
    with pytest.raises(
        OperationFailed, match=r"create support ticket csp-fail-1: .*ended Failed.*SupportPlanNotFound"
    ) as e:
        azure(box).create_ticket(AZURE_SUB, "csp-fail-1", PROPS, request_id="r-f", tenant="c00")
    assert not e.value.retryable and "csp-fail-1" not in box.state.tickets


def test_a_used_name_is_refused_not_answered_with_the_old_ticket(box: Sandbox) -> None:
    client = azure(box)
    client.create_ticket(AZURE_SUB, "csp-dup-1", PROPS, request_id="r-d1", tenant="c00")
    assert not client.ticket_name_available(AZURE_SUB, "csp-dup-1", tenant="c00")
    assert client.ticket_name_available(AZURE_SUB, "csp-dup-2", tenant="c00")
    with pytest.raises(ApiError, match="409 Conflict") as e:  # a raw second PUT of the name
        client.request(
            "PUT",
            f"{client.ticket_path(AZURE_SUB, 'csp-dup-1')}?api-version=2024-04-01",
            "create again",
            json={"properties": PROPS},
            tenant="c00",
            idempotent=False,
        )
    assert e.value.status == 409 and len(box.state.tickets) == 1
    again = client.create_ticket(AZURE_SUB, "csp-dup-1", PROPS, request_id="r-d2", tenant="c00")  # finds it
    assert again["properties"]["supportTicketId"] == box.state.tickets["csp-dup-1"]["properties"]["supportTicketId"]
    assert len([r for r in box.state.requests if r["method"] == "PUT"]) == 2  # the create and the raw one only


def test_a_patch_changes_severity_and_closes(box: Sandbox) -> None:
    client = azure(box)
    client.create_ticket(AZURE_SUB, "csp-patch-1", PROPS, request_id="r-p", tenant="c00")
    assert (
        client.update_ticket(AZURE_SUB, "csp-patch-1", {"severity": "moderate"}, request_id="r-p2", tenant="c00")[
            "properties"
        ]["severity"]
        == "moderate"
    )
    closed = client.update_ticket(AZURE_SUB, "csp-patch-1", {"status": "closed"}, request_id="r-p3", tenant="c00")
    assert closed["properties"]["status"] == "Closed"
    with pytest.raises(ApiError, match="severity must be one of"):
        client.update_ticket(AZURE_SUB, "csp-patch-1", {"severity": "urgent"}, request_id="r-p4", tenant="c00")


def test_the_sandbox_refuses_two_letter_countries_and_iana_zones(box: Sandbox) -> None:
    client = azure(box)
    for field, value, code in (
        ("country", "JP", "InvalidCountry"),
        ("preferredTimeZone", "Asia/Tokyo", "InvalidTimeZone"),
    ):
        props = {**PROPS, "contactDetails": {**PROPS["contactDetails"], field: value}}  # type: ignore[dict-item]
        with pytest.raises(ApiError, match=code):
            client.create_ticket(AZURE_SUB, f"csp-bad-{field}", props, request_id="r-b", tenant="c00")
    assert box.state.tickets == {}


def test_the_sandbox_admin_endpoints_take_json_as_curl_d_sends_it(box: Sandbox) -> None:
    """`curl -d '{...}'` labels its body application/x-www-form-urlencoded; the README's respond command must
    work as printed (found trying the sandbox as a new user: the handler failed with KeyError 'case')."""
    import httpx

    sr = box.state.add_service_request("c00", "Mail flow", "Delayed")
    answer = httpx.post(
        f"{box.url}/_sandbox/respond",
        content=f'{{"case": "{sr["id"]}", "text": "Looking into it."}}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200 and answer.json() == {"found": True}
    assert box.state.service_requests[sr["id"]]["notes"][-1]["text"] == "Looking into it."


def test_a_next_link_to_another_host_is_refused_and_gets_no_token(box: Sandbox) -> None:
    """Tokens go only to Partner Center's own host: a ``links.next`` elsewhere is refused (found in review: the
    partner's token was sent to whatever host the link named)."""
    with Sandbox(SandboxState()) as other:
        with pytest.raises(ApiError, match="refused to follow"):
            pc(box).page({"uri": f"{other.url}/v1/customers"}, "/v1/customers", "list customers")
        assert other.state.requests == []


def test_a_non_json_answer_is_an_api_error_naming_the_operation() -> None:
    """A proxy's login page in place of Partner Center's answer (a real server on loopback answering HTML)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = b"<html>proxy login</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = PartnerCenter(f"http://127.0.0.1:{server.server_port}", creds(), policy=FAST, sleep=lambda s: None)
        with pytest.raises(ApiError, match=r"read customer c00: 200: the answer is not a JSON object \(text/html\)"):
            client.customer("c00")
    finally:
        server.shutdown()
        server.server_close()


def test_the_sandbox_log_keeps_no_sign_in_secrets(box: Sandbox) -> None:
    """``GET /_sandbox/state`` serves the request log to anyone local: sign-in bodies and answers (refresh
    tokens, client secrets, access tokens) are not kept in it."""
    import httpx

    httpx.post(
        f"{box.url}/{tokens.PARTNER_TENANT}/oauth2/v2.0/token",
        data={"grant_type": "refresh_token", "refresh_token": "RT-SECRET", "client_secret": "CS-SECRET"},
    )
    state = httpx.get(f"{box.url}/_sandbox/state").text
    assert "RT-SECRET" not in state and "CS-SECRET" not in state
    assert any("/oauth2/v2.0/token" in r["path"] for r in box.state.requests)  # counted, not kept


def test_a_name_taken_between_the_check_and_the_put_is_the_case_not_a_refusal(box: Sandbox) -> None:
    """The name check said free, then an earlier create that Microsoft carried out late took the name: the PUT's
    409 is answered by reading the case, never by marking the escalation refused (found in review)."""
    client = azure(box)
    first = client.create_ticket(AZURE_SUB, "csp-race-1", PROPS, request_id="r-race", tenant="c00")
    url = f"{client.ticket_path(AZURE_SUB, 'csp-race-1')}?api-version=2024-04-01"
    found = client._create_once(
        url,
        "create support ticket csp-race-1",
        {"properties": PROPS},
        request_id="r-race-2",
        tenant="c00",
        available=lambda: True,  # the check ran before the late create landed
        find=lambda: client.find_ticket(AZURE_SUB, "csp-race-1", tenant="c00"),
    )
    assert found["properties"]["supportTicketId"] == first["properties"]["supportTicketId"]
    assert len(box.state.tickets) == 1


def test_the_sandbox_answers_400_to_an_incomplete_admin_request(box: Sandbox) -> None:
    import httpx

    for path in ("/_sandbox/respond", "/_sandbox/servicerequests"):
        answer = httpx.post(f"{box.url}{path}", json={})
        assert answer.status_code == 400 and "send {" in answer.json()["error"]["message"]
