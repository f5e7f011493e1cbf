"""``csp-console sync``: customers, their subscriptions (with an Azure plan's Azure subscriptions) and their
service requests, and the partner's own Microsoft invoices, from Partner Center into the workspace.

Each page (and each customer's details) lands in one transaction together with the sync's cursor, so a
failure midway leaves everything synced before it intact, and the next run resumes where this one
stopped instead of starting over. Nothing is deleted: a record missing at Microsoft stays as it was.

Partner Center's data is read as Microsoft sends it, not as we would like it: enum values this console does
not know yet are kept as they came; one record that cannot be read (a customer, a subscription, an invoice)
is skipped and reported with its id and why, and the rest is synced (the cursor moves past it, so a resumed
sync never sticks on it); service requests refused to an app-only token (403) are reported once and the
sync goes on without them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from console.microsoft.credentials import MissingToken
from console.microsoft.http import ApiError, AuthError, NotFound
from console.microsoft.partner_center import PartnerCenter
from console.microsoft.sync_records import (
    Unreadable,
    customer_record,
    entitlement_row,
    invoice_row,
    is_azure_plan,
    service_of,
    service_request_row,
    subscription_record,
)
from console.plugins.host import PluginHost
from console.records.kinds import CUSTOMERS, SUBSCRIPTIONS, RecordError, validate
from console.store import Workspace
from console.store.db_identity import acting_as

STATE = "partner_center"
AGENT = "microsoft-sync"

SERVICE_REQUESTS_APP_ONLY = (
    "service requests not read: Partner Center refused them (403): the token is app-only, and service requests "
    "need App+User credentials (Partner Center REST docs, 'Get all service requests for a customer'). Sign "
    "the desk in as a partner admin (csp-console microsoft login) or give a user's token in "
    "CSP_CONSOLE_PARTNER_CENTER_TOKEN; customers, subscriptions and invoices were synced."
)


class SyncFailed(Exception):
    """The sync stopped; the message says what failed. What was synced before stays; the next run resumes."""


@dataclass
class SyncReport:
    customers: int = 0
    subscriptions: int = 0
    service_requests: int = 0
    invoices: int = 0
    azure_entitlements: int = 0
    resumed: bool = False
    skipped: list[str] = field(default_factory=list)  # records not read: "<kind> <id>: why"
    notes: list[str] = field(default_factory=list)  # parts not read, and what to do about it


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, (RecordError, Unreadable)) else f"{type(exc).__name__}: {exc}"


#: What reading one record may raise when Partner Center sends something unexpected in it.
_UNREADABLE = (RecordError, Unreadable, TypeError, ValueError, KeyError, AttributeError)


def run(
    ws: Workspace,
    pc: PartnerCenter,
    host: PluginHost,
    *,
    page_size: int = 100,
    restart: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> SyncReport:
    sync = _Sync(ws, pc, host, page_size, progress)
    sync.resume(None if restart else ws.microsoft.sync_state(STATE))
    ws.microsoft.save_sync_state(
        STATE, state="running", cursor=sync.cursor, lastError=None, counts=_counts(sync.report)
    )
    try:
        sync.customers()
        sync.details()
        sync.invoices()
    except (ApiError, MissingToken, SyncFailed) as exc:
        message = str(exc) if isinstance(exc, SyncFailed) else f"{sync.step}: {exc}"
        ws.microsoft.save_sync_state(STATE, state="failed", lastError=message)
        raise SyncFailed(
            f"{message}\nEverything synced before this is kept; run `csp-console sync` again to resume."
        ) from None
    ws.microsoft.save_sync_state(STATE, state="done", cursor=None, counts=_counts(sync.report))
    return sync.report


class _Sync:
    """One run: its cursor (saved with each page and each customer's details), its report, and the step it is
    at (named in the failure's message). Phases: customers (paged), details (each customer), invoices (paged)."""

    def __init__(
        self,
        ws: Workspace,
        pc: PartnerCenter,
        host: PluginHost,
        page_size: int,
        progress: Callable[[str, int, int | None], None] | None,
    ) -> None:
        self.ws, self.pc, self.host = ws, pc, host
        self.page_size = page_size
        self.progress = progress
        self.services = set(host.services)
        self.report = SyncReport()
        self.cursor: dict[str, Any] = {"phase": "customers", "link": None, "ids": []}
        self.step = "listing customers"

    def resume(self, saved: dict[str, Any] | None) -> None:
        """Carry on from an unfinished run's cursor and counts (and what it skipped and noted)."""
        if not (saved and saved["state"] != "done" and saved["cursor"]):
            return
        cursor = self.cursor = saved["cursor"]
        report = self.report
        report.resumed = True
        for name in ("customers", "subscriptions", "service_requests", "invoices", "azure_entitlements"):
            setattr(report, name, int(saved["counts"].get(name, 0)))
        report.skipped = list(cursor.get("skipped") or [])
        report.notes = list(cursor.get("notes") or [])

    def advance(self, **changes: Any) -> dict[str, Any]:
        """The cursor with ``changes``, carrying what was skipped so far (a resumed run reports it too)."""
        return {**self.cursor, **changes, "skipped": self.report.skipped, "notes": self.report.notes}

    def _tell(self, what: str, done: int, total: int | None) -> None:
        if self.progress:
            self.progress(what, done, total)

    def _read_each(
        self, items: Iterable[Any], read: Callable[[Any], dict[str, Any] | None], kind: str, of: str = ""
    ) -> list[dict[str, Any]]:
        """``read`` of each item (``None``: left out); one that cannot be read is skipped and reported."""
        out = []
        for raw in items:
            try:
                row = read(raw)
            except _UNREADABLE as exc:
                rid = raw.get("id") if isinstance(raw, dict) else None
                self.report.skipped.append(f"{kind} {rid!r}{of}: {_why(exc)}")
                continue
            if row is not None:
                out.append(row)
        return out

    # -- the phases ------------------------------------------------------------------------------------------
    def customers(self) -> None:
        report = self.report
        while self.cursor["phase"] == "customers":
            self.step = f"listing customers (page after {len(self.cursor['ids'])} customers)"
            page = self.pc.customers_page(self.cursor["link"], size=self.page_size)
            records = self._read_each(page.items, self._customer, "customer")
            report.customers += len(records)
            self.cursor = self.advance(
                phase="customers" if page.next else "details",
                link=page.next,
                ids=self.cursor["ids"] + [r["id"] for r in records],
                index=0,
            )
            with self.ws.transaction():
                self.ws.records.upsert(CUSTOMERS, records, agent=acting_as(self.ws, AGENT), audit_page=True)
                self.ws.microsoft.save_sync_state(STATE, cursor=self.cursor, counts=_counts(report))
            self._tell("customers", report.customers, page.total)

    def details(self) -> None:
        ids: list[str] = self.cursor["ids"]
        while self.cursor["index"] < len(ids):
            customer_id = ids[self.cursor["index"]]
            self.step = f"reading customer {customer_id}"
            self._customer_details(customer_id)
            self.cursor = self.advance(index=self.cursor["index"] + 1)  # as _customer_details saved it
            self._tell("accounts", self.cursor["index"], len(ids))

    def invoices(self) -> None:
        report = self.report
        if self.cursor["phase"] != "invoices":
            self.cursor = self.advance(phase="invoices", link=None)
        while self.cursor["phase"] == "invoices":
            self.step = f"listing the partner's Microsoft invoices (after {report.invoices})"
            page = self.pc.invoices_page(self.cursor["link"], size=self.page_size)
            rows = self._read_each(page.items, invoice_row, "Microsoft invoice")
            report.invoices += len(rows)
            self.cursor = self.advance(phase="invoices" if page.next else "finished", link=page.next)
            with self.ws.transaction():
                self.ws.billing.save_partner_invoices(rows)
                self.ws.microsoft.save_sync_state(STATE, cursor=self.cursor, counts=_counts(report))
            self._tell("invoices", report.invoices, page.total)

    # -- one customer --------------------------------------------------------------------------------------
    def _customer(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise Unreadable(f"expected an object, got {type(raw).__name__}")
        return validate(CUSTOMERS, customer_record(raw), self.services, open_enums=True)

    def _customer_details(self, customer_id: str) -> None:
        """One customer's subscriptions, Azure plans' entitlements and service requests, in one transaction
        with the cursor (the caller moves it on)."""
        report = self.report
        records = self._subscriptions(customer_id)
        entitlements = self._entitlements(customer_id, records)
        srs = self._service_requests(customer_id)
        report.subscriptions += len(records)
        report.service_requests += len(srs)
        report.azure_entitlements += sum(len(v) for v in entitlements.values())
        with self.ws.transaction():
            self.ws.records.upsert(SUBSCRIPTIONS, records, agent=acting_as(self.ws, AGENT), audit_page=True)
            for plan_id, rows in entitlements.items():
                self.ws.microsoft.save_azure_entitlements(customer_id, plan_id, rows)
            self.ws.microsoft.upsert_service_requests(srs)
            self.ws.microsoft.save_sync_state(
                STATE, cursor=self.advance(index=self.cursor["index"] + 1), counts=_counts(report)
            )

    def _subscriptions(self, customer_id: str) -> list[dict[str, Any]]:
        try:
            subs = self.pc.subscriptions(customer_id)
        except NotFound as exc:  # gone from Partner Center since it was listed: kept as it was
            self.report.skipped.append(f"customer {customer_id}: {exc}")
            subs = []
        local = self.ws.microsoft.records_by_id(
            "subscriptions", [str(s.get("id")) for s in subs if isinstance(s, dict)]
        )
        return self._read_each(
            subs, lambda raw: self._subscription(raw, customer_id, local), "subscription", f" of customer {customer_id}"
        )

    def _subscription(self, raw: Any, customer_id: str, local: dict[str, Any]) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            raise Unreadable(f"expected an object, got {type(raw).__name__}")
        rid = raw.get("id")
        service = service_of(self.host, str(raw.get("offerId") or ""), str(raw.get("offerName") or ""))
        if service is None:
            self.report.skipped.append(f"subscription {rid}: no service plugin owns offer {raw.get('offerId')}")
            return None
        record = subscription_record(raw, customer_id, service, local.get(str(rid)))
        if record["commerceType"] is None:
            self.report.notes.append(
                f"subscription {rid}: Partner Center does not say whether offer {raw.get('offerId')!r} is new "
                "commerce or legacy; taken as new commerce"
            )
        return validate(SUBSCRIPTIONS, record, self.services, open_enums=True)

    def _entitlements(self, customer_id: str, records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """The Azure subscriptions of each Azure plan among ``records``, by plan id."""
        entitlements: dict[str, list[dict[str, Any]]] = {}
        for plan in (r for r in records if is_azure_plan(r)):
            try:
                listed = self.pc.azure_entitlements(customer_id, plan["id"])
            except NotFound as exc:
                self.report.skipped.append(f"Azure entitlements of plan {plan['id']}: {exc}")
                continue
            entitlements[plan["id"]] = self._read_each(
                listed, entitlement_row, "Azure entitlement", f" of plan {plan['id']}"
            )
        return entitlements

    def _service_requests(self, customer_id: str) -> list[dict[str, Any]]:
        if self.cursor.get("serviceRequestsRefused"):
            return []
        try:
            requests = self.pc.service_requests(customer_id)
        except NotFound:
            requests = []
        except AuthError as exc:
            if exc.status != 403:
                raise
            requests = []
            if self.pc.app_only_token():  # the token itself is refused: asked no more this run, the answer won't change
                self.cursor["serviceRequestsRefused"] = True
                self.report.notes.append(SERVICE_REQUESTS_APP_ONLY)
            else:  # this customer's refusal (GDAP, consent): said for it alone, the others are still asked
                self.report.notes.append(f"service requests of customer {customer_id} not read: {exc}")
        return self._read_each(
            requests,
            lambda raw: service_request_row(raw, customer_id),
            "service request",
            f" of customer {customer_id}",
        )


def _counts(report: SyncReport) -> dict[str, int]:
    return {
        "customers": report.customers,
        "subscriptions": report.subscriptions,
        "service_requests": report.service_requests,
        "invoices": report.invoices,
        "azure_entitlements": report.azure_entitlements,
    }


def describe(state: dict[str, Any] | None) -> str:
    if state is None:
        return "never synced"
    return json.dumps({k: state[k] for k in ("state", "counts", "updatedDate", "lastError")}, ensure_ascii=False)
