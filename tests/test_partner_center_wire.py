"""`csp-console sync` reads Partner Center as Microsoft documents it, not as our sandbox used to send it.

The payloads are Microsoft's own documented examples and enum lists, recorded in tests/fixtures/partner_center/
with the document or SDK file each comes from (its ``_source``). The sandbox serves them as they are; the sync
must read every value the definitions allow, keep a value added later, skip and name a record it cannot read,
go on past an app-only 403 on service requests, store an Azure plan's Azure subscriptions, and work out what is
still owed on a Microsoft invoice with Partner Center's signs.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.billing.questions import microsoft_invoice_outstanding
from console.cli.main import main
from console.microsoft import sync
from console.microsoft.connect import connect
from console.microsoft.credentials import PARTNER_CENTER
from console.plugins.host import load_plugins
from console.records.kinds import SUBSCRIPTIONS, RecordError, validate
from console.sandbox import Sandbox, tokens
from console.sandbox.state import SandboxState
from console.settings.config import Config, write_demo_config
from console.store import Workspace
from console.store import migrations as mig
from console.store.connection import connect as db_connect
from tests.conftest import NOW, SANDBOX_ENV, TOKEN_COMMAND

FIXTURES = Path(__file__).parent / "fixtures" / "partner_center"
NCE_SUB = "a4c1340d-6911-4758-bba3-0c4c6007d161"  # the new commerce example of the REST docs
LEGACY_SUB = "5b1f7c1a-0d4e-4c9a-9b3e-2f6a8d7c1e55"
MARKETPLACE_SUB = "6e7aa601-629e-461b-8933-0898c3cc3c7c"
AZURE_PLAN = "9e2b6c3d-8a1f-4e7b-b5c2-6d4a3f1e9b70"


def fixture(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert data.pop("_source").strip()  # every fixture names where it comes from
    return data


ENUMS = fixture("enums.json")
CUSTOMERS = fixture("customers.json")["items"]
SUBS = {s["id"]: s for s in fixture("subscriptions.json")["items"]}


def _enum_customer(n: int, relationship: str) -> dict[str, Any]:
    raw = copy.deepcopy(CUSTOMERS[n % 2])
    raw["id"] = f"{n:08d}-0000-4000-8000-000000000000"
    raw["companyProfile"]["tenantId"] = raw["id"]
    raw["companyProfile"]["domain"] = f"customer{n}.onmicrosoft.com"
    raw["relationshipToPartner"] = relationship
    return raw


def _variant(n: int, **values: Any) -> dict[str, Any]:
    raw = copy.deepcopy(SUBS[NCE_SUB])
    raw["id"] = f"{n:08d}-1111-4000-8000-000000000000"
    raw.update(values)
    return raw


@pytest.fixture
def wire() -> SandboxState:
    """A Partner Center holding Microsoft's documented payloads: the two documented customers, then one
    customer per documented relationshipToPartner value whose subscriptions carry every documented status,
    billingType and billingCycle; an Azure plan with its Azure subscriptions; the documented invoices."""
    state = SandboxState()
    first, second = (copy.deepcopy(c) for c in CUSTOMERS)
    state.customers += [first, second]
    state.subscriptions[first["id"]] = [copy.deepcopy(SUBS[k]) for k in (NCE_SUB, LEGACY_SUB, MARKETPLACE_SUB)]
    state.subscriptions[second["id"]] = [copy.deepcopy(SUBS[AZURE_PLAN])]
    state.entitlements[AZURE_PLAN] = fixture("azure_entitlements.json")["items"]
    n = 0
    for relationship in ENUMS["relationshipToPartner"]:
        raw = _enum_customer(len(state.customers), relationship)
        state.customers.append(raw)
        state.subscriptions[raw["id"]] = []
    cid = state.customers[2]["id"]
    for name in ("status", "billingType", "billingCycle"):
        for value in ENUMS[name]:
            n += 1
            state.subscriptions[cid].append(_variant(n, **{name: value}))
    state.invoices += fixture("invoices.json")["items"]
    return state


@pytest.fixture
def box(wire: SandboxState, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(wire) as sandbox:
        monkeypatch.setenv("CSP_CONSOLE_PARTNER_CENTER_URL", sandbox.url)
        for var, value in SANDBOX_ENV.items():
            monkeypatch.setenv(var, value)
        yield sandbox


def _run(ws: Workspace, **kw: Any) -> sync.SyncReport:
    clients = connect(Config().microsoft)
    try:
        return sync.run(ws, clients.partner_center, load_plugins(), **kw)
    finally:
        clients.close()


def _sub(ws: Workspace, sid: str) -> dict[str, Any]:
    row = ws.conn.execute("SELECT * FROM subscriptions WHERE id = ?", (sid,)).fetchone()
    assert row is not None, sid
    return dict(row)


def test_every_documented_enum_value_is_read_as_it_came(box: Sandbox, empty_ws: Workspace) -> None:
    report = _run(empty_ws)
    relationships = {r[0] for r in empty_ws.conn.execute("SELECT relationshipToPartner FROM customers")}
    assert relationships == set(ENUMS["relationshipToPartner"])
    cid = box.state.customers[2]["id"]
    stored = [dict(r) for r in empty_ws.conn.execute("SELECT * FROM subscriptions WHERE customerId = ?", (cid,))]
    for name in ("status", "billingType", "billingCycle"):
        assert set(ENUMS[name]) <= {r[name] for r in stored}, name
    assert report.customers == len(box.state.customers)
    assert not [line for line in report.skipped if "field" in line]  # nothing documented was refused


def test_a_value_microsoft_adds_later_is_kept_and_an_import_still_refuses_it(box: Sandbox, empty_ws: Workspace) -> None:
    cid = box.state.customers[0]["id"]
    box.state.subscriptions[cid].append(_variant(900, billingCycle="quadrennial", status="transferring"))
    box.state.customers[1]["relationshipToPartner"] = "distributor"
    _run(empty_ws)
    sub = _sub(empty_ws, _variant(900)["id"])
    assert (sub["billingCycle"], sub["status"]) == ("quadrennial", "transferring")
    assert empty_ws.accounts.find_customer("WingtipToys1254789149.onmicrosoft.com") is not None
    record = {k: v for k, v in sub.items() if k in SUBSCRIPTIONS.field_names} | {"status": "active"}
    with pytest.raises(RecordError, match="billingCycle"):
        validate(SUBSCRIPTIONS, record, {"office365"})  # an import: most likely a typo


def test_an_unknown_status_is_never_taken_as_active(box: Sandbox, empty_ws: Workspace) -> None:
    from console.billing.suspension import plan

    cid = box.state.customers[0]["id"]
    box.state.subscriptions[cid] = [_variant(901, status="transferring")]
    _run(empty_ws)
    customer = empty_ws.conn.execute("SELECT * FROM customers WHERE id = ?", (cid,)).fetchone()
    subs = empty_ws.accounts.subscription_rows(cid)
    suspension = plan(dict(customer), subs, NOW)
    assert suspension.items == [] and [s["status"] for s in suspension.untouched] == ["transferring"]


def test_old_one_time_billing_cycle_is_read_as_partner_centers_one_time() -> None:
    raw = {
        "id": "s",
        "customerId": "c",
        "service": "office365",
        "offerId": "o",
        "offerName": "n",
        "quantity": 1,
        "status": "active",
        "creationDate": "2026-01-01T00:00:00Z",
        "billingCycle": "oneTime",
    }
    assert validate(SUBSCRIPTIONS, raw, {"office365"})["billingCycle"] == "one_time"


def test_refundable_quantity_object_is_stored_with_its_dates_and_old_integers_still_import(
    box: Sandbox, empty_ws: Workspace
) -> None:
    _run(empty_ws)
    sub = _sub(empty_ws, NCE_SUB)
    assert sub["refundableQuantity"] == 1
    assert json.loads(sub["refundableDetails"]) == [{"allowedUntilDateTime": "2021-01-15T00:00:00Z", "quantity": 1}]
    old = {k: v for k, v in sub.items() if k in SUBSCRIPTIONS.field_names} | {"refundableQuantity": 7}
    old["refundableDetails"] = None
    assert validate(SUBSCRIPTIONS, old, {"office365"})["refundableQuantity"] == 7


def test_commerce_type_is_read_from_partner_center_not_defaulted(box: Sandbox, empty_ws: Workspace) -> None:
    _run(empty_ws)
    assert _sub(empty_ws, NCE_SUB)["commerceType"] == "nce"  # productType OnlineServicesNCE
    assert _sub(empty_ws, LEGACY_SUB)["commerceType"] == "legacy"  # a legacy offer's GUID
    assert _sub(empty_ws, AZURE_PLAN)["commerceType"] == "nce"  # DZH318Z0BPS6:0001
    # A workspace that had it wrong (everything "nce") is corrected by the next sync.
    empty_ws.conn.execute("UPDATE subscriptions SET commerceType = 'nce'")
    _run(empty_ws, restart=True)
    assert _sub(empty_ws, LEGACY_SUB)["commerceType"] == "legacy"


def test_an_azure_plans_azure_subscriptions_are_synced(box: Sandbox, empty_ws: Workspace) -> None:
    report = _run(empty_ws)
    cid = box.state.customers[1]["id"]
    rows = empty_ws.microsoft.azure_entitlements(cid)
    documented = fixture("azure_entitlements.json")["items"]
    assert {(r["azureSubscriptionId"], r["status"], r["planSubscriptionId"]) for r in rows} == {
        (e["subscriptionId"], e["status"], AZURE_PLAN) for e in documented
    }
    assert report.azure_entitlements == len(documented)
    asked = [r["path"] for r in box.state.requests if r["path"].endswith("/azureEntitlements")]
    assert asked == [f"/v1/customers/{cid}/subscriptions/{AZURE_PLAN}/azureEntitlements"]  # only for the plan


def test_an_app_only_403_on_service_requests_is_reported_once_and_the_rest_synced(
    box: Sandbox, empty_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app-only token (``idtyp: app``) is refused service requests by Partner Center: said once, asked once."""
    monkeypatch.setenv("CSP_CONSOLE_PARTNER_CENTER_TOKEN_COMMAND", f"{TOKEN_COMMAND} --app-only")
    report = _run(empty_ws)
    assert report.customers == len(box.state.customers) and report.subscriptions > 0 and report.invoices == 3
    assert [n for n in report.notes if "service requests not read" in n and "app-only" in n] == [report.notes[0]]
    assert len(report.notes) == 1
    asked = [r for r in box.state.requests if r["path"].endswith("/servicerequests")]
    assert len(asked) == 1  # Partner Center's answer will not change this run: asked once
    assert empty_ws.microsoft.sync_state("partner_center")["state"] == "done"  # type: ignore[index]


