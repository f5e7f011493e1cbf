"""An import's staging file (console/store/import_stage.py) is removed when the import ends, and when it was
killed, by the next import: found in /tmp after test runs, two files a run left by imports killed on purpose,
each as big as what it had staged (about 0.7 kB a ticket: most of a gigabyte for a million)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from console.records.kinds import KINDS
from console.store.import_stage import Stage, remove_left_behind

ROOT = Path(__file__).parent.parent

#: An import's first step in a process of its own: a staging file made and filled, then the process waits to be
#: killed (it prints the file's path once it is there).
STAGING = """
import sys, time
from pathlib import Path
from console.records.kinds import KINDS
from console.store.import_stage import Stage
stage = Stage(Path(sys.argv[1]))
stage.add(KINDS["tickets"], Path("t.jsonl"), [(1, {"id": "CSP-1", "title": "請求額の確認"})])
print(stage.path, flush=True)
time.sleep(120)
"""


def _staging(directory: Path) -> tuple[subprocess.Popen[str], Path]:
    proc = subprocess.Popen(
        [sys.executable, "-c", STAGING, str(directory)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_finished_stage_leaves_nothing(tmp_path: Path) -> None:
    stage = Stage(tmp_path)
    stage.add(KINDS["tickets"], tmp_path / "t.jsonl", [(1, {"id": "CSP-1"})])
    assert stage.path.name.startswith(".import-") and stage.path.name.endswith(".stage.db")
    assert (stage.path.stat().st_mode & 0o777) == 0o600
    stage.close()
    assert _files(tmp_path) == []


def test_a_killed_imports_file_goes_with_the_next_import_and_a_running_ones_stays(tmp_path: Path) -> None:
    running, running_file = _staging(tmp_path)
    killed, killed_file = _staging(tmp_path)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        assert killed_file.exists() and running_file.exists()  # what a kill leaves
        (tmp_path / "notes.txt").write_text("not an import's", encoding="utf-8")
        stage = Stage(tmp_path)  # the next import
        assert not killed_file.exists()
        assert running_file.exists(), "a running import's staging file was removed"
        assert (tmp_path / "notes.txt").exists()
        stage.close()
        assert _files(tmp_path) == sorted([running_file.name, "notes.txt"])
    finally:
        running.kill()
        running.wait(timeout=10)
    assert remove_left_behind(tmp_path, time.time()) == [running_file]  # once it is gone too
    assert _files(tmp_path) == ["notes.txt"]


def test_only_this_accounts_own_regular_unheld_files_are_removed(tmp_path: Path) -> None:
    """The system's temporary folder (a PostgreSQL workspace's imports stage there) is shared: another account's
    file, one another account can open, a link, a directory of that name stay; so does a name being made this
    moment (``.importing-*``), while one left long ago by a kill goes."""
    target = tmp_path / "precious.txt"
    target.write_text("keep", encoding="utf-8")
    (tmp_path / ".import-link.stage.db").symlink_to(target)
    (tmp_path / ".import-dir.stage.db").mkdir()
    making = tmp_path / ".importing-now.tmp"
    making.write_bytes(b"")
    old = tmp_path / ".importing-old.tmp"
    old.write_bytes(b"")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    theirs = tmp_path / ".import-theirs.stage.db"
    theirs.write_bytes(b"")
    theirs.chmod(0o666)  # (open to all: only its owner is to remove it all the same)
    if os.geteuid() == 0:
        os.chown(theirs, 65534, 65534)  # nobody's
    else:
        theirs.unlink()
    assert remove_left_behind(tmp_path, time.time()) == [old]
    assert target.read_text(encoding="utf-8") == "keep" and making.exists()
    assert (tmp_path / ".import-link.stage.db").is_symlink() and (tmp_path / ".import-dir.stage.db").is_dir()
    assert theirs.exists() or os.geteuid() != 0
