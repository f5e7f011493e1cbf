"""The command line: ``csp-console [COMMAND]``; with no command it opens the console.

Every command acts through the desk (``console.desk.door``) as the current agent; only ``cli/desk.py`` opens
the workspace (to build the desk, write the demo and seed the sandbox), a contract in ``pyproject.toml``.
A failure is said on standard error in one line, or, under ``--json``, as one JSON object
``{"status": ..., "exit": ..., "message": ...}`` (README, "The command line", lists the exit statuses)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from console.demo.first_run import Opened

#: Whether this command answers in JSON (its ``--json``); :func:`say` reads it.
ANSWER_IN_JSON: ContextVar[bool] = ContextVar("csp_console_json", default=False)

#: The words a failure's line starts with, by its status.
_PREFIX = {"failed": "csp-console: error: ", "refused": "csp-console: refused: ", "queued": "queued: "}


class CommandError(Exception):
    """A failure to report as ``csp-console: error: ...`` with exit status 1."""


def say(status: str, message: str, code: int, *, prefix: str | None = None) -> int:
    """Say a failure (``failed``, ``refused``, ``busy``, ``queued``, ``stopped``, ``usage``) on standard error,
    as text or, under ``--json``, as a JSON object; return ``code``, the exit status."""
    from console.cli.output import out, out_json

    if ANSWER_IN_JSON.get():
        out_json({"status": status, "exit": code, "message": message}, err=True)
    else:
        # A message may quote untrusted text (a name, a value from a file): control characters shown, never run.
        start = _PREFIX.get(status, "csp-console: ") if prefix is None else prefix
        out(f"{start}{message}", err=True)
    return code


class Runnable(Protocol):
    """A Textual app, as :func:`run_app` runs it (the command line imports Textual only to start one)."""

    @property
    def return_code(self) -> int | None: ...

    def run(self) -> object: ...


def run_app(opened: Opened, build: Callable[[], Runnable]) -> int:
    """Run the app ``build()`` makes on the workspace ``opened``, closed afterwards: the console's or the board's.
    An unknown agent is said as every command says it."""
    from console.desk.identity import UnknownAgent

    try:
        app = build()
    except UnknownAgent as exc:
        opened.workspace.close()
        return say("refused", str(exc), 3)  # (as every command refuses it: console.cli.failures.REFUSED)
    try:
        app.run()
    finally:
        opened.workspace.close()
    return app.return_code or 0
