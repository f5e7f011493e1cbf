"""What the queue shows: a filter and a sort order, independent of how the store runs them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from console.shared.model import OPEN_STATUSES
from console.tickets.search_text import normalize, ticket_number

#: Columns the queue can sort by, in display order.
SORT_KEYS = (
    "id",
    "created",
    "sla",
    "severity",
    "service",
    "category",
    "customer",
    "title",
    "assignee",
    "status",
)


@dataclass(frozen=True)
class QueueQuery:
    """A filtered, sorted view of the tickets.

    Empty tuples mean "any". ``assignee`` is ``None`` for anyone, ``""`` for unassigned, or a login.
    ``search`` is what the agent typed after ``/``.
    """

    statuses: tuple[str, ...] = tuple(s.value for s in OPEN_STATUSES)
    services: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    assignee: str | None = None
    customer_id: str | None = None
    due_before: str | None = None  # SLA due at or before this time (UTC ISO): "breaching soon"
    search: str = ""
    sort: str = "sla"
    descending: bool = False

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise ValueError(f"unknown sort key {self.sort!r}; expected one of {', '.join(SORT_KEYS)}")

    @property
    def ticket_number(self) -> tuple[int, bool] | None:
        """The ticket number the search names, and whether its text is searched too: ``CSP-001511`` (or
        ``csp-1511``, ``#1511``) is that ticket only; a bare ``1511`` is that ticket and the tickets that mention
        1511. ``None`` when the search is not a number."""
        number = ticket_number(self.search)
        if number is None:
            return None
        return number, normalize(self.search.strip()).isdecimal()

    def with_(self, **changes: object) -> QueueQuery:
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, object]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> QueueQuery:
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue, as the store returns it."""

    seq: int
    id: str
    createdDate: str
    slaDueDate: str
    firstResponseDate: str | None
    severity: str
    service: str | None
    category: str | None
    customerId: str
    companyName: str
    title: str
    assignee: str | None
    status: str
    claimedUntil: str | None
    sort_value: object
    #: The ticket changed since the agent last looked (drawn in the row's gutter; never from the store's page).
    changed: bool = False
    channel: str = ""
    contactName: str | None = None
    #: The plugins' intake fields of the ticket, ``(field id, value)``, when the queue shows plugins' columns.
    fields: tuple[tuple[str, str], ...] = ()
