"""Fill the sandbox from a workspace (the demo's): its customers and subscriptions as Partner Center has
them, each Azure plan as an Azure subscription the Support API accepts, and a few service requests with
Microsoft's notes so that sync and polling have something to bring back."""

from __future__ import annotations

from console.records.kinds import CUSTOMERS, SUBSCRIPTIONS
from console.sandbox.state import SandboxState
from console.store import Workspace

SAMPLE_REQUESTS = (
    ("Exchange Online: mail flow delayed for all users", "Inbound mail is delayed by up to 2 hours since 09:00 JST."),
    (
        "Teams 会議の録画が保存されない",
        "会議の録画が OneDrive に保存されません。金額の確認が必要なライセンスか確認してください。",
    ),
    ("License assignment fails with error 400", "Assigning Microsoft 365 E3 to new users fails in the admin centre."),
)


def state_from_workspace(ws: Workspace, *, requests_every: int = 4) -> SandboxState:
    state = SandboxState()
    for index, customer in enumerate(ws.records.iter_records(CUSTOMERS)):
        state.add_customer(customer)
        if index % requests_every == 0:
            title, body = SAMPLE_REQUESTS[index % len(SAMPLE_REQUESTS)]
            state.add_service_request(
                customer["id"],
                title,
                body,
                notes=[
                    {
                        "createdByName": "Microsoft Support",
                        "createdDate": "2026-11-20T01:00:00Z",
                        "text": "We are investigating and will update you within one business day.",
                    }
                ],
            )
    for sub in ws.records.iter_records(SUBSCRIPTIONS):
        state.add_subscription(sub)
        if sub["service"] == "azure" and sub["parentSubscriptionId"] is None:
            for e in ws.microsoft.azure_entitlements(sub["customerId"]):
                if e["planSubscriptionId"] == sub["id"]:
                    state.add_entitlement(
                        sub["customerId"],
                        sub["id"],
                        {k: e[k] for k in ("id", "friendlyName", "status")}
                        | {"subscriptionId": e["azureSubscriptionId"]},
                    )
    for invoice in ws.billing.partner_invoices():
        state.add_invoice(invoice)
    # Cases the desk already handed off and numbered: the sandbox knows them, as Microsoft would.
    for esc in ws.escalations.escalations(states=("open",)):
        if esc["delivery"] != "azure_support_api" and esc["microsoftCaseId"]:
            state.add_service_request(
                esc["customerId"] or esc["ticketCustomerId"],
                esc["title"] or "",
                esc["description"] or "",
                id=esc["microsoftCaseId"],
            )
    return state
