"""The pluggy project name the console's hooks are registered under, and the marker for a plugin's hooks.

Part of the public plugin API: plugins import :data:`hookimpl` from :mod:`console.plugin_api`."""

from __future__ import annotations

import pluggy

PROJECT = "csp_console"
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marker for a plugin's hook implementations: ``@hookimpl def csp_checks(): ...``."""
