"""The real console in a pseudo-terminal: it starts, and leaves when the SSH session drops (SIGHUP)."""

from __future__ import annotations

import contextlib
import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def _console_in_a_pty(db: Path, tmp_path: Path, columns: int, lines: int) -> tuple[subprocess.Popen[bytes], int]:
    """The real console on ``db`` in a new pseudo-terminal of that size, as aiko.tanaka: the process and the
    terminal's side to read and type on."""
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
        [sys.executable, "-m", "console.cli", "--db", str(db)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    return proc, leader


def test_console_exits_cleanly_on_hangup(demo_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    db.write_bytes(demo_file.read_bytes())
    proc, leader = _console_in_a_pty(db, tmp_path, 80, 24)
    try:
        output = b""
        deadline = time.monotonic() + 20
        while b"CSP-" not in output and time.monotonic() < deadline:
            try:
                output += os.read(leader, 65536)
            except OSError:
                break
        assert b"CSP-" in output, "the queue never painted"

        def drain() -> None:  # keep reading, as a terminal does, so the console never blocks writing
            with contextlib.suppress(OSError):
                while os.read(leader, 65536):
                    pass

        threading.Thread(target=drain, daemon=True).start()
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=10) == 0  # a clean exit, not killed by the signal
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with contextlib.suppress(OSError):
            os.close(leader)


def test_console_restores_the_terminal_and_releases_its_claim_on_sigterm(demo_file: Path, tmp_path: Path) -> None:
    """`kill PID` (SIGTERM, as a shutdown or a supervisor sends it) is a leave like SIGHUP: the terminal gets the
    alternate screen left and the cursor shown again (xterm's ``CSI ? 1049 l`` and ``CSI ? 25 h``, from
    ctlseqs), and the claim taken in this console is released, audited as on quitting."""
    import sqlite3

    db = tmp_path / "w.db"
    db.write_bytes(demo_file.read_bytes())
    proc, leader = _console_in_a_pty(db, tmp_path, 100, 30)
    output = bytearray()

    def read() -> None:  # as a terminal does: everything the console writes, kept
        with contextlib.suppress(OSError):
            while chunk := os.read(leader, 65536):
                output.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def claimed() -> list[tuple[str, str]]:
        conn = sqlite3.connect(db)
        try:
            return conn.execute(
                "SELECT id, claimSession FROM tickets WHERE assignee = 'aiko.tanaka' AND claimSession IS NOT NULL"
            ).fetchall()
        finally:
            conn.close()

    def wait_for(check: object, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while not check() and time.monotonic() < deadline:  # type: ignore[operator]
            time.sleep(0.1)

    try:
        wait_for(lambda: b"CSP-" in output)
        assert b"CSP-" in output, "the queue never painted"
        assert b"\x1b[?1049h" in output  # the console is in the alternate screen
        time.sleep(2.5)  # the desk is set up (settle)
        os.write(leader, b"2")  # the unassigned view
        time.sleep(1)
        os.write(leader, b"c")
        wait_for(claimed)
        (ticket_id, session), *_ = claimed()
        before = len(output)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0  # left cleanly, not killed by the signal
        reader.join(timeout=5)
        after = bytes(output[before:])
        assert b"\x1b[?1049l" in after, "the alternate screen was never left"
        assert b"\x1b[?25h" in after, "the cursor was never shown again"
        assert claimed() == []
        conn = sqlite3.connect(db)
        try:
            last = conn.execute(
                "SELECT agent, action, detail FROM audit_log WHERE entityId = ? ORDER BY id DESC LIMIT 1", (ticket_id,)
            ).fetchone()
        finally:
            conn.close()
        assert last[:2] == ("aiko.tanaka", "ticket.release") and session in last[2]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with contextlib.suppress(OSError):
            os.close(leader)
