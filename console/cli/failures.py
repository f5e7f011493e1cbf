"""How the command line says a failure that is not a command's own: a fault of the workspace (disk full,
read-only, damaged, busy) or the server's refusal, in one sentence with its exit status; the traceback only in
the log."""

from __future__ import annotations

import logging

from console.cli import CommandError, say
from console.settings import paths
from console.settings.config import ConfigError

log = logging.getLogger("csp_console")

BUSY = 75  # another agent held the write lock past the retries; nothing changed: run it again (EX_TEMPFAIL, sysexits.h)


def said_fault(exc: Exception, db: paths.WorkspaceAt) -> int | None:
    """A fault of the workspace (disk full, read-only, damaged, busy) said in one sentence, the traceback only
    in the log; ``None`` for anything else."""
    from console.shared.faults import fault_sentence, is_busy

    sentence = fault_sentence(exc, None if isinstance(db, str) else db)  # (a URL may hold a password)
    if sentence is None and type(exc).__module__.startswith("psycopg"):  # the server refused (a role's rights)
        sentence = f"{paths.workspace_shown(db)}: the database refused ({(str(exc).strip().splitlines() or ['?'])[0]})"
        if str(exc).startswith("permission denied for table"):  # (a role with no rights on the desk's tables)
            sentence += "; the database's owner gives agents theirs with 'csp-console workspace grants'"
    if sentence is None:
        return None
    log.warning("workspace fault: %s", sentence, exc_info=exc)
    return say("busy", sentence, BUSY) if is_busy(exc) else say("failed", sentence, 1)


REFUSED = 3  # the command is not this agent's to run (README, "The command line"; console.cli.desk.outcome)


def said_error(exc: Exception) -> int | None:
    """A failure a person acts on, said in one line: an agent the workspace does not know (or cannot tell) is
    refused, exit 3, as every command refuses it; a bad config, workspace or command fails, exit 1; ``None`` for
    anything else. The store's errors are imported only when one happened, through the command line's one door
    to the store."""
    from console.desk.identity import UnknownAgent
    from console.shared.errors import WorkspaceError

    if isinstance(exc, UnknownAgent):
        return say("refused", str(exc), REFUSED)
    if isinstance(exc, (CommandError, ConfigError, WorkspaceError)):
        return say("failed", str(exc), 1)
    return None
