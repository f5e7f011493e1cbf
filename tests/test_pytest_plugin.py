"""The fixtures for plugin authors (console.pytest_plugin) fail loudly when the plugin under test is broken.

Before, a plugin whose hook was misspelled or unmarked loaded as "nothing", ``csp_run`` returned no findings
and no failures, and every test that expects nothing of a healthy account passed (issue 21, failure 5).
"""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest
import under_test

pytest_plugins = ["console.pytest_plugin"]


@pytest.fixture
def csp_plugins():
    return {"undertest": under_test}
"""

TEST = """
def test_a_healthy_account_has_no_findings(csp_run, csp_build):
    findings, failures = csp_run(csp_build.context(ticket=csp_build.ticket()))
    assert findings == [] and failures == []
"""

GOOD = """
from console.plugin_api import Check, Family, Finding, Level, Setting, hookimpl

LIMIT = {"value": 0}


def _never(ctx):
    return []


@hookimpl
def csp_checks():
    return [Check(id="undertest.never", family=Family.TECHNICAL, run=_never)]


@hookimpl
def csp_settings():
    return [Setting(name="limit", kind=int, default=5)]


@hookimpl
def csp_configure(settings):
    LIMIT["value"] = settings["limit"]
"""


def _outcome(pytester: pytest.Pytester, plugin: str, conftest: str = CONFTEST, test: str = TEST) -> pytest.RunResult:
    pytester.makepyfile(under_test=textwrap.dedent(plugin))
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_plugin=test)
    pytester.syspathinsert()
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:textual-snapshot")


def test_a_healthy_plugin_passes(pytester: pytest.Pytester) -> None:
    result = _outcome(pytester, GOOD)
    result.assert_outcomes(passed=1)


def test_a_misspelled_hook_fails_the_test_naming_it(pytester: pytest.Pytester) -> None:
    result = _outcome(pytester, GOOD.replace("def csp_checks", "def csp_check"))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*plugin undertest*csp_check*"])


def test_a_plugin_without_hookimpl_fails_the_test(pytester: pytest.Pytester) -> None:
    result = _outcome(pytester, GOOD.replace("@hookimpl\n", ""))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*plugin undertest: csp_checks is not marked @hookimpl*"])


def test_naming_no_plugin_fails_the_test(pytester: pytest.Pytester) -> None:
    conftest = CONFTEST.replace('return {"undertest": under_test}', "return {}")
    result = _outcome(pytester, GOOD, conftest=conftest)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*csp_plugins names no plugin*"])


def test_settings_reach_the_plugin_and_a_bad_one_fails(pytester: pytest.Pytester) -> None:
    conftest = CONFTEST + textwrap.dedent(
        """
        @pytest.fixture
        def csp_settings():
            return {"undertest": {"limit": 3}}
        """
    )
    test = TEST + textwrap.dedent(
        """
        def test_the_limit_was_given(csp_host):
            import under_test
            assert under_test.LIMIT["value"] == 3
        """
    )
    _outcome(pytester, GOOD, conftest=conftest, test=test).assert_outcomes(passed=2)
    refused = conftest.replace('{"limit": 3}', '{"limit": "three"}')
    result = _outcome(pytester, GOOD, conftest=refused, test=test)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*plugin undertest*limit*"])
