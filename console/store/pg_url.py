"""Where a workspace lives: a SQLite file's path (the embedded default) or a PostgreSQL database's URL
(``postgresql://[user@]host[:port]/dbname[?param=value]``, libpq's own URI form, so ``sslmode``, ``sslrootcert``,
``host=/run/postgresql`` for peer authentication and the rest mean what libpq says). A password in the URL is
never shown: the console says the URL with it replaced by ``***`` (a password belongs in ``~/.pgpass`` or a
client certificate; see the README)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from console.shared.errors import WorkspaceError

SCHEMES = ("postgresql", "postgres")


def is_database_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.split("://", 1)[0].lower() in SCHEMES and "://" in location


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
            raise WorkspaceError(f"{_hide(text)}: not a usable PostgreSQL URL ({exc})") from None
        database = parts.path.lstrip("/")
        if not database:
            raise WorkspaceError(f"{_hide(text)}: the URL names no database (postgresql://host/DBNAME)")
        return cls(text, _hide(text), database)

    def __str__(self) -> str:
        return self.shown


def _hide(text: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError:
        return text.split("@")[-1] if "@" in text else text
    if parts.password is None:
        return text
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
