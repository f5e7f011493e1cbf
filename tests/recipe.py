"""The README's shared-host recipe ("Many agents on one host"), read from the README itself, with its names and
paths replaced by a test's: the files the tests set up are the ones the README shows."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
SSHD_DROP_IN = "# /etc/ssh/sshd_config.d/csp-console.conf"
SUDOERS_DROP_IN = "# /etc/sudoers.d/csp-console"


def block(first_line: str) -> str:
    """The README's code block that starts with ``first_line`` (that comment line included)."""
    for found in re.finditer(r"^```\w*\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M):
        if found[1].startswith(first_line):
            return found[1]
    raise LookupError(f"README.md has no code block starting {first_line!r}")


def recipe(first_line: str, *, service: str, group: str, venv: Path, srv: Path) -> str:
    """A drop-in of the README with this test's service account, agents' group, venv and desk directory."""
    text = block(first_line)
    for old, new in (
        ("/opt/csp-console/.venv", str(venv)),
        ("/srv/csp", str(srv)),
        ("csp-desk", service),
        ("csp-agents", group),
    ):
        text = text.replace(old, new)
    return text
