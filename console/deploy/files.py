"""Owners and modes of the desk's files: each owned by the service account and private to it.

The workspace, its ``-wal``/``-shm`` (SQLite's write-ahead log, "sqlite.org/wal.html": whoever can write them
can change the workspace), its directory (whoever can write it can replace the file), the desk's config (its
token commands run as the service account), the refresh-token and certificate files (the partner's standing
access to every customer) and the log: files 0600, directories 0700 (``man 2 stat`` for the mode bits).
"""

from __future__ import annotations

import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

from console.deploy.findings import Finding


@dataclass(frozen=True)
class Expect:
    """One path the recipe expects, and how strictly."""

    what: str  # "the workspace"
    path: Path
    directory: bool = False
    required: bool = True  # a missing one is a finding (the -wal of a closed workspace is not)
    why: str = "an agent could change the workspace and its audit without the console, or read every customer"


def login_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def service_log(service_uid: int, running_uid: int, own_log: Path) -> Path:
    """The log of the service account: this process's own when it is that account, else its home's default."""
    if service_uid == running_uid:
        return own_log
    try:
        home = Path(pwd.getpwuid(service_uid).pw_dir)
    except KeyError:
        return own_log
    return home / ".local" / "state" / "csp-console" / "log" / "console.log"


def check_path(expect: Expect, service_uid: int) -> list[Finding]:
    """What is unsafe about one path: missing, a symbolic link, another owner, readable or writable by others."""
    path, what, owner = expect.path, expect.what, login_of(service_uid)
    try:
        info = path.lstat()
    except FileNotFoundError:
        if not expect.required:
            return []
        return [Finding(f"{what} is missing", str(path), "the recipe expects it here", f"create it as {owner}")]
    except OSError as exc:
        return [Finding(f"cannot inspect {what}", str(path), exc.strerror or str(exc), "run deploy check as root")]
    if stat.S_ISLNK(info.st_mode):
        return [
            Finding(
                f"{what} is a symbolic link",
                str(path),
                "whoever can change the link chooses the file the desk uses",
                f"put the real {'directory' if expect.directory else 'file'} here",
            )
        ]
    found: list[Finding] = []
    if info.st_uid != service_uid:
        found.append(
            Finding(
                f"{what} belongs to {login_of(info.st_uid)}, not the service account {owner}",
                str(path),
                "its owner can change it behind the desk's back",
                f"chown {owner} {path}",
            )
        )
    mode = stat.S_IMODE(info.st_mode)
    private = 0o700 if expect.directory else 0o600
    if mode & 0o077:
        others = "its group and others" if mode & 0o070 and mode & 0o007 else "its group" if mode & 0o070 else "others"
        writable = " and writable" if mode & 0o022 else ""
        found.append(
            Finding(
                f"{what} is readable{writable} by {others} (mode {mode:04o})",
                str(path),
                expect.why,
                f"chmod {private:o} {path}",
            )
        )
    return found


def desk_files(db: Path, config: Path, token_files: list[tuple[str, Path]], log: Path) -> list[Expect]:
    """What the recipe expects on disk, in the order it is said."""
    expected = [
        Expect("the workspace's directory", db.parent, directory=True),
        Expect("the workspace", db),
        Expect("the workspace's write-ahead log", Path(f"{db}-wal"), required=False),
        Expect("the workspace's shared-memory file", Path(f"{db}-shm"), required=False),
        Expect("the desk's config", config, why="its token commands run as the service account"),
    ]
    secret = "it is the partner's standing access to every customer"
    expected += [Expect(what, path, why=secret) for what, path in token_files]
    logged = "it tells what every agent did, with customers' names"
    expected += [Expect("the log's directory", log.parent, directory=True, required=False, why=logged)]
    expected += [Expect("the log", log, required=False, why=logged)]
    return expected


def owner_uid(path: Path) -> int | None:
    try:
        return path.stat().st_uid
    except OSError:
        return None


def running_uid() -> int:
    return os.getuid()
