"""`csp-console sync` against the local Partner Center: paging, upsert, resume after a failure midway."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from console.cli.main import main
from console.microsoft import sync
from console.microsoft.connect import connect
from console.plugins.host import load_plugins
from console.records.kinds import CUSTOMERS, SUBSCRIPTIONS
from console.sandbox import Sandbox
from console.settings.config import Config
from console.store import Workspace


def _run(ws: Workspace, **kw: object) -> sync.SyncReport:
    clients = connect(Config().microsoft)
    try:
        return sync.run(ws, clients.partner_center, load_plugins(), **kw)  # type: ignore[arg-type]
    finally:
        clients.close()


def test_sync_pages_through_customers_and_upserts(sandbox: Sandbox, empty_ws: Workspace) -> None:
    report = _run(empty_ws, page_size=5)
    assert report.customers == len(sandbox.state.customers) > 5
    assert report.subscriptions == sum(len(v) for v in sandbox.state.subscriptions.values())
    assert report.service_requests == len(sandbox.state.service_requests) > 0
    pages = [r for r in sandbox.state.requests if r["path"].startswith("/v1/customers?")]
    assert len(pages) == -(-report.customers // 5)
    names = {c["companyName"] for c in empty_ws.records.iter_records(CUSTOMERS)}
    assert "株式会社さくら商事" in names
    assert empty_ws.microsoft.sync_state("partner_center")["state"] == "done"  # type: ignore[index]


def test_sync_keeps_what_only_the_workspace_knows(sandbox: Sandbox, demo_ws: Workspace) -> None:
    before = {s["id"]: s for s in demo_ws.records.iter_records(SUBSCRIPTIONS)}
    _run(demo_ws)
    after = {s["id"]: s for s in demo_ws.records.iter_records(SUBSCRIPTIONS)}
    etags = {s["id"]: s["attributes"]["etag"] for subs in sandbox.state.subscriptions.values() for s in subs}
    assert {k: v["etag"] for k, v in after.items()} == etags  # Partner Center's etag, for the next PATCH
    strip = lambda rows: {k: {**v, "etag": None} for k, v in rows.items()}  # noqa: E731
    assert strip(before) == strip(after)  # the sandbox serves the same data: nothing else moves, nothing is lost
    assert any(s["details"] for s in after.values()) and any(s["assignedSeats"] for s in after.values())


def test_a_failure_midway_keeps_the_synced_pages_and_the_next_run_resumes(
    sandbox: Sandbox, empty_ws: Workspace
) -> None:
    state = sandbox.state
    third_page = base64.b64encode(b"10").decode()  # the continuation token of customers 11-15
    sandbox.fault("seekOperation=Next", "500", times=1)  # the second page fails once: the retry saves it
    sandbox.fault(third_page, "500", times=100)  # the third fails every time
    with pytest.raises(sync.SyncFailed) as caught:
        _run(empty_ws, page_size=5)
    message = str(caught.value)
    assert "listing customers (page after 10 customers)" in message and "500" in message and "resume" in message
    assert empty_ws.records.counts()["customers"] == 10  # pages one and two are in, whole
    saved = empty_ws.microsoft.sync_state("partner_center")
    assert saved is not None and saved["state"] == "failed" and "500" in saved["lastError"]

    sandbox.clear_faults()
    first_pages = len([r for r in state.requests if r["path"] == "/v1/customers?size=5"])
    report = _run(empty_ws, page_size=5)
    assert report.resumed
    assert len([r for r in state.requests if r["path"] == "/v1/customers?size=5"]) == first_pages  # not again
    assert empty_ws.records.counts()["customers"] == report.customers == len(state.customers)
    assert empty_ws.microsoft.sync_state("partner_center")["state"] == "done"  # type: ignore[index]


def test_a_failure_while_reading_a_customer_resumes_at_that_customer(sandbox: Sandbox, empty_ws: Workspace) -> None:
    victim = sandbox.state.customers[4]["id"]
    sandbox.fault(f"/v1/customers/{victim}/subscriptions", "500", times=100)
    with pytest.raises(sync.SyncFailed, match=f"reading customer {victim}"):
        _run(empty_ws, page_size=50)
    assert empty_ws.microsoft.sync_state("partner_center")["cursor"]["index"] == 4  # type: ignore[index]
    sandbox.clear_faults()
    before = len(sandbox.state.requests)
    _run(empty_ws, page_size=50)
    reads = [r["path"] for r in sandbox.state.requests[before:] if r["path"].endswith("/subscriptions")]
    assert reads[0] == f"/v1/customers/{victim}/subscriptions"
    assert len(reads) == len(sandbox.state.customers) - 4


def test_sync_command_reports_and_exits(sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.db"
    Workspace.open(db).close()
    assert main(["sync", "--db", str(db), "--page-size", "7"]) == 0
    out = capsys.readouterr().out
    assert f"Synced {len(sandbox.state.customers)} customers" in out


def test_sync_without_a_token_says_how_to_get_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.db"
    Workspace.open(db).close()
    assert main(["sync", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "CSP_CONSOLE_PARTNER_CENTER_TOKEN" in err and "resume" in err


def test_one_unreadable_customer_is_skipped_and_named_and_the_rest_synced(
    sandbox: Sandbox, empty_ws: Workspace
) -> None:
    """Was: one bad customer aborted the whole run (SyncFailed). Now it is skipped, reported with its id and the
    field at fault, and every other customer lands."""
    sandbox.state.customers[3]["companyProfile"]["domain"] = None
    report = _run(empty_ws, page_size=100)
    bad = sandbox.state.customers[3]["id"]
    assert any(f"customer '{bad}'" in line and "field 'domain'" in line for line in report.skipped)
    assert empty_ws.records.counts()["customers"] == report.customers == len(sandbox.state.customers) - 1
    assert empty_ws.microsoft.sync_state("partner_center")["state"] == "done"  # type: ignore[index]
