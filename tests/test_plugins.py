"""Loading plugins and isolating their failures."""

from __future__ import annotations

import sys
import time
import types
from importlib import metadata

import pytest

from console import testing
from console.plugin_api import Check, Family, Finding, Level, Service, hookimpl
from console.plugins.host import DEFAULT_PLUGINS, load_plugins
from console.plugins.runner import CheckRunner


def plugin(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))  # type: ignore[arg-type]
    return module


def good_finding(ctx: object) -> list[Finding]:
    return [
        Finding(
            check_id="good.one", family=Family.BILLING, level=Level.INFO, title="Good finding", explanation="It works."
        )
    ]


GOOD = plugin(
    "good",
    csp_services=lambda: [Service(id="good", name="Good service")],
    csp_checks=lambda: [Check(id="good.one", family=Family.BILLING, run=good_finding)],
)


def test_builtins_register_through_the_entry_point_group() -> None:
    names = {ep.name: ep.value for ep in metadata.entry_points(group="csp_console")}
    for name, module in DEFAULT_PLUGINS.items():
        assert names.get(name) == module
    host = load_plugins()
    assert set(host.plugins) == set(DEFAULT_PLUGINS)
    assert host.load_errors == {}
    assert set(host.services) == {"azure", "office365", "dynamics365"}
    assert {h.handler.vehicle.value for h in host.handlers_for("azure")} == {
        "commercial",
        "premier",
        "advanced",
        "signature",
    }
    assert "signature" not in {h.handler.vehicle.value for h in host.handlers_for("dynamics365")}
    assert all(info.version == "0.1.0" for info in host.plugins.values())


def test_tests_never_load_installed_third_party_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = metadata.EntryPoint(name="stray", value="stray_module_xyz", group="csp_console")
    real = metadata.entry_points
    monkeypatch.setattr(metadata, "entry_points", lambda **kw: [*real(**kw), fake])
    assert "stray" not in load_plugins().plugins  # under pytest: only this project's plugins
    host = load_plugins(installed=True)
    assert "No module named 'stray_module_xyz'" in host.plugins["stray"].errors[0]
    assert set(host.services) == {"azure", "office365", "dynamics365"}  # the others still load


def test_allow_and_deny_lists() -> None:
    assert load_plugins(env={"CSP_CONSOLE_LOAD_PLUGINS": ""}).plugins == {}
    only = load_plugins(env={"CSP_CONSOLE_LOAD_PLUGINS": "azure, common"})
    assert set(only.plugins) == {"azure", "common"}
    without = load_plugins(env={"CSP_CONSOLE_DISABLE_PLUGINS": "dynamics365"})
    assert "dynamics365" not in without.plugins and "azure" in without.plugins


def test_trace_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    load_plugins(env={"CSP_CONSOLE_TRACE_PLUGINS": "1", "CSP_CONSOLE_LOAD_PLUGINS": "azure"})
    assert "csp_services" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (plugin("bad", csp_chekcs=lambda: []), "unknown hook 'csp_chekcs'"),
        (plugin("bad", csp_checks=lambda: 1 / 0), "csp_checks raised ZeroDivisionError"),
        (plugin("bad", csp_checks=lambda: {"not": "a list"}), "returned dict, expected a list"),
        (plugin("bad", csp_checks=lambda: ["garbage"]), "returned str, expected Check"),
        (plugin("bad", csp_services=lambda: [Service(id="azure", name="Azure again")]), "belongs to plugin 'azure'"),
        (
            plugin("bad", csp_checks=lambda: [Check(id="azure.budget", family=Family.BILLING, run=good_finding)]),
            "not in the plugin's namespace",
        ),
        (
            plugin("bad", csp_checks=lambda: [Check(id="bad.x", family=Family.BILLING, run=good_finding)] * 2),
            "the id is used twice",
        ),
        (
            plugin(
                "bad", csp_checks=lambda: [Check(id="bad.x", family=Family.BILLING, run=good_finding, scope="weird")]
            ),
            "scope",
        ),
    ],
)
def test_a_broken_plugin_costs_only_its_own_contribution(bad: types.ModuleType, words: str) -> None:
    host = load_plugins(extra={"bad": bad, "good": GOOD})
    assert any(words in e for e in host.plugins["bad"].errors), host.plugins["bad"].errors
    assert "good" in host.services and "good.one" in [c.check.id for c in host.checks]
    assert len(host.services) == 4


