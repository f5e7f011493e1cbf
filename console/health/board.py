"""Queue health for team leads: every figure of the board, computed from small covering indexes, with
the queue filter each figure jumps to. ``to_json`` is the stable shape of ``csp-console health --json``
(documented in docs/health.md; ``schema`` changes only when a field changes meaning or goes away)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.cells import cell_len

from console.plugin_api import DUNNING_STAGES
from console.settings.local_time import stamp
from console.shared.clock import to_iso
from console.shared.model import OPEN_STATUSES, STATUS_TEXT, Severity
from console.shared.safe_text import clean_line
from console.store import Workspace
from console.tickets.queue_query import QueueQuery

if TYPE_CHECKING:
    from console.background.jobs import Failure
    from console.desk.audit_chain import Break

SCHEMA = 1
AGING = (("<1h", 1), ("1-4h", 4), ("4-24h", 24), ("1-3d", 72), ("3-7d", 168), (">7d", None))
TREND_HOURS = 24
SAMPLE_MINUTES = 5
#: How the board names the tickets waiting on Microsoft with no case recorded (set waiting by hand).
NO_VEHICLE, NO_CASE = "none", "no case recorded"
PANELS = (
    ("backlog", "Open backlog"),
    ("sla", "SLA"),
    ("aging", "Age of open tickets"),
    ("escalations", "Waiting on Microsoft"),
    ("agents", "Agents (open · claimed · in progress · resolved today)"),
    ("customers", "Most open tickets"),
    ("collections", "Collections (customers per dunning stage)"),
)


@dataclass(frozen=True)
class Figure:
    """One number on the board: its label, its value as shown, and the queue it opens (if any)."""

    id: str
    group: str
    label: str
    value: str
    query: QueueQuery | None = None


@dataclass
class Health:
    at: str
    backlog: dict[str, Any]
    aging: list[dict[str, Any]]
    sla: dict[str, Any]
    first_contact_resolution_7d: float | None
    mean_hours_to_resolve: dict[str, float | None]
    escalations: dict[str, Any]
    agents: list[dict[str, Any]]
    top_customers: list[dict[str, Any]]
    collections: dict[str, int]
    trend: dict[str, list[list[Any]]] = field(default_factory=dict)
    queries: dict[str, QueueQuery] = field(default_factory=dict)
    #: The mail intake's figures (console.desk.mail.MailDesk.figures), where the desk has mail.
    mail: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "at": self.at,
            "backlog": self.backlog,
            "aging": self.aging,
            "sla": self.sla,
            "firstContactResolution7d": self.first_contact_resolution_7d,
            "meanHoursToResolve": self.mean_hours_to_resolve,
            "escalations": self.escalations,
            "agents": self.agents,
            "topCustomers": self.top_customers,
            "collections": self.collections,
            "trend": self.trend,
            **({"mail": self.mail} if self.mail is not None else {}),
        }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def figures(
    h: Health, vehicle_names: dict[str, str], service_names: dict[str, str], zone: str = "UTC"
) -> dict[str, list[tuple[str, str, str]]]:
    """Per panel: (figure id, label, value) in display order; times in the desk's ``zone``."""
    b, s = h.backlog, h.sla
    out: dict[str, list[tuple[str, str, str]]] = {
        "backlog": [("backlog.total", "All open", f"{b['total']:,}")]
        + [(f"status.{k}", f"  {STATUS_TEXT.get(k, k.replace('_', ' '))}", f"{v:,}") for k, v in b["byStatus"].items()]
        + [(f"service.{k}", f"  {service_names.get(k, k)}", f"{v:,}") for k, v in b["byService"].items()]
        + [(f"severity.{k}", f"  severity {k}", f"{v:,}") for k, v in b["bySeverity"].items() if v],
        "sla": [
            ("sla.breached", "Breached now", f"{s['breached']:,}"),
            ("sla.15m", "Breaching within 15 min", f"{s['breachingWithin15m']:,}"),
            ("sla.60m", "Breaching within 60 min", f"{s['breachingWithin60m']:,}"),
            ("sla.res_today", "Resolution on target today", _pct(s["resolutionAttainmentToday"])),
            ("sla.res_7d", "Resolution on target 7 days", _pct(s["resolutionAttainment7d"])),
            ("sla.fr_today", "First response on target today", _pct(s["firstResponseAttainmentToday"])),
            ("sla.fr_7d", "First response on target 7 days", _pct(s["firstResponseAttainment7d"])),
            ("sla.fcr", "First-contact resolution 7 days", _pct(h.first_contact_resolution_7d)),
            ("sla.mttr_today", "Mean time to resolve today", _hours(h.mean_hours_to_resolve["today"])),
            ("sla.mttr_7d", "Mean time to resolve 7 days", _hours(h.mean_hours_to_resolve["7d"])),
            ("sla.resolved", "Resolved today", f"{s['resolvedToday']:,}"),
        ],
        "aging": [(f"aging.{a['bucket']}", a["bucket"], f"{a['count']:,}") for a in h.aging],
        "escalations": [],
        "agents": [
            (
                f"agent.{a['agent']}",
                a["agent"],
                f"{a['open']:,} · {a['claimed']:,} · {a['inProgress']:,} · {a['resolvedToday']:,}",
            )
            for a in h.agents
        ]
        or [("agent.none", "No tickets held", "")],
        "customers": [(f"customer.{c['customerId']}", c["name"], f"{c['open']:,}") for c in h.top_customers],
        "collections": [(f"collections.{k}", k.replace("_", " "), f"{v:,}") for k, v in h.collections.items()],
    }
    if h.mail is not None:  # the mail intake: on the backlog, as mail is how much of it arrives
        out["backlog"] += _mail_rows(h.mail, zone)
    esc = out["escalations"]
    oldest = h.escalations["oldestWaiting"]
    esc.append(("escalations.total", "Tickets waiting", f"{h.escalations['waiting']:,}"))
    esc.append(
        (
            "escalations.waiting",
            "Oldest waiting",
            f"{oldest['ticket']} since {stamp(oldest['since'], zone)}" if oldest else "none",
        )
    )
    for vehicle, states in sorted(h.escalations["byVehicle"].items()):
        for state, count in sorted(states.items()):
            esc.append(
                (f"escalation.{vehicle}.{state}", f"{vehicle_names.get(vehicle, vehicle)}: {state}", f"{count:,}")
            )
    return out


