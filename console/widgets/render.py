"""Rich renderables for the console's panes, built from untrusted text made safe (never markup)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from console.settings import local_time
from console.shared import model
from console.shared.clock import humanize_delta, parse_iso
from console.shared.safe_text import clean_block, clean_line
from console.widgets.palette import ALARM, BAD, BADGE, ESCALATE, INFO, OK, WARN, WARN_STRONG, styled

LEVEL_STYLE = {"critical": BAD, "warning": WARN, "info": INFO}
FAMILY_TITLES = {"billing": "Billing", "subscription": "Subscription management", "technical": "Technical"}
STATUS_TEXT = model.STATUS_TEXT


def stamp(value: str | None, zone: str) -> str:
    """A stored time in the desk's zone ``zone``: ``2026-11-23 09:30 JST`` (``—`` for none)."""
    return local_time.stamp(value, zone)


def due_text(
    label: str,
    due: str | None,
    done: str | None,
    now: datetime,
    *,
    zone: str,
    stopped: bool = False,
    clock: Any = None,
) -> Text:
    """``First response: 1h 57m left`` / ``breached 2h ago`` / ``met 2026-11-23 12:10 JST`` (the desk's
    ``zone``); ``stopped``: the ticket is
    resolved or closed, so an unmet clock no longer runs. With ``clock`` (the SLA state's
    :class:`~console.sla.clocks.ClockState`) a running clock says its business time left, as the SLA section
    does; without it, the wall-clock time to ``due``."""
    text = Text.assemble((f"{label}: ", "dim"))  # a span: the value after it is not dimmed
    if not done and stopped:
        text.append("none (ticket closed)", style="dim")
    elif done:
        met = due is None or done <= due
        text.append(f"{'met' if met else 'late'} {stamp(done, zone)}", style=OK if met else BAD)
    elif due:
        left = parse_iso(due) - now
        if left.total_seconds() < 0:
            text.append(f"breached {humanize_delta(-left)} ago", style=ALARM)
        elif clock is not None:
            from console.sla.clocks import time_left

            text.append(time_left(clock), style=WARN if clock.left < 3600 else "")
        else:
            text.append(f"due in {humanize_delta(left)}", style=WARN if left.total_seconds() < 3600 else "")
    else:
        text.append("—")
    return text


def clocks_line(t: dict[str, Any], now: datetime, sla: Any = None, *, zone: str) -> Text:
    """The header's line of clocks: first response and resolution (or the resolution clock's pause)."""
    first = due_text(
        "First response",
        t["firstResponseDueDate"],
        t["firstResponseDate"],
        now,
        zone=zone,
        stopped=not t["isOpen"],
        clock=sla.first_response if sla else None,
    )
    if t.get("slaPausedSince") and t["isOpen"]:
        return Text.assemble(
            first, "  ", ("Resolution ", "dim"), (f"clock paused since {stamp(t['slaPausedSince'], zone)}", INFO)
        )
    resolution = due_text(
        "Resolution", t["resolutionDueDate"], t["resolvedDate"], now, zone=zone, clock=sla.resolution if sla else None
    )
    return Text.assemble(first, "  ", resolution)


def field_labels(fields: Mapping[str, str], host: Any) -> list[tuple[str, str]]:
    """The plugins' intake fields of a ticket as ``(label, value)``: each field's label where its plugin is
    loaded, else its id."""
    labels = {r.item.id: r.item.label for r in getattr(host, "intake_fields", [])}
    return [(labels.get(field_id, field_id), value) for field_id, value in fields.items()]


def ticket_header(
    t: dict[str, Any],
    now: datetime,
    service_names: dict[str, str],
    sla: Any = None,
    *,
    zone: str,
    fields: Sequence[tuple[str, str]] = (),
) -> RenderableType:
    """The ticket's header, its times in the desk's ``zone``; with ``sla`` (its
    :class:`~console.sla.clocks.TicketSla`) the clocks say the business time left, in the SLA section's words."""
    severity = model.Severity(t["severity"])
    sev = f"Sev {model.SEVERITY_LETTER[severity]} {severity.value}" if severity != "unknown" else "severity unset"
    service = service_names.get(t["service"] or "", t["service"] or "no service")
    line1 = Text.assemble(
        (t["id"], "bold"),
        "  ",
        (STATUS_TEXT.get(t["status"], t["status"]), BADGE),
        " · ",
        (sev, WARN_STRONG if severity == "critical" else ""),
        " · ",
        clean_line(service),
        " · ",
        t["category"] or "no category",
        f" · v{t['version']}",
    )
    title = Text(clean_line(t["title"], 300), style="bold", no_wrap=True, overflow="ellipsis")
    customer = Text.assemble(
        ("Customer ", "dim"), clean_line(t["companyName"]), ("  ", ""), (clean_line(t.get("domain") or ""), "dim")
    )
    contact_bits = [clean_line(x) for x in (t["contactName"], t["contactEmail"], t["contactPhone"]) if x]
    contact = Text.assemble(("Contact ", "dim"), " · ".join(contact_bits) or "—", ("  via ", "dim"), t["channel"])
    who = Text.assemble(
        ("Assignee ", "dim"),
        clean_line(t["assignee"]) if t["assignee"] else ("unassigned", WARN),
        ("  Created ", "dim"),
        f"{stamp(t['createdDate'], zone)} ({humanize_delta(now - parse_iso(t['createdDate']))} ago)",
    )
    clocks = clocks_line(t, now, sla, zone=zone)
    lines = [customer, contact, who, clocks]
    if fields:  # the plugins' intake fields (label, value), after the contact
        parts: list[str | tuple[str, str]] = []
        for label, value in fields:
            parts += [(f"{'  ' if parts else ''}{clean_line(label, 60)} ", "dim"), clean_line(value)]
        lines.insert(2, Text.assemble(*parts))
    for line in lines:
        line.no_wrap = True
        line.overflow = "ellipsis"
    return Group(line1, title, *lines)


