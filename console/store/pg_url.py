"""Where a workspace lives: a SQLite file's path (the embedded default) or a PostgreSQL database's URL
(``postgresql://[user@]host[:port]/dbname[?param=value]``, libpq's own URI form, so ``sslmode``, ``sslrootcert``,
``host=/run/postgresql`` for peer authentication and the rest mean what libpq says). A password in the URL is
never shown: the console says the URL with it replaced by ``***`` (a password belongs in ``~/.pgpass`` or a
client certificate; see the README)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from console.shared.db_url import SCHEMES, hide_password, is_database_url
from console.shared.errors import WorkspaceError

__all__ = ["SCHEMES", "WorkspaceUrl", "is_database_url"]


@dataclass(frozen=True)
class WorkspaceUrl:
    """A PostgreSQL workspace's URL: ``conninfo`` for libpq, ``str()`` for people (no password)."""

    conninfo: str
    shown: str
    database: str

    @classmethod
    def parse(cls, text: str) -> WorkspaceUrl:
        if not is_database_url(text):
            raise WorkspaceError(f"{text!r}: not a PostgreSQL URL (postgresql://[user@]host[:port]/dbname)")
        try:
            parts = urlsplit(text)
            _ = parts.port  # (a port that is not a number fails here, naming it)
        except ValueError as exc:
            raise WorkspaceError(f"{hide_password(text)}: not a usable PostgreSQL URL ({exc})") from None
        database = parts.path.lstrip("/")
        if not database:
            raise WorkspaceError(f"{hide_password(text)}: the URL names no database (postgresql://host/DBNAME)")
        return cls(text, hide_password(text), database)

    def __str__(self) -> str:
        return self.shown
