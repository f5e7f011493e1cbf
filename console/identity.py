"""Who is at the keyboard: the SSH session's login, or ``CSP_CONSOLE_AGENT``."""

from __future__ import annotations

import getpass
import os


def current_agent() -> str:
    return os.environ.get("CSP_CONSOLE_AGENT") or getpass.getuser()
