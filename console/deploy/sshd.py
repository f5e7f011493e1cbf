"""sshd_config as sshd reads it, for one group of agents, and what in it is unsafe for them.

Semantics, from ``man sshd_config`` (OpenSSH 9.2): one ``Keyword arguments`` (or ``Keyword=arguments``) per
line, keywords case-insensitive, ``#`` starts a comment line; ``Include`` reads files (globs, relative to
/etc/ssh) in place; a ``Match`` block lasts until the next ``Match`` or the end of the file ("Match All" ends
one); "unless noted otherwise, for each keyword, the first obtained value will be used", and a keyword in a
satisfied ``Match`` block wins over the global one ("only the first instance of the keyword is applied").
``AcceptEnv`` accumulates. Here ``Match`` criteria are judged for the agents' group only (``Group``, ``User``
of its members, ``All``): a block with another criterion (``Address``, ``Host``...) may or may not apply, so
it does not count as giving the agents a setting the recipe needs, yet its unsafe settings are flagged.
"""

from __future__ import annotations

import fnmatch
import glob
import itertools
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from console.deploy.findings import Finding

#: Names an agent must not be able to send (``AcceptEnv``): who they are, and the console's own settings.
GUARDED_ENV = (
    "CSP_CONSOLE_AGENT",
    "CSP_CONSOLE_DB",
    "CSP_CONSOLE_CONFIG",
    "LOGNAME",
    "USER",
    "SUDO_UID",
    "SUDO_USER",
    "SUDO_GID",
    "LD_PRELOAD",
    "PYTHONPATH",
)

#: Forwarding an agent must not have (keyword, sshd's default, the safe value); ``DisableForwarding yes`` covers all.
FORWARDING = (
    ("AllowTcpForwarding", "yes", "no"),
    ("AllowStreamLocalForwarding", "yes", "no"),
    ("AllowAgentForwarding", "yes", "no"),
    ("X11Forwarding", "no", "no"),
    ("PermitTunnel", "no", "no"),
)


_KEYWORD = re.compile(r"([A-Za-z0-9]+)(?:\s*=\s*|\s+)(.*)")


@dataclass
class Line:
    keyword: str  # lower case
    value: str
    where: str  # FILE:LINE


@dataclass
class Block:
    criteria: list[tuple[str, str]]  # [] for the global section
    where: str
    lines: list[Line] = field(default_factory=list)


def parse(path: Path, blocks: list[Block] | None = None, depth: int = 0) -> list[Block]:
    """The global section and the ``Match`` blocks of ``path`` and the files it includes, in order."""
    blocks = blocks if blocks is not None else [Block([], str(path))]
    current = blocks[-1]
    outer = current
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        found = _KEYWORD.match(text)
        if found is None:
            continue
        keyword, value, where = found[1].lower(), found[2].strip(), f"{path}:{number}"
        if keyword == "match":
            words = value.split()
            criteria = [(w.lower(), v) for w, v in zip(words[::2], words[1::2], strict=False)]
            criteria = [] if words and words[0].lower() == "all" else criteria
            current = Block(criteria, where) if criteria else Block([], where)
            blocks.append(current)
        elif keyword == "include" and depth < 16:
            for pattern in shlex.split(value):
                full = pattern if pattern.startswith("/") else f"/etc/ssh/{pattern}"
                for name in sorted(glob.glob(full)):
                    parse(Path(name), blocks, depth + 1)
            blocks.append(Block(current.criteria, where))  # what follows an Include is still this block
            current = blocks[-1]
        else:
            current.lines.append(Line(keyword, value, where))
    if depth:
        blocks.append(Block(outer.criteria, str(path)))  # a Match in an included file ends with that file
    return blocks


def _matches(patterns: str, name: str) -> bool:
    """sshd's pattern lists ("PATTERNS" in ``man ssh_config``): comma-separated, ``*``/``?``, ``!`` negates."""
    hit = False
    for pattern in patterns.split(","):
        if pattern.startswith("!") and fnmatch.fnmatchcase(name, pattern[1:]):
            return False
        hit = hit or fnmatch.fnmatchcase(name, pattern)
    return hit


