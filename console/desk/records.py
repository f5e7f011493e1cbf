"""The desk's imports and exports (``desk.records``): ``records.import``, ``records.overwrite`` and
``records.export``, each audited."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from console.shared.clock import to_iso

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.records.importer import ImportResult


class RecordsDesk:
    """Import and export as the desk's agent."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def export_records(
        self,
        directory: Path,
        fmt: str,
        kinds: Iterable[str] | None = None,
        progress: Callable[[str, int], None] | None = None,
    ) -> dict[str, Path]:
        """One file per kind into ``directory`` (see :func:`console.records.exporter.export_dir`), audited."""
        from console.records.exporter import export_dir

        self.desk.authorize("records.export")
        written = export_dir(self.desk.ws, directory, fmt, kinds, progress=progress)
        self._audit_export([*written], str(directory.resolve()), fmt)
        return written

    def record_count(self, kinds: Iterable[str]) -> int:
        """How many records an export of ``kinds`` writes (for its progress bar)."""
        self.desk.authorize("records.export")
        counts = self.desk.ws.records.counts()
        return sum(counts[k] for k in kinds)

    def export_kind(self, kind: str, fmt: str, out: IO[str]) -> int:
        from console.records.exporter import write_kind
        from console.records.kinds import KINDS

        self.desk.authorize("records.export")
        count = write_kind(self.desk.ws, KINDS[kind], fmt, out)
        self._audit_export([kind], "-", fmt)
        return count

    def _audit_export(self, kinds: list[str], target: str, fmt: str) -> None:
        ws = self.desk.ws
        with ws.transaction():
            ws.audit(
                self.desk.agent, "export", "workspace", str(ws.path), {"kinds": kinds, "to": target, "format": fmt}
            )

    def import_records(
        self,
        paths: list[Path],
        *,
        kind: str | None = None,
        force: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        """Import files (see :func:`console.records.importer.import_files`) as this agent: ``records.import``, and
        ``records.overwrite`` to ``force`` past newer changes and live claims; the open tickets' SLA clocks are
        recomputed when tickets, offers or holidays changed."""
        from console.records.importer import import_files
        from console.shared.model import BUILTIN_SERVICES
        from console.sla.clocks import recompute_open

        desk = self.desk
        desk.authorize("records.import")
        if force:
            desk.authorize("records.overwrite")
        result = import_files(
            desk.ws,
            paths,
            set(BUILTIN_SERVICES) | desk.services,
            kind=kind,
            agent=desk.agent,
            progress=progress,
            force=force,
            now=to_iso(desk.clock()),
        )
        if result.touched & {"tickets", "offers", "holidays"}:
            recompute_open(desk.ws, desk.clocks)
        return result