def _mail_rows(m: dict[str, Any], zone: str) -> list[tuple[str, str, str]]:
    owed = f"{m['outboxPending']:,} · {m['outboxFailed']:,} · {m['outboxUncertain']:,}"
    return [
        ("mail.runner", "Mail read and sent by", clean_line(m.get("runner") or "no runner now", 60)),
        ("mail.last", "Mailbox last read", stamp(m["lastRound"], zone) if m["lastRound"] else "never"),
        ("mail.unmatched", "Unmatched mail", f"{m['unmatched']:,}"),
        ("mail.outbox", "Replies owed · failed · uncertain", owed),
    ]


def job_notice(failures: Sequence[Failure], zone: str = "UTC") -> list[str]:
    """The board's notice of failing background jobs (:mod:`console.background.jobs`), one line each: the job, since
    when (the desk's ``zone``), and its error; empty when every job works."""
    return [f"{f.title} failing since {stamp(f.since, zone)}: {clean_line(f.error, 300)}" for f in failures]


def audit_notice(breaks: Sequence[Break]) -> list[str]:
    """The board's notice of the audit chain's open breaks (:mod:`console.desk.audit_chain`), one line each; empty
    while the chain is intact or every break was acknowledged."""
    from console.desk.audit_chain import describe

    return [clean_line(describe(b), 300) for b in breaks]


def text_report(
    h: Health, vehicle_names: dict[str, str], service_names: dict[str, str], width: int = 60, zone: str = "UTC"
) -> str:
    """The board as plain text, panel by panel (``csp-console health``), its times in the desk's ``zone``."""
    titles = dict(PANELS)
    lines = [f"Queue health at {stamp(h.at, zone)}"]
    for key, rows in figures(h, vehicle_names, service_names, zone).items():
        lines += ["", titles[key]]
        for _, label, value in rows:
            label = clean_line(label)
            lines.append(f"{label}{' ' * max(1, width - cell_len(label) - cell_len(value))}{value}")
    return "\n".join(lines)


