"""The README's mail sandbox ("Try the mail on your machine"), run as a new user would: ``make mail-sandbox``'s
module in a child process, driven through its stdin, and the desk through the command line on the workspace and
config file it wrote: the Japanese mail becomes a ticket of 株式会社さくら商事 with its attachment, the reply
reaches the SMTP server threaded, the customer's answer joins, an out-of-office reply does nothing."""

from __future__ import annotations

import os
import queue
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

from tests.recipe import README

ROOT = Path(__file__).resolve().parent.parent


class Sandbox:
    def __init__(self, where: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.mail_sandbox", str(where)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, pattern: str, timeout: float = 60) -> list[str]:
        """The lines printed up to the first one matching ``pattern``."""
        seen: list[str] = []
        while True:
            line = self.lines.get(timeout=timeout)
            seen.append(line)
            if re.search(pattern, line):
                return seen

    def say(self, word: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        self.say("q")
        self.proc.wait(timeout=30)


def csp(args: list[str], *more: str) -> str:
    env = {**os.environ, "CSP_CONSOLE_AGENT": "aiko.tanaka"}
    done = subprocess.run(
        [sys.executable, "-m", "console.cli", *args, *more], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_readmes_mail_sandbox_walk_through(tmp_path: Path) -> None:
    readme = README.read_text(encoding="utf-8")
    assert "make mail-sandbox     # terminal 1" in readme
    assert "make run ARGS='--db mail-sandbox/desk.db --config mail-sandbox/config.toml'" in readme
    box = Sandbox(tmp_path / "mail-sandbox")
    try:
        printed = box.until(r"^commands: ")
        [run_line] = [line.strip() for line in printed if line.strip().startswith("make run ARGS=")]
        args = shlex.split(shlex.split(run_line)[2].removeprefix("ARGS="))
        assert args == [
            "--db",
            str(tmp_path / "mail-sandbox" / "desk.db"),
            "--config",
            str(tmp_path / "mail-sandbox" / "config.toml"),
        ]
        assert "ok" in csp(args, "mail", "test").split("\n")[0]
        box.say("j")
        box.until("put into the inbox: a Japanese mail")
        assert "1 new tickets" in csp(args, "mail", "fetch")
        shown = csp(args, "ticket", "show", "CSP-000401")
        assert "株式会社さくら商事" in shown and "請求書の金額について" in shown
        csp(args, "ticket", "claim", "CSP-000401")
        csp(args, "ticket", "reply", "CSP-000401", "請求書を確認いたします。")
        csp(args, "mail", "send-pending")
        sent = box.until(r"^  References: ")
        assert any("Subject: Re: 請求書の金額について（11月分） [CSP-000401]" in line for line in sent)
        assert any(line.startswith("  In-Reply-To: <jp") for line in sent)
        box.say("a")
        box.until("the customer's answer")
        box.say("o")
        box.until("out-of-office")
        fetched = csp(args, "mail", "fetch")
        assert "2 read, 0 new tickets, 1 joined, 0 unmatched, 1 ignored" in fetched
        assert "in_progress" in csp(args, "ticket", "show", "CSP-000401", "--json")
    finally:
        box.stop()
