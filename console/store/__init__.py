"""The store: the only code that runs SQL, as repositories over one base (connection, transactions, audit, clock).

SQLite's own syntax lives in ``dialect.py`` and the schema (``migrations/``); everything else asks the store."""

from console.shared.errors import StaleVersion, WorkspaceError
from console.store.base import Interruptible, transaction
from console.store.connection import connect, is_interrupted
from console.store.workspace import Workspace

__all__ = [
    "Interruptible",
    "StaleVersion",
    "Workspace",
    "WorkspaceError",
    "connect",
    "is_interrupted",
    "transaction",
]
