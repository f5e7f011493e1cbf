"""The configuration file (TOML): the partner profile, which decides the escalation vehicles it may use.

A missing file means the defaults below; a malformed one raises :class:`ConfigError` naming the file, the
line and the key. ``csp-console config show`` prints the effective configuration. The file's shape is declared
in :mod:`console.settings.shapes`; the rules on its values are in :mod:`console.settings.rules`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from console.settings.demo_config import DEMO_CONFIG, demo_collections_policy, write_demo_config
from console.settings.rules import check
from console.settings.shapes import (
    COMPETENCY_LEVELS,
    DEFAULT_FIRST_RESPONSE_HOURS,
    DEFAULT_RESOLUTION_HOURS,
    Competency,
    ConfigFile,
    Contracts,
    Microsoft,
    Partner,
    Sla,
)
from console.settings.toml_lines import line_of
from console.shared.shapes import ShapeError, convert, dotted, label

__all__ = [
    "COMPETENCY_LEVELS",
    "DEFAULT_FIRST_RESPONSE_HOURS",
    "DEFAULT_RESOLUTION_HOURS",
    "DEMO_CONFIG",
    "Competency",
    "Config",
    "ConfigError",
    "Contracts",
    "Microsoft",
    "Partner",
    "Sla",
    "demo_collections_policy",
    "load_config",
    "write_demo_config",
]


class ConfigError(Exception):
    """A malformed config file; the message names the file, line and key."""


@dataclass(frozen=True)
class Config:
    partner: Partner = field(default_factory=Partner)
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> keys, e.g. "queue.claim" = "c,C"
    roles: dict[str, list[str]] = field(default_factory=dict)  # action -> roles allowed (overrides the default)
    claim_minutes: int = 30  # how long a claim lasts without activity
    time_zone: str = "UTC"  # where the desk's day starts and ends (the health board's "today")
    refresh_ms: int = 500  # how often the console looks for changes made by other sessions
    theme: str = "textual-dark"  # the colour theme (console.settings.shapes.THEMES)
    microsoft: Microsoft = field(default_factory=Microsoft)
    sla: Sla = field(default_factory=Sla)
    collections_policy: str = ""  # [collections] policy: a TOML file, relative to the config file
    views: dict[str, tuple[str, ...]] = field(default_factory=dict)  # [views."NAME"] columns: view -> columns
    audit_syslog: str = ""  # [audit] syslog: mirror every audit row to this syslog socket ("" for none)
    path: Path | None = None
    loaded_from_file: bool = False

    def to_toml(self) -> str:
        data: dict[str, Any] = {"partner": msgspec.to_builtins(self.partner)}
        data["console"] = {
            "claim_minutes": self.claim_minutes,
            "time_zone": self.time_zone,
            "refresh_ms": self.refresh_ms,
            "theme": self.theme,
        }
        data["microsoft"] = msgspec.to_builtins(self.microsoft)
        data["sla"] = msgspec.to_builtins(self.sla)
        if self.collections_policy:
            data["collections"] = {"policy": self.collections_policy}
        if self.keys:
            data["keys"] = dict(self.keys)
        if self.roles:
            data["roles"] = {k: list(v) for k, v in self.roles.items()}
        if self.audit_syslog:
            data["audit"] = {"syslog": self.audit_syslog}
        if self.views:
            data["views"] = {name: {"columns": list(columns)} for name, columns in self.views.items()}
        import tomli_w  # only to show the configuration

        return tomli_w.dumps(data)


def load_config(path: Path) -> Config:
    """Read the config file at ``path``; defaults when it does not exist."""
    if not path.exists():
        return Config(path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise ConfigError(f"{where}: malformed TOML: {exc}") from None
    try:
        shape = convert(data, ConfigFile)
        check(shape, data)
    except ShapeError as exc:
        line = line_of(text, dotted(exc.path)) if exc.path else None
        where = f"{path}:{line}" if line else str(path)
        message = exc.message if exc.whole else f"{label(exc.path)}: {exc.message}"
        raise ConfigError(f"{where}: {message}") from None
    console = shape.console
    return Config(
        partner=shape.partner,
        keys=dict(shape.keys),
        roles={k: list(v) for k, v in shape.roles.items()},
        claim_minutes=console.claim_minutes,
        time_zone=console.time_zone,
        refresh_ms=console.refresh_ms,
        theme=console.theme,
        microsoft=shape.microsoft,
        sla=_with_defaults(shape.sla),
        collections_policy=shape.collections.policy,
        views={name: view.columns for name, view in shape.views.items() if view.columns},
        audit_syslog=shape.audit.syslog,
        path=path,
        loaded_from_file=True,
    )


def _with_defaults(sla: Sla) -> Sla:
    """``[sla]`` as the desk uses it: every severity's targets (the file's over the defaults), thresholds sorted."""
    return msgspec.structs.replace(
        sla,
        first_response_hours={**DEFAULT_FIRST_RESPONSE_HOURS, **sla.first_response_hours},
        resolution_hours={**DEFAULT_RESOLUTION_HOURS, **sla.resolution_hours},
        warn_at=tuple(sorted(sla.warn_at)),
    )
