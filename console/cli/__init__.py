"""The command line: ``csp-console [COMMAND]``; with no command it opens the console.

Every command acts through the desk (``console.desk.door``) as the current agent; only ``cli/desk.py`` opens
the workspace (to build the desk, write the demo and seed the sandbox), a contract in ``pyproject.toml``."""


class CommandError(Exception):
    """A failure to report as ``csp-console: error: ...`` with exit status 1."""