def findings_block(findings: list[dict[str, Any]], vehicle_names: dict[str, str]) -> RenderableType:
    if not findings:
        return Text("No findings.", style="dim")
    parts: list[RenderableType] = []
    # The families in the order of their first finding: the findings come most relevant to the ticket first.
    order = list(dict.fromkeys([f["family"] for f in findings if f["family"] in FAMILY_TITLES]))
    for family in order:
        heading = FAMILY_TITLES[family]
        group = [f for f in findings if f["family"] == family]
        if not group:
            continue
        parts.append(Text(f"{heading} ({len(group)})", style="bold underline"))
        for f in group:
            level = f["severity"]
            # (a line that wraps goes on under its own start, not at the screen's edge: 80 columns wrap most)
            head = Table.grid()
            head.add_column(width=9, no_wrap=True)
            head.add_column(ratio=1)
            head.add_row(Text(f"{level.upper():8}", LEVEL_STYLE.get(level, "")), Text(clean_line(f["title"], 300)))
            parts.append(head)
            if f["boundary"] == "escalate":
                vehicle = vehicle_names.get(f["vehicle"] or "", "no eligible vehicle")
                where = styled(f"→ escalate to Microsoft: {vehicle}", ESCALATE)
            else:
                where = Text("inside the partner's support boundary", style="dim")
            where.append(f" · {clean_line(f['checkId'])}", style="dim")
            lines = [where, Text(clean_line(f["explanation"], 2000))]
            if f["suggestedAction"]:
                lines.append(styled("Action: " + clean_line(f["suggestedAction"], 1000), OK))
            parts += [Padding(line, (0, 0, 0, 2)) for line in lines]
    return Group(*parts)


#: The timeline's written entries: how each is headed and in which colour.
_SAID = {
    "note": ("internal note", WARN),
    "reply": ("reply sent to the customer", OK),
    "microsoft": ("from Microsoft", INFO),
    "mail": ("mail from the customer", INFO),
}


def timeline_block(events: list[dict[str, Any]], zone: str) -> RenderableType:
    """What happened on the ticket, oldest first, each stamped in the desk's ``zone``."""
    if not events:
        return Text("Nothing yet.", style="dim")
    parts: list[RenderableType] = []
    for e in events:
        kind = e["kind"]
        head = Text.assemble((stamp(e["createdDate"], zone), "dim"), "  ", clean_line(e["author"] or "—"), "  ")
        if kind in _SAID:
            head.append(_SAID[kind][0], style=_SAID[kind][1])
            parts.append(head)
            parts.append(Text(clean_block(e["text"]), style=""))
        elif kind == "escalation" and e["text"]:
            head.append("Microsoft: ", style=INFO)
            head.append(clean_line(e["text"], 400), style="dim")
            parts.append(head)
        else:
            change = f"{clean_line(e['fromValue'] or '—')} → {clean_line(e['toValue'] or '—')}"
            label = {
                "status_change": "status",
                "assignment": "assignee",
                "field_change": clean_line(e["text"] or ""),
                "escalation": "escalation",
            }.get(kind, kind)
            head.append(f"{label}: {change}", style="dim")
            if kind == "status_change" and e["text"]:
                head.append(f" ({clean_line(e['text'])})", style="dim")
            parts.append(head)
    return Group(*parts)


ESCALATION_STATE = {
    "pending": ("sending to Microsoft", WARN),
    "awaiting_case_number": ("handed off: case number needed", WARN),
    "open": ("open at Microsoft", INFO),
    "closed": ("closed by Microsoft", OK),
    "failed": ("delivery failed", BAD),
}