def test_a_403_with_a_user_token_is_that_customers_alone(box: Sandbox, empty_ws: Workspace) -> None:
    """A 403 to an app+user token is about that customer (GDAP, consent), not the token: the others are still
    asked (found in review: one customer's refusal stopped service requests for every later one)."""
    box.state.app_only_service_requests = True  # the sandbox refuses them whatever the token
    report = _run(empty_ws)
    asked = [r for r in box.state.requests if r["path"].endswith("/servicerequests")]
    assert len(asked) == len(box.state.customers)
    assert len([n for n in report.notes if "service requests of customer" in n]) == len(box.state.customers)
    assert sync.SERVICE_REQUESTS_APP_ONLY not in report.notes


def test_the_sandbox_switch_answers_403_and_other_faults_still_work(box: Sandbox) -> None:
    import httpx

    cid = box.state.customers[0]["id"]
    headers = {
        "Authorization": f"Bearer {tokens.mint(PARTNER_CENTER.resource, tokens.PARTNER_TENANT)}",
        "MS-Contract-Version": "v1",
    }
    assert httpx.get(f"{box.url}/v1/customers/{cid}/servicerequests", headers=headers).status_code == 200
    box.state.app_only_service_requests = True
    assert httpx.get(f"{box.url}/v1/customers/{cid}/servicerequests", headers=headers).status_code == 403
    box.fault("/subscriptions", "500")
    assert httpx.get(f"{box.url}/v1/customers/{cid}/subscriptions", headers=headers).status_code == 500


