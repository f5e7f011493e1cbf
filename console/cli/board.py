"""``csp-console board``: the queue-health board alone and read-only (:mod:`console.screens.board`), in this
terminal or, with ``--serve HOST:PORT``, served to browsers (:mod:`console.health.serve`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli import run_app, say
from console.cli.desk import REFUSED, desk_for, outcome
from console.cli.output import out
from console.health.serve import ADDRESS_FORM, ServeError, board_command, check_public, listen_address
from console.settings.config import load_config

USAGE = 2


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    board = sub.add_parser(
        "board", parents=[common], help="the health board alone, read-only; --serve: to browsers (textual-serve)"
    )
    board.add_argument(
        "--serve",
        type=listen_address,
        metavar="HOST:PORT",
        help=f"serve it over HTTP on {ADDRESS_FORM}; a loopback address unless --public",
    )
    board.add_argument(
        "--public", action="store_true", help="allow --serve on a non-loopback address (it has no login of its own)"
    )
    board.add_argument(
        "--public-url", metavar="URL", help="the address browsers reach it at through a proxy (https://...)"
    )


def cmd_board(args: argparse.Namespace, db: Path, config_path: Path) -> int:
    if args.serve is None:
        if args.public or args.public_url:
            return say("usage", "--public and --public-url go with --serve HOST:PORT", USAGE)
        return _in_terminal(db, config_path)
    return outcome(lambda: _served(args, db, config_path))


def _in_terminal(db: Path, config_path: Path) -> int:
    """The board in this terminal (and in each browser connection of a served board: textual's web driver)."""
    from console.demo.first_run import open_or_create
    from console.screens.board import ReadOnlyBoard  # Textual is imported only for the board itself

    config = load_config(config_path)
    opened = open_or_create(db, config_path, personal=False)  # a board never creates a workspace
    opened.workspace.make_read_only()  # (after the migrations): its sessions refuse writes at the database
    return run_app(opened, lambda: ReadOnlyBoard(opened.workspace, config))


def _served(args: argparse.Namespace, db: Path, config_path: Path) -> int:
    try:
        check_public(args.serve, args.public)
    except ServeError as exc:
        return say("refused", str(exc), REFUSED)
    with desk_for(db, config_path) as desk:  # the agent who serves it, checked as the board checks (ticket.view)
        desk.health_board()
        agent = desk.agent

    def said(url: str) -> None:
        out(f"Serving the health board read-only on {url} as {agent} (each browser its own board); Ctrl-C stops.")
        out("It has no login of its own: reach it through an SSH tunnel or an authenticating proxy.", flush=True)

    command = board_command(db if isinstance(db, str) else db.absolute(), config_path.absolute())
    try:
        from console.screens.board_server import serve  # (textual-serve, aiohttp: only when serving)

        serve(args.serve, command, public_url=args.public_url, title="CSP Triage Console: queue health", said=said)
    except ServeError as exc:
        return say("failed", str(exc), 1)
    out("Stopped serving the board.", flush=True)
    return 0
