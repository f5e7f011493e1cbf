"""The store: the only code that runs SQL. Everything else asks it."""

from console.store.connection import WorkspaceError, connect, transaction
from console.store.workspace import Workspace

__all__ = ["Workspace", "WorkspaceError", "connect", "transaction"]
