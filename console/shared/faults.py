"""The one place that says a fault of the workspace file in one sentence: the disk is full, the file or its
directory is read-only, the file is damaged, another agent holds the write lock. The command line's top-level
handler and the console's worker-error handler both ask :func:`fault_sentence`; nothing shows SQLite's own
words or a traceback for these.

It reads SQLite's result codes (``sqlite3.Error.sqlite_errorcode``, Python 3.11; the codes are SQLite's
"Result and Error Codes", https://sqlite.org/rescode.html) and ``errno`` rather than messages. It lives with
the shared core (no Textual, no store, no ``sqlite3`` import) because the screens and the command line may
not import the store.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from console.shared.errors import UserError, WorkspaceError

#: Seen when another connection held the write lock past the busy timeout (said by :class:`WorkspaceBusy`).
BUSY_SENTENCE = (
    "the workspace is busy: another agent is importing or writing; try again in a moment (nothing was changed)"
)

# SQLite's primary result codes (https://sqlite.org/rescode.html; the same numbers as the ``sqlite3`` module's
# SQLITE_* constants, which only the store imports).
_FULL = {13}  # SQLITE_FULL
_READONLY = {8, 3, 14, 23}  # SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN, SQLITE_AUTH
_NOTADB = 26  # SQLITE_NOTADB
_CORRUPT = {11, _NOTADB}  # SQLITE_CORRUPT, SQLITE_NOTADB
_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_IOERR = {10}  # SQLITE_IOERR
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_NO_WRITE = {errno.EACCES, errno.EPERM, errno.EROFS}


class WorkspaceBusy(WorkspaceError, UserError):
    """Another connection held the workspace's write lock through every retry; nothing was changed."""

    title = "Workspace busy: nothing was changed"

    def __init__(self) -> None:
        super().__init__(BUSY_SENTENCE)


def primary_code(error: BaseException) -> int | None:
    """SQLite's primary result code of ``error`` (an extended code's low byte), or ``None``."""
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_busy(error: BaseException | None) -> bool:
    """Whether ``error`` is another connection holding the lock (``database is locked``), retried or not."""
    return isinstance(error, WorkspaceBusy) or (error is not None and primary_code(error) in _BUSY)


def _sqlite_cause(error: BaseException) -> BaseException:
    """The SQLite (or OS) error behind ``error``: a :class:`WorkspaceError` raised ``from`` one says it."""
    seen = error
    while primary_code(seen) is None and not isinstance(seen, OSError) and seen.__cause__ is not None:
        seen = seen.__cause__
    return seen


def fault_sentence(error: BaseException, path: Path | str | None) -> str | None:
    """One sentence for a fault of the workspace at ``path`` (what happened and what to check), or ``None``
    when ``error`` is not one (a bug: the caller shows it as such)."""
    if isinstance(error, WorkspaceBusy):
        return str(error)
    cause = _sqlite_cause(error)
    where = Path(path) if path is not None and str(path) != ":memory:" else None
    code = primary_code(cause)
    number = cause.errno if isinstance(cause, OSError) and _about(cause, where) else None
    if isinstance(cause, OSError) and number is None:
        return None  # another file's trouble (an export's folder): its own handler says it
    if code in _FULL or number in _NO_SPACE or (code in _IOERR and _no_space(where)):
        return full_sentence(where)
    if code in _CORRUPT:
        return damaged_sentence(where, header=code == _NOTADB)
    if code in _BUSY:
        return BUSY_SENTENCE
    if code in _READONLY or number in _NO_WRITE:
        return readonly_sentence(where)
    if code in _IOERR:
        problem = f"a disk error: {_plain(cause)}"
        return f"the workspace {_name(where)}could not be read or written ({problem}); check the disk, the system log"
    return None


def _about(error: OSError, where: Path | None) -> bool:
    """Whether the OS error is about the workspace: its file, -wal/-shm files or a folder on its path."""
    if where is None or error.filename is None:
        return False
    named = Path(os.fsdecode(error.filename))
    return named in (where, Path(f"{where}-wal"), Path(f"{where}-shm"), *where.parents)


def _name(where: Path | None) -> str:
    return f"{where} " if where is not None else ""


def _plain(error: BaseException) -> str:
    """SQLite's or the system's words for ``error``, on one line."""
    name = getattr(error, "sqlite_errorname", None)
    text = " ".join(str(error).split())
    return f"{text}, {name}" if name else text


def _free_bytes(where: Path | None) -> int | None:
    if where is None:
        return None
    try:
        stats = os.statvfs(_existing(where.parent))
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def _no_space(where: Path | None) -> bool:
    free = _free_bytes(where)
    return free is not None and free < 64 * 1024


def _existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def full_sentence(where: Path | None) -> str:
    folder = f" holding {where.parent}" if where is not None else ""
    check = f" (df -h {where.parent})" if where is not None else ""
    return f"the disk{folder} is full: nothing was saved; free some space on it{check} and try again"


def damaged_sentence(where: Path | None, *, header: bool = False) -> str:
    """``header``: SQLite did not find its own first bytes (SQLITE_NOTADB): a workspace damaged from its first
    page, or a file that never was one (``--db`` given a text file: it was said "corrupted pages")."""
    name = str(where) if where is not None else "workspace.db"
    if header:
        return (
            f"the workspace file {name} is damaged or no workspace at all (it does not begin as a SQLite database "
            f"does): nothing was written; give --db the workspace's file, or restore the last backup (README, \"When "
            f'something goes wrong")'
        )
    return (
        f"the workspace file {name} is damaged (SQLite found corrupted pages): nothing more was written; restore "
        f'the last backup (README, "When something goes wrong") and check it with '
        f'`sqlite3 {name} "PRAGMA integrity_check"`'
    )


def readonly_sentence(where: Path | None) -> str:
    """Which part is read-only: the file system, the file, its -wal/-shm files, or its directory."""
    if where is None:
        return "the workspace is read-only: nothing was saved"
    if where.is_dir():
        return f"{where} is a directory, not a workspace file: give the file's path (--db, CSP_CONSOLE_DB)"
    folder = _existing(where.parent)
    try:
        mounted_ro = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        mounted_ro = False
    if mounted_ro:
        return (
            f"the file system holding {folder} is mounted read-only: nothing was saved; remount it read-write "
            f"(findmnt -T {folder}) or move the workspace"
        )
    who = f"uid {os.getuid()}"
    for part in (where, Path(f"{where}-wal"), Path(f"{where}-shm")):
        if part.exists() and not os.access(part, os.R_OK | os.W_OK):
            return (
                f"the workspace file {part} cannot be written by {who}: nothing was saved; check its owner and "
                f"mode (ls -l {part}): the account the console runs as needs read and write"
            )
    if not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"the directory {folder} cannot be written by {who}: nothing was saved; SQLite writes its -wal and "
            f"-shm files next to the workspace, so the account the console runs as must write there (ls -ld {folder})"
        )
    return f"the workspace {where} is read-only (immutable?): nothing was saved; see lsattr {where}"
