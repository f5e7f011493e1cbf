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


def test_console_exits_cleanly_on_hangup(demo_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    db.write_bytes(demo_file.read_bytes())
    leader, follower = pty.openpty()
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "CSP_CONSOLE_AGENT": "aiko.tanaka",
        "COLUMNS": "80",
        "LINES": "24",
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
