"""One unsafe thing found on the host: what, where, why it matters, how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from console.shared.safe_text import clean_line


@dataclass(frozen=True)
class Finding:
    what: str  # e.g. "the workspace is readable by its group"
    where: str  # a path, or PATH:LINE
    why: str
    fix: str

    def line(self) -> str:
        """The finding in one line, file names and values shown literally."""
        return clean_line(f"{self.where}: {self.what}: {self.why}. Fix: {self.fix}")

    def to_json(self) -> dict[str, str]:
        return asdict(self)
