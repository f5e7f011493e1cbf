"""Failures a person can act on: the console shows them as a notice with their message, never a traceback."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Base of failures whose message says what happened and what to do."""

    title = "Not done"


class StaleVersion(Exception):
    """A change based on an older version of the ticket; ``current`` is the ticket as it is now."""

    def __init__(self, current: dict[str, Any], expected: int) -> None:
        who = current.get("lastModifiedBy") or "another session"
        #: What happened, without what the console then does (each front end says its own next step).
        self.what = (
            f"{current['id']} was changed by {who} at {current['lastModifiedDate']} (now version "
            f"{current['version']}; your change was based on version {expected}). Nothing was saved"
        )
        super().__init__(f"{self.what}: the fresh ticket is shown.")
        self.current = current


class WorkspaceError(Exception):
    """The workspace file cannot be opened or used; the message says why and where."""
