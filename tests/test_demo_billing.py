"""Demo data a CSP agent believes (issue 19, item 11): invoice lines priced by seats and offer, an Azure plan that
is pay-as-you-go, proration lines on the customers whose tickets ask about proration, and a ticket's findings
most relevant to it first."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from console.billing.questions import explain_line
from console.billing.suspension_plan import plan as plan_suspension
from console.plugins.host import load_plugins
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.tickets.triage import Triage
from console.widgets.render import findings_block
from tests.conftest import NOW


def _rows(ws: Workspace, sql: str, args: tuple[object, ...] = ()) -> list[dict[str, object]]:
    return [dict(r) for r in ws.conn.execute(sql, args)]


def _over_budget(details: dict[str, object], share: Decimal) -> bool:
    """Whether an Azure plan's month-to-date cost has reached ``share`` of its budget (``details`` as stored)."""
    cost, budget = details.get("monthToDateCost"), details.get("budget")
    return cost is not None and budget is not None and Decimal(str(cost)) >= share * Decimal(str(budget))


def test_every_licence_line_is_seats_times_the_offers_unit_price(demo_ws: Workspace) -> None:
    lines = _rows(
        demo_ws,
        "SELECT l.*, s.offerName, s.billingType FROM receivable_lines l "
        "LEFT JOIN subscriptions s ON s.id = l.subscriptionId WHERE l.chargeType IN ('recurring', 'one_time')",
    )
    assert lines
    for line in lines:
        assert line["quantity"] is not None and line["unitPrice"] is not None, line
        assert Decimal(str(line["quantity"])) * Decimal(str(line["unitPrice"])) == Decimal(str(line["amount"])), line
        if line["offerName"] is not None:
            assert str(line["description"]).startswith(str(line["offerName"])), line
    # The same offer in the same currency, term and billing cycle costs the same per seat everywhere.
    prices = _rows(
        demo_ws,
        "SELECT s.offerName, s.termDuration, s.billingCycle, r.currencyCode, count(DISTINCT l.unitPrice) AS n "
        "FROM receivable_lines l JOIN subscriptions s ON s.id = l.subscriptionId "
        "JOIN receivables r ON r.id = l.receivableId WHERE l.chargeType = 'recurring' GROUP BY 1, 2, 3, 4",
    )
    assert prices and all(p["n"] == 1 for p in prices), prices
    offers = {p["offerName"] for p in prices}
    assert {"Microsoft 365 Business Basic", "Dynamics 365 Sales Enterprise"} <= offers
    # And every invoice is the sum of its lines.
    for r in _rows(demo_ws, "SELECT id, totalCharges FROM receivables"):
        amounts = demo_ws.conn.execute("SELECT amount FROM receivable_lines WHERE receivableId = ?", (r["id"],))
        assert sum(Decimal(a[0]) for a in amounts) == Decimal(str(r["totalCharges"])), r


def test_an_azure_plan_is_pay_as_you_go(demo_ws: Workspace) -> None:
    plans = _rows(demo_ws, "SELECT * FROM subscriptions WHERE offerName = 'Azure plan'")
    assert plans
    for plan in plans:
        assert plan["billingType"] == "usage" and plan["billingCycle"] == "monthly", plan
        assert plan["termDuration"] is None and plan["commitmentEndDate"] is None, plan
        assert plan["cancellationAllowedUntilDate"] is None and plan["refundableQuantity"] == 0, plan
    usage = _rows(
        demo_ws,
        "SELECT l.* FROM receivable_lines l JOIN subscriptions s ON s.id = l.subscriptionId "
        "WHERE s.offerName = 'Azure plan'",
    )
    assert usage
    for line in usage:
        assert line["chargeType"] == "usage" and line["quantity"] is None and line["unitPrice"] is None, line
        assert not re.search(r"term|annual|P1Y|seat", str(line["description"]), re.IGNORECASE), line
        issued = demo_ws.conn.execute(
            "SELECT invoiceDate FROM receivables WHERE id = ?", (line["receivableId"],)
        ).fetchone()[0]
        assert str(line["periodEnd"]) < issued  # a past month's usage, billed in arrears
    # Suspending an Azure plan does not "keep billing until the term ends": it has no term.
    customer = _rows(demo_ws, "SELECT * FROM customers WHERE id = ?", (plans[0]["customerId"],))[0]
    subs = _rows(demo_ws, "SELECT * FROM subscriptions WHERE customerId = ?", (customer["id"],))
    planned = plan_suspension(customer, [dict(s, status="active") for s in subs], NOW)
    said = [item.consequence for item in planned.items if item.subscription["offerName"] == "Azure plan"]
    assert said and all("until" not in c and "keeps billing" not in c for c in said), said


