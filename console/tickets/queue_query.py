"""What the queue shows: a filter and a sort order, independent of how the store runs them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from console.shared.model import OPEN_STATUSES

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
