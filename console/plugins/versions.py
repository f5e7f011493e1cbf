"""The plugin API's version and the rule for whether a plugin's declared need is honoured.

``API_VERSION`` is ``"MAJOR.MINOR"``. A plugin declares the version it was written for as a module attribute,
``csp_console_api = "1.0"``: the console loads it when the major versions are equal and the plugin's minor is
not newer than the console's (1.0 plugins load on a 1.3 console; a 1.4 plugin is refused by a 1.3 console, and
every 2.x plugin by any 1.x console). A plugin that declares nothing is loaded as written for 1.0.
Within a major version the API only grows: no name is removed or changes meaning; a removal is announced one
minor version ahead, in the docs' changelog, and made in the next major version.
"""

from __future__ import annotations

import re

API_VERSION = "1.0"
_FORM = re.compile(r"(\d+)\.(\d+)")


def parse(text: str) -> tuple[int, int] | None:
    match = _FORM.fullmatch(text.strip())
    return (int(match[1]), int(match[2])) if match else None


def refusal(declared: object) -> str | None:
    """Why a plugin declaring ``declared`` (its ``csp_console_api``) cannot be loaded, or ``None``."""
    if declared is None:
        return None
    ours = parse(API_VERSION)
    assert ours is not None
    theirs = parse(declared) if isinstance(declared, str) else None
    if theirs is None:
        return f"csp_console_api is {declared!r}: expected a version such as {API_VERSION!r}"
    if theirs[0] != ours[0] or theirs[1] > ours[1]:
        return (
            f"needs plugin API {declared}, this console offers {API_VERSION} "
            f"(upgrade csp-triage-console, or use a release of the plugin written for {ours[0]}.x)"
        )
    return None
