"""A whole desk copied into a new workspace, on either engine (``csp-console workspace copy``, issue 22): like an
import of everything, so the agent needs the import's role, ``records.import``, on the source desk; the copy's
own audit row on the target says who copied it from where (:mod:`console.store.copying`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.store.copying import CopyFailed, CopyRefused, CopyReport, check_version, copy_to, schema_version_at

if TYPE_CHECKING:
    from console.desk.door import Desk

__all__ = ["CopyFailed", "CopyRefused", "CopyReport", "check_source", "copy_desk"]


def check_source(at: Path | str, shown: str) -> None:
    """Refuse, before the source is opened (which would migrate it), a source that is missing or at another
    schema version than this console's; ``shown``: how the source is named (never with its password)."""
    check_version(shown, schema_version_at(at))


def copy_desk(desk: Desk, target: Path | str) -> CopyReport:
    """Copy ``desk``'s whole workspace into a new one at ``target`` (a file not there yet, or an empty
    PostgreSQL database), verified before it commits."""
    desk.authorize("records.import")
    return copy_to(desk.ws, target, agent=desk.agent)
