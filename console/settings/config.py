"""The configuration file (TOML): the partner profile, which decides the escalation vehicles it may use, how the
console reaches Microsoft (``[microsoft]``, the desk's deployment), and the agent's own settings (keys, theme,
refresh, views' columns). The desk's rules (roles, claim time, time zone, SLA defaults) are not here: they live in
the workspace (:mod:`console.desk.policy`) and a file that sets one is refused, naming its line.

A missing file means the defaults below; a malformed one raises :class:`ConfigError` naming the file, the
line and the key. ``csp-console config show`` prints the effective configuration. The file's shape is declared
in :mod:`console.settings.shapes`; the rules on its values are in :mod:`console.settings.rules`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from console.settings.demo_config import DEMO_CONFIG, DEMO_POLICY, demo_collections_policy, write_demo_config
from console.settings.rules import check
from console.settings.shapes import (
    COMPETENCY_LEVELS,
    DEFAULT_FIRST_RESPONSE_HOURS,
    DEFAULT_RESOLUTION_HOURS,
    Competency,
    ConfigFile,
    Contracts,
    MailSection,
    Microsoft,
    Partner,
    Sla,
)
from console.settings.toml_lines import line_of, malformed
from console.shared.shapes import ShapeError, convert, dotted, label

__all__ = [
    "COMPETENCY_LEVELS",
    "DEFAULT_FIRST_RESPONSE_HOURS",
    "DEFAULT_RESOLUTION_HOURS",
    "DEMO_CONFIG",
    "DEMO_POLICY",
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
    # The desk's rules in force: never read from the file, filled from the workspace's desk policy by
    # console.desk.policy.applied (the desk, the console and every command do); the defaults until then.
    roles: dict[str, list[str]] = field(default_factory=dict)  # action -> roles allowed (overrides the default)
    claim_minutes: int = 30  # how long a claim lasts without activity
    time_zone: str = "UTC"  # where the desk's day starts and ends (the health board's "today")
    sla: Sla = field(default_factory=Sla)
    refresh_ms: int = 500  # how often the console looks for changes made by other sessions
    theme: str = "textual-dark"  # the colour theme (console.settings.shapes.THEMES)
    microsoft: Microsoft = field(default_factory=Microsoft)
    collections_policy: str = ""  # [collections] policy: a TOML file, relative to the config file
    views: dict[str, tuple[str, ...]] = field(default_factory=dict)  # [views."NAME"] columns: view -> columns
    audit_syslog: str = ""  # [audit] syslog: mirror every audit row to this syslog socket ("" for none)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)  # [plugins.NAME] sections, as written
    mail: MailSection = field(default_factory=MailSection)
    path: Path | None = None
    loaded_from_file: bool = False

    def to_toml(self, hidden: Mapping[str, Iterable[str]] | None = None) -> str:
        """The configuration as TOML; ``hidden``: per plugin, the keys of its section never printed (secrets)."""
        data: dict[str, Any] = {"partner": msgspec.to_builtins(self.partner)}
        data["console"] = {"refresh_ms": self.refresh_ms, "theme": self.theme}
        data["microsoft"] = msgspec.to_builtins(self.microsoft)
        if self.collections_policy:
            data["collections"] = {"policy": self.collections_policy}
        if self.keys:
            data["keys"] = dict(self.keys)
        if self.audit_syslog:
            data["audit"] = {"syslog": self.audit_syslog}
        if self.mail.address:
            data["mail"] = msgspec.to_builtins(self.mail)
        if self.views:
            data["views"] = {name: {"columns": list(columns)} for name, columns in self.views.items()}
        if self.plugins:
            data["plugins"] = {
                name: {k: ("(hidden)" if k in set((hidden or {}).get(name, ())) else v) for k, v in section.items()}
                for name, section in self.plugins.items()
            }
        import tomli_w  # only to show the configuration

        return tomli_w.dumps(data)


def named_config(path: Path, named_by: str | None) -> Path:
    """``path``, where a person named it (``named_by``: the option; else ``$CSP_CONSOLE_CONFIG`` if set) and it is
    there: a mistyped name, or a desk's file gone, is refused rather than read as no settings at all."""
    named_by = named_by or ("$CSP_CONSOLE_CONFIG" if os.environ.get("CSP_CONSOLE_CONFIG") else None)
    if named_by is not None and not path.exists():
        raise ConfigError(
            f"{path}: no config file here (named by {named_by}): give the path of an existing file, or name none "
            "for the default"
        )
    return path


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
        raise ConfigError(malformed(path, exc)) from None
    _refuse_desk_rules(path, text, data)
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
        refresh_ms=console.refresh_ms,
        theme=console.theme,
        microsoft=shape.microsoft,
        collections_policy=shape.collections.policy,
        views={name: view.columns for name, view in shape.views.items() if view.columns},
        audit_syslog=shape.audit.syslog,
        plugins={name: dict(section) for name, section in shape.plugins.items()},
        mail=shape.mail,
        path=path,
        loaded_from_file=True,
    )


#: The desk rules a config file once held: (table, key or None for the whole table) -> the rule's key now.
DESK_RULES_IN_FILES: dict[tuple[str, str | None], str] = {
    ("roles", None): "roles.ACTION ROLES",
    ("sla", None): "sla.KEY VALUE",
    ("console", "claim_minutes"): "claim_minutes MINUTES",
    ("console", "time_zone"): "time_zone ZONE",
    ("microsoft", "allow_http"): "microsoft.allow_http true",
}


#: The first line of a config file an earlier ``csp-console demo`` wrote (with the desk rules of its day in it).
DEMO_HEADER = "written by `csp-console demo`"
DEMO_FILE_HINT = (
    ". This file was written by an earlier csp-console demo: delete the desk rules from it (or move it aside: the"
    " defaults apply without it) and set them with csp-console policy set"
)


def _table_line(text: str, table: str) -> int | None:
    """The first line of table ``table`` or of a table inside it (``[sla.first_response_hours]``)."""
    header = re.compile(rf'^\s*\[\s*"?{re.escape(table)}"?\s*[\].]')
    return next((n for n, line in enumerate(text.splitlines(), start=1) if header.match(line)), None)


def _refuse_desk_rules(path: Path, text: str, data: dict[str, Any]) -> None:
    """A desk rule in an agent's own file is refused, never applied: the file would widen the agent's roles."""
    for (table, key), command in DESK_RULES_IN_FILES.items():
        section = data.get(table)
        if section is None or (key is not None and (not isinstance(section, dict) or key not in section)):
            continue
        name = f"[{table}]" if key is None else f"[{table}] {key}"
        line = line_of(text, f"{table}.{key}") if key is not None else _table_line(text, table)
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(
            f"{where}: {name} is a desk rule: it lives in the workspace, not in a config file; a Global admin sets "
            f"it with csp-console policy set {command} (csp-console policy show lists the rules)"
            + (DEMO_FILE_HINT if DEMO_HEADER in text else "")
        )
