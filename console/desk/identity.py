"""Who is at the keyboard, from what the user cannot change; and which console it is.

The agent is never read from ``LOGNAME`` or ``USER`` (anyone can set those). It is:

- through sudo, when the process runs as the workspace's service account (its real uid owns the workspace
  file) and sudo really switched user (``SUDO_UID`` is not the real uid): the login of ``SUDO_UID``, which must
  agree with ``SUDO_USER``. sudo sets both itself from the invoking user ("man sudo", ENVIRONMENT); a user who
  could set them already runs as the owner of the workspace, who can change the file anyway;
- otherwise the login of the process's real uid (``pwd.getpwuid(os.getuid())``).

``CSP_CONSOLE_AGENT`` names the agent only where the workspace's owner allows it: the real uid owns the workspace
file (or will create it) and the process was not started through sudo by another user (development, tests, a
single-user workspace). Set anywhere else it is refused, with one sentence saying why.

On PostgreSQL the database tells who it is: the agent is the session's role (``session_user``: the role the
server authenticated), and ``CSP_CONSOLE_AGENT`` is honoured only when that role owns the database, as the file's
owner on SQLite.
"""

from __future__ import annotations

import os
import pwd
import secrets
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.store.base import Base

AGENT_ENV = "CSP_CONSOLE_AGENT"


class UnknownAgent(LookupError):
    """The login is not an agent of this workspace."""

    def __init__(self, login: str, path: object) -> None:
        from console.desk.agents import LOGIN

        if not LOGIN.fullmatch(login):  # (its hint would be a command that fails: no agent can have it)
            super().__init__(f"{login!r} is not an agent of the workspace {path}, nor a login an agent can have")
            return
        super().__init__(
            f"'{login}' is not an agent of the workspace {path}. Ask a Global admin to run: "
            f"csp-console agents add {login} --role helpdesk_agent."
        )


class IdentityRefused(UnknownAgent):
    """Who the agent is cannot be told from this process (or the environment claims another identity)."""

    def __init__(self, message: str) -> None:
        LookupError.__init__(self, message)


def _login_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        raise IdentityRefused(f"The uid {uid} of this process has no login in the password database.") from None


def _owner_uid(workspace: Path) -> int:
    """Who owns the workspace file; a file not there yet will be this process's own (it creates it)."""
    try:
        return workspace.stat().st_uid
    except FileNotFoundError:
        return os.getuid()
    except OSError as exc:
        raise IdentityRefused(f"Cannot tell who owns the workspace {workspace} ({exc.strerror}).") from None


def _sudo_invoker(env: Mapping[str, str], uid: int) -> int | None:
    """The uid that ran this process through sudo as another user, or ``None``: not started through sudo."""
    raw = env.get("SUDO_UID", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise IdentityRefused(f"SUDO_UID is not a uid ({raw!r}): cannot tell who ran the console through sudo.")
    return None if int(raw) == uid else int(raw)


def current_agent(workspace: Path | Base, env: Mapping[str, str] | None = None) -> str:
    """The login acting on ``workspace``, a SQLite file or an open workspace (the module's docstring says from
    what)."""
    env = os.environ if env is None else env
    if not isinstance(workspace, Path):
        if workspace.engine == "postgresql":
            return _database_agent(workspace, env)
        workspace = workspace.path
    uid = os.getuid()
    owns = _owner_uid(workspace) == uid
    invoker = _sudo_invoker(env, uid)
    if invoker is not None and owns:
        login = _login_of(invoker)
        if env.get("SUDO_USER", "") != login:
            raise IdentityRefused(
                f"SUDO_USER ({env.get('SUDO_USER', '')!r}) is not the login of SUDO_UID {invoker} ({login!r}): "
                "cannot tell who ran the console through sudo."
            )
        if env.get(AGENT_ENV):
            raise IdentityRefused(
                f"{AGENT_ENV} is not honoured for a console run through sudo by {login}: the agent is the login "
                f"that ran sudo; unset it (and keep it out of sudo's env_keep)."
            )
        return login
    if env.get(AGENT_ENV):
        if not owns or invoker is not None:
            raise IdentityRefused(
                f"{AGENT_ENV} is honoured only for the owner of the workspace {workspace}: you act as "
                f"{_login_of(uid)}; unset {AGENT_ENV}."
            )
        return env[AGENT_ENV]
    return _login_of(uid)


def _database_agent(ws: Base, env: Mapping[str, str]) -> str:
    from console.store.db_identity import session_role

    role, owns = session_role(ws)
    if env.get(AGENT_ENV):
        if not owns:
            raise IdentityRefused(
                f"{AGENT_ENV} is honoured only for the owner of the database {ws.location}: you act as the role "
                f"{role}; unset {AGENT_ENV}."
            )
        return env[AGENT_ENV]
    return role


def new_session() -> str:
    """A new console session's identity, ``host:pid:random``: unique to this console (two consoles of one agent,
    even in one process, differ) and readable in the audit trail. The claims taken in a console carry it, and
    leaving that console releases those claims only; the command line has none (see :meth:`Desk.leave
    <console.desk.door.Desk.leave>`)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
