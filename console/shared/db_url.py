"""A workspace's location said as text: a SQLite file's path, or a PostgreSQL database's URL
(``postgresql://[user@]host[:port]/dbname``, libpq's URI form). Here without the store (the command line reads
``--db`` with it before anything opens): :mod:`console.store.pg_url` parses the URL for libpq."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

SCHEMES = ("postgresql", "postgres")


def is_database_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.split("://", 1)[0].lower() in SCHEMES and "://" in location


#: The URL's parameters that hold a secret (libpq's connection parameters: ``password``; ``sslpassword``, the key's).
SECRET_PARAMETERS = ("password", "sslpassword")


def hide_password(text: str) -> str:
    """``text`` with the password of a URL in it replaced by ``***``, in the user part (``user:pw@``) and in the
    parameters (``?password=pw``, libpq takes both), anything else unchanged."""
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:  # (a port that is not a number): keep nothing before the last ``@``
        text = text.rsplit("@", 1)[-1] if "@" in text else text
        return _hide_parameters(text)
    if password is not None:
        parts = parts._replace(netloc=parts.netloc.replace(f":{password}@", ":***@", 1))
    return urlunsplit(parts._replace(query=_hide_parameters(parts.query)))


def _hide_parameters(query: str) -> str:
    pattern = "|".join(SECRET_PARAMETERS)
    return re.sub(rf"(?i)(^|[?&])({pattern})=[^&#]*", r"\1\2=***", query)


def secrets_of(url: str) -> list[str]:
    """The secrets a URL holds, as written and percent-decoded (to take them out of a message that repeats them)."""
    found = []
    try:
        parts = urlsplit(url)
        if parts.password:
            found.append(parts.password)
    except ValueError:
        parts = None
    query = parts.query if parts is not None else url.partition("?")[2]
    for name, value in parse_qsl(query, keep_blank_values=False):
        if name.lower() in SECRET_PARAMETERS:
            found.append(value)
    raw = re.findall(r"(?i)(?:^|[?&])(?:" + "|".join(SECRET_PARAMETERS) + r")=([^&#]*)", query)
    found += raw + [unquote(s) for s in found]
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrub(message: str, url: str) -> str:
    """``message`` (a server's or libpq's words about ``url``) with every secret of the URL replaced by ``***``."""
    for secret in secrets_of(url):
        message = message.replace(secret, "***")
    return message