def applies(block: Block, group: str, members: list[str]) -> bool | None:
    """Whether a block applies to every agent of ``group``: True, False, or None (another criterion decides)."""
    verdict: bool | None = True
    for criterion, patterns in block.criteria:
        if criterion == "group":
            ok = _matches(patterns, group)
        elif criterion == "user":
            ok = bool(members) and all(_matches(patterns, m) for m in members)
        else:
            verdict = None
            continue
        if not ok:
            return False
    return verdict


@dataclass
class Effective:
    """The agents' settings: keyword -> (value, where), first obtained; every AcceptEnv pattern with its place."""

    sure: dict[str, tuple[str, str]]  # from the global section and the blocks that surely apply
    maybe: list[Line]  # every line of the blocks that may apply
    accept_env: list[tuple[str, str]]


def effective(blocks: list[Block], group: str, members: list[str]) -> Effective:
    matched: dict[str, tuple[str, str]] = {}
    globals_: dict[str, tuple[str, str]] = {}
    maybe: list[Line] = []
    accept: list[tuple[str, str]] = []
    for block in blocks:
        verdict = applies(block, group, members) if block.criteria else True
        if verdict is False:
            continue
        target = globals_ if not block.criteria else matched
        for line in block.lines:
            if line.keyword == "acceptenv":
                accept += [(p, line.where) for p in line.value.split()]
            elif verdict:
                target.setdefault(line.keyword, (line.value, line.where))
            else:
                maybe.append(line)
    return Effective({**globals_, **matched}, maybe, accept)


def _console_via_sudo(command: str, service: str) -> bool:
    """Whether a ForceCommand runs csp-console as ``service`` through ``sudo -n -u SERVICE`` (``man sudo``)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if not words or Path(words[0]).name != "sudo":
        return False
    user = ""
    for before, word in itertools.pairwise(words):
        if before in ("-u", "--user"):
            user = word
        elif word.startswith("--user="):
            user = word.split("=", 1)[1]
    return user == service and any(Path(w).name == "csp-console" and w.startswith("/") for w in words[1:])


def check(path: Path, group: str, members: list[str], service: str) -> list[Finding]:
    """What in sshd's config lets an agent of ``group`` reach the desk other than through the console."""
    try:
        blocks = parse(path)
    except OSError as exc:
        return [Finding("cannot read sshd's config", str(path), exc.strerror or str(exc), "run deploy check as root")]
    settings = effective(blocks, group, members)
    found: list[Finding] = []
    force = settings.sure.get("forcecommand")
    if force is None or not _console_via_sudo(force[0], service):
        found.append(
            Finding(
                f"no ForceCommand running the console as {service} for the group {group}",
                force[1] if force else str(path),
                "an agent gets a shell (or another program) and their own login's access to the files",
                f"add 'Match Group {group}' with 'ForceCommand sudo -n -u {service} .../csp-console ...' "
                "(README, Many agents on one host)",
            )
        )
    found += _unsafe_settings(settings, group)
    return found


def _unsafe_settings(settings: Effective, group: str) -> list[Finding]:
    found: list[Finding] = []
    candidates = [(k, v, w) for k, (v, w) in settings.sure.items()] + [
        (x.keyword, x.value, x.where) for x in settings.maybe
    ]
    for keyword, value, where in candidates:
        if keyword == "permituserenvironment" and value.lower() != "no":
            found.append(
                Finding(
                    f"PermitUserEnvironment {value}",
                    where,
                    "an agent's ~/.ssh/environment would set the console's environment",
                    "remove it (sshd's default is no)",
                )
            )
    for pattern, where in settings.accept_env:
        names = [n for n in GUARDED_ENV if fnmatch.fnmatchcase(n, pattern)]
        if names:
            found.append(
                Finding(
                    f"AcceptEnv {pattern} lets an agent send {', '.join(names)}",
                    where,
                    "the client would choose who the agent is or which workspace and config the console uses",
                    f"remove {pattern} from AcceptEnv",
                )
            )
    if settings.sure.get("disableforwarding", ("no", ""))[0].lower() != "yes":
        for keyword, default, safe in FORWARDING:
            value, where = settings.sure.get(keyword.lower(), (default, "default"))
            if value.lower() != safe:
                found.append(
                    Finding(
                        f"{keyword} {value} for the group {group}",
                        where if where != "default" else f"sshd's default ({keyword} {default})",
                        "an agent could reach the host's sockets and ports (or bring their own) past the console",
                        f"add 'DisableForwarding yes' to the Match Group {group} block",
                    )
                )
    return found
