"""Long text in the agent's own editor, as git and gh do: ``$VISUAL``, then ``$EDITOR``, then the first of
``editor`` (Debian's choice), ``nano`` and ``vi`` found on the PATH.

The text goes to a private file (a directory of mode 0700, the file 0600, suffix ``.md``), the editor runs on it
(the console hands it the terminal: see ``console/screens/external_editor.py``) and the text is read back as
UTF-8. An editor that exits non-zero, or a file left empty, leaves the text as it was (git aborts a commit on
both); a command with arguments (``code -w``, ``vim -c 'set ft=markdown'``) is split as a shell would, and run
without a shell. While the editor runs, ctrl+c and ctrl+\\ are the editor's (git ignores SIGINT and SIGQUIT while
it waits, for the same reason: they reach the whole foreground process group). No Textual here."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from console.shared.errors import UserError

#: Tried in this order when neither VISUAL nor EDITOR is set.
FALLBACKS = ("editor", "nano", "vi")


class NoEditor(UserError):
    """No editor to run: the message says what to set."""

    title = "No editor"


@dataclass(frozen=True)
class Edited:
    """What came back: ``text`` is the new text, or None to keep the field as it was (``notice`` says why)."""

    text: str | None
    notice: str


def editor_command(
    environ: Mapping[str, str] | None = None, which: Callable[[str], str | None] = shutil.which
) -> list[str]:
    """The editor's command line (program and arguments), from VISUAL, EDITOR or the fallbacks."""
    env = os.environ if environ is None else environ
    for var in ("VISUAL", "EDITOR"):
        value = (env.get(var) or "").strip()
        if not value:
            continue
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise NoEditor(f"${var} cannot be read as a command ({exc}): {value!r}.") from None
        if not argv:
            continue
        if which(argv[0]) is None:
            raise NoEditor(f"${var} names {argv[0]!r}, which is not found on the PATH.")
        return argv
    for name in FALLBACKS:
        found = which(name)
        if found:
            return [found]
    raise NoEditor(
        "No editor: set VISUAL or EDITOR (e.g. export EDITOR=nano, or EDITOR='code -w'); the text stays in the console."
    )


@contextlib.contextmanager
def private_file(text: str, label: str) -> Iterator[Path]:
    """``text`` in a new file only this user can read, removed (with its directory) afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="csp-console-"))  # mode 0700
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:60] or "text"
    path = folder / f"{name}.md"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(argv: list[str], path: Path, *, headless: bool = False) -> int:
    """Run the editor on ``path`` and wait; its exit status. ``headless`` (no terminal to hand over, as under
    tests): the editor gets no input."""
    child = subprocess.Popen([*argv, str(path)], stdin=subprocess.DEVNULL if headless else None)
    with _signals_left_to_the_editor():
        return child.wait()


@contextlib.contextmanager
def _signals_left_to_the_editor() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGQUIT)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def read_back(original: str, path: Path, status: int) -> Edited:
    """The text the editor left, or why the field keeps ``original``."""
    if status < 0:
        return Edited(None, f"The editor was stopped by {_signal_name(-status)}: the text is unchanged.")
    if status != 0:
        return Edited(None, f"The editor exited with status {status}: the text is unchanged.")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Edited(None, "The editor removed the file: the text is unchanged.")
    except UnicodeDecodeError as exc:
        return Edited(None, f"The file is not UTF-8 ({exc.reason} at byte {exc.start}): the text is unchanged.")
    if not text.strip():
        return Edited(None, "The file was left empty: the text is unchanged.")
    if not original.endswith("\n"):
        text = text.rstrip("\r\n")  # editors end the file with a newline the field did not have
    if text == original:
        return Edited(None, "No change in the editor.")
    return Edited(text, "")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def edit(
    text: str,
    label: str,
    *,
    command: list[str] | None = None,
    around: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    headless: bool = False,
) -> Edited:
    """Edit ``text`` in the editor (``command``, else :func:`editor_command`), running it inside ``around()``
    (the console's hand-over of the terminal). Raises :class:`NoEditor`."""
    argv = command or editor_command()
    with private_file(text, label) as path:
        try:
            with around():
                status = run(argv, path, headless=headless)
        except OSError as exc:
            return Edited(None, f"The editor {argv[0]!r} could not be started ({exc.strerror}): the text is unchanged.")
        return read_back(text, path, status)
