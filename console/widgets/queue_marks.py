"""The queue's bulk marks: tickets marked by id (so a mark survives paging, a live refresh and a change of view)
and a range being marked (from an anchor row to the cursor). No Textual: ``queue_table`` draws and drives it."""

from __future__ import annotations

from collections.abc import Iterable

MAX_MARKS = 1000
"""At most this many tickets are marked at once (each is its own change, audited)."""


class Marks:
    def __init__(self) -> None:
        self._ids: dict[str, None] = {}  # in the order they were marked
        self.anchor: int | None = None  # the row a range started from, while one is being marked

    def __contains__(self, ticket_id: object) -> bool:
        return ticket_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def toggle(self, ticket_id: str) -> bool:
        """Mark or unmark ``ticket_id``; whether it is marked now (not past :data:`MAX_MARKS`)."""
        if ticket_id in self._ids:
            del self._ids[ticket_id]
            return False
        if len(self._ids) >= MAX_MARKS:
            return False
        self._ids[ticket_id] = None
        return True

    def add(self, ticket_ids: Iterable[str]) -> int:
        """Mark these (up to :data:`MAX_MARKS` in all); how many could not be marked for the limit."""
        over = 0
        for ticket_id in ticket_ids:
            if ticket_id in self._ids:
                continue
            if len(self._ids) >= MAX_MARKS:
                over += 1
            else:
                self._ids[ticket_id] = None
        return over

    def discard(self, ticket_ids: Iterable[str]) -> None:
        for ticket_id in ticket_ids:
            self._ids.pop(ticket_id, None)

    def clear(self) -> None:
        self._ids.clear()
        self.anchor = None

    def span(self, cursor: int) -> tuple[int, int] | None:
        """The rows of the range being marked (first, last), from its anchor to ``cursor``."""
        if self.anchor is None:
            return None
        return min(self.anchor, cursor), max(self.anchor, cursor)

    def shows(self, ticket_id: str, index: int, cursor: int) -> bool:
        """Whether the row at ``index`` is drawn marked: marked, or inside the range being marked."""
        span = self.span(cursor)
        return ticket_id in self._ids or (span is not None and span[0] <= index <= span[1])
