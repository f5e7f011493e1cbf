"""The real console in a pseudo-terminal: it starts, and leaves when the SSH session drops (SIGHUP), when it is
killed (SIGTERM), and when its terminal goes away under it."""

from __future__ import annotations

import array
import contextlib
import errno
import fcntl
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console.shared.hangup import GRACE_SECONDS, TerminalOutput


class _Terminal:
    """The terminal's side of the pty, read as a terminal does (everything the console writes, kept) until
    :meth:`stop`."""

    def __init__(self, leader: int) -> None:
        self.leader = leader
        self.output = bytearray()
        self.closed = False
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError):
            while not self._stop.is_set():
                if select.select([self.leader], [], [], 0.1)[0]:
                    if not (chunk := os.read(self.leader, 65536)):
                        return
                    self.output.extend(chunk)

    def stop(self) -> None:
        """Read no more (the reader has stopped when this returns)."""
        self._stop.set()
        self._reader.join(timeout=5)

    def close(self) -> None:
        """The terminal goes away: its side of the pty closed (once: the number may be another file's after)."""
        self.stop()
        if not self.closed:
            self.closed = True
            os.close(self.leader)

    def wait_for(self, check: Callable[[], object], seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while not check() and time.monotonic() < deadline:
            time.sleep(0.1)


@contextlib.contextmanager
def _console_in_a_pty(
    db: Path, tmp_path: Path, columns: int, lines: int, *, command: list[str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], _Terminal]]:
    """The real console on ``db`` (or ``command``, which runs it) in a new pseudo-terminal of that size, as
    aiko.tanaka: the process and the terminal (read from the start); killed, and the terminal closed, at the end."""
    leader, follower = pty.openpty()
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "CSP_CONSOLE_AGENT": "aiko.tanaka",
        "COLUMNS": str(columns),
        "LINES": str(lines),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    proc = subprocess.Popen(
        command or [sys.executable, "-m", "console.cli", "--db", str(db)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    terminal = _Terminal(leader)
    try:
        yield proc, terminal
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        terminal.close()


def _claimed(db: Path) -> list[tuple[str, str]]:
    """aiko.tanaka's claims taken in a console session, read from the workspace file."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT id, claimSession FROM tickets WHERE assignee = 'aiko.tanaka' AND claimSession IS NOT NULL"
        ).fetchall()
    finally:
        conn.close()


def _last_audit(db: Path, ticket_id: str) -> tuple[str, str, str]:
    """The last audit row on ``ticket_id``: agent, action, detail."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT agent, action, detail FROM audit_log WHERE entityId = ? ORDER BY id DESC LIMIT 1", (ticket_id,)
        ).fetchone()
    finally:
        conn.close()


def _claim_one(terminal: _Terminal, db: Path) -> tuple[str, str]:
    """Once the queue is painted and the desk set up, claim a ticket with the console's keys: the unassigned
    view (2), then claim (c). The ticket and the console session it was claimed in."""
    terminal.wait_for(lambda: b"CSP-" in terminal.output)
    assert b"CSP-" in terminal.output, "the queue never painted"
    time.sleep(2.5)  # the desk is set up (settle)
    os.write(terminal.leader, b"2")
    time.sleep(1)
    os.write(terminal.leader, b"c")
    terminal.wait_for(lambda: _claimed(db))
    (ticket_id, session), *_ = _claimed(db)
    return ticket_id, session


def _assert_released(db: Path, ticket_id: str, session: str) -> None:
    """The claim taken in ``session`` is released, audited as on quitting (``ticket.release`` naming it)."""
    assert _claimed(db) == []
    last = _last_audit(db, ticket_id)
    assert last[:2] == ("aiko.tanaka", "ticket.release") and session in last[2]


def test_console_exits_cleanly_on_hangup(demo_file: Path, tmp_path: Path) -> None:
    """SIGHUP with the terminal still there (and read): a clean leave, status 0, not killed by the signal."""
    db = tmp_path / "w.db"
    db.write_bytes(demo_file.read_bytes())
    with _console_in_a_pty(db, tmp_path, 80, 24) as (proc, terminal):
        terminal.wait_for(lambda: b"CSP-" in terminal.output)
        assert b"CSP-" in terminal.output, "the queue never painted"
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=10) == 0


