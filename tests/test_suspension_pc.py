"""Suspension for non-payment and reactivation against the sandbox in its Partner Center-documented mode, with
the process killed at random points: a subscription someone else suspended (Microsoft, for fraud) is never
claimed, auto-renew comes back as Partner Center had it when read, an Azure plan with active Azure subscriptions
is explained, never failed and never called a missing role.

Microsoft's facts these tests hold the code to: learn.microsoft.com/partner-center/developer/headers
(``MS-Contract-Version`` required, ``MS-RequestId`` reused on a retry, ``If-Match`` with the etag);
learn.microsoft.com/partner-center/developer/error-codes (400/2055 "Etag is no longer valid", 403/900115 "Azure plan
can't be moved to suspended state since you have one or more Azure Subscriptions in the active state");
the Subscription resource's ``suspensionReasons`` (read-only: set by whoever suspended).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.billing.suspension import REACTIVATE_TODO, SUSPEND_TODO
from console.cli.main import main
from console.desk.door import Desk
from console.microsoft.credentials import PARTNER_CENTER
from console.plugins.host import load_plugins
from console.sandbox import Sandbox, tokens
from console.sandbox.state import etag_of
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from tests.conftest import NOW

BILLING_ADMIN = "tom.becker"
CUSTOMER = "sakura-shoji.co.jp"  # an Azure plan with two active Azure subscriptions, an add-on, three bases
DELAY = 0.8  # how long a faulted request hangs while the process is killed


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    return path


@pytest.fixture
def desk(demo_ws: Workspace, config_path: Path, sandbox: Sandbox) -> Iterator[Desk]:
    d = Desk(demo_ws, load_config(config_path), load_plugins(), BILLING_ADMIN, lambda: NOW)
    yield d
    d.close()


def at_pc(box: Sandbox, customer_id: str) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in box.state.subscriptions[customer_id]}


def set_at_pc(box: Sandbox, sub: dict[str, Any], **changes: Any) -> None:
    with box.state.lock:
        sub.update(changes)
        sub["attributes"]["etag"] = etag_of(sub)


def items(ws: Workspace, customer_id: str) -> dict[str, dict[str, Any]]:
    live = ws.suspensions.live_suspension(customer_id) or max(
        (ws.suspensions.suspension(s["id"]) for s in ws.suspensions.suspensions() if s["customerId"] == customer_id),
        key=lambda s: s["id"],  # type: ignore[union-attr]
    )
    return {i["subscriptionId"]: i for i in live["items"]}  # type: ignore[index]


def run_killed(
    box: Sandbox, ws: Workspace, db: Path, config: Path, action: str, cid: str, order: list[str], rng: random.Random
) -> bool:
    """Run ``csp-console billing <action>`` and SIGKILL it while one request of the next subscription to handle
    hangs: its GET (between the intent and the read), its PATCH before the work, or its PATCH after the work
    (Partner Center changed it; the answer never arrives). Return whether it was killed."""
    todo = SUSPEND_TODO if action == "suspend" else REACTIVATE_TODO
    live = ws.suspensions.live_suspension(cid)
    rows = {i["subscriptionId"]: i for i in live["items"]} if live else {}
    candidates = [s for s in order if (rows[s]["state"] if s in rows else "pending") in todo]
    if not candidates:
        return False
    nxt = rng.choice(candidates)  # the process handles the ones before it, then hangs on this one
    source = "active" if action == "suspend" else "suspended"
    kinds = [("GET", "slow")]
    sent = nxt in rows and bool(rows[nxt]["requestId"])  # a resume sends the recorded PATCH again to settle it
    if at_pc(box, cid)[nxt]["status"] == source or sent:
        kinds += [("PATCH", "slow"), ("PATCH", "slow_after")]
    method, kind = rng.choice(kinds)
    box.clear_faults()
    box.fault(f"{method} /v1/customers/{cid}/subscriptions/{nxt}", kind, times=1, delay=DELAY)
    seen = len(box.state.requests)
    confirm = ["--yes"] if action == "suspend" else []
    files = ["--db", str(db), "--config", str(config)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "billing", action, CUSTOMER, *confirm, *files],
        env={**os.environ, "CSP_CONSOLE_AGENT": BILLING_ADMIN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not any(r["fault"] == kind for r in box.state.requests[seen:]):
        if proc.poll() is not None:
            box.clear_faults()
            return False
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(rng.uniform(0, DELAY / 2))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(DELAY + 0.3)  # the hanging request finishes on Partner Center's side, as it would
    box.clear_faults()
    return True


def test_killed_eight_times_the_fraud_suspension_stays_and_auto_renew_is_as_partner_center_had_it(
    desk: Desk, demo_ws: Workspace, sandbox: Sandbox, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = demo_ws.accounts.find_customer(CUSTOMER)
    assert cid is not None
    plan = desk.billing.suspension_plan(cid)
    (azure,) = plan.blocked  # said up front: not in the PATCHes
    azure_id = azure.subscription["id"]
    order = [i.subscription["id"] for i in plan.items]
    subs = at_pc(sandbox, cid)
    bases = [s for s in order if not subs[s]["parentSubscriptionId"]]
    with_addons = {subs[s]["parentSubscriptionId"] for s in order}
    fraud = next(s for s in bases if s not in with_addons)
    # Microsoft suspended one for fraud before we came; the workspace's synced copy still says active.
    sandbox.state.suspend_elsewhere(fraud, ["Fraud"])
    # Auto-renew at Partner Center differs from the workspace's stale copy, both ways.
    off, on = [s for s in order if s != fraud][:2]
    set_at_pc(sandbox, subs[off], autoRenewEnabled=False)
    set_at_pc(sandbox, subs[on], autoRenewEnabled=True)
    demo_ws.conn.execute("UPDATE subscriptions SET autoRenewEnabled = 0 WHERE id = ?", (on,))
    demo_ws.conn.execute("UPDATE subscriptions SET autoRenewEnabled = 1 WHERE id = ?", (off,))
    as_read = {s: bool(subs[s]["autoRenewEnabled"]) for s in order}

    rng = random.Random(16)
    kills = 0
    for _ in range(40):
        if kills == 8:
            break
        kills += run_killed(sandbox, demo_ws, demo_ws.locator, config_path, "suspend", cid, order, rng)
    assert kills == 8
    args = ["--db", str(demo_ws.locator), "--config", str(config_path)]
    os.environ["CSP_CONSOLE_AGENT"] = BILLING_ADMIN
    try:
        assert main(["billing", "suspend", CUSTOMER, "--yes", *args]) == 0
        out = capsys.readouterr().out
        assert "role" not in out
        subs = at_pc(sandbox, cid)
        assert subs[fraud]["status"] == "suspended" and subs[fraud]["suspensionReasons"] == ["Fraud"]
        assert subs[azure_id]["status"] == "active"
        assert all(subs[s]["status"] == "suspended" for s in order)
        recorded = items(demo_ws, cid)
        assert recorded[fraud]["state"] == "left" and "already suspended (reasons: Fraud)" in recorded[fraud]["note"]
        assert recorded[azure_id]["state"] == "blocked" and "900115" in recorded[azure_id]["note"]
        assert {recorded[s]["state"] for s in order if s != fraud} == {"suspended"}

        rkills = 0
        for _ in range(20):
            if rkills == 3:
                break
            rkills += run_killed(sandbox, demo_ws, demo_ws.locator, config_path, "reactivate", cid, order[::-1], rng)
        assert rkills == 3
        assert main(["billing", "reactivate", CUSTOMER, *args]) == 0
    finally:
        del os.environ["CSP_CONSOLE_AGENT"]
    subs = at_pc(sandbox, cid)
    assert subs[fraud]["status"] == "suspended" and subs[fraud]["suspensionReasons"] == ["Fraud"]  # not ours
    assert all(subs[s]["status"] == "active" for s in order if s != fraud)
    assert {s: subs[s]["autoRenewEnabled"] for s in order if s != fraud} == {
        s: as_read[s] for s in order if s != fraud
    }  # as Partner Center had it when read, not the workspace's copy
    assert subs[azure_id]["status"] == "active"
    assert not [r for r in sandbox.state.requests if r["method"] == "PATCH" and azure_id in r["path"]]
    assert demo_ws.suspensions.live_suspension(cid) is None


def test_a_resume_tells_its_own_patch_from_someone_elses(desk: Desk, demo_ws: Workspace, sandbox: Sandbox) -> None:
    """The two kill points that look alike on resume: a read and a request id recorded, the subscription found
    suspended. Ours if Partner Center knows the request id; someone else's if the recorded etag is refused."""
    cid = demo_ws.accounts.find_customer("osaka-foods.co.jp")
    assert cid is not None
    planned = desk.billing.suspension_plan(cid).items
    theirs, ours = planned[0].subscription["id"], planned[1].subscription["id"]
    sid = demo_ws.suspensions.start_suspension(cid, "non_payment", [i.as_item() for i in planned], BILLING_ADMIN, {})
    pc = desk.clients.partner_center
    rids = {theirs: "11111111-1111-4111-8111-111111111111", ours: "22222222-2222-4222-8222-222222222222"}
    for sub_id, rid in rids.items():
        demo_ws.suspensions.record_suspension_intent(sid, sub_id, "suspend", BILLING_ADMIN)
        demo_ws.suspensions.record_suspension_read(sid, sub_id, pc.subscription(cid, sub_id), rid, BILLING_ADMIN)
    # The process died there. Ours: its PATCH had gone out. Theirs: Microsoft suspended it for fraud instead.
    read = pc.subscription(cid, ours)
    pc.send_update(cid, ours, read, {"status": "suspended"}, rids[ours])
    sandbox.state.suspend_elsewhere(theirs, ["Fraud"])
    result = desk.billing.suspend(cid)
    assert ours in result.already and theirs in result.left and theirs not in result.done
    assert "already suspended (reasons: Fraud)" in result.notes[theirs]
    back = desk.billing.reactivate(cid)
    subs = at_pc(sandbox, cid)
    assert ours in back.done and subs[ours]["status"] == "active"
    assert theirs not in back.done and subs[theirs]["status"] == "suspended"


