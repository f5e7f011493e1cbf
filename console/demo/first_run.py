"""Opening the console's workspace, creating the demo on first run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console.desk.identity import current_agent
from console.settings.config import load_config, write_demo_config
from console.shared.clock import utcnow
from console.store import Workspace

FIRST_RUN_TICKETS = 2000


@dataclass
class Opened:
    workspace: Workspace
    notice: str | None  # said on screen when the demo was created


def open_or_create(db_path: Path, config_path: Path, tickets: int = FIRST_RUN_TICKETS) -> Opened:
    """Open the workspace at ``db_path``; where none exists, create the demo workspace there first."""
    if db_path.exists() and db_path.stat().st_size > 0:
        return Opened(Workspace.open(db_path, create=False), None)
    wrote_config = write_demo_config(config_path)
    ws = Workspace.open(db_path)
    config = load_config(config_path)
    from console.demo.workspace import generate  # only on a first run

    generate(ws, tickets=tickets, seed=1, now=utcnow(), extra_admins=(current_agent(),), config=config)
    notice = f"No workspace was found, so a demo workspace with {tickets:,} tickets was created at {db_path}." + (
        f" A demo partner profile was written to {config_path}." if wrote_config else ""
    )
    return Opened(ws, notice)
