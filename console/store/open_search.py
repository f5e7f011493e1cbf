"""A second full-text index holding only open tickets, for the queue's open views.

A search in an open view reads this small index (about an eighth of the tickets at scale) instead of every
ticket's: the prefix doclists of common words shrink accordingly. It copies the main index's rows (already
in search form), so nothing is normalised twice. Triggers keep it in step when a ticket opens, closes or is
deleted; :meth:`console.store.tickets.TicketRepo.reindex_tickets` refreshes a ticket whose text changed; bulk
loads refill it once.
"""

from __future__ import annotations

CREATE = (
    "CREATE VIRTUAL TABLE open_search USING fts5(title, body, notes, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
)
COPY = (
    "INSERT INTO open_search (rowid, title, body, notes) SELECT s.rowid, s.title, s.body, s.notes "
    "FROM ticket_search s JOIN tickets t ON t.seq = s.rowid WHERE t.isOpen = 1"
)
#: Refill from scratch (after a bulk load, in the same transaction).
REFILL = ("DELETE FROM open_search", COPY)
TRIGGERS = {
    "open_search_opened": (
        "CREATE TRIGGER open_search_opened AFTER UPDATE OF isOpen ON tickets "
        "WHEN NEW.isOpen = 1 AND OLD.isOpen = 0 BEGIN "
        "DELETE FROM open_search WHERE rowid = NEW.seq; "
        "INSERT INTO open_search (rowid, title, body, notes) "
        "SELECT rowid, title, body, notes FROM ticket_search WHERE rowid = NEW.seq; END"
    ),
    "open_search_closed": (
        "CREATE TRIGGER open_search_closed AFTER UPDATE OF isOpen ON tickets "
        "WHEN NEW.isOpen = 0 AND OLD.isOpen = 1 BEGIN DELETE FROM open_search WHERE rowid = NEW.seq; END"
    ),
    "open_search_deleted": (
        "CREATE TRIGGER open_search_deleted AFTER DELETE ON tickets "
        "WHEN OLD.isOpen = 1 BEGIN DELETE FROM open_search WHERE rowid = OLD.seq; END"
    ),
}
