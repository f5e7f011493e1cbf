"""pytest fixtures for plugin authors: add ``pytest_plugins = ["console.pytest_plugin"]`` to a conftest.

- ``csp_build``: the :mod:`console.testing` builders (``csp_build.subscription(quantity=310)``...).
- ``csp_host``: a plugin host with only the plugins named in ``csp_plugins`` (a fixture you may override to
  return ``{"name": module}``); the built-in ones are not loaded unless named.
- ``csp_run``: ``csp_run(ctx)`` runs the host's ticket checks (``scope="account"`` for opportunities)
  with the console's isolation and returns ``(findings, failures)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from console import testing
from console.plugin_api import CheckContext, Finding
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
def csp_host(csp_plugins: dict[str, Any]) -> PluginHost:
    return load_plugins(installed=False, env={"CSP_CONSOLE_LOAD_PLUGINS": ",".join(csp_plugins)}, extra=csp_plugins)


@pytest.fixture
def csp_run(csp_host: PluginHost) -> Iterator[Callable[..., tuple[list[Finding], list[PluginFailure]]]]:
    runner = CheckRunner(csp_host)

    def run(ctx: CheckContext, scope: str = "ticket") -> tuple[list[Finding], list[PluginFailure]]:
        result = runner.run(ctx, scope)
        return [f for _, f in result.findings], result.failures

    yield run
    runner.close()
