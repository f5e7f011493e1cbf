"""Containment that holds: a plugin's exit, interrupt or slow import costs only that plugin, and a check that
never ends, never stops yielding or allocates without end is stopped in its own process (real processes here,
nothing of ours mocked)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

from console.plugin_api import Check, Family, Finding, Level, Service, hookimpl
from console.plugins import loading
from console.plugins.host import load_plugins

ROOT = Path(__file__).resolve().parent.parent


def plugin(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))  # type: ignore[arg-type]
    return module


def _finding(ctx: object) -> list[Finding]:
    return [Finding(check_id="good.one", family=Family.BILLING, level=Level.INFO, title="Good", explanation="ok")]


GOOD = plugin(
    "good",
    csp_services=lambda: [Service(id="good", name="Good service")],
    csp_checks=lambda: [Check(id="good.one", family=Family.BILLING, run=_finding)],
)


def install(site: Path, name: str, source: str) -> None:
    """A third-party plugin ``name`` as pip would leave it: a module and its dist-info with the entry point."""
    module = f"csp_contain_{name}_{os.getpid()}_{time.monotonic_ns()}"
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[csp_console]\n{name} = {module}\n", encoding="utf-8")


def cli(site: Path, tmp_path: Path, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "PYTHONPATH": str(site),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        **env,
    }
    command = [sys.executable, "-m", "console.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=full, check=False, cwd=ROOT, timeout=timeout)


# 1. SystemExit, KeyboardInterrupt at import and in every hook --------------------------------------------


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("import sys\nsys.exit(3)\n", "import raised SystemExit(3)"),
        ("raise SystemExit\n", "import raised SystemExit()"),
        ("raise KeyboardInterrupt\n", "import raised KeyboardInterrupt"),
    ],
    ids=["sys.exit(3)", "SystemExit", "KeyboardInterrupt"],
)
def test_an_exit_or_interrupt_at_import_is_that_plugins_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, shown: str
) -> None:
    install(tmp_path, "quitter", source)
    monkeypatch.syspath_prepend(str(tmp_path))
    host = load_plugins(installed=True, env={"CSP_CONSOLE_LOAD_PLUGINS": "quitter,azure"})
    assert any(shown in e for e in host.plugins["quitter"].errors), host.plugins["quitter"].errors
    assert "azure" in host.services and host.plugins["azure"].errors == []


def test_csp_console_plugins_names_a_plugin_that_exits_at_import(tmp_path: Path) -> None:
    install(tmp_path, "quitter", "import sys\nsys.exit(3)\n")
    proc = cli(tmp_path, tmp_path, "plugins")
    assert proc.returncode == 0, proc.stderr  # was: exit status 3, nothing printed
    assert "quitter" in proc.stdout and "import raised SystemExit(3)" in proc.stdout
    assert "azure" in proc.stdout


HOOKS = [
    "csp_services",
    "csp_checks",
    "csp_escalation_handlers",
    "csp_commands",
    "csp_queue_columns",
    "csp_account_sections",
    "csp_ticket_actions",
    "csp_intake_fields",
    "csp_event_receivers",
    "csp_settings",
]


def _raiser(exc: BaseException) -> object:
    def hook() -> object:
        raise exc

    return hook


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize(
    ("exc", "shown"),
    [(SystemExit(3), "SystemExit(3)"), (KeyboardInterrupt(), "KeyboardInterrupt"), (GeneratorExit(), "GeneratorExit")],
    ids=["SystemExit", "KeyboardInterrupt", "GeneratorExit"],
)
def test_an_exit_or_interrupt_in_a_hook_is_that_plugins_error(hook: str, exc: BaseException, shown: str) -> None:
    bad = plugin("bad", **{hook: _raiser(exc)})
    host = load_plugins(env={"CSP_CONSOLE_LOAD_PLUGINS": "bad,good"}, extra={"bad": bad, "good": GOOD})
    assert f"{hook} raised {shown}" in host.plugins["bad"].errors
    assert "good" in host.services and [c.check.id for c in host.checks] == ["good.one"]


def test_an_exit_in_csp_configure_is_that_plugins_error() -> None:
    def configure(settings: object) -> None:
        sys.exit("no thanks")

    bad = plugin("bad", csp_configure=configure)
    host = load_plugins(env={"CSP_CONSOLE_LOAD_PLUGINS": "bad,good"}, extra={"bad": bad, "good": GOOD})
    assert "csp_configure raised SystemExit('no thanks')" in host.plugins["bad"].errors
    assert "good" in host.services


def test_a_real_ctrl_c_while_plugins_load_still_ends_the_command(tmp_path: Path) -> None:
    install(tmp_path, "sleeper", "import time\ntime.sleep(25)\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "plugins"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    time.sleep(3)  # well into the sleeping import
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, (out, err)  # the console's "interrupted", not the plugins listed
    assert "interrupted" in err and "sleeper" not in out


# 2. Import time measured, slow imports told, an import budget ----------------------------------------------


def test_a_slow_import_is_timed_and_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path, "slowish", "import time\ntime.sleep(1.5)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    host = load_plugins(installed=True, env={"CSP_CONSOLE_LOAD_PLUGINS": "slowish,azure"})
    slowish = host.plugins["slowish"]
    assert slowish.import_seconds is not None and 1.4 < slowish.import_seconds < 5
    assert slowish.errors == [] and any("import took 1." in w for w in slowish.warnings), slowish.warnings
    azure = host.plugins["azure"]
    assert azure.import_seconds is not None and azure.import_seconds < 1 and azure.warnings == []


def test_an_import_past_its_budget_is_refused_and_named_without_waiting_for_it(tmp_path: Path) -> None:
    install(tmp_path, "sleeper", "import time\ntime.sleep(25)\n")
    started = time.monotonic()
    proc = cli(tmp_path, tmp_path, "plugins", timeout=20, CSP_CONSOLE_PLUGIN_IMPORT_BUDGET="1")
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 12, elapsed  # one budget and the console's own start, not the plugin's 25 s
    assert "sleeper" in proc.stdout and "took longer than its 1 s budget" in proc.stdout
    assert "CSP_CONSOLE_PLUGIN_IMPORT_BUDGET" in proc.stdout and "azure" in proc.stdout


def test_the_import_budget_comes_from_the_environment() -> None:
    assert loading.import_budget({}) == loading.DEFAULT_IMPORT_BUDGET == 10
    assert loading.import_budget({"CSP_CONSOLE_PLUGIN_IMPORT_BUDGET": "2.5"}) == 2.5
    for wrong in ("soon", "0", "-1", "inf", "nan"):
        assert loading.import_budget({"CSP_CONSOLE_PLUGIN_IMPORT_BUDGET": wrong}) == 10
