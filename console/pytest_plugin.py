"""pytest fixtures for plugin authors: add ``pytest_plugins = ["console.pytest_plugin"]`` to a conftest.

- ``csp_build``: the :mod:`console.testing` builders (``csp_build.subscription(quantity=310)``...).
- ``csp_plugins``: override it to name the plugins under test, ``{"windows365": my_plugin_module}``.
- ``csp_settings``: override it to give their ``[plugins.NAME]`` sections, ``{"windows365": {"limit": 3}}``.
- ``csp_host``: a plugin host with only the plugins named in ``csp_plugins`` (the built-in ones are not loaded
  unless named). It **fails the test** when ``csp_plugins`` names nothing, when a plugin under test did not
  load (an import error, a misspelled hook, a refused API version, settings its schema refuses) or
  registered no hook at all (``@hookimpl`` forgotten): a broken plugin never passes "expects nothing" tests.
- ``csp_run``: ``csp_run(ctx)`` runs the host's ticket checks (``scope="account"`` for opportunities)
  with the console's isolation and returns ``(findings, failures)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

import pytest

from console import testing
from console.plugin_api import CheckContext, Finding
from console.plugins.checkup import problems_of
from console.plugins.host import PluginHost, load_plugins
from console.plugins.runner import CheckRunner, PluginFailure


@pytest.fixture
def csp_build() -> ModuleType:
    return testing


@pytest.fixture
def csp_plugins() -> dict[str, Any]:
    """Override to name the plugins under test: ``{"windows365": my_plugin_module}``."""
    return {}


@pytest.fixture
def csp_settings() -> dict[str, Mapping[str, Any]]:
    """Override to give the plugins' ``[plugins.NAME]`` sections: ``{"windows365": {"limit": 3}}``."""
    return {}


@pytest.fixture
def csp_host(csp_plugins: dict[str, Any], csp_settings: dict[str, Mapping[str, Any]]) -> PluginHost:
    host = load_plugins(
        installed=False,
        env={"CSP_CONSOLE_LOAD_PLUGINS": ",".join(csp_plugins)},
        extra=csp_plugins,
        settings=csp_settings,
    )
    problems = problems_of(host, csp_plugins)
    if problems:
        pytest.fail("the plugin under test is not usable:\n  " + "\n  ".join(problems), pytrace=False)
    return host


@pytest.fixture
def csp_run(csp_host: PluginHost) -> Iterator[Callable[..., tuple[list[Finding], list[PluginFailure]]]]:
    runner = CheckRunner(csp_host)

    def run(ctx: CheckContext, scope: str = "ticket") -> tuple[list[Finding], list[PluginFailure]]:
        result = runner.run(ctx, scope)
        return [f for _, f in result.findings], result.failures

    yield run
    runner.close()