def test_900115_at_run_time_is_recorded_as_blocked_and_the_run_goes_on(
    desk: Desk, demo_ws: Workspace, sandbox: Sandbox
) -> None:
    """The workspace does not know the Azure subscriptions (not synced yet): Partner Center's 403/900115 is an
    Azure plan that cannot be suspended, not a missing role."""
    cid = demo_ws.accounts.find_customer(CUSTOMER)
    assert cid is not None
    demo_ws.conn.execute("DELETE FROM azure_entitlements WHERE customerId = ?", (cid,))
    plan = desk.billing.suspension_plan(cid)
    assert not plan.blocked
    azure_id = next(i.subscription["id"] for i in plan.items if i.subscription["offerName"] == "Azure plan")
    result = desk.billing.suspend(cid)
    assert result.state == "suspended" and result.blocked == [azure_id]
    note = result.notes[azure_id]
    assert "900115" in note and "cancel those Azure subscriptions first" in note and "role" not in note
    subs = at_pc(sandbox, cid)
    assert subs[azure_id]["status"] == "active"
    assert all(subs[s]["status"] == "suspended" for s in result.done) and len(result.done) == len(plan.items) - 1
    assert items(demo_ws, cid)[azure_id]["state"] == "blocked"
    back = desk.billing.reactivate(cid)
    assert azure_id not in back.done and sorted(back.done) == sorted(result.done)


