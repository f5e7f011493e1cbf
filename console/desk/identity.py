"""Who is at the keyboard: the SSH session's login, or ``CSP_CONSOLE_AGENT``; and which console it is."""

from __future__ import annotations

import getpass
import os
import secrets
import socket


def current_agent() -> str:
    return os.environ.get("CSP_CONSOLE_AGENT") or getpass.getuser()


def new_session() -> str:
    """A new console session's identity, ``host:pid:random``: unique to this console (two consoles of one agent,
    even in one process, differ) and readable in the audit trail. The claims taken in a console carry it, and
    leaving that console releases those claims only; the command line has none (see :meth:`Desk.leave
    <console.desk.door.Desk.leave>`)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class UnknownAgent(LookupError):
    """The login is not an agent of this workspace."""

    def __init__(self, login: str, path: object) -> None:
        super().__init__(
            f"'{login}' is not an agent of the workspace {path}. Ask a Global admin to run: "
            f"csp-console agents add {login} --role helpdesk_agent (or set CSP_CONSOLE_AGENT to your agent login)."
        )
