"""The queue's live updates when changes come in a stream (mail arriving every few milliseconds, an import, a
busy desk): the agent's keys go first.

The console looks for changes every half second (``CspConsoleApp._poll``) and tells the screen in front. A
change reloads the queue's visible page and count, and the views bar's counts (one count per view). While the
agent is pressing keys, a change waits until the keys have been quiet for :data:`QUIET` seconds (at most
:data:`LONGEST_WAIT`), so a keystroke's own read never queues behind a live reload; the views bar's counts
follow at most every :data:`COUNTS_EVERY` seconds. Whatever changed is shown once the wait ends: nothing is
missed, only coalesced.
"""

from __future__ import annotations

import time

from textual import events

#: Seconds without a key press before a waiting live reload runs.
QUIET = 0.4
#: A live reload waits at most this long for the keys to be quiet.
LONGEST_WAIT = 3.0
#: The views bar's counts are read again at most this often while changes stream in.
COUNTS_EVERY = 2.0


class QueueLive:
    """Mixin for the queue screen (it has ``table.reload`` and ``_refresh_counts``)."""

    _last_key = 0.0
    _waiting_since: float | None = None
    _counts_at = 0.0
    _counts_due = False

    def on_key(self, event: events.Key) -> None:
        self._last_key = time.monotonic()

    def on_workspace_changed(self) -> None:
        """Another session changed something: show it (the cursor stays), after the agent's keys."""
        now = time.monotonic()
        if self._waiting_since is None:
            self._waiting_since = now
            self._after_keys()

    def _after_keys(self) -> None:
        now = time.monotonic()
        since = self._waiting_since if self._waiting_since is not None else now
        quiet_for = now - self._last_key
        if quiet_for < QUIET and now - since < LONGEST_WAIT:
            self.set_timer(QUIET - quiet_for, self._after_keys)  # type: ignore[attr-defined]
            return
        self._waiting_since = None
        if not self.query("QueueTable"):  # type: ignore[attr-defined]
            return  # (the console shutting down took the screen's widgets first: nothing to show it in)
        self.table.reload(keep_cursor=True)  # type: ignore[attr-defined]
        self._live_counts()

    def _live_counts(self) -> None:
        now = time.monotonic()
        if now - self._counts_at >= COUNTS_EVERY:
            self._counts_at, self._counts_due = now, False
            self._refresh_counts()  # type: ignore[attr-defined]
        elif not self._counts_due:
            self._counts_due = True
            self.set_timer(COUNTS_EVERY - (now - self._counts_at), self._counts_later)  # type: ignore[attr-defined]

    def _counts_later(self) -> None:
        self._counts_due = False
        self._live_counts()
