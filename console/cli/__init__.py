"""The command line: ``csp-console [COMMAND]``; with no command it opens the console.

Every command acts through the desk (``console.desk.door``) as the current agent; none touches the store."""


class CommandError(Exception):
    """A failure to report as ``csp-console: error: ...`` with exit status 1."""