class HealthBoard:
    """Computes :class:`Health`. Every figure is read fresh on every call: each is one range or group over
    a small covering index (first-contact resolution reads counters the store keeps on each ticket)."""

    def __init__(
        self,
        ws: Workspace,
        time_zone: str = "UTC",
        stages: tuple[tuple[int, str], ...] = DUNNING_STAGES,
        mail: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.ws = ws
        self.mail = mail
        self.zone = ZoneInfo(time_zone)
        self.stages = stages

    def day_start(self, now: datetime) -> datetime:
        local = now.astimezone(self.zone)
        return datetime.combine(local.date(), time(0), self.zone)

    def compute(self, now: datetime) -> Health:
        ws = self.ws
        iso = to_iso(now)
        backlog = self._backlog()
        aging = self._aging(now, backlog["total"])
        today = to_iso(self.day_start(now))
        week = to_iso(now - timedelta(days=7))
        resolved_today = ws.health.health_resolved_since(today)
        history = self._history_figures(week)
        sla = self._sla(now, today, resolved_today, history)
        escalations = self._escalations()
        local_today = now.astimezone(self.zone).date()
        stages = ws.health.health_dunning_counts(local_today.isoformat(), self.stages)
        collections = {name: stages.get(name, 0) for _, name in self.stages}
        samples = ws.health.health_samples(to_iso(now - timedelta(hours=TREND_HOURS)))
        health = Health(
            at=iso,
            backlog=backlog,
            aging=aging,
            sla=sla,
            first_contact_resolution_7d=history["fcr"],
            mean_hours_to_resolve={
                "today": _mean(resolved_today["hours"], resolved_today["resolved"]),
                "7d": history["mttr"],
            },
            escalations=escalations,
            agents=ws.health.health_agents(iso, today),
            top_customers=ws.health.health_top_customers(),
            collections=collections,
            trend={"backlog": [[a, b] for a, b, _ in samples], "breached": [[a, c] for a, _, c in samples]},
        )
        health.queries = self._queries(health, now)
        if self.mail is not None:
            health.mail = self.mail()
        return health

    def _backlog(self) -> dict[str, Any]:
        """The open tickets by status, service and severity."""
        by_status: Counter[str] = Counter()
        by_service: Counter[str] = Counter()
        by_severity: Counter[str] = Counter()
        for status, service, severity, count in self.ws.health.health_backlog():
            by_status[status] += count
            by_service[service or "unclassified"] += count
            by_severity[severity] += count
        return {
            "total": sum(by_status.values()),
            "byStatus": {s.value: by_status.get(s.value, 0) for s in OPEN_STATUSES},
            "byService": dict(sorted(by_service.items())),
            "bySeverity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        }

    def _aging(self, now: datetime, total: int) -> list[dict[str, Any]]:
        """The open tickets per age bucket."""
        bounds = [to_iso(now - timedelta(hours=h)) for _, h in AGING if h is not None]
        spans = self.ws.health.health_created_between(bounds)
        counts = [*spans, total - sum(spans)]  # older than the last bound: the rest of the backlog
        return [{"bucket": bucket, "count": count} for (bucket, _), count in zip(AGING, counts, strict=True)]

    def _sla(
        self, now: datetime, today: str, resolved_today: dict[str, Any], history: dict[str, Any]
    ) -> dict[str, Any]:
        """Breaches now and soon, and the targets met today and over 7 days."""
        breached, (within15, within60) = self.ws.health.health_due_between(
            to_iso(now), [to_iso(now + timedelta(minutes=15)), to_iso(now + timedelta(minutes=60))]
        )
        first_today = self.ws.health.health_first_responses_since(today)
        return {
            "breached": breached,
            "breachingWithin15m": within15,
            "breachingWithin60m": within60,
            "resolutionAttainmentToday": _ratio(resolved_today["met"], resolved_today["resolved"]),
            "resolutionAttainment7d": history["attainment"],
            "firstResponseAttainmentToday": _ratio(first_today[1], first_today[0]),
            "firstResponseAttainment7d": history["first_response"],
            "resolvedToday": resolved_today["resolved"],
        }

    def _escalations(self) -> dict[str, Any]:
        """The tickets waiting on Microsoft (the backlog's ``waiting_microsoft``, one definition for both), per
        vehicle and state of their latest case, and the one waiting longest."""
        per: dict[str, dict[str, int]] = {}
        for vehicle, state, count in self.ws.health.health_waiting_microsoft():
            cell = per.setdefault(vehicle or NO_VEHICLE, {})
            cell[state or NO_CASE] = cell.get(state or NO_CASE, 0) + count
        oldest = self.ws.health.health_oldest_waiting()
        return {
            "waiting": sum(n for states in per.values() for n in states.values()),
            "byVehicle": per,
            "oldestWaiting": (
                {
                    "ticket": oldest["id"],
                    "vehicle": oldest["vehicle"],
                    "since": oldest["since"],
                    "case": oldest["microsoftCaseId"],
                }
                if oldest
                else None
            ),
        }

    def _history_figures(self, week: str) -> dict[str, Any]:
        resolved = self.ws.health.health_resolved_since(week)
        first = self.ws.health.health_first_responses_since(week)
        return {
            "attainment": _ratio(resolved["met"], resolved["resolved"]),
            "first_response": _ratio(first[1], first[0]),
            "fcr": _ratio(resolved["first_contact"], resolved["resolved"]),
            "mttr": _mean(resolved["hours"], resolved["resolved"]),
        }

    def _queries(self, h: Health, now: datetime) -> dict[str, QueueQuery]:
        q: dict[str, QueueQuery] = {"backlog.total": QueueQuery()}
        for status in h.backlog["byStatus"]:
            q[f"status.{status}"] = QueueQuery(statuses=(status,))
        for service in h.backlog["byService"]:
            if service != "unclassified":
                q[f"service.{service}"] = QueueQuery(services=(service,))
        for severity in h.backlog["bySeverity"]:
            q[f"severity.{severity}"] = QueueQuery(severities=(severity,))
        q["sla.breached"] = QueueQuery(due_before=h.at)
        q["sla.15m"] = QueueQuery(due_before=to_iso(now + timedelta(minutes=15)))
        q["sla.60m"] = QueueQuery(due_before=to_iso(now + timedelta(minutes=60)))
        for bucket in h.aging:
            q[f"aging.{bucket['bucket']}"] = QueueQuery(sort="created")
        q["escalations.waiting"] = QueueQuery(statuses=("waiting_microsoft",), sort="created")
        q["escalations.total"] = q["escalations.waiting"]
        for agent in h.agents:
            q[f"agent.{agent['agent']}"] = QueueQuery(assignee=agent["agent"])
        for customer in h.top_customers:
            q[f"customer.{customer['customerId']}"] = QueueQuery(customer_id=customer["customerId"])
        for stage in h.collections:
            q[f"collections.{stage}"] = QueueQuery(categories=("billing",))
        return q

    # -- trends ----------------------------------------------------------------------------------
    def sample(self, now: datetime, health: Health | None = None) -> bool:
        """Record the backlog and breaches for the trend, at most once every 5 minutes across sessions."""
        health = health or self.compute(now)
        return self.ws.health.record_health_sample(
            to_iso(now),
            health.backlog["total"],
            health.sla["breached"],
            to_iso(now - timedelta(minutes=SAMPLE_MINUTES)),
        )


def backfill_samples(ws: Workspace, now: datetime, hours: int = TREND_HOURS) -> int:
    """Seed the trend of a new workspace with hourly figures rebuilt from ticket history: the backlog, and
    the tickets past a first-response or resolution target at each hour."""
    moments = [to_iso(now - timedelta(hours=h)) for h in range(hours, 0, -1)]
    points = ws.health.health_backlog_at(moments)
    ws.health.insert_health_samples(points)
    return len(points)
