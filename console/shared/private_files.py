"""Files the console writes, written safely: only its owner may read them, whatever the umask, and never through a
symlink someone planted.

- :func:`replace_file` writes a whole file (an export, a statement, a notice) to a fresh temporary name in the
  target's directory (``tempfile.mkstemp``: ``O_CREAT | O_EXCL``, so no existing path, link or not, is opened),
  mode 0600, synced, then renamed over the target with ``os.replace``: a symlink at the target is replaced
  itself, its target left untouched, and a failed write leaves no half-written file.
- :func:`create_private` creates a file that others then open by name (the workspace, the log) with mode 0600
  (``O_EXCL | O_NOFOLLOW``); SQLite gives the workspace's ``-wal`` and ``-shm`` files the database file's mode.
- :func:`private_dir` creates the directories the console makes with mode 0700.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """``path`` and any missing parents created with mode 0700 (existing ones are left as they are)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
            os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask: 0700 as asked, whatever it is


def create_private(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless something (a file, a link) is there; return whether it did."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


@contextlib.contextmanager
def replace_file(target: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """``with replace_file(path) as out: out.write(...)``: the text written becomes ``target`` (mode 0600) when
    the block ends without an error; until then, and after an error, ``target`` is as it was."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_file(target: Path, text: str) -> None:
    """Write ``text`` as ``target`` with :func:`replace_file`."""
    with replace_file(target) as out:
        out.write(text)