def test_console_restores_the_terminal_and_releases_its_claim_on_sigterm(demo_file: Path, tmp_path: Path) -> None:
    """`kill PID` (SIGTERM, as a shutdown or a supervisor sends it) is a leave like SIGHUP: the terminal gets the
    alternate screen left and the cursor shown again (xterm's ``CSI ? 1049 l`` and ``CSI ? 25 h``, from
    ctlseqs), and the claim taken in this console is released, audited as on quitting."""
    db = tmp_path / "w.db"
    db.write_bytes(demo_file.read_bytes())
    with _console_in_a_pty(db, tmp_path, 100, 30) as (proc, terminal):
        output = terminal.output
        ticket_id, session = _claim_one(terminal, db)
        assert b"\x1b[?1049h" in output  # the console is in the alternate screen
        before = len(output)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0  # left cleanly, not killed by the signal
        terminal.wait_for(lambda: b"\x1b[?25h" in output[before:], seconds=5)
        after = bytes(output[before:])
        assert b"\x1b[?1049l" in after, "the alternate screen was never left"
        assert b"\x1b[?25h" in after, "the cursor was never shown again"
        _assert_released(db, ticket_id, session)


# -- the terminal goes away under the console (a tmux server killed, an SSH link whose pty master is closed) ----
#: A controlling terminal for the console, as sshd and tmux give their children: the pty as the new session's
#: controlling tty (TIOCSCTTY, tty_ioctl(4)), then the console itself (exec: the same process).
_AS_SESSION_LEADER = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, '-m', 'console.cli', '--db', sys.argv[1]])"
)


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user and system, all threads) process ``pid`` has used: fields 14 and 15 of
    /proc/PID/stat, in clock ticks (proc(5))."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reap(proc: subprocess.Popen[bytes], seconds: float) -> float | None:
    """Wait up to ``seconds`` for ``proc`` to end; the CPU time its whole life used (wait4(2)'s rusage), or
    ``None`` if it is still running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        time.sleep(0.05)
    return None


def _unread(leader: int) -> int:
    """Bytes the console wrote that the terminal has not read (FIONREAD, tty_ioctl(4))."""
    count = array.array("i", [0])
    fcntl.ioctl(leader, termios.FIONREAD, count)
    return count[0]


def _waits_on_a_lock(pid: int) -> bool:
    """Whether the main thread of ``pid`` sleeps on a lock (a futex: /proc/PID/wchan, proc(5)) rather than in
    its event loop's epoll: the console's main thread blocked in ``Queue.put`` on its writer thread's queue."""
    return "futex" in Path(f"/proc/{pid}/wchan").read_text()


def _switch_views_until_blocked(leader: int, pid: int, seconds: float) -> None:
    """The views in turn (each a repaint of the whole queue, none of it read) until the terminal's buffer is full
    and the console's main thread waits on its writer's full queue, or ``seconds`` pass. Keys keep coming until
    then: the writer's queue holds 30 writes (textual/drivers/_writer_thread.py, MAX_QUEUED_WRITES) and a loaded
    console may take several keys between two refreshes and paint once for them, so a fixed forty keys (the old
    test) were twice not enough at the end of a loaded PostgreSQL job."""
    deadline = time.monotonic() + seconds
    keys = 0
    while time.monotonic() < deadline and not (_unread(leader) >= 4000 and _waits_on_a_lock(pid)):
        if keys < 2000:  # the terminal's input buffer holds 4096 bytes (N_TTY_BUF_SIZE): never fill it
            os.write(leader, b"12"[keys % 2 : keys % 2 + 1])
            keys += 1
        time.sleep(0.05)