def test_unreadable_records_are_skipped_named_and_a_resumed_sync_goes_past_them(
    box: Sandbox, empty_ws: Workspace
) -> None:
    state = box.state
    state.customers.insert(1, {"id": "broken-customer", "companyProfile": "not an object"})
    cid = state.customers[0]["id"]
    state.subscriptions[cid].append(_variant(902, quantity="lots"))
    state.invoices.insert(0, {"id": "BAD-INVOICE", "invoiceDate": "2026-01-01", "totalCharges": "x"})
    box.fault("GET /v1/invoices", "500", times=100)  # the run stops after the bad records were passed
    with pytest.raises(sync.SyncFailed, match="invoices"):
        _run(empty_ws, page_size=3)
    box.clear_faults()
    before = len(state.requests)
    report = _run(empty_ws, page_size=3)
    assert report.resumed
    again = [r["path"] for r in state.requests[before:]]
    assert not [p for p in again if p.startswith("/v1/customers")]  # customers were all passed: not read again
    skipped = "\n".join(report.skipped)
    assert "customer 'broken-customer'" in skipped and "companyProfile" in skipped
    assert f"subscription '{_variant(902)['id']}' of customer {cid}" in skipped and "quantity" in skipped
    assert "Microsoft invoice 'BAD-INVOICE'" in skipped and "totalCharges" in skipped
    assert empty_ws.records.counts()["customers"] == len(state.customers) - 1
    assert {r["id"] for r in empty_ws.billing.partner_invoices()} == {"D02005YFHI", "G000024130", "D030001PAID"}


