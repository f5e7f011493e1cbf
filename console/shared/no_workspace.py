"""What a person is told where a workspace was expected and there is none: the same sentence from the console,
every command and the store, so each names the way to make one."""

from __future__ import annotations

from pathlib import Path


def missing_sentence(db_path: Path | str, *, empty: bool = False, foreign: bool = False) -> str:
    """``db_path``: a file's path, or a database's URL as shown (without its password). ``empty``: the file is
    there with 0 bytes; ``foreign``: a SQLite database of something else (nothing of it was changed)."""
    if isinstance(db_path, str):
        what = f"the database {db_path} holds no workspace yet"
    else:
        what = f"the workspace {db_path} is empty (0 bytes)" if empty else f"no workspace at {db_path}"
    if foreign:
        return (
            f"{db_path} is a SQLite database of something else, not a workspace (nothing in it was changed): give "
            "--db a workspace's file, or a new path to `csp-console demo --db PATH` or `csp-console import --db PATH`"
        )
    return (
        f"{what}: create one with `csp-console import --db {db_path} FILE...` (or restore a backup), "
        f"or write a demo there with `csp-console demo --db {db_path}`"
    )
