"""The one-off recompute of every open ticket's SLA clocks after a workspace is upgraded to business hours,
run by the console in a child process: at 1,000,000 tickets it takes a minute or two, and in a thread of the
console it slowed every keystroke to over a second (the interpreter is shared; a process is not).

``python -m console.sla.upgrade WORKSPACE [CONFIG] [--now ISO]``: prints how many tickets' clocks moved.
Stopped half-way, it leaves the recompute pending and the next console start runs it again (it is idempotent).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from console.settings.paths import WorkspaceAt, child_env, child_workspace
from console.shared.safe_text import clean_block


def start(workspace: WorkspaceAt, config: Path | None, now: datetime) -> subprocess.Popen[str]:
    """Start the recompute of ``workspace``'s open clocks as of ``now``; its output and errors are read when it
    ends (see :func:`finish`). The child finds the workspace by its environment (a URL may hold a password)."""
    args = ["-", *([str(config)] if config is not None else []), "--now", now.isoformat()]
    return subprocess.Popen(
        [sys.executable, "-m", "console.sla.upgrade", *args],
        env=child_env(workspace),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> int:
    """Wait for the recompute; how many clocks moved. Raises ``RuntimeError`` with its last words if it failed
    (or was stopped)."""
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"SLA clock recompute exited with {proc.returncode}: {err.strip()[-500:]}")
    return int(out.strip() or 0)


def main(argv: Sequence[str]) -> int:
    from console.settings.config import Config, ConfigError, load_config
    from console.shared.clock import parse_iso
    from console.sla.clocks import ClockKeeper, recompute_open, recompute_pending
    from console.store import Workspace, WorkspaceError

    parser = argparse.ArgumentParser(prog="python -m console.sla.upgrade", description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace file, or - for the one the console names (its environment)")
    parser.add_argument("config", type=Path, nargs="?")
    parser.add_argument("--now", type=parse_iso, help="the clock, ISO 8601 (default: now)")
    args = parser.parse_args(argv)
    now: datetime | None = args.now
    try:
        config = load_config(args.config) if args.config is not None else Config()
        ws = Workspace.open(child_workspace(args.workspace), create=False)
    except (ConfigError, WorkspaceError) as exc:
        sys.stderr.write(f"error: {clean_block(str(exc))}\n")  # a path or a config value: shown, never run
        return 1
    from console.desk.policy import applied, read_policy

    try:
        config = applied(config, read_policy(ws))  # the desk's SLA defaults live in the workspace
        moved = recompute_open(ws, ClockKeeper(config, (lambda: now) if now else None)) if recompute_pending(ws) else 0
    finally:
        ws.close()
    sys.stdout.write(f"{moved}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
