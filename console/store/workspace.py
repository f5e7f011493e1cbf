"""The workspace: one SQLite file, shared by every agent on the host. All SQL lives in this package.

:class:`Workspace` is the base (connections, transactions, the audit append, the clock) with one repository
per concern: ``workspace.tickets``, ``workspace.queue``, ``workspace.billing``... Each repository takes the
base and, when it needs another, that one explicitly."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from console.shared.clock import utcnow
from console.shared.errors import WorkspaceError
from console.shared.faults import fault_sentence
from console.shared.no_workspace import missing_sentence
from console.store import health_rollups as rollups
from console.store import open_search
from console.store.accounts import AccountRepo
from console.store.agents import AgentRepo
from console.store.base import Base
from console.store.billing import BillingRepo
from console.store.directory import DirectoryRepo
from console.store.escalations import EscalationRepo
from console.store.gdap import GdapRepo
from console.store.health import HealthRepo
from console.store.leases import LeaseRepo
from console.store.mail import MailRepo
from console.store.microsoft_data import MicrosoftDataRepo
from console.store.migrations import MIGRATIONS, current_version, holds_workspace, migrate
from console.store.notices import NoticeRepo
from console.store.outbox import OutboxRepo
from console.store.pg_url import is_database_url
from console.store.plugin_events import PluginEventRepo
from console.store.policy import PolicyRepo
from console.store.queue import QueueRepo
from console.store.records import RecordRepo
from console.store.sla import SlaRepo
from console.store.suspensions import SuspensionRepo
from console.store.tickets import TicketRepo


class Workspace(Base):
    """A handle on the workspace file (each thread gets its own connection) and its repositories."""

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(path, clock=clock)
        self.directory = DirectoryRepo(self)
        self.tickets = TicketRepo(self, self.directory)
        self.notices = NoticeRepo(self)
        self.records = RecordRepo(self, self.tickets)
        self.queue = QueueRepo(self)
        self.sla = SlaRepo(self)
        self.agents = AgentRepo(self)
        self.accounts = AccountRepo(self)
        self.billing = BillingRepo(self)
        self.suspensions = SuspensionRepo(self, self.notices)
        self.outbox = OutboxRepo(self, self.tickets)
        self.escalations = EscalationRepo(self, self.tickets, self.outbox, self.notices)
        self.microsoft = MicrosoftDataRepo(self)
        self.gdap = GdapRepo(self)
        self.health = HealthRepo(self)
        self.leases = LeaseRepo(self)
        self.policy = PolicyRepo(self)
        self.plugin_events = PluginEventRepo(self)
        self.mail = MailRepo(self)

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str, *, create: bool = True, clock: Callable[[], datetime] = utcnow) -> Workspace:
        """Open the workspace at ``path``, applying any pending migrations."""
        _refuse_no_file(path, create=create)
        ws = cls(path, clock=clock)
        try:
            if not create and not holds_workspace(ws.conn):  # (an empty database: nothing is made in it)
                raise WorkspaceError(missing_sentence(ws.location))
            migrate(ws.conn, clock=clock)
        except sqlite3.DatabaseError as exc:
            ws.close()
            raise WorkspaceError(fault_sentence(exc, path) or f"{ws.location}: not a usable workspace ({exc})") from exc
        except RuntimeError as exc:
            ws.close()
            raise WorkspaceError(f"{ws.location}: {exc}") from exc
        except WorkspaceError:
            ws.close()
            raise
        return ws

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def bulk_load(self) -> Iterator[sqlite3.Connection]:
        """A write transaction for loading many tickets (the demo, an import): the health rollups' triggers
        are off while it writes and the rollups are refilled in one pass at the end, in the same transaction
        (no other writer can slip in between; a failure rolls the triggers back with everything else). The
        customer directory is refilled at the end too (console/store/directory.py).

        Into an empty tickets table the table's own indexes are dropped too and built once at the end, each
        from the sorted rows: kept up row by row, the random inserts into 20 index B-trees far larger than
        the page cache were most of a million-ticket load, and grew with it (issue 23)."""
        with self.transaction() as conn, self.dialect.bulk_memory(conn):
            for name in [*rollups.TRIGGERS, *open_search.TRIGGERS]:
                self.dialect.schema(conn, f"DROP TRIGGER IF EXISTS {name}")
            rebuild = self.dialect.drop_indexes(conn, "tickets") if self.tickets.empty() else []
            self.directory.deferred = self.tickets.bulk = True
            try:
                yield conn
            finally:
                self.directory.deferred = self.tickets.bulk = False
            for statement in rebuild:
                conn.execute(statement)
            self.directory.refill()
            for statement in rollups.CLEARS + rollups.FILLS + list(rollups.TRIGGERS.values()):
                self.dialect.schema(conn, statement)
            for statement in [*open_search.REFILL, *open_search.TRIGGERS.values()]:
                self.dialect.schema(conn, statement)

    def checkpoint(self) -> tuple[int, int]:
        """Copy the write-ahead log back into the workspace file, as far as no reader needs it:
        ``(frames in the log, frames copied)``. Never waits for a lock."""
        return self.dialect.checkpoint(self.conn)

    def analyze(self) -> None:
        """Refresh the query planner's statistics after a bulk load, so that every sort order of the queue
        picks its index (about 1.5 s at 1,000,000 tickets)."""
        self.dialect.analyze(self.conn)

    def schema_version(self) -> int:
        return current_version(self.conn)

    @staticmethod
    def latest_schema_version() -> int:
        return len(MIGRATIONS)


def _refuse_no_file(path: Path | str, *, create: bool) -> None:
    """A file that is no workspace, refused before anything opens it: unless ``create``, a missing or empty one (no
    workspace is made where one was expected); always a SQLite database of another program's, without our
    ``schema_migrations`` (no table or journal mode of ours is put in it). A file SQLite cannot read is left to the
    open, which names its fault."""
    if is_database_url(path):
        return
    file = Path(path)
    empty = not file.exists() or (file.is_file() and file.stat().st_size == 0)
    if empty and not create:
        raise WorkspaceError(missing_sentence(file, empty=file.exists()))
    if empty:
        return
    try:
        peek = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        foreign = not holds_workspace(peek)
    except sqlite3.DatabaseError:
        return
    finally:
        peek.close()
    if foreign:
        raise WorkspaceError(missing_sentence(file, foreign=True))
