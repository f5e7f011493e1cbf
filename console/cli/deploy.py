"""``csp-console deploy check`` (is this host set up as the README's recipe says?) and ``ssh-command`` (what
the recipe's ForceCommand runs: the command the SSH client asked for, or the console)."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from console.cli import CommandError
from console.cli.output import out, out_json
from console.settings.paths import WorkspaceAt, workspace_shown

#: Commands not offered over SSH: they write files or start servers where the agent chooses.
NOT_OVER_SSH = ("demo", "sandbox")
#: The options an SSH command may not give: the ForceCommand chose the workspace and the config.
PINNED = ("--db", "--config")


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    deploy = sub.add_parser("deploy", parents=[common], help="check this host's shared-host set-up")
    action = deploy.add_subparsers(dest="deploy_command", metavar="ACTION", required=True)
    check = action.add_parser(
        "check",
        parents=[common],
        help="print what is unsafe (owners, modes, sshd and sudo rules); exit 1 if anything",
    )
    check.add_argument("--sshd-config", type=Path, default=Path("/etc/ssh/sshd_config"))
    check.add_argument("--sudoers", type=Path, default=Path("/etc/sudoers"))
    check.add_argument("--json", action="store_true")
    sub.add_parser(
        "ssh-command",
        parents=[common],
        help="run $SSH_ORIGINAL_COMMAND as a csp-console command, or the console (the recipe's ForceCommand)",
    )


def cmd_deploy(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.deploy.check import check_host

    if isinstance(db, str):
        raise CommandError(
            f"deploy check judges a SQLite workspace's files and accounts; {workspace_shown(db)} is a PostgreSQL "
            "database, whose roles and access the database server decides."
        )
    found = check_host(db, config, args.sshd_config, args.sudoers)
    if args.json:
        out_json({"safe": not found, "findings": [f.to_json() for f in found]})
    else:
        for finding in found:
            out(finding.line())
        out("safe" if not found else f"{len(found)} unsafe finding{'s' if len(found) != 1 else ''}")
    return 1 if found else 0


def ssh_words(command: str) -> list[str]:
    """The csp-console words of an SSH command (``ssh HOST agents list``): refused, in one sentence, if they
    choose another workspace or config, or a command not offered over SSH."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise CommandError(f"The SSH command cannot be read ({exc}).") from None
    if words and words[0] == "csp-console":
        words = words[1:]
    for word in words:
        name = word.split("=", 1)[0]
        # argparse takes any unambiguous prefix of a long option (``--con``): refuse those too.
        if len(name) > 2 and any(option.startswith(name) for option in PINNED):
            raise CommandError(f"'{name}' is not allowed over SSH: the desk's workspace and config are fixed.")
    if words and words[0] in NOT_OVER_SSH:
        raise CommandError(f"'{words[0]}' is not offered over SSH.")
    return words


def cmd_ssh_command(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.cli import main

    words = ssh_words(os.environ.get("SSH_ORIGINAL_COMMAND", ""))
    pinned = ["--config", str(config)] if config.exists() else []  # (a default config not written: none named)
    return main.main(["--db", str(db), *pinned, *words])
