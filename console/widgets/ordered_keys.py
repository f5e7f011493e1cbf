"""Keys in the order they were typed, even in a burst (a paste, a laggy SSH link).

Textual hands every key from the terminal to the widget focused *when the app reads it*, but runs the focused
chain's bindings (Tab's focus move, an Input's backspace and cursor keys) only once the key has bubbled back up
to the app through every ancestor's message queue. In a burst, the keys behind a Tab were therefore typed into
the field Tab was leaving, and an Input's backspaces ran after the letters typed behind them (the more so when
an ancestor was busy handling the previous change). :class:`OrderedKeys` lets one key at a time through: the
next is handed out once the previous one, and what it caused in the focused chain, has been handled.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from textual import events
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App

#: Seconds after which a key's marker is taken as lost (its widget went away with its screen): the next key goes.
MARKER_TIMEOUT = 0.25
#: Rounds of the marker through the focused chain: the second one follows what the key's handlers posted
#: (an Input's Submitted, whose handler moves the focus).
ROUNDS = 2


class KeyHandled(Message, bubble=True):
    """Sent behind a key to the widget it went to; reaching the app, that key has been handled."""

    def __init__(self, token: int, rounds: int) -> None:
        super().__init__()
        self.token = token
        self.rounds = rounds


class OrderedKeys:
    """Mixin for the :class:`~textual.app.App`: one key from the terminal at a time."""

    _keys_waiting: deque[events.Key]
    _key_token: int | None

    async def on_event(self, event: events.Event) -> None:
        app: App[object] = self  # type: ignore[assignment]
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)  # type: ignore[misc]
            return
        if not hasattr(self, "_keys_waiting"):
            self._keys_waiting, self._key_token = deque(), None
        if self._key_token is not None:  # the previous key is still on its way
            self._keys_waiting.append(event)
            return
        await self._let_through(app, event)

    async def _let_through(self, app: App[object], event: events.Key) -> None:
        token = id(event)
        self._key_token = token
        await super().on_event(event)  # type: ignore[misc]
        self._send_marker(app, token, ROUNDS)
        app.set_timer(MARKER_TIMEOUT, lambda: self._key_done(token))

    def _send_marker(self, app: App[object], token: int, rounds: int) -> None:
        if not app.is_running or not app.screen_stack:
            self._key_token = None
            return
        target = app.focused or app.screen
        target.post_message(KeyHandled(token, rounds))

    async def on_key_handled(self, message: KeyHandled) -> None:
        message.stop()
        if message.token != self._key_token:
            return
        if message.rounds > 1:
            self._send_marker(self, message.token, message.rounds - 1)  # type: ignore[arg-type]
        else:
            await self._key_done(message.token)

    async def _key_done(self, token: int) -> None:
        if token != self._key_token:
            return
        self._key_token = None
        if self._keys_waiting:
            await self._let_through(self, self._keys_waiting.popleft())  # type: ignore[arg-type]
