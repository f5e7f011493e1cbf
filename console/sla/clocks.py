"""A ticket's SLA clocks: first response and resolution, counted in its customer's business hours.

The policy comes from the customer's support offer (service hours, time zone, holiday calendar, targets per
severity, whether waiting on Microsoft stops the clock) with the desk's ``sla.*`` rules
(:mod:`console.desk.policy`) for what it leaves out. The arithmetic is :mod:`console.sla.business_clock`;
this module turns a ticket and its status history into due times, time used, warnings and breaches, and into
the fields the store keeps for sorting and sweeping.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from console.settings.config import Config
from console.shared.clock import parse_iso, to_iso
from console.sla.business_clock import Calendar, Pause, elapsed, pauses_from_statuses, reaches
from console.sla.service_hours import describe

FAR_FUTURE = "9999-12-31T23:59:59Z"
#: Statuses in which a ticket is done: its resolution clock does not run.
DONE = ("resolved", "closed")


@dataclass(frozen=True)
class SlaPolicy:
    """What a customer's clocks count: the calendar, targets in business hours per severity, pauses."""

    calendar: Calendar
    hours_text: str
    time_zone: str
    holiday_calendar: str
    first_response_hours: Mapping[str, float]
    resolution_hours: Mapping[str, float]
    pause_on_microsoft: bool
    warn_at: tuple[float, ...]
    source: str  # "offer NAME" or "desk default"

    @property
    def paused_statuses(self) -> frozenset[str]:
        return frozenset({"waiting_customer", *(("waiting_microsoft",) if self.pause_on_microsoft else ())})

    def describe(self) -> str:
        """``Mon-Fri 09:00–18:00 Asia/Tokyo (customer), jp holidays``: the business hours are the customer's,
        in the customer's zone, and say so (the times of the clocks are the desk's)."""
        from console.settings.local_time import customer_zone

        holidays = f", {self.holiday_calendar} holidays" if self.holiday_calendar else ""
        return f"{describe(self.calendar.schedule)} {customer_zone(self.time_zone)}{holidays}"


def policy_for(offer: Mapping[str, Any] | None, holidays: Iterable[date], config: Config) -> SlaPolicy:
    """The SLA policy of a customer with support offer ``offer`` (a stored row, or ``None``)."""
    desk = config.sla
    if offer is None:
        hours, zone, calendar_name = desk.service_hours, desk.time_zone or config.time_zone, desk.holiday_calendar
        first, resolution, pause_ms, source = {}, {}, None, "desk default"
    else:
        hours, zone, calendar_name = offer["serviceHours"], offer["timeZone"], offer["holidayCalendar"] or ""
        first = json.loads(offer.get("firstResponseHours") or "{}")
        resolution = json.loads(offer.get("resolutionHours") or "{}")
        pause_ms = offer.get("pauseOnMicrosoft")
        source = f"offer {offer['name']}"
    return SlaPolicy(
        calendar=Calendar.of(hours, zone, holidays),
        hours_text=hours,
        time_zone=zone,
        holiday_calendar=calendar_name,
        first_response_hours={**desk.first_response_hours, **first},
        resolution_hours={**desk.resolution_hours, **resolution},
        pause_on_microsoft=desk.pause_on_microsoft if pause_ms is None else bool(pause_ms),
        warn_at=desk.warn_at,
        source=source,
    )


@dataclass(frozen=True)
class ClockState:
    """One clock of a ticket at ``now``."""

    name: str  # "first response" | "resolution"
    target: float  # business seconds
    used: float  # business seconds counted so far (up to the moment it was met)
    due: datetime | None  # None while paused
    met: datetime | None
    paused_since: datetime | None
    breached_at: datetime | None

    @property
    def fraction(self) -> float:
        return self.used / self.target if self.target else 0.0

    @property
    def left(self) -> float:
        return self.target - self.used

    def warning(self, thresholds: Sequence[float]) -> float | None:
        """The highest threshold passed by a clock still running and not yet breached."""
        if self.met is not None or self.breached_at is not None:
            return None
        passed = [t for t in thresholds if self.fraction >= t]
        return max(passed) if passed else None