#: How the terminal goes: (what the test does, whether the console's writes are blocked first, the exit status).
#: 129 is a hang-up's (128 + SIGHUP, as POSIX shells report a command a signal ended); a SIGTERM the console
#: could not act on (its writes blocked on a terminal nobody reads) ends it with 143 (128 + SIGTERM).
GONE = {
    "master closed": ("close", False, 129),
    "master closed, writes blocked": ("close", True, 129),
    "master closed, writes blocked, SIGHUP": ("close+SIGHUP", True, 129),
    "controlling tty closed, writes blocked": ("close", True, 129),
    "terminal not read, writes blocked, SIGTERM": ("SIGTERM", True, 143),
}


@pytest.mark.parametrize("case", list(GONE))
def test_console_leaves_when_its_terminal_is_gone(demo_file: Path, tmp_path: Path, case: str) -> None:
    """The terminal closed under the console (or, last, nobody reading it and a SIGTERM): the console leaves
    within seconds, without spinning meanwhile, its session's claim released (audited) as on quitting. Without
    a controlling tty no SIGHUP comes (the kernel sends one to the session whose controlling terminal hung up:
    Linux drivers/tty/tty_jobctrl.c, tty_signal_session_leader); with one, as under sshd or tmux, it comes.
    "writes blocked": the console's output fills the terminal's buffer first (view switches repaint the queue),
    so its writer thread is blocked writing, and its main thread on the writer's full queue, when it goes."""
    action, blocked, status = GONE[case]
    db = tmp_path / "w.db"
    db.write_bytes(demo_file.read_bytes())
    command = [sys.executable, "-c", _AS_SESSION_LEADER, str(db)] if case.startswith("controlling") else None
    with _console_in_a_pty(db, tmp_path, 100, 30, command=command) as (proc, terminal):
        leader = terminal.leader
        ticket_id, session = _claim_one(terminal, db)
        terminal.stop()  # nothing reads the terminal any more
        if blocked:
            _switch_views_until_blocked(leader, proc.pid, seconds=30)
            # The terminal's buffer is full (Linux's n_tty holds 4096 bytes: N_TTY_BUF_SIZE, drivers/tty/n_tty.c)
            assert _unread(leader) >= 4000, "the console's writes never filled the terminal"
            wchan = Path(f"/proc/{proc.pid}/wchan").read_text()
            assert _waits_on_a_lock(proc.pid), (
                f"the console's main thread is not blocked on its writer's queue: {wchan}"
            )
        cpu_before = _cpu_seconds(proc.pid)
        if action == "SIGTERM":
            proc.send_signal(signal.SIGTERM)
        else:
            terminal.close()  # the terminal is gone
        if action == "close+SIGHUP":
            proc.send_signal(signal.SIGHUP)
        went = time.monotonic()
        cpu_total = _reap(proc, 10)
        if cpu_total is None:
            spent = _cpu_seconds(proc.pid) - cpu_before
            pytest.fail(f"the console is still running 10 s after its terminal went, having used {spent:.1f} s CPU")
        assert cpu_total - cpu_before < 2.0, "the console spun before leaving"
        assert proc.returncode == status
        if action != "SIGTERM":  # left by itself, as on quitting, not by the watch's last resort
            assert time.monotonic() - went < GRACE_SECONDS
        _assert_released(db, ticket_id, session)


def test_terminal_output_drops_what_a_hung_up_terminal_cannot_take() -> None:
    """The writer thread's file: written through while the terminal is there; once the pty master is closed
    (a write to the hung-up tty fails with EIO), every later write and flush is dropped, never raised."""
    leader, follower = pty.openpty()
    with open(follower, "w", closefd=True) as file:
        out = TerminalOutput(file)
        out.write("\x1b[?1049h")
        out.flush()
        assert os.read(leader, 100) == b"\x1b[?1049h" and out.failed is None
        os.close(leader)
        out.write("lost")
        out.flush()
        assert isinstance(out.failed, OSError) and out.failed.errno == errno.EIO  # tty_io.c, hung_up_tty_write
        out.write("x" * 100_000)  # more than it keeps before writing out: dropped, not raised
        out.flush()