def test_documented_invoices_are_read_with_microsofts_signs_and_amendments(box: Sandbox, empty_ws: Workspace) -> None:
    _run(empty_ws)
    rows = {r["id"]: r for r in empty_ws.billing.partner_invoices()}
    paid = rows["D030001PAID"]
    assert paid["paidAmount"] == "-1100.5"
    assert [a["id"] for a in json.loads(paid["amendments"])] == ["D030001CN1"]
    assert microsoft_invoice_outstanding(paid) == 0  # 1200.50 - 1100.50 paid - 100 credited
    amended = rows["G000024130"]
    assert json.loads(amended["amendments"])[0] | {"invoiceDate": None} == {
        "id": "G000024131",
        "invoiceDate": None,
        "totalCharges": "107661.12",
        "paidAmount": "0",
        "currencyCode": "CHF",
        "documentType": "adjustment_note",
        "amendsOf": "G000024130",
    }
    assert microsoft_invoice_outstanding(amended) == Decimal("586366") + Decimal("107661.12")


def test_a_paid_microsoft_invoice_shows_paid_on_the_command_line(
    box: Sandbox,
    demo_ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Was: paidAmount subtracted, so Partner Center's negative payment doubled what was owed."""
    demo_ws.conn.execute("DELETE FROM partner_invoices")
    _run(demo_ws)
    config = tmp_path / "config.toml"
    write_demo_config(config, NOW.date())
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "tom.becker")
    args = ["--db", str(demo_ws.locator), "--config", str(config)]
    assert main(["invoices", *args, "--json"]) == 0
    shown = {i["id"]: i for i in map(json.loads, capsys.readouterr().out.splitlines())}
    assert shown["D030001PAID"]["level"] == "paid" and Decimal(shown["D030001PAID"]["unpaid"]) == 0
    assert main(["invoices", *args, "--unpaid", "--json"]) == 0
    unpaid = {json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()}
    assert "D030001PAID" not in unpaid and "G000024130" in unpaid


def test_the_demo_sandbox_serves_partner_centers_shapes_and_paid_stays_paid(
    sandbox: Sandbox, demo_ws: Workspace
) -> None:
    subs = [s for subs in sandbox.state.subscriptions.values() for s in subs]
    assert all(isinstance(s["refundableQuantity"], dict) for s in subs)
    assert any(s["refundableQuantity"]["details"] for s in subs)
    assert any(i["paidAmount"] < 0 for i in sandbox.state.invoices)
    assert all(i["paidAmount"] <= 0 for i in sandbox.state.invoices)
    before = {r["id"]: microsoft_invoice_outstanding(r) for r in demo_ws.billing.partner_invoices()}
    _run(demo_ws)
    after = {r["id"]: microsoft_invoice_outstanding(r) for r in demo_ws.billing.partner_invoices()}
    assert after == before and any(v == 0 for v in after.values())


def test_migration_turns_old_positive_payments_into_microsofts_sign(tmp_path: Path) -> None:
    conn = db_connect(tmp_path / "w.db")
    version = mig.MIGRATIONS.index(mig.m017_partner_center_values)
    mig.migrate(conn, target=version)
    rows = [("OLD-PAID", "100.00"), ("NEW-PAID", "-50"), ("UNPAID", "0")]
    for invoice_id, paid in rows:
        conn.execute(
            "INSERT INTO partner_invoices (id, invoiceDate, totalCharges, paidAmount, currencyCode, dueDate) "
            "VALUES (?, '2026-01-01', '100.00', ?, 'USD', '2026-03-02')",
            (invoice_id, paid),
        )
    conn.commit()
    mig.migrate(conn)
    conn.row_factory = sqlite3.Row
    stored = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM partner_invoices")}
    assert {k: v["paidAmount"] for k, v in stored.items()} == {"OLD-PAID": "-100.00", "NEW-PAID": "-50", "UNPAID": "0"}
    assert microsoft_invoice_outstanding(stored["OLD-PAID"]) == 0
    assert microsoft_invoice_outstanding(stored["UNPAID"]) == 100
    conn.close()


def test_the_account_shows_what_can_be_refunded_until_when(box: Sandbox, empty_ws: Workspace) -> None:
    from datetime import UTC, datetime

    from console.billing.account import load_account

    _run(empty_ws)
    cid = box.state.customers[0]["id"]
    before = load_account(empty_ws, cid, datetime(2021, 1, 14, 20, 0, tzinfo=UTC))
    assert before.refunds == ["Refundable: Microsoft 365 Business Basic: 1 seats until 2021-01-15 00:00 UTC"]
    assert load_account(empty_ws, cid, datetime(2021, 1, 15, 0, 1, tzinfo=UTC)).refunds == []  # window closed
