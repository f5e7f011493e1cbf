"""A workspace's location said as text: a SQLite file's path, or a PostgreSQL database's URL
(``postgresql://[user@]host[:port]/dbname``, libpq's URI form). Here without the store (the command line reads
``--db`` with it before anything opens): :mod:`console.store.pg_url` parses the URL for libpq."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("postgresql", "postgres")


def is_database_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.split("://", 1)[0].lower() in SCHEMES and "://" in location


def hide_password(text: str) -> str:
    """``text`` with the password of a URL in it replaced by ``***`` (anything else unchanged)."""
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:  # (a port that is not a number): keep nothing before the last ``@``
        return text.rsplit("@", 1)[-1] if "@" in text else text
    if password is None:
        return text
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
