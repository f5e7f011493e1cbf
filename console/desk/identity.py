"""Who is at the keyboard: the SSH session's login, or ``CSP_CONSOLE_AGENT``."""

from __future__ import annotations

import getpass
import os


def current_agent() -> str:
    return os.environ.get("CSP_CONSOLE_AGENT") or getpass.getuser()


class UnknownAgent(LookupError):
    """The login is not an agent of this workspace."""

    def __init__(self, login: str, path: object) -> None:
        super().__init__(
            f"'{login}' is not an agent of the workspace {path}. Ask a Global admin to run: "
            f"csp-console agents add {login} --role helpdesk_agent (or set CSP_CONSOLE_AGENT to your agent login)."
        )
