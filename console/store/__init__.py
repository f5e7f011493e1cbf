"""The store: the only code that runs SQL. Everything else asks it."""

from console.shared.errors import StaleVersion
from console.store.base import Interruptible, transaction
from console.store.connection import connect, is_interrupted
from console.store.dialect import WorkspaceError
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
