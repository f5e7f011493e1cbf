"""A real served board and a real headless browser for tests/test_board_serve.py: ``csp-console board --serve`` as
a child process on 127.0.0.1, and Debian's Chromium (``/usr/bin/chromium``, the ``chromium`` package) driven by
Playwright for Python, which talks to it over the DevTools protocol (``playwright install`` is never run: no
browser is downloaded).

What the page shows is read from xterm.js itself. textual-serve's page (``textual_serve/static/js/textual.js``)
draws the terminal with xterm.js's WebGL or canvas renderer: pixels, no text in the DOM (and xterm's
accessibility tree, when switched on, lags the screen). The page keeps its ``Terminal`` in a closure, assigned
as ``this.terminal = new Terminal(...)``; an init script catches that assignment and keeps the instance, so a test
reads xterm's own screen buffer, the cells its renderer paints (xterm.js API: ``buffer.active.getLine(y)
.translateToString()``)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and nothing of its own on the network (no QUIC, updates, sync or background fetches).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Keeps the page's xterm.js Terminal where the test can read it (the module docstring says why).
KEEP_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.options) { window.__cspTerminal = value; }
  },
});
"""
SCREEN_TEXT = """() => {
  const term = window.__cspTerminal, lines = [];
  for (let y = 0; y < term.rows; y++) { lines.push(term.buffer.active.getLine(y).translateToString(true)); }
  return lines.join('\\n');
}"""


def need_chromium() -> None:
    """Skip, saying why, where Debian's Chromium or Playwright is missing (``.ci/run`` installs Chromium as root)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM}: apt-get install chromium chromium-driver (.ci/run does, as root)")
    pytest.importorskip("playwright.sync_api", reason="playwright (the test extra) is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def board_env(agent: str) -> dict[str, str]:
    return {**os.environ, "CSP_CONSOLE_AGENT": agent}


def csp(db: Path | str, *args: str, agent: str = "kenji.sato", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """One ``csp-console`` command, a process of its own."""
    argv = [sys.executable, "-m", "console.cli", *args, "--db", str(db)]
    return subprocess.run(argv, capture_output=True, text=True, env=board_env(agent), timeout=timeout, check=False)


class Served:
    """``csp-console board --serve 127.0.0.1:PORT`` running; :meth:`stop` is Ctrl-C."""

    def __init__(self, db: Path | str, agent: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "console.cli", "board", "--db", str(db), "--serve", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=board_env(agent)
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()  # said once listening (or the one line saying why not)
        if "Serving the health board" not in first:
            self.proc.wait(10)
            raise AssertionError(f"the board was not served: {first}{self.proc.stdout.read()}")

    def children(self) -> list[int]:
        """The boards the server runs, one a browser connection (its direct children: the shell ``exec``s)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def stop(self, timeout: float = 15) -> tuple[int, str]:
        """Ctrl-C (SIGINT), as at the terminal; the exit status and what it said."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            rest, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rest, _ = self.proc.communicate()
            raise AssertionError(f"Ctrl-C did not stop the server within {timeout} s: {rest}") from None
        return self.proc.returncode, rest


@contextlib.contextmanager
def served(db: Path | str, agent: str = "kenji.sato") -> Iterator[Served]:
    server = Served(db, agent)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.stop()


class BoardPage:
    """The served board open in a Chromium page: its screen's text, keys typed into it, screenshots."""

    def __init__(self, page: Any, elsewhere: list[str]) -> None:
        self.page = page
        #: What the page asked of any other host (refused): nothing, the board's page loads only its own files.
        self.elsewhere = elsewhere

    def text(self) -> str:
        return str(self.page.evaluate(SCREEN_TEXT))

    def wait_for(self, ready: Callable[[str], object], timeout: float, what: str) -> str:
        """The screen's text once ``ready(text)`` holds (looked at every 20 ms), or a failure showing the screen."""
        deadline, text = time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            text = self.text()
            if ready(text):
                return text
            self.page.wait_for_timeout(20)
        raise AssertionError(f"{what}: not shown within {timeout} s; the screen:\n{text}")

    def press(self, *keys: str) -> None:
        """Keys typed at the terminal (Playwright's key names: Enter, Escape, Control+p, a letter)."""
        for key in keys:
            self.page.keyboard.press(key)
            self.page.wait_for_timeout(150)

    def screenshot(self, name: str, tmp_path: Path) -> Path:
        """A PNG of the page in the test's directory and, when CSP_TEST_ARTIFACTS names one, there too."""
        shot = tmp_path / name
        self.page.screenshot(path=str(shot))
        if folder := os.environ.get("CSP_TEST_ARTIFACTS"):
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / name).write_bytes(shot.read_bytes())
        return shot


@contextlib.contextmanager
def board_page(url: str, profile: Path) -> Iterator[BoardPage]:
    """Chromium on a fresh profile, the page at ``url``, once xterm.js holds the board's first screen. Requests
    anywhere but ``url`` are refused, so nothing leaves this machine, and recorded: the board's own page asks
    for none (textual-serve's page fetched a web font from fonts.googleapis.com)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )  # fmt: skip
        try:
            page = context.new_page()
            elsewhere: list[str] = []

            def route(route: Any) -> None:
                if route.request.url.startswith(url):
                    route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    route.abort()

            page.route("**/*", route)
            page.add_init_script(KEEP_TERMINAL)
            page.goto(url)
            page.wait_for_function("() => window.__cspTerminal !== undefined", timeout=30_000)
            board = BoardPage(page, elsewhere)
            figures = ("Queue health", "All open", "Resolved today", "Most open tickets")  # its panels, painted
            board.wait_for(lambda text: all(f in text for f in figures), 30, "the board")
            page.focus(".xterm-helper-textarea")  # where xterm.js takes the keyboard
            assert not elsewhere, f"the board's page asked other hosts for {elsewhere}"
            yield board
        finally:
            context.close()


def figure(text: str, label: str) -> int:
    """A figure's value on the screen, e.g. ``figure(text, "All open")``."""
    found = re.search(rf"{re.escape(label)}\s+([\d,]+)\b", text)
    assert found, f"no figure {label!r} on the screen:\n{text}"
    return int(found.group(1).replace(",", ""))
