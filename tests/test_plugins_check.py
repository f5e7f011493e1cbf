"""``csp-console plugins check PLUGIN``: one plugin loaded beside the built-ins, each of its hooks called with
sample data, every problem listed (exit 1), against the failures of issue 21."""

from __future__ import annotations

import json
from pathlib import Path

from tests.plugin_site import ROOT, console, install

EXAMPLE = ROOT / "examples" / "csp-console-windows365"

BROKEN = """
import time
from console.plugin_api import (
    AccountSection, Check, EscalationHandler, Eligibility, Family, Finding, IntakeField, Level, QueueColumn,
    Service, hookimpl, standard_handlers,
)

SERVICE = Service(id="intune", name="Intune")


def _plain_strings(ctx):
    yield Finding(check_id="intune.plain", family=Family.TECHNICAL, level=Level.WARNING, title="t",
                  explanation="e", boundary="escalate", vehicle="advanced")
    yield Finding(check_id="intune.plain", family=Family.TECHNICAL, level=Level.WARNING, title="t",
                  explanation="e", audience="board")


def _raises(ctx):
    raise SystemExit(3)


def _slow(ticket):
    time.sleep(0.01)
    return "x"


@hookimpl
def csp_services():
    return [SERVICE, Service(id="office365", name="Hijacked 365")]


@hookimpl
def csp_checks():
    return [
        Check(id="intune.plain", family=Family.TECHNICAL, run=_plain_strings, service="intune"),
        Check(id="intune.exits", family=Family.TECHNICAL, run=_raises, service="intune"),
        Check(id="azure.budget", family=Family.BILLING, run=_raises),
    ]


@hookimpl
def csp_queue_columns():
    return [QueueColumn(id="intune.slow", title="Slow", width=6, value=_slow)]


@hookimpl
def csp_account_sections():
    return [AccountSection(id="intune.long", title="Long", lines=lambda ctx: [f"line {n}" for n in range(30)])]


@hookimpl
def csp_intake_fields():
    return [IntakeField(id="intune.device", service="intune", label="Device", check=lambda v: 1 / len(v) and None)]


@hookimpl
def csp_escalation_handlers():
    return standard_handlers("office365", "Microsoft 365", {"technical": "Microsoft 365 / Exchange"})


@hookimpl
def csp_check():
    return []
"""


def test_every_problem_of_a_broken_plugin_is_listed(tmp_path: Path) -> None:
    site = install(tmp_path / "site", "intune", BROKEN)
    run = console(site, "plugins", "check", "intune", "--json")
    assert run.returncode == 1, run.stderr
    problems = json.loads(run.stdout)["problems"]
    assert problems and all(p.startswith("plugin intune") for p in problems), problems
    assert any("csp_check" in p for p in problems)  # the misspelled hook: nothing else could run
    assert not any("registered no hook" in p or "[plugins." in p for p in problems)  # no follow-on errors
    fixed = BROKEN.replace("@hookimpl\ndef csp_check():", "def csp_check():")
    site = install(tmp_path / "site2", "intune", fixed)
    run = console(site, "plugins", "check", "intune", "--json")
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    text = "\n".join(report["problems"])
    for words in (
        "service 'office365' refused: it belongs to plugin 'office365'",
        "check id 'azure.budget'",
        "handler office365:",
        "check intune.exits raised SystemExit",
        "field audience is 'board'",
        "queue column intune.slow took",
        "account section intune.long gave 30 lines",
        "intake field intune.device check('') raised ZeroDivisionError",
    ):
        assert words in text, (words, text)
    assert "boundary" not in text and "vehicle is" not in text  # plain strings of an enum's values are taken
    assert any("ticket check(s) on a ticket of intune" in line for line in report["checked"])


def test_the_windows365_example_has_no_problems(tmp_path: Path) -> None:
    run = console(EXAMPLE, "plugins", "check", "csp_windows365", "--name", "windows365")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.rstrip().endswith("no problems found")
    assert "called:  3 ticket check(s) on a ticket of windows365" in run.stdout


def test_a_plugin_that_cannot_be_imported_is_one_problem(tmp_path: Path) -> None:
    run = console(tmp_path, "plugins", "check", "no_such_module")
    assert run.returncode == 1
    assert (
        "PROBLEM: plugin no_such_module: failed to load no_such_module: import raised ModuleNotFoundError" in run.stdout
    )


def test_check_needs_a_plugin(tmp_path: Path) -> None:
    run = console(tmp_path, "plugins", "check")
    assert run.returncode == 1 and "needs a PLUGIN" in run.stderr


def test_a_hook_not_marked_is_a_problem(tmp_path: Path) -> None:
    source = BROKEN.replace("@hookimpl\ndef csp_check():", "def csp_check():")
    source = source.replace("@hookimpl\ndef csp_account_sections", "def csp_account_sections")
    run = console(install(tmp_path / "site", "intune", source), "plugins", "check", "intune")
    assert (
        "PROBLEM: plugin intune: csp_account_sections is not marked @hookimpl: the console never calls it" in run.stdout
    )
