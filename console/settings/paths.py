"""Where the console keeps its files: the workspace, the config file and the log (platformdirs)."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import platformdirs

from console.shared.db_url import hide_password, is_database_url

APP = "csp-console"

#: Where a workspace is: a SQLite file's :class:`Path`, or a PostgreSQL database's URL as a ``str``
#: (``postgresql://...``, as :meth:`console.store.Workspace.open` takes either).
WorkspaceAt = Path | str


def workspace_at(text: str | Path) -> WorkspaceAt:
    """``--db``'s and ``CSP_CONSOLE_DB``'s value: a URL kept as written (a ``Path`` would fold its ``//``), any
    other text a file's path."""
    return text if isinstance(text, str) and is_database_url(text) else Path(text)


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def db_argument(text: str) -> WorkspaceAt:
    """``--db`` as the command line reads it: a URL of another scheme than PostgreSQL's (``postgresq://``,
    ``mysql://``) is refused, naming it, not taken for a file's path (``demo`` made folders ``mysql:/x@y/``)."""
    found = _SCHEME.match(text)
    if found and not is_database_url(text):
        raise argparse.ArgumentTypeError(
            f"{hide_password(text)}: unknown scheme {found.group(1)!r}; a workspace is a file's path or "
            "postgresql://[user@]host[:port]/dbname"
        )
    return workspace_at(text)


def workspace_exists(at: WorkspaceAt) -> bool:
    """Whether there is a workspace to open at ``at``: a file there (even empty), or any database URL (a database
    is not missing the way a file is: opening it connects, or says why it cannot)."""
    return isinstance(at, str) or at.exists()


def workspace_shown(at: WorkspaceAt) -> str:
    """``at`` as people are told it: a path, or the URL with any password replaced by ``***``."""
    return hide_password(at) if isinstance(at, str) else str(at)


def default_db_path() -> WorkspaceAt:
    """``--db`` or else ``CSP_CONSOLE_DB`` (a path or a PostgreSQL URL) or else ``workspace.db`` in the user
    data dir."""
    env = os.environ.get("CSP_CONSOLE_DB")
    return workspace_at(env) if env else Path(platformdirs.user_data_dir(APP)) / "workspace.db"


def default_config_path() -> Path:
    env = os.environ.get("CSP_CONSOLE_CONFIG")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP)) / "config.toml"


def log_path() -> Path:
    return Path(platformdirs.user_log_dir(APP)) / "console.log"


#: Where a child process of the console (the audit chain's walk, the SLA clock upgrade) finds its workspace: by the
#: environment, not the command line, since a database's URL may hold a password that another account's ``ps``
#: would see in the arguments. The child is given ``-`` for it.
CHILD_WORKSPACE_ENV = "CSP_CONSOLE_CHILD_WORKSPACE"


def child_env(locator: WorkspaceAt) -> dict[str, str]:
    """The environment of a child process working on the workspace at ``locator``."""
    return {**os.environ, CHILD_WORKSPACE_ENV: str(locator)}


def child_workspace(argument: str) -> WorkspaceAt:
    """The workspace a child was given: ``-`` for the one in :data:`CHILD_WORKSPACE_ENV`, else the argument."""
    return workspace_at(os.environ.get(CHILD_WORKSPACE_ENV, "") if argument == "-" else argument)
