"""Record kinds for import and export, each declared as a msgspec struct, with a validator that names the
field at fault.

A field's type is one of the value types of :mod:`console.records.values` (which reads it into its stored
form), a field without a default is required; the rules across fields are in :mod:`console.records.rules`.
The same field names are the workspace's columns and the JSON Lines / CSV import format (see
``docs/import-format.md``), in this order. Nothing touches the workspace until a whole import has validated.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import msgspec

from console.records.json_values import JsonObject, Refunds, Targets, refund_details_json
from console.records.rules import RULES, split_refundable
from console.records.values import (
    Amount,
    Choice,
    Context,
    Count,
    Currency,
    Day,
    Flag,
    Hours,
    Key,
    RecordError,
    Service,
    SeverityChoice,
    Text,
    TextList,
    Timestamp,
    Version,
    Zone,
    hook,
)
from console.shared import model
from console.shared.shapes import ShapeError, bare, convert

__all__ = [
    "CUSTOMERS",
    "HOLIDAYS",
    "KINDS",
    "OFFERS",
    "RECEIVABLES",
    "RECEIVABLE_LINES",
    "SUBSCRIPTIONS",
    "TICKETS",
    "Field",
    "Kind",
    "RecordError",
    "read_stamps",
    "refund_details_json",
    "validate",
]


class Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A record of one kind: its fields in import and column order."""


class Relationship(Choice, enum=model.Relationship, open=True): ...


class SubscriptionStatus(Choice, enum=model.SubscriptionStatus, open=True): ...


class BillingType(Choice, enum=model.BillingType, open=True): ...


class BillingCycle(Choice, enum=model.BillingCycle, open=True): ...


class TermDuration(Choice, enum=model.TermDuration): ...


class CommerceType(Choice, enum=model.CommerceType): ...


class ReceivableStatus(Choice, enum=model.ReceivableStatus): ...


class PricingModel(Choice, enum=model.PricingModel): ...


class ChargeType(Choice, enum=model.ChargeType): ...


class Channel(Choice, enum=model.Channel): ...


class Category(Choice, enum=model.Category): ...


class TicketStatus(Choice, enum=model.TicketStatus): ...


class SupportTypes(TextList, items=model.SupportType): ...


class Channels(TextList, items=model.Channel): ...


class CustomerRecord(Record, kw_only=True):
    id: Key
    tenantId: Text | None = None
    domain: Key
    companyName: Key
    relationshipToPartner: Relationship = Relationship("reseller")
    associatedPartnerId: Text | None = None
    culture: Text | None = None
    language: Text | None = None
    country: Text | None = None
    billingFirstName: Text | None = None
    billingLastName: Text | None = None
    billingEmail: Text | None = None


class SubscriptionRecord(Record, kw_only=True):
    id: Key
    customerId: Key
    service: Service
    offerId: Key
    offerName: Key
    friendlyName: Text | None = None
    quantity: Count
    assignedSeats: Count = Count(0)
    unitType: Text = Text("Licenses")
    status: SubscriptionStatus
    autoRenewEnabled: Flag = Flag(1)
    billingType: BillingType = BillingType("license")
    billingCycle: BillingCycle = BillingCycle("monthly")
    termDuration: TermDuration | None = None
    commerceType: CommerceType = CommerceType("nce")
    creationDate: Timestamp
    effectiveStartDate: Timestamp | None = None
    commitmentEndDate: Timestamp | None = None
    cancellationAllowedUntilDate: Timestamp | None = None
    refundableQuantity: Count | None = None
    refundableDetails: Refunds | None = None
    isTrial: Flag = Flag(0)
    suspensionReasons: TextList | None = None
    parentSubscriptionId: Text | None = None
    etag: Text | None = None
    details: JsonObject | None = None


class ReceivableRecord(Record, kw_only=True):
    id: Key
    customerId: Key
    invoiceDate: Day
    dueDate: Day
    totalCharges: Amount
    paidAmount: Amount = Amount("0")
    currencyCode: Currency
    status: ReceivableStatus = ReceivableStatus("open")
    microsoftInvoiceId: Text | None = None


class OfferRecord(Record, kw_only=True):
    id: Key
    customerId: Key
    name: Key
    supportTypes: SupportTypes
    services: TextList | None = None
    timeZone: Zone
    serviceHours: Hours
    holidayCalendar: Text | None = None
    contactMethods: Channels
    pricingModel: PricingModel
    price: Amount | None = None
    currencyCode: Currency | None = None
    prepaidHours: Amount | None = None
    firstResponseHours: Targets | None = None
    resolutionHours: Targets | None = None
    pauseOnMicrosoft: Flag | None = None
    lowBalanceHours: Amount | None = None


class HolidayRecord(Record, kw_only=True):
    id: Text | None = None
    calendar: Key
    date: Day
    name: Key


class ReceivableLineRecord(Record, kw_only=True):
    id: Key
    receivableId: Key
    customerId: Key
    subscriptionId: Text | None = None
    description: Key
    chargeType: ChargeType = ChargeType("recurring")
    quantity: Amount | None = None
    unitPrice: Amount | None = None
    amount: Amount
    periodStart: Day | None = None
    periodEnd: Day | None = None
    termStart: Day | None = None
    termEnd: Day | None = None


