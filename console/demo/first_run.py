"""Opening the console's workspace, creating the demo on first run."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from console.desk.identity import current_agent
from console.settings.config import DEMO_POLICY, load_config, write_demo_config
from console.settings.paths import WorkspaceAt
from console.shared.clock import utcnow
from console.shared.errors import WorkspaceError
from console.shared.no_workspace import missing_sentence
from console.store import Workspace

FIRST_RUN_TICKETS = 2000
#: The widest line of the first-run notice: a toast at 80 columns holds about 36 (it takes half the screen).
NOTICE_WIDTH = 34


def notice_path(path: Path, width: int = NOTICE_WIDTH) -> str:
    """A path as the first-run notice shows it, on lines of its own: ``~`` for the home directory, and one too long
    for the toast split after its directory (the file name indented on the next line), never mid-name."""
    text, home = str(path), str(Path.home())
    if home not in ("", "/") and text.startswith(home + os.sep):
        text = "~" + text[len(home) :]
    if len(text) <= width:
        return text
    head, sep, name = text.rpartition(os.sep)
    return f"{head}{sep}\n  {name}" if head else text


def _open_database(url: str) -> Workspace:
    ws = Workspace.open(url, create=False)
    if ws.tickets.empty() and ws.agents.agent_count() == 0:
        ws.close()
        raise WorkspaceError(missing_sentence(ws.location, empty=True))
    return ws


def first_run_notice(tickets: int, db_path: Path, config_path: Path | None) -> str:
    """What the console says on a first run, readable in a toast at 80x24: short lines, each path on its own."""
    lines = [f"No workspace yet: created a demo one with {tickets:,} tickets.", "Workspace:", notice_path(db_path)]
    if config_path is not None:
        lines += ["Demo partner profile:", notice_path(config_path)]
    return "\n".join(lines)


@dataclass
class Opened:
    workspace: Workspace
    notice: str | None  # said on screen when the demo was created


def open_or_create(
    db_path: WorkspaceAt, config_path: Path, tickets: int = FIRST_RUN_TICKETS, *, personal: bool = True
) -> Opened:
    """Open the workspace at ``db_path``. Where none exists (or the file is empty) on a personal first run (the
    default path in the user's own data dir: ``personal``), create the demo workspace there first; at a path
    given with ``--db`` or ``CSP_CONSOLE_DB`` (a desk's workspace) refuse, with :class:`WorkspaceError`: a
    deployed workspace gone missing must never become a demo whose first login is a Global admin. A PostgreSQL
    database (a URL) is never a personal first run: one holding no workspace yet is refused the same way."""
    if isinstance(db_path, str):
        return Opened(_open_database(db_path), None)
    present = db_path.exists()
    if present and (db_path.is_dir() or db_path.stat().st_size > 0):
        return Opened(Workspace.open(db_path, create=False), None)
    if not personal:
        raise WorkspaceError(missing_sentence(db_path, empty=present))
    wrote_config = write_demo_config(config_path)
    ws = Workspace.open(db_path)
    config = load_config(config_path)
    from console.demo.workspace import generate  # only on a first run

    now, admins = utcnow(), (current_agent(ws),)
    generate(ws, tickets=tickets, seed=1, now=now, extra_admins=admins, config=config, policy=DEMO_POLICY)
    return Opened(ws, first_run_notice(tickets, db_path, config_path if wrote_config else None))
