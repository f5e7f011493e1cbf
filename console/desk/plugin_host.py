"""The plugins as a desk loads them: the config's ``[plugins.NAME]`` sections handed to their plugins, and the
desk policy's ``plugins.replace`` (which services another plugin provides in place of their owner)."""

from __future__ import annotations

from console.desk.policy import PolicyError, read_policy
from console.plugins.host import PluginHost, load_plugins
from console.settings.config import Config
from console.store import Workspace


def desk_plugins(ws: Workspace | None, config: Config) -> PluginHost:
    """The loaded plugins for a desk on ``ws`` (``None``: no workspace yet, so no replacement granted)."""
    replace: dict[str, str] = {}
    if ws is not None:
        try:
            replace = read_policy(ws).plugin_replacements
        except PolicyError:  # the desk reports a bad stored rule itself; no replacement is granted meanwhile
            replace = {}
    return load_plugins(
        replace=replace, settings=config.plugins, settings_file=config.path if config.loaded_from_file else None
    )
