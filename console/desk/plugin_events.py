"""Delivering ticket events to the plugins' receivers (``csp_event_receivers``), from the durable outbox
(:mod:`console.store.plugin_events`).

The console whose plugins have receivers says which kinds each wants when it starts (events are recorded from
then on, with the change that made them) and delivers what is owed in its ``plugin-events`` background job:
every 5 seconds, under a lease, so one console of the workspace delivers. Each delivery calls the receiver on
a thread of its own with a budget of :data:`DELIVERY_SECONDS`; a receiver that raises or runs past it is tried
again later, after 30 s, then twice as long each time up to an hour, with the same event id; one that succeeds
is never called again for that event. Delivery is at least once: a console that dies after a receiver returned
but before the delivery was recorded calls it again, so receivers deduplicate by ``Event.id``. A slow receiver
delays only the events behind it, never an agent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from console.plugins.collect import Registered
from console.plugins.reach import Event, EventKind, EventReceiver
from console.plugins.views import TicketView
from console.shared.clock import parse_iso, to_iso

if TYPE_CHECKING:
    from console.desk.door import Desk

log = logging.getLogger(__name__)
DELIVERY_SECONDS = 10.0
RUN_SECONDS = 10.0  # one run of the job starts no delivery after this long
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)


@dataclass(frozen=True)
class Delivered:
    """What one run of the job did."""

    delivered: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.delivered} event(s) delivered, {self.failed} to try again"


def announce(desk: Desk) -> None:
    """Tell the workspace which kinds this console's receivers want (events are recorded from now on)."""
    wants = {r.item.id: [k.value for k in r.item.kinds] for r in desk.host.receivers}
    if wants:
        desk.ws.plugin_events.set_wants(wants)


def retry_after(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed delivery (1: 30 s, 2: 60 s, ... at most an hour)."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LAST_RETRY)


def deliver_events(desk: Desk, budget: float = DELIVERY_SECONDS, run_for: float = RUN_SECONDS) -> Delivered:
    """Deliver what is due to this console's receivers (the ``plugin-events`` job)."""
    receivers = {r.item.id: r for r in desk.host.receivers}
    started = time.monotonic()
    delivered = failed = 0
    for due in desk.ws.plugin_events.due(list(receivers), to_iso(desk.clock())):
        if time.monotonic() - started > run_for:
            break
        registered = receivers[due["receiver"]]
        error = _call(registered, _event(due), desk.host.settings.get(registered.plugin, {}), budget)
        if error is None:
            desk.ws.plugin_events.delivered(due["eventSeq"], due["receiver"])
            delivered += 1
            continue
        failed += 1
        attempts = due["attempts"] + 1
        log.warning("plugin %s: event receiver %s: %s", registered.plugin, registered.item.id, error)
        next_at = to_iso(desk.clock() + retry_after(attempts))
        desk.ws.plugin_events.failed(due["eventSeq"], due["receiver"], error, next_at)
    return Delivered(delivered, failed)


def _event(due: dict[str, Any]) -> Event:
    ticket = due["ticket"]
    return Event(
        id=f"{ticket['id']}:{due['kind']}:{due['eventSeq']}",
        kind=EventKind(due["kind"]),
        at=parse_iso(due["at"]),
        ticket=TicketView.from_row(ticket),
        details={str(k): str(v) for k, v in due["details"].items()},
    )


def _call(registered: Registered[EventReceiver], event: Event, settings: dict[str, Any], budget: float) -> str | None:
    """Call the receiver on its own thread; what went wrong (``None``: delivered)."""
    outcome: list[BaseException | None] = []

    def deliver(call: Callable[..., object] = registered.item.deliver) -> None:
        try:
            call(event, dict(settings))
        except BaseException as exc:  # a plugin's fault, whatever it is
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=deliver, name=f"csp-event-{registered.item.id}", daemon=True)
    thread.start()
    thread.join(budget)
    if not outcome:
        return f"did not finish in {budget:g} s (left behind; tried again later)"
    error = outcome[0]
    return None if error is None else f"raised {type(error).__name__}: {error}"
