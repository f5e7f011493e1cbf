"""sudo's rules, as sudo reads them, and what in them lets an agent act as the service account beyond the console.

Semantics, from ``man sudoers`` (sudo 1.9): ``\\`` at the end of a line continues it; ``#`` starts a comment
unless it begins ``#include``/``#includedir`` (as ``@include``/``@includedir``: a file; every file of a
directory whose name has no ``.`` and does not end in ``~``) or a ``#uid``; aliases ``User_Alias``,
``Runas_Alias``, ``Cmnd_Alias``, ``Host_Alias`` (``NAME = item, ...``); ``Defaults``, ``Defaults:USERS``,
``Defaults>RUNAS``, ``Defaults!CMNDS``, ``Defaults@HOSTS`` set options; a user specification
``USERS HOSTS = (RUNAS) TAGS: COMMAND, ...`` where the run-as list and the tags carry over to the following
commands of the line. A command without arguments may be run with any arguments, ``""`` with none; ``SETENV``
(and the command ``ALL``) lets the user pass any environment. Several ``HOST = ...`` parts joined by ``:`` on
one line are not read here: such a line is reported as one to write plainly.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from console.deploy.findings import Finding

#: Variables sudo must not carry into the console (``env_keep``): who the agent is, the console's own
#: settings, and what changes the program that runs. SSH_ORIGINAL_COMMAND is the recipe's own (the command).
GUARDED_ENV = (
    "CSP_CONSOLE_AGENT",
    "CSP_CONSOLE_DB",
    "CSP_CONSOLE_CONFIG",
    "CSP_CONSOLE_REFRESH_TOKEN_FILE",
    "LOGNAME",
    "USER",
    "SUDO_UID",
    "SUDO_USER",
    "SUDO_GID",
    "HOME",
    "XDG_STATE_HOME",
    "LD_PRELOAD",
    "PYTHONPATH",
    "PYTHONSTARTUP",
)

_ALIAS = re.compile(r"(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.*)")
_TAG = re.compile(
    r"\s*(NOPASSWD|PASSWD|SETENV|NOSETENV|NOEXEC|EXEC|LOG_INPUT|NOLOG_INPUT|LOG_OUTPUT|NOLOG_OUTPUT"
    r"|MAIL|NOMAIL|FOLLOW|NOFOLLOW|INTERCEPT|NOINTERCEPT)\s*:"
)


@dataclass
class Rule:
    users: list[str]
    runas: list[str]
    tags: set[str]
    command: str  # as written, aliases expanded
    where: str


@dataclass
class Sudoers:
    aliases: dict[str, list[str]] = field(default_factory=dict)
    defaults: list[tuple[str, str, str]] = field(default_factory=list)  # (scope, setting, where)
    rules: list[Rule] = field(default_factory=list)
    unread: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    files: list[Path] = field(default_factory=list)


def _split(text: str, sep: str = ",") -> list[str]:
    """A list split at ``sep`` not escaped with a backslash, items stripped."""
    parts = re.split(rf"(?<!\\){re.escape(sep)}", text)
    return [p.strip().replace(f"\\{sep}", sep) for p in parts if p.strip()]


def _logical_lines(path: Path) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        lines.append((start, pending + raw))
        pending = ""
    return lines


def _include(sudoers: Sudoers, directive: str, target: str, base: Path, depth: int) -> None:
    target_path = Path(target) if target.startswith("/") else base.parent / target
    if directive.endswith("includedir"):
        if target_path.is_dir():
            for name in sorted(os.listdir(target_path)):
                if "." not in name and not name.endswith("~"):
                    read(target_path / name, sudoers, depth + 1)
    elif target_path.exists():
        read(target_path, sudoers, depth + 1)


def read(path: Path, sudoers: Sudoers | None = None, depth: int = 0) -> Sudoers:
    """Every alias, Defaults entry and rule of ``path`` and the files it includes."""
    sudoers = sudoers if sudoers is not None else Sudoers()
    sudoers.files.append(path)
    for number, raw in _logical_lines(path):
        text, where = raw.strip(), f"{path}:{number}"
        directive = re.match(r"[@#](include|includedir)\s+(\S+)", text)
        if directive and depth < 8:
            _include(sudoers, directive[0].split()[0], directive[2], path, depth)
            continue
        text = re.sub(r"(^|\s)#(?!\d).*$", "", text).strip()
        if not text:
            continue
        if alias := _ALIAS.match(text):
            for definition in _split(alias[2], ":"):
                name, _, items = definition.partition("=")
                sudoers.aliases[name.strip()] = _split(items)
        elif defaults := re.match(r"Defaults(\S*)\s+(.*)", text):
            sudoers.defaults += [(defaults[1], s, where) for s in _split(defaults[2])]
        else:
            _rule(sudoers, text, where)
    return sudoers


def _rule(sudoers: Sudoers, text: str, where: str) -> None:
    head, sep, spec = text.partition("=")
    words = head.split()
    if not sep or len(words) < 2 or re.search(r"(?<!\\):\s*[^\s:()]+\s*=", spec):
        sudoers.unread.append((where, "not a user specification this check reads (one HOSTS = COMMANDS per line)"))
        return
    users = expand(sudoers, _split(" ".join(words[:-1])))
    runas: list[str] = ["root"]
    tags: set[str] = set()
    for item in _split(spec):
        if item.startswith("("):
            inside, _, item = item[1:].partition(")")
            runas = expand(sudoers, _split(inside.split(":")[0])) or ["root"]
            item = item.strip()
        while tag := _TAG.match(item):
            tags = (tags - {"NO" + tag[1], tag[1].removeprefix("NO")}) | {tag[1]}
            item = item[tag.end() :].strip()
        for command in expand(sudoers, [item]):
            sudoers.rules.append(Rule(users, runas, set(tags), command, where))


def expand(sudoers: Sudoers, items: list[str], depth: int = 0) -> list[str]:
    out: list[str] = []
    for item in items:
        name = item.lstrip("!")
        if name in sudoers.aliases and depth < 8:
            out += expand(sudoers, sudoers.aliases[name], depth + 1)
        else:
            out.append(item)
    return out


def _flag(rule: Rule, service: str) -> list[tuple[str, str, str]]:
    """(what, why, fix) for one command a rule lets its users run as the service account."""
    if rule.command == "ALL":
        return [
            ("runs any command", "an agent gets a shell as the service account", "name the console's exact command")
        ]
    try:
        words = shlex.split(rule.command)
    except ValueError:
        words = rule.command.split()
    flags = []
    if not words or Path(words[0].lstrip("!")).name != "csp-console" or not words[0].startswith("/"):
        flags.append((f"runs {rule.command}", "that is not the console", "allow only the console's exact command"))
    elif len(words) == 1:
        flags.append(
            (
                "runs the console with any arguments",
                "an agent picks the workspace and the config (whose token commands run as the service account)",
                "give the exact arguments of the ForceCommand",
            )
        )
    elif any(c in rule.command for c in "*?["):
        flags.append(
            (
                "runs the console with wildcard arguments",
                "a wildcard matches any extra arguments",
                "give the exact arguments of the ForceCommand",
            )
        )
    if "SETENV" in rule.tags:
        flags.append(("SETENV", "an agent passes any environment (CSP_CONSOLE_AGENT, PYTHONPATH)", "remove SETENV"))
    return [(f"lets {', '.join(rule.users)} run as {service}: {what}", why, fix) for what, why, fix in flags]


def _defaults_apply(scope: str, agents: list[str], service: str) -> bool:
    kind, names = scope[:1], _split(scope[1:])
    if kind == ":":
        return "ALL" in names or any(n in agents for n in names)
    if kind == ">":
        return "ALL" in names or service in names
    return True  # global, per host or per command: counted (the console is a command)


def _unsafe_default(setting: str) -> tuple[str, str] | None:
    name, op, value = re.match(r"(!*\w+)\s*([+-]?=)?\s*(.*)", setting).groups()  # type: ignore[union-attr]
    if name in ("!env_reset", "setenv"):
        return setting, "the console would get the agent's environment"
    if name == "env_keep" and op in ("=", "+="):
        kept = [k for k in value.strip("\"'").split() if any(fnmatch.fnmatchcase(g, k) for g in GUARDED_ENV)]
        if kept:
            return f"env_keep keeps {', '.join(kept)}", "the agent's own value reaches the console"
    return None


def check(path: Path, service: str) -> tuple[list[Finding], list[str]]:
    """What lets an agent run more than the console as ``service``; and the groups that may run it (``%group``)."""
    try:
        sudoers = read(path)
    except OSError as exc:
        return [
            Finding("cannot read sudo's rules", str(path), exc.strerror or str(exc), "run deploy check as root")
        ], []
    found = [Finding("a line this check cannot read", where, why, "write it plainly") for where, why in sudoers.unread]
    rules = [r for r in sudoers.rules if service in r.runas]
    agents = sorted({u for r in rules for u in r.users})
    if not rules:
        found.append(
            Finding(
                f"no rule lets the agents run the console as {service}",
                str(path),
                "the ForceCommand's sudo will refuse every agent",
                "add the README's drop-in to /etc/sudoers.d/",
            )
        )
    for rule in rules:
        found += [Finding(what, rule.where, why, fix) for what, why, fix in _flag(rule, service)]
    for scope, setting, where in sudoers.defaults:
        if _defaults_apply(scope, agents, service) and (bad := _unsafe_default(setting)):
            found.append(Finding(f"Defaults{scope} {bad[0]}", where, bad[1], "remove it"))
    return found, [u[1:] for u in agents if u.startswith("%")]
