"""``csp-console config show|path``: the effective configuration, its plugins' secret settings hidden."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli.output import out
from console.settings.config import load_config


def cmd_config(args: argparse.Namespace, path: Path) -> int:
    if args.config_command == "path":
        out(path)
        return 0
    config = load_config(path)
    source = f"# from {path}" if config.loaded_from_file else f"# {path} does not exist: defaults"
    hidden: dict[str, list[str]] = {}
    if config.plugins:  # only then are the plugins asked which of their settings are secret
        from console.cli.plugin_commands import host_for

        schema = host_for(path).settings_schema
        hidden = {name: [s.name for s in settings if s.secret] for name, settings in schema.items()}
        # A section of a plugin not loaded here: nothing says which keys are secret, so none is shown.
        hidden.update({name: list(section) for name, section in config.plugins.items() if name not in schema})
    out(source)
    out(config.to_toml(hidden), end="")
    return 0
