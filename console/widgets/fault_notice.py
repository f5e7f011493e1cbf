"""A fault of the workspace (disk full, read-only, damaged, busy) said on screen in its one sentence
(:func:`console.shared.faults.fault_sentence`), as a notice that stays until read; the traceback goes to the log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from textual.app import App

from console.shared.faults import fault_sentence
from console.shared.safe_text import clean_line

log = logging.getLogger(__name__)


def notify_fault(app: App[Any], error: BaseException, title: str) -> bool:
    """Say ``error`` if it is a fault of the app's workspace; False (nothing said) when it is not one."""
    workspace = getattr(app, "workspace", None)
    path: Path | None = getattr(workspace, "path", None)
    sentence = fault_sentence(error, path)
    if sentence is None:
        return False
    log.warning("workspace fault: %s", sentence, exc_info=error)
    text = clean_line(sentence[0].upper() + sentence[1:] + ".")
    app.notify(text, title=title, severity="error", markup=False, timeout=30)
    return True


def described(error: BaseException | None, path: Path | None) -> str:
    """A failure in one line: a fault of the workspace in its sentence, anything else as ``Type: message``."""
    if error is None:
        return "failed"
    return fault_sentence(error, path) or f"{type(error).__name__}: {error}"
