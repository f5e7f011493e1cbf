"""The store: the only code that runs SQL. Everything else asks it."""

from console.store.connection import Interruptible, WorkspaceError, connect, is_interrupted, transaction
from console.store.tickets import StaleVersion
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
