"""The staging file of an import: every validated record, written before anything reaches the workspace (part
of the store: all SQL lives in this package).

An import first reads, validates and checks every record of every file into a private SQLite file beside the
workspace (mode 0600, removed afterwards, or by the next import when this one was killed), holding no lock on
the workspace; only then does it write the records into the workspace, in short transactions, so that the desk
keeps working while a long import runs.
The staging file also finds a record that appears twice in an import however far apart (in one file or in two
files of one kind) and names both lines, without holding every key in memory.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from console.records.kinds import Kind
from console.store.dialect import SQLITE

_SCHEMA = (
    "CREATE TABLE staged (kind TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT NOT NULL, line INTEGER NOT NULL,"
    " key TEXT, data TEXT NOT NULL, PRIMARY KEY (kind, seq)) WITHOUT ROWID",
    "CREATE UNIQUE INDEX staged_key ON staged (kind, key) WHERE key IS NOT NULL",
)

Staged = tuple[str, int, dict[str, Any]]  # (path, line, record)


class DuplicateRecord(Exception):
    """A key staged twice: where it was first, where again."""

    def __init__(self, kind: Kind, key: str, first: tuple[str, int], again: tuple[str, int]) -> None:
        self.kind, self.key, self.first, self.again = kind, key, first, again
        where = f"line {first[1]}" if first[0] == again[0] else f"{first[0]}:{first[1]}"
        super().__init__(f"{kind.name[:-1].replace('_', ' ')} {key} appears twice (first at {where})")


class Stage:
    """Validated records of one import, in the order read, per kind."""

    def __init__(self, directory: Path) -> None:
        self._held, self.path = _made_and_locked(directory)
        try:
            self.conn = SQLITE.scratch(str(self.path))
            for statement in _SCHEMA:
                self.conn.execute(statement)
            self.conn.execute("BEGIN")
        except BaseException:
            _remove(self.path)
            os.close(self._held)
            raise
        self._seq: dict[str, int] = {}

    def add(self, kind: Kind, path: Path, records: list[tuple[int, dict[str, Any] | None]]) -> None:
        """Stage one chunk of ``kind`` read from ``path``, each record numbered by its place among the kind's
        records read (``None``: read, nothing to write), so that the same input always numbers a record alike;
        a key staged before raises :class:`DuplicateRecord`."""
        seq = self._seq.get(kind.name, 0)
        rows = []
        for line, record in records:
            seq += 1
            if record is None:
                continue
            key = record.get("id")
            rows.append((kind.name, seq, str(path), line, key, json.dumps(record, ensure_ascii=False)))
        self.conn.execute("SAVEPOINT chunk")
        try:
            self.conn.executemany("INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.IntegrityError:
            self.conn.execute("ROLLBACK TO chunk")  # the rows before the repeat are not staged either
            self._name_duplicate(kind, rows)
            raise
        finally:
            self.conn.execute("RELEASE chunk")
        self._seq[kind.name] = seq

    def _name_duplicate(self, kind: Kind, rows: list[tuple[Any, ...]]) -> None:
        """Find the first row of ``rows`` whose key is staged already (before it, or in it) and raise for it."""
        seen: dict[str, tuple[str, int]] = {}
        for _, _, where, line, key, _ in rows:
            if key is None:
                continue
            first = seen.get(key) or self._where(kind, key)
            if first is not None:
                raise DuplicateRecord(kind, key, first, (where, line))
            seen[key] = (where, line)

    def _where(self, kind: Kind, key: str) -> tuple[str, int] | None:
        row = self.conn.execute("SELECT path, line FROM staged WHERE kind = ? AND key = ?", (kind.name, key)).fetchone()
        return (row[0], row[1]) if row else None

    def known(self, kind: Kind, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are staged as records of ``kind`` (customers named by later files)."""
        wanted = list(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            marks = ", ".join("?" * len(batch))
            found.update(
                key
                for (key,) in self.conn.execute(
                    f"SELECT key FROM staged WHERE kind = ? AND key IN ({marks})", (kind.name, *batch)
                )
            )
        return found

    def values(self, kind: Kind, keys: Iterable[str], name: str) -> dict[str, Any]:
        """The field ``name`` of the staged records of ``kind`` with these keys (a receivable's customer)."""
        wanted = list(set(keys))
        out: dict[str, Any] = {}
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            marks = ", ".join("?" * len(batch))
            for key, data in self.conn.execute(
                f"SELECT key, data FROM staged WHERE kind = ? AND key IN ({marks})", (kind.name, *batch)
            ):
                out[key] = json.loads(data).get(name)
        return out

    def count(self, kind: Kind) -> int:
        """How many records of ``kind`` were staged (to be written)."""
        row = self.conn.execute("SELECT count(*) FROM staged WHERE kind = ?", (kind.name,)).fetchone()
        return int(row[0])

    def count_upto(self, kind: Kind, last: int) -> int:
        """How many staged records of ``kind`` are numbered up to ``last`` (written by a run that stopped)."""
        row = self.conn.execute("SELECT count(*) FROM staged WHERE kind = ? AND seq <= ?", (kind.name, last))
        return int(row.fetchone()[0])

    def batches(self, kind: Kind, size: int, after: int = 0) -> Iterator[tuple[int, list[Staged]]]:
        """The staged records of ``kind`` numbered after ``after``, in the order read, ``size`` at a time, each
        batch with the number of its last record."""
        seq = after
        while True:
            rows = self.conn.execute(
                "SELECT seq, path, line, data FROM staged WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?",
                (kind.name, seq, size),
            ).fetchall()
            if not rows:
                return
            seq = rows[-1][0]
            yield seq, [(path, line, json.loads(data)) for _, path, line, data in rows]

    def close(self) -> None:
        self.conn.close()
        _remove(self.path)
        os.close(self._held)


STAGE_SUFFIX = ".stage.db"
#: A name's file made but not yet locked and named lives a moment; one older than this was left by a kill then.
MAKING_FOR = 60.0


def _made_and_locked(directory: Path) -> tuple[int, Path]:
    """A new staging file (0600: mkstemp's) and its lock held; the files no import holds removed first.

    Made under another name and locked (flock(2)) before it gets its own, so that a staging file is only ever
    seen unlocked when its import is gone: the lock goes with the process however it ends. Where locks do not
    work (flock refused: ENOLCK on some network file systems) nothing is removed, as nothing held can be told
    from what was left."""
    fd, name = tempfile.mkstemp(prefix=".importing-", suffix=".tmp", dir=directory)
    made = Path(name)
    try:
        locked = _try(functools.partial(fcntl.flock, fd, fcntl.LOCK_EX))
        while True:  # (its own name: os.link refuses one taken, where a rename would replace that file)
            path = directory / f".import-{os.urandom(6).hex()}{STAGE_SUFFIX}"
            try:
                os.link(made, path)
                break
            except FileExistsError:
                continue
        made.unlink()
    except BaseException:
        made.unlink(missing_ok=True)
        os.close(fd)
        raise
    if locked:  # (now by the file system's clock: the time the new file was made)
        remove_left_behind(directory, os.fstat(fd).st_mtime)
    return fd, path


def remove_left_behind(directory: Path, now: float) -> list[Path]:
    """Remove the staging files in ``directory`` that no running import holds (an import killed, or its host
    restarted, leaves its file: most of a gigabyte for a million tickets): this account's own regular files
    only, never through a symbolic link, each as best it can (the system's shared temporary folder holds
    others'). The ones removed."""
    removed = []
    found = [*directory.glob(f".import-*{STAGE_SUFFIX}"), *directory.glob(".importing-*.tmp")]
    for path in sorted(found):
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:  # another account's (0600), a link, or gone meanwhile
            continue
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                continue
            if path.suffix == ".tmp" and now - info.st_mtime < MAKING_FOR:
                continue  # (being made this moment)
            if not _try(functools.partial(fcntl.flock, fd, fcntl.LOCK_EX | fcntl.LOCK_NB)):
                continue  # a running import's
            if _try(functools.partial(_remove, path)):
                removed.append(path)
        finally:
            os.close(fd)
    return removed


def _try(act: Callable[[], object]) -> bool:
    """Whether ``act()`` went without an OSError."""
    try:
        act()
    except OSError:
        return False
    return True


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
