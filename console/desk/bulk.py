"""Working many tickets at once: one change applied to each ticket in turn, each through the desk exactly as a
single change (its role checked, the ticket read afresh and its version carried, an audit row each), and a tally
of what changed and what was refused, and why. There is no bulk SQL: a hundred tickets are a hundred changes.

A bulk change leaves alone a ticket another agent holds by a live claim (they are working it: take it over
on its own first); a note goes on regardless, as notes never conflict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.desk.roles import RoleDenied
from console.shared.clock import parse_iso
from console.shared.errors import StaleVersion
from console.tickets import ops as ticket_ops

if TYPE_CHECKING:
    from console.desk.door import Desk

Progress = Callable[[int, int], None]
"""Called after each ticket with (done, total)."""


@dataclass(frozen=True)
class BulkOp:
    """One change to make to every ticket: ``verb`` says it in the summary ("resolve"), ``describe`` in the
    confirmation ("status → resolved (Question answered)"); ``apply(desk, ticket)`` makes it through the desk."""

    verb: str
    describe: str
    apply: Callable[[Desk, dict[str, Any]], dict[str, Any]]
    respects_claims: bool = True


def assign(assignee: str | None) -> BulkOp:
    who = assignee or "nobody (unassigned)"
    return BulkOp("assign", f"assign to {who}", lambda desk, t: desk.assign(t, assignee))


def set_status(status: str, resolution_code: str | None = None) -> BulkOp:
    from console.shared.model import RESOLUTION_CODES

    resolving = status in ("resolved", "closed")
    code = f" ({RESOLUTION_CODES.get(resolution_code or '', resolution_code)})" if resolving else ""
    verb = "resolve" if status == "resolved" else "close" if status == "closed" else "change the status of"
    return BulkOp(verb, f"status → {status}{code}", lambda desk, t: desk.set_status(t, status, resolution_code))


def note(text: str) -> BulkOp:
    first = " ".join(text.split())
    shown = first if len(first) <= 60 else first[:59] + "…"
    return BulkOp("add a note to", f"internal note “{shown}”", lambda desk, t: desk.note(t, text), False)


@dataclass(frozen=True)
class Refusal:
    ticket_id: str
    reason: str  # short, for the tally: "claimed by kenji.sato", "you may not resolve"
    detail: str  # the whole message


@dataclass
class BulkResult:
    op: BulkOp
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already so: nothing to write, no audit row
    refused: list[Refusal] = field(default_factory=list)

    @property
    def done(self) -> list[str]:
        """The tickets that are now as asked (changed, or already so)."""
        return [*self.changed, *self.unchanged]

    def summary(self) -> str:
        """``5 changed, 1 already so, 2 refused: 1 claimed by kenji.sato, 1 you may not resolve``."""
        parts = [f"{len(self.changed)} changed"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already so")
        text = ", ".join(parts)
        if self.refused:
            reasons = Counter(r.reason for r in self.refused)
            text += f", {len(self.refused)} refused: " + ", ".join(f"{n} {reason}" for reason, n in reasons.items())
        return text


def _held_by_other(desk: Desk, ticket: dict[str, Any]) -> str | None:
    """Who holds the ticket by a live claim, when it is not the desk's agent."""
    holder, until = ticket.get("assignee"), ticket.get("claimedUntil")
    if holder in (None, desk.agent) or not until:
        return None
    return str(holder) if parse_iso(until) > desk.clock() else None


def _one(desk: Desk, ticket_id: str, op: BulkOp, result: BulkResult) -> None:
    try:
        ticket = desk.ticket(ticket_id)  # ticket.view, read afresh: its version is carried by the change
        holder = _held_by_other(desk, ticket) if op.respects_claims else None
        if holder is not None:
            raise ticket_ops.ClaimedByOther(ticket_id, holder, ticket.get("claimedUntil"))
        after = op.apply(desk, ticket)
    except RoleDenied as exc:
        result.refused.append(Refusal(ticket_id, f"you may not {op.verb}", str(exc)))
    except ticket_ops.ClaimedByOther as exc:
        result.refused.append(Refusal(ticket_id, f"claimed by {exc.holder}", str(exc)))
    except StaleVersion as exc:
        who = exc.current.get("lastModifiedBy") or "another session"
        result.refused.append(Refusal(ticket_id, f"changed meanwhile by {who}", exc.what))
    except ticket_ops.TicketInputError as exc:
        result.refused.append(Refusal(ticket_id, str(exc).rstrip("."), str(exc)))
    except LookupError:
        result.refused.append(Refusal(ticket_id, "no longer exists", f"There is no ticket {ticket_id}."))
    else:
        (result.unchanged if after.get("version") == ticket.get("version") else result.changed).append(ticket_id)


def apply_each(desk: Desk, ids: Iterable[str], op: BulkOp, *, progress: Progress | None = None) -> BulkResult:
    """Make ``op`` on each ticket of ``ids`` in turn, each its own transaction and audit row; a refusal stops
    only its own ticket. Returns the tally."""
    todo = list(dict.fromkeys(ids))
    result = BulkResult(op)
    for n, ticket_id in enumerate(todo, start=1):
        _one(desk, ticket_id, op, result)
        if progress is not None:
            progress(n, len(todo))
    return result