def _runner_with(*checks: Check, budget: float = 2.0) -> CheckRunner:
    module = plugin("p", csp_checks=lambda: list(checks))
    host = load_plugins(env={"CSP_CONSOLE_LOAD_PLUGINS": "p,good"}, extra={"p": module, "good": GOOD})
    return CheckRunner(host, budget=budget)


def test_raising_check_becomes_a_failure_finding_and_others_still_run() -> None:
    def boom(ctx: object) -> list[Finding]:
        raise RuntimeError("plugin bug")

    runner = _runner_with(Check(id="p.boom", family=Family.TECHNICAL, run=boom))
    result = runner.run(testing.context(ticket=testing.ticket()))
    titles = [f.title for _, f in result.findings]
    assert "Good finding" in titles
    assert "Plugin p: check p.boom failed" in titles
    assert result.failures[0].plugin == "p" and "RuntimeError: plugin bug" in result.failures[0].message


def test_garbage_returning_check_is_reported() -> None:
    def garbage(ctx: object) -> list[object]:
        return ["not a finding"]

    def bad_level(ctx: object) -> list[Finding]:
        return [Finding(check_id="p.lvl", family=Family.BILLING, level="loud", title="t", explanation="e")]  # type: ignore[arg-type]

    runner = _runner_with(
        Check(id="p.garbage", family=Family.BILLING, run=garbage),
        Check(id="p.lvl", family=Family.BILLING, run=bad_level),
    )
    result = runner.run(testing.context(ticket=testing.ticket()))
    messages = [f.message for f in result.failures]
    assert any("finding is str, expected Finding" in m for m in messages)
    assert any("field level is 'loud', expected one of 'info', 'warning', 'critical'" in m for m in messages)
    assert "Good finding" in [f.title for _, f in result.findings]


def test_hanging_check_is_stopped_at_its_budget_and_disabled() -> None:
    def hang(ctx: object) -> list[Finding]:
        time.sleep(30)
        return []

    runner = _runner_with(Check(id="p.hang", family=Family.TECHNICAL, run=hang), budget=0.3)
    started = time.monotonic()
    first = runner.run(testing.context(ticket=testing.ticket()))
    second = runner.run(testing.context(ticket=testing.ticket()))
    elapsed = time.monotonic() - started
    assert elapsed < 3  # one budget, not one per ticket and not the 30 s the plugin wanted
    assert any("ran past its 0.3 s budget" in f.message for f in first.failures)
    assert second.failures == []  # disabled for the session
    assert "Good finding" in [f.title for _, f in first.findings]
    assert "Good finding" in [f.title for _, f in second.findings]
    assert "p.hang" in runner.disabled


def test_each_check_has_its_own_budget_and_a_hang_in_the_middle_loses_only_itself() -> None:
    def slow(name: str) -> Check:
        def run(ctx: object) -> list[Finding]:
            time.sleep(0.35)  # within the 0.6 s budget, though two of them are not
            return [
                Finding(
                    check_id=f"p.{name}",
                    family=Family.TECHNICAL,
                    level=Level.INFO,
                    title=f"{name} done",
                    explanation="e",
                )
            ]

        return Check(id=f"p.{name}", family=Family.TECHNICAL, run=run)

    def hang(ctx: object) -> list[Finding]:
        time.sleep(30)
        return []

    # Margins of a quarter second each way: on a loaded machine (parallel workers) a thread may wait its turn.
    runner = _runner_with(
        slow("before"), Check(id="p.hang", family=Family.TECHNICAL, run=hang), slow("after"), budget=0.6
    )
    started = time.monotonic()
    result = runner.run(testing.context(ticket=testing.ticket()))
    assert time.monotonic() - started < 3  # 0.35 + 0.6 + 0.35 s, not the 30 s the hanging check wanted
    titles = [f.title for _, f in result.findings]
    assert titles.index("before done") < titles.index("Plugin p: check p.hang failed") < titles.index("after done")
    assert "Good finding" in titles and [f.check_id for f in result.failures] == ["p.hang"]
    again = runner.run(testing.context(ticket=testing.ticket()))
    assert [f.title for _, f in again.findings].count("after done") == 1 and again.failures == []


def test_plugin_api_never_imports_textual() -> None:
    import subprocess

    code = (
        "import sys, console.plugin_api, console.plugins.hookspecs, console.testing\n"
        "assert 'textual' not in sys.modules"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
