"""The customer directory through the desk: find a customer by its name or domain, or the caller on the line
by name, email or phone, in any of the forms agents type them (``ticket.view``, as the queue's reads: the
callers are the tickets' contacts). A customer's billing contact is billing's: it is found and listed only for
an agent who may also ``billing.view``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.store.directory import KINDS, PEOPLE
from console.tickets.search_text import build_query, normalize, phone_key, phone_suffixes

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.desk.roles import Door
    from console.store import Workspace

#: Customers shown for one search (more: type more of the name).
SHOWN = 100
#: Rows read for one search, before they are grouped by customer.
ROWS_READ = 2000
#: A customer's people listed at once (the latest callers first).
PEOPLE_SHOWN = 200
#: Of the people a search matched, this many are named under their customer.
MATCHED_SHOWN = 3


@dataclass(frozen=True)
class Person:
    """Someone at a customer: its billing contact, or a caller named on one of its tickets."""

    kind: str  # "billing" or "caller"
    name: str
    email: str
    phone: str
    last_seen: str | None  # the latest ticket that named this caller (UTC ISO)

    @classmethod
    def of(cls, row: dict[str, Any]) -> Person:
        return cls(row["kind"], row["name"], row["email"], row["phone"], row["lastSeen"])


@dataclass
class CustomerHit:
    """A customer found, with the people of it the search matched (none when its name or domain did)."""

    id: str
    name: str
    domain: str
    open_tickets: int
    matched: list[Person] = field(default_factory=list)
    matched_more: int = 0  # matched people beyond ``matched``


@dataclass
class Found:
    """What a search found: by ``how`` ("name", "phone", "email", "all"), and whether there is more."""

    text: str
    how: str
    customers: list[CustomerHit]
    more: bool = False


def email_domains(text: str) -> list[str]:
    """The domain of an email address in ``text`` and its parents (``mail.contoso.com``, ``contoso.com``): the
    customer of a caller not in the directory yet is found by its domain."""
    folded = normalize(text.strip())
    if "@" not in folded or " " in folded:
        return []
    labels = folded.rsplit("@", 1)[1].strip(".").split(".")
    return [".".join(labels[n:]) for n in range(len(labels) - 1) if labels[n]]


class DirectoryReads:
    """The directory's reads, each authorized ``ticket.view`` (``desk.reads.directory``); billing contacts only
    with ``billing.view`` too."""

    def __init__(self, ws: Workspace, door: Door | Desk) -> None:
        self.door = door
        self.repo = ws.directory

    def _kinds(self, kinds: tuple[str, ...]) -> tuple[str, ...]:
        """``kinds`` of row this agent may read: without ``billing`` unless it may ``billing.view``."""
        return kinds if self.door.may("billing.view") else tuple(k for k in kinds if k != "billing")

    def find(self, text: str, limit: int = SHOWN) -> Found:
        """The customers matching ``text``: their name or domain, or one of their people's name, email or phone
        (a phone number in any format: see :func:`console.tickets.search_text.phone_key`)."""
        self.door.authorize("ticket.view")
        text = text.strip()
        if not text:
            ids = self.repo.first_customers(limit + 1)
            return Found(text, "all", self._hits(ids[:limit], {}), more=len(ids) > limit)
        key = phone_key(text)
        if key is not None:
            rows = self.repo.by_phone(key[::-1], phone_suffixes(key), ROWS_READ, self._kinds(KINDS))
            how, domains = "phone", []
        else:
            rows = self.repo.matching(build_query(text), ROWS_READ, self._kinds(KINDS))
            domains = email_domains(text)
            how = "email" if domains else "name"
        order: dict[str, list[dict[str, Any]]] = {}
        for cid in self.repo.customers_of_domains(domains):
            order.setdefault(cid, [])
        for row in rows:
            people = order.setdefault(row["customerId"], [])
            if row["kind"] != "customer":
                people.append(row)
        ids = list(order)
        more = len(ids) > limit or len(rows) >= ROWS_READ
        return Found(text, how, self._hits(ids[:limit], order), more=more)

    def _hits(self, ids: list[str], matched: dict[str, list[dict[str, Any]]]) -> list[CustomerHit]:
        cards = self.repo.cards(ids)
        hits = []
        for cid in ids:
            card = cards.get(cid)
            if card is None:
                continue
            people = matched.get(cid, [])
            hits.append(
                CustomerHit(
                    cid,
                    card["companyName"],
                    card["domain"],
                    card["openTickets"],
                    [Person.of(r) for r in people[:MATCHED_SHOWN]],
                    max(0, len(people) - MATCHED_SHOWN),
                )
            )
        return hits

    def people(self, customer_id: str, limit: int = PEOPLE_SHOWN) -> tuple[list[Person], int]:
        """A customer's billing contact (with ``billing.view``) and callers (the latest first, at most ``limit``)
        and how many it has."""
        self.door.authorize("ticket.view")
        kinds = self._kinds(PEOPLE)
        rows = self.repo.people(customer_id, limit, kinds)
        total = len(rows) if len(rows) < limit else self.repo.people_count(customer_id, kinds)
        return [Person.of(r) for r in rows], total