class TicketRecord(Record, kw_only=True):
    id: Text | None = None
    customerId: Key
    contactName: Text | None = None
    contactEmail: Text | None = None
    contactPhone: Text | None = None
    channel: Channel
    service: Service | None = None
    category: Category | None = None
    severity: SeverityChoice = SeverityChoice("unknown")
    status: TicketStatus = TicketStatus("new")
    assignee: Text | None = None
    createdDate: Timestamp
    firstResponseDate: Timestamp | None = None
    resolvedDate: Timestamp | None = None
    firstResponseDueDate: Timestamp | None = None
    resolutionDueDate: Timestamp | None = None
    title: Key
    body: Text = Text("")
    resolutionCode: Text | None = None


class TicketStamps(Record, kw_only=True):
    """What an export adds to each ticket beyond its fields: its version and the time of its last change, so
    that importing the file again can tell a record older than the ticket."""

    version: Version | None = None
    lastModifiedDate: Timestamp | None = None


@dataclass(frozen=True)
class Field:
    """One field of a record kind, as the store and the exporter see it: its name, its type's name (``str``,
    ``int``, ``bool``, ``datetime``, ``date``, ``decimal``, ``enum``, ``list``, ``json``...), whether it is
    required and its default (in stored form)."""

    name: str
    type: str
    required: bool = False
    default: Any = None


@dataclass(frozen=True, eq=False)
class Kind:
    """A record kind: its table, its shape, and whether it references a customer. Its fields are read from the
    shape when first asked for (not at start-up: resolving the structs' annotations takes a few milliseconds)."""

    name: str
    table: str
    shape: type[Record]
    references_customer: bool = True

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        return tuple(
            Field(
                f.name,
                bare(f.type).field_type,
                f.required,
                None if f.default is msgspec.NODEFAULT or f.default is None else f.default,
            )
            for f in msgspec.structs.fields(self.shape)
        )

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    @cached_property
    def blank_is_unset(self) -> frozenset[str]:
        """Fields that a blank value leaves unset (all but text: a blank text is a value)."""
        return frozenset(f.name for f in self.fields if f.type != "str")


CUSTOMERS = Kind("customers", "customers", CustomerRecord, references_customer=False)
SUBSCRIPTIONS = Kind("subscriptions", "subscriptions", SubscriptionRecord)
RECEIVABLES = Kind("receivables", "receivables", ReceivableRecord)
OFFERS = Kind("offers", "support_offers", OfferRecord)
HOLIDAYS = Kind("holidays", "holidays", HolidayRecord, references_customer=False)
RECEIVABLE_LINES = Kind("receivable_lines", "receivable_lines", ReceivableLineRecord)
TICKETS = Kind("tickets", "tickets", TicketRecord)

#: Import order: a record may reference only kinds imported before it.
KINDS: dict[str, Kind] = {
    k.name: k for k in (CUSTOMERS, SUBSCRIPTIONS, RECEIVABLES, RECEIVABLE_LINES, HOLIDAYS, OFFERS, TICKETS)
}


def validate(
    kind: Kind, raw: Mapping[str, Any], services: Collection[str], *, open_enums: bool = False
) -> dict[str, Any]:
    """Check one raw record (from JSON or CSV) against ``kind`` and return it in stored form.

    Unknown fields, missing required fields, wrong types and unknown enum values raise
    :class:`RecordError` naming the field; with ``open_enums`` (data from Partner Center) an unknown value of
    a Partner Center enum is kept as it came instead. A missing value, ``null`` and (but for text) a blank
    one are the same: the field's default.
    """
    if not isinstance(raw, Mapping):
        raise RecordError("(record)", f"expected a JSON object, got {type(raw).__name__}")
    if kind is SUBSCRIPTIONS:
        raw = split_refundable(raw)
    names, blank_is_unset = kind.names, kind.blank_is_unset
    given = {  # a missing value, null and (but for text) a blank one leave a field at its default
        k: v
        for k, v in raw.items()
        if not ((v is None and k in names) or (isinstance(v, str) and k in blank_is_unset and not v.strip()))
    }
    try:
        record = msgspec.structs.asdict(convert(given, kind.shape, dec_hook=hook(Context(services, open_enums))))
    except ShapeError as exc:
        raise _record_error(kind, exc) from None
    rule = RULES.get(kind.name)
    if rule is not None:
        rule(record)
    return record


def read_stamps(given: Mapping[str, Any]) -> dict[str, Any]:
    """An exported ticket's stamps (``version``, ``lastModifiedDate``) in stored form, those given only."""
    try:
        stamps = msgspec.structs.asdict(convert(given, TicketStamps, dec_hook=hook(Context(()))))
    except ShapeError as exc:
        raise RecordError(str(exc.path[0]) if exc.path else "(record)", exc.message) from None
    return {k: v for k, v in stamps.items() if v is not None}


def _record_error(kind: Kind, exc: ShapeError) -> RecordError:
    if exc.missing is not None:
        return RecordError(exc.missing, "required but missing")
    if exc.unknown is not None:
        return RecordError(exc.unknown, f"unknown field for {kind.name}; expected {', '.join(kind.field_names)}")
    name = str(exc.path[0]) if exc.path else "(record)"
    return RecordError(name, exc.message)