def escalations_block(escalations: list[dict[str, Any]], vehicle_names: dict[str, str]) -> RenderableType:
    """``#3  Advanced Support for Partners  open at Microsoft  case 2611…  (Open)`` and any delivery error."""
    lines: list[RenderableType] = []
    for e in escalations:
        label, style = ESCALATION_STATE.get(e["state"], (e["state"], ""))
        line = Text.assemble(
            (f"#{e['id']}  ", "dim"),
            clean_line(vehicle_names.get(e["vehicle"], e["vehicle"])),
            "  ",
            (label, style),
        )
        if e["microsoftCaseId"]:
            line.append(f"  case {clean_line(e['microsoftCaseId'])}")
        if e.get("microsoftState"):
            line.append(f"  ({clean_line(e['microsoftState'])})", style="dim")
        lines.append(line)
        if e.get("lastError"):
            lines.append(styled("  " + clean_line(e["lastError"], 300), BAD))
        if e["state"] == "awaiting_case_number" and e.get("handoffUrl"):
            lines.append(Text("  open it at " + clean_line(e["handoffUrl"], 200), style="dim"))
    return Group(*lines)


_STORED_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z")


def _audit_value(value: Any, zone: str) -> str:
    """A value an audit row changed, made safe; a stored time (a claim's end, a due time) in the desk's ``zone``."""
    if value is None:
        return "—"
    if isinstance(value, str) and _STORED_TIME.fullmatch(value):
        return stamp(value, zone)
    return clean_line(value, 60)


def audit_block(entries: list[dict[str, Any]], zone: str) -> RenderableType:
    """Who changed what, when (the desk's ``zone``):
    ``2026-11-23 12:00 JST  aiko.tanaka  ticket.claim  assignee: — → aiko.tanaka``."""
    if not entries:
        return Text("No changes recorded.", style="dim")
    lines: list[RenderableType] = []
    for e in entries:
        detail = e.get("detail") or {}
        before, after = detail.get("before") or {}, detail.get("after") or {}
        changes = "; ".join(
            f"{clean_line(k)}: {_audit_value(before.get(k), zone)} → {_audit_value(v, zone)}" for k, v in after.items()
        )
        line = Text.assemble(
            (stamp(e["at"], zone), "dim"),
            "  ",
            clean_line(e["agent"] or "—"),
            "  ",
            (clean_line(e["action"]), "bold"),
            "  ",
            changes,
        )
        if e.get("entity") != "ticket":
            line.append(f"  ({clean_line(e['entity'])} {clean_line(e['entityId'], 40)})", style="dim")
        lines.append(line)
    return Group(*lines)


def sla_block(state: Any, offer: Any, time: list[dict[str, Any]], zone: str) -> RenderableType:
    """The ticket's SLA clocks in business hours (the customer's, named as theirs; the times in the desk's
    ``zone``), the customer's support offer and the time logged."""
    from console.sla.clocks import business_duration, clock_text

    parts: list[RenderableType] = []
    if state is not None:
        parts.append(
            Text.assemble(
                ("Counted in ", "dim"), clean_line(state.policy.describe()), (f"  ({state.policy.source})", "dim")
            )
        )
        for clock in (state.first_response, state.resolution):
            warn = clock.warning(state.policy.warn_at)
            style = ALARM if clock.breached_at and not clock.met else (WARN if warn else "")
            if clock.met:
                style = BAD if clock.breached_at else OK
            parts.append(styled(clean_line(clock_text(clock, state.policy, zone)), style))
    if offer is not None:
        o = offer.offer
        price = o["pricingModel"].replace("_", " ")
        parts.append(Text.assemble(("Offer ", "dim"), clean_line(o["name"]), ("  ·  ", "dim"), price))
        if offer.warning:
            parts.append(styled(clean_line(offer.warning), WARN_STRONG))
        elif offer.balance is not None:
            parts.append(Text(f"Prepaid balance {offer.balance.normalize():f} h", style="dim"))
    else:
        parts.append(styled("No support offer recorded for this customer.", WARN))
    if time:
        total = sum(e["minutes"] for e in time)
        parts.append(
            Text(
                f"Time logged: {business_duration(total * 60)} in {len(time)} "
                f"{'entry' if len(time) == 1 else 'entries'} (l logs more)",
                style="dim",
            )
        )
    return Group(*parts)


def aging_table(aging: dict[str, dict[str, Any]], first: str = "Currency") -> RenderableType:
    """Outstanding amounts per currency in the aging buckets (current, 1-30, 31-60, 61-90, 90+); overdue marked."""
    from rich.table import Table

    from console.billing.account import AGING_BUCKETS
    from console.shared.money import money

    table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold", expand=True)
    table.add_column(first, no_wrap=True)
    for bucket in AGING_BUCKETS:
        table.add_column(bucket, justify="right", no_wrap=True, overflow="ellipsis")
    for currency, buckets in aging.items():
        cells = [
            styled(money(buckets[b], currency, with_code=False), BAD if b != "current" and buckets[b] else "")
            for b in AGING_BUCKETS
        ]
        table.add_row(currency, *cells)
    return table
