"""A progress line for long commands on a terminal; silent when the output is piped."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``with Progress("Importing", total) as p: p.advance(n)`` draws ``Importing  42% 4,200/10,000``."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self._last = 0.0

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def advance(self, count: int) -> None:
        self.done += count
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        if self.total:
            share = min(1.0, self.done / self.total)
            bar = "#" * int(share * 30)
            text = f"\r{self.label} [{bar:<30}] {share:4.0%} {self.done:,}/{self.total:,}"
        else:
            text = f"\r{self.label} {self.done:,}"
        self.stream.write(text)
        self.stream.flush()

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