@dataclass(frozen=True)
class TicketSla:
    policy: SlaPolicy
    first_response: ClockState
    resolution: ClockState

    def fields(self) -> dict[str, str | None]:
        """The columns the store keeps: due times (null while paused), breach times, paused-since and the
        queue's next due time."""
        fr, res = self.first_response, self.resolution
        paused = res.paused_since if res.met is None else None
        next_due = None
        if res.met is None:
            candidates = [c.due for c in (fr, res) if c.met is None and c.due is not None]
            next_due = min(candidates) if candidates else None
        return {
            "firstResponseDueDate": to_iso(fr.due) if fr.due else None,
            "resolutionDueDate": to_iso(res.due) if res.due else None,
            "firstResponseBreachedDate": to_iso(fr.breached_at) if fr.breached_at else None,
            "resolutionBreachedDate": to_iso(res.breached_at) if res.breached_at else None,
            "slaPausedSince": to_iso(paused) if paused else None,
            "slaDueDate": to_iso(next_due) if next_due else FAR_FUTURE,
        }


def _clock(
    name: str,
    policy: SlaPolicy,
    target_hours: float,
    start: datetime,
    met: datetime | None,
    pauses: list[Pause],
    now: datetime,
) -> ClockState:
    target = target_hours * 3600.0
    until = met if met is not None else now
    if met is not None:  # after the clock stopped nothing counts: its due time is where the target fell
        pauses = [Pause(p.start, met if p.end is None or p.end > met else p.end) for p in pauses if p.start < met]
    used = elapsed(policy.calendar, start, until, pauses)
    reached = reaches(policy.calendar, start, target, pauses)
    breached = reached if reached is not None and reached <= until and used >= target else None
    open_pause = None if met is not None else next((p.start for p in pauses if p.end is None and p.start <= now), None)
    return ClockState(
        name=name,
        target=target,
        used=used,
        due=reached,
        met=met,
        paused_since=None if met is not None else open_pause,
        breached_at=breached,
    )


def ticket_sla(
    ticket: Mapping[str, Any],
    history: Iterable[tuple[str, str, str | None]],
    policy: SlaPolicy,
    now: datetime,
) -> TicketSla:
    """The clocks of ``ticket`` (a stored row) given its status history ``(when, to, from)``."""
    created = parse_iso(ticket["createdDate"])
    changes = [(parse_iso(when), to) for when, to, _ in history]
    first_from = next((frm for _, _, frm in sorted(history, key=lambda h: h[0]) if frm), None)
    initial = first_from or (ticket["status"] if not changes else "new")
    severity = ticket["severity"] or "unknown"
    waiting = pauses_from_statuses(created, initial, changes, policy.paused_statuses)
    done = pauses_from_statuses(created, initial, changes, DONE)
    first_met = parse_iso(ticket["firstResponseDate"]) if ticket.get("firstResponseDate") else None
    resolved = parse_iso(ticket["resolvedDate"]) if ticket.get("resolvedDate") else None
    if resolved is None and ticket["status"] in DONE:
        resolved = now
    if resolved is not None and (first_met is None or resolved < first_met):
        first_met = resolved  # resolving answers the customer too
    fr = _clock("first response", policy, policy.first_response_hours[severity], created, first_met, waiting, now)
    res = _clock("resolution", policy, policy.resolution_hours[severity], created, resolved, waiting + done, now)
    return TicketSla(policy, fr, res)


class ClockKeeper:
    """Recomputes a ticket's clocks whenever its status, severity, first response or resolution changes.

    Installed on a workspace with :func:`keep_clocks`; the store calls it inside the transaction that made the
    change, so the stored due times never disagree with the ticket."""

    def __init__(self, config: Config, clock: Any = None) -> None:
        from console.shared.clock import utcnow

        self.config = config
        self.clock = clock or utcnow

    def policy(self, ws: Any, customer_id: str) -> SlaPolicy:
        offer = ws.accounts.offer_of(customer_id)
        calendar = offer["holidayCalendar"] if offer else self.config.sla.holiday_calendar
        return policy_for(offer, ws.accounts.holidays(calendar), self.config)

    def state(
        self,
        ws: Any,
        row: Mapping[str, Any],
        now: datetime | None = None,
        pending: Sequence[tuple[str, str, str | None]] = (),
    ) -> TicketSla:
        """The clocks of ``row``; ``pending``: status changes ``(when, to, from)`` its change has not stored yet
        (after the stored ones of the same moment, as their ids will be)."""
        history = ws.sla.status_history(row["seq"])
        if pending:
            history = sorted([*history, *pending], key=lambda h: h[0])
        return ticket_sla(row, history, self.policy(ws, row["customerId"]), now or self.clock())

    def __call__(
        self, ws: Any, row: Mapping[str, Any], pending: Sequence[tuple[str, str, str | None]] = ()
    ) -> dict[str, str | None]:
        return self.state(ws, row, pending=pending).fields()