def test_the_sandbox_answers_as_partner_center_documents(sandbox: Sandbox, demo_ws: Workspace) -> None:
    cid = demo_ws.accounts.find_customer(CUSTOMER)
    assert cid is not None
    sub = next(iter(at_pc(sandbox, cid).values()))
    url = f"{sandbox.url}/v1/customers/{cid}/subscriptions/{sub['id']}"
    auth = {"Authorization": f"Bearer {tokens.mint(PARTNER_CENTER.resource, tokens.PARTNER_TENANT)}"}
    missing = httpx.get(url, headers=auth)
    assert missing.status_code == 400 and "MS-Contract-Version" in missing.text
    headers = {**auth, "MS-Contract-Version": "v1"}
    body = {**sub, "status": "suspended"}
    assert httpx.patch(url, headers=headers, json=body).status_code == 412  # no If-Match
    stale = httpx.patch(url, headers={**headers, "If-Match": '"0000"'}, json=body)
    assert stale.status_code == 412
    ok = httpx.patch(url, headers={**headers, "If-Match": f'"{sub["attributes"]["etag"]}"'}, json=body)
    assert ok.status_code == 200 and ok.json()["suspensionReasons"]
    sandbox.fault(f"PATCH /v1/customers/{cid}/subscriptions/{sub['id']}", "etag_2055")
    fresh = httpx.get(url, headers=headers).json()
    refused = httpx.patch(url, headers={**headers, "If-Match": f'"{fresh["attributes"]["etag"]}"'}, json=fresh)
    assert refused.status_code == 400 and refused.json()["code"] == "2055"
