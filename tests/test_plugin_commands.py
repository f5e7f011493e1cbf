"""A plugin's ``csp-console`` subcommand (the ``csp_commands`` hook), run as an installed plugin is: through
its entry point, in a subprocess, on a real workspace."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.plugin_site import console, install

INTUNE = """
import argparse
from console.plugin_api import Command, Setting, hookimpl

csp_console_api = "1.0"
open(__file__ + ".imported", "a").write("x")  # how often the module is imported, for the test


def _arguments(parser):
    parser.add_argument("--customer", required=True)
    parser.add_argument("--fail", choices=("raise", "exit", "none"))


def _devices(ctx):
    if ctx.args.fail == "raise":
        raise RuntimeError("the Graph token expired")
    if ctx.args.fail == "exit":
        raise SystemExit(4)
    if ctx.args.fail == "none":
        return None
    account = ctx.account(ctx.args.customer)
    ctx.echo(f"{account.customer.company_name}: {len(account.subscriptions)} subscription(s)")
    ctx.echo(f"tenant {ctx.settings['tenant']}; customers {len(ctx.customer_ids())}")
    ctx.echo("[b]markup[/b] \\x1b[31mred")
    return 0


@hookimpl
def csp_commands():
    return [Command(name="intune-devices", help="devices of a customer", run=_devices, arguments=_arguments)]


@hookimpl
def csp_settings():
    return [Setting(name="tenant", kind=str, default="contoso")]
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return install(tmp_path / "site", "intune", INTUNE)


@pytest.fixture
def db(demo_copy: Callable[..., Where]) -> Where:
    return demo_copy("ws")


AGENT = {"CSP_CONSOLE_AGENT": "kenji.sato"}


def _customer(db: Where) -> str:
    from console.store import Workspace

    with Workspace.open(db, create=False) as ws:
        return ws.accounts.customer_ids()[0]


def test_a_plugin_command_runs_as_the_agent_and_prints_literally(site: Path, db: Where) -> None:
    customer = _customer(db)
    run = console(site, "intune-devices", "--db", str(db), "--customer", customer, env=AGENT)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "subscription(s)" in lines[0]
    assert lines[1].startswith("tenant contoso; customers ")
    assert lines[2] == "[b]markup[/b] \u241b[31mred"  # the escape shown (as ␛), never sent to the terminal
    assert "\x1b" not in run.stdout


def test_the_help_lists_plugin_commands_and_console_commands_do_not_import_plugins(site: Path, db: Where) -> None:
    marker = site / "csp_intune.py.imported"
    assert console(site, "config", "path").returncode == 0
    assert not marker.exists()  # a console command never waits for the plugins
    shown = console(site, "--help")
    assert "intune-devices" in shown.stdout and "(plugin intune)" in shown.stdout
    assert marker.exists()


@pytest.mark.parametrize(
    ("fail", "status", "words"),
    [
        ("raise", 1, "plugin intune: command intune-devices raised RuntimeError: the Graph token expired"),
        ("exit", 4, ""),
        ("none", 1, "plugin intune: command intune-devices returned None, not an exit status"),
    ],
)
def test_a_failing_command_is_said_naming_the_plugin(site: Path, db: Where, fail: str, status: int, words: str) -> None:
    run = console(site, "intune-devices", "--db", str(db), "--customer", "x", "--fail", fail, env=AGENT)
    assert run.returncode == status
    assert words in run.stderr
    assert "Traceback" not in run.stderr


def test_an_unknown_customer_and_an_unknown_agent_are_refused(site: Path, db: Where) -> None:
    run = console(site, "intune-devices", "--db", str(db), "--customer", "nobody", env=AGENT)
    assert run.returncode == 1 and "raised LookupError" in run.stderr and "nobody" in run.stderr
    stranger = console(site, "intune-devices", "--db", str(db), "--customer", "x", env={"CSP_CONSOLE_AGENT": "ghost"})
    assert stranger.returncode == 3, stranger.stderr  # not an agent of this desk: refused, as any command is


def test_a_command_whose_arguments_raise_says_so(tmp_path: Path) -> None:
    source = INTUNE.replace("def _arguments(parser):", "def _arguments(parser):\n    raise ValueError('no')")
    site = install(tmp_path / "site", "intune", source)
    run = console(site, "intune-devices", "--customer", "x")
    assert run.returncode == 1
    assert "plugin intune: command intune-devices: arguments() raised ValueError: no" in run.stderr


def test_a_command_named_as_a_console_command_is_refused(tmp_path: Path) -> None:
    source = INTUNE.replace('name="intune-devices"', 'name="audit"')
    site = install(tmp_path / "site", "intune", source)
    listed = console(site, "plugins", "--json")
    errors = next(p for p in json.loads(listed.stdout) if p["name"] == "intune")["errors"]
    assert any("command name" in e and "'audit'" in e for e in errors), errors


def test_a_command_whose_settings_were_refused_is_not_run(site: Path, db: Where, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[plugins.intune]\ntenant = 3\n", encoding="utf-8")
    run = console(site, "intune-devices", "--db", str(db), "--config", str(config), "--customer", "x", env=AGENT)
    assert run.returncode == 1
    assert (
        f"plugin intune: command intune-devices not run: {config}:2: [plugins.intune] tenant must be text" in run.stderr
    )