def keep_clocks(ws: Any, config: Config, clock: Any = None) -> ClockKeeper:
    """Have ``ws`` keep every ticket's SLA clock in its customer's business hours; return the keeper."""
    keeper = ClockKeeper(config, clock)
    ws.tickets.clock_keeper = lambda row, pending: keeper(ws, row, pending)
    return keeper


RECOMPUTE_STATE = "sla_clocks"


def recompute_pending(ws: Any) -> bool:
    """Whether the open tickets' clocks still need a recompute (after the upgrade to business hours)."""
    state = ws.microsoft.sync_state(RECOMPUTE_STATE)
    return state is not None and state["state"] == "pending"


def recompute_open(ws: Any, keeper: ClockKeeper, *, batch: int = 500) -> int:
    """Recompute the clocks of every open ticket (after an import, an upgrade, or a change of offers or
    holidays); return how many changed."""
    changed = 0
    after = 0
    policies: dict[str, SlaPolicy] = {}
    now = keeper.clock()
    while rows := ws.sla.open_ticket_clocks(after, batch):
        updates = []
        for row in rows:
            policy = policies.get(row["customerId"]) or policies.setdefault(
                row["customerId"], keeper.policy(ws, row["customerId"])
            )
            fields = ticket_sla(row, ws.sla.status_history(row["seq"]), policy, now).fields()
            if any(row.get(k) != v for k, v in fields.items()):
                updates.append({"seq": row["seq"], **fields})
        if updates:
            ws.sla.set_clocks(updates)
        changed += len(updates)
        after = rows[-1]["seq"]
    if recompute_pending(ws):
        ws.microsoft.save_sync_state(RECOMPUTE_STATE, state="done")
    return changed


def business_duration(seconds: float) -> str:
    """``3h 10m`` of business time (``45m``, ``2h``)."""
    minutes = round(abs(seconds) / 60)
    hours, mins = divmod(minutes, 60)
    text = f"{hours}h {mins:02d}m" if hours and mins else (f"{hours}h" if hours else f"{mins}m")
    return ("-" if seconds < 0 else "") + text


def time_left(clock: ClockState) -> str:
    """``1h 57m left``: the business time a running clock has left, as the ticket's header and its SLA section
    both say it (the header said ``due in 1h``, the wall-clock time to the due moment in whole hours)."""
    return f"{business_duration(clock.left)} left"


def clock_text(clock: ClockState, policy: SlaPolicy, zone: str) -> str:
    """One line about a clock: met, breached, paused, or due; its moments in the desk's ``zone``
    (``due 11-23 15:00 JST``), its durations in the customer's business hours (``policy``)."""
    from console.settings.local_time import short

    def at(moment: datetime) -> str:
        return short(moment, zone, label=True)

    target = business_duration(clock.target)
    if clock.met is not None and clock.breached_at is not None:  # done, but after its target: not "met"
        used = business_duration(clock.used)
        return f"{clock.name}: done late {at(clock.met)} after {used} of {target} (BREACHED {at(clock.breached_at)})"
    if clock.met is not None:
        return f"{clock.name}: met {at(clock.met)} after {business_duration(clock.used)} of {target}"
    if clock.breached_at is not None:
        return f"{clock.name}: BREACHED {at(clock.breached_at)} ({business_duration(clock.used)} of {target} used)"
    used = f"{round(clock.fraction * 100)} % of {target} used, {time_left(clock)}"
    if clock.paused_since is not None:
        return f"{clock.name}: paused since {at(clock.paused_since)} ({used})"
    due = f"due {at(clock.due)}" if clock.due else "no due time"
    return f"{clock.name}: {due} ({used})"