def test_the_customers_asking_about_proration_have_the_prorated_lines(demo_ws: Workspace) -> None:
    asking = _rows(
        demo_ws,
        "SELECT customerId, body FROM tickets WHERE body LIKE '%prorat%' OR body LIKE '%日割り%' ORDER BY seq",
    )
    assert asking
    for ticket in asking:
        lines = _rows(
            demo_ws,
            "SELECT l.*, r.currencyCode FROM receivable_lines l JOIN receivables r ON r.id = l.receivableId "
            "WHERE l.customerId = ? AND l.chargeType = 'prorated'",
            (ticket["customerId"],),
        )
        assert lines, ticket
        assert any(str(line["description"]).split(":")[0] in str(ticket["body"]) for line in lines), ticket
        for line in lines:
            assert line["periodStart"] and line["periodEnd"] and line["termStart"] and line["termEnd"], line
            assert explain_line(line, str(line["currencyCode"])).matches, line
    # The first ticket that asks names the seats its customer's invoice charges for.
    first = asking[0]
    # (quantity and amount are decimals kept as TEXT: compared as numbers here, in Python)
    prorated_lines = _rows(demo_ws, "SELECT * FROM receivable_lines WHERE chargeType = 'prorated'")
    added = [
        Decimal(str(a["quantity"]))
        for a in prorated_lines
        if a["customerId"] == first["customerId"] and a["quantity"] is not None and Decimal(str(a["quantity"])) > 0
    ]
    assert any(re.search(rf"\b{a:f}\s*(seats|件)", str(first["body"])) for a in added)
    # Credits for seats removed within the 7-day window are there too, negative and dated.
    credits = [c for c in prorated_lines if Decimal(str(c["amount"])) < 0]
    assert credits and all("within 7 days" in str(c["description"]) for c in credits)
    asked = {t["customerId"] for t in asking}
    prorated = {
        r["customerId"] for r in _rows(demo_ws, "SELECT customerId FROM receivable_lines WHERE chargeType = 'prorated'")
    }
    assert prorated == asked  # and only theirs


def test_a_sev_a_vm_outage_leads_with_the_technical_findings(demo_ws: Workspace, tmp_path: Path) -> None:
    """The customer also has an Azure reservation past its free-cancellation days and a budget alert: those come
    after what the agent needs to act on the outage."""
    reserved = _rows(
        demo_ws,
        "SELECT customerId FROM subscriptions WHERE offerName LIKE 'Azure Reserved%' AND status = 'active' "
        "AND creationDate < '2026-11-17' ORDER BY customerId, id",
    )
    plans = _rows(demo_ws, "SELECT customerId, details FROM subscriptions WHERE offerName = 'Azure plan'")
    alerted = {p["customerId"] for p in plans if _over_budget(json.loads(str(p["details"])), Decimal("0.8"))}
    customer = next(r["customerId"] for r in reserved if r["customerId"] in alerted)
    row = dict(
        next(r for batch in demo_ws.tickets.iter_tickets(open_only=False) for r in batch),
        customerId=customer,
        service="azure",
        category="technical",
        severity="critical",
        title="VM does not start after resize",
        body="Our production virtual machine does not start since we resized it this morning. Site down.",
    )
    write_demo_config(tmp_path / "c.toml")
    triage = Triage(demo_ws, load_plugins(), load_config(tmp_path / "c.toml").partner, lambda: NOW)
    findings = triage.run_ticket(row).findings
    checks = [f.check_id for _, f in findings]
    assert "azure.reservations" in checks and "azure.budget" in checks
    first = findings[0][1]
    assert first.family == "technical" and first.level == "critical" and first.boundary == "escalate", checks
    assert all(f.family == "technical" for _, f in findings[:2]), checks
    # The ticket screen draws the families in that order: Technical first.
    stored = [
        {
            "family": f.family.value,
            "severity": f.level.value,
            "title": f.title,
            "boundary": f.boundary.value,
            "vehicle": None,
            "checkId": f.check_id,
            "explanation": f.explanation,
            "suggestedAction": f.action,
        }
        for _, f in findings
    ]
    text = str(findings_block(stored, {}).renderables[0])  # type: ignore[attr-defined]
    assert text.startswith("Technical")
    triage.close()


def test_a_billing_question_leads_with_the_billing_findings(demo_ws: Workspace, tmp_path: Path) -> None:
    row = next(
        r
        for batch in demo_ws.tickets.iter_tickets(open_only=False)
        for r in batch
        if r["service"] == "azure" and r["category"] == "billing"
    )
    write_demo_config(tmp_path / "c.toml")
    triage = Triage(demo_ws, load_plugins(), load_config(tmp_path / "c.toml").partner, lambda: NOW)
    findings = triage.run_ticket(row).findings
    assert findings and findings[0][1].family == "billing", [f.check_id for _, f in findings]
    triage.close()
