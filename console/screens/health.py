"""The queue-health board: backlog, aging, SLA, escalations, agents, customers, collections and 24-hour
trends, live. Figures are recomputed only when the workspace changes (or once a minute, for the clock),
never two refreshes at once, and only the figures whose text changed are repainted."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widgets import Sparkline, Static

from console.desk.audit_chain import ChainReport, Verdict, open_breaks
from console.desk.roles import RoleDenied
from console.health.board import PANELS, Health, audit_notice, figures, job_notice
from console.screens.audit_alarm import show_breaks
from console.screens.base import ConsoleScreen
from console.settings.local_time import stamp
from console.shared.safe_text import clean_line
from console.tickets.queue_query import QueueQuery
from console.widgets.cells import fit
from console.widgets.key_bar import KeyBar
from console.widgets.palette import ALARM, HEADING, OK, WARN, WARN_BANNER, WARN_STRONG, styled

if TYPE_CHECKING:
    from console.background.jobs import Failure
    from console.desk.audit_chain import Break


#: Figures that say a breach (or one coming), drawn as such while they are not zero.
FIGURE_ROLES = {"sla.breached": ALARM, "sla.15m": WARN_STRONG, "sla.60m": WARN}


class FigureLine(Static, can_focus=True):
    """One figure: label and value on a line; enter opens the queue behind it."""

    def __init__(self, figure_id: str, label: str, value: str) -> None:
        super().__init__(classes="figure")
        self.figure_id = figure_id
        self.label = label
        self.value = value

    def render(self) -> Text:
        width = max(10, self.size.width)
        value = clean_line(self.value)
        label = fit(clean_line(self.label), max(1, width - cell_len(value) - 1))
        role = FIGURE_ROLES.get(self.figure_id) if any(c in "123456789" for c in value) else None
        if role is not None:  # the whole line: a breach figure is seen from across the board
            return styled(f"{label} {value}", role)
        return Text.assemble(label, " ", (value, "bold"))

    def set_value(self, label: str, value: str) -> bool:
        if (label, value) == (self.label, self.value):
            return False
        self.label, self.value = label, value
        self.refresh()
        return True


class HealthScreen(ConsoleScreen):
    BINDINGS = [
        Binding("escape,backspace,q", "back", "Queue", id="health.back"),
        Binding("enter", "open_figure", "Open in queue", id="health.open"),
        Binding("p", "pause", "Pause/resume", id="health.pause"),
        Binding("ctrl+r", "refresh_now", "Refresh", show=False, id="health.refresh"),
        Binding("j,down", "move(1)", "Next figure", show=False, id="health.down"),
        Binding("k,up", "move(-1)", "Previous figure", show=False, id="health.up"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.paused = False
        self.refused = False  # the agent may not view tickets: the board was refused once, and is not asked again
        self.health: Health | None = None
        self._computing = False
        self._asked_again = False
        self.refreshes = 0  # how many times the figures were computed (tests and the benchmark read it)
        self.repaints = 0  # how many figures were repainted

    def compose(self) -> ComposeResult:
        yield Static(id="health-title")
        yield Static(id="health-jobs")  # failing background jobs; hidden while every job works
        yield Static(id="health-audit")  # the audit chain's open breaks; hidden while there is none
        with VerticalScroll(id="health-body"):
            with Grid(id="health-trends"):
                yield Static(id="trend-backlog-label")
                yield Sparkline([], id="trend-backlog")
                yield Static(id="trend-breached-label")
                yield Sparkline([], id="trend-breached")
            with Grid(id="health-grid"):
                for key, title in PANELS:
                    with Vertical(classes="panel", id=f"panel-{key}"):
                        yield Static(styled(title, HEADING), classes="panel-title")
        yield KeyBar()

    def on_mount(self) -> None:
        self._title()
        self.show_jobs(self.console.job_failures())
        self.show_audit(self.console.audit_breaks)
        self.recheck_audit()
        self.refresh_figures()
        self.set_interval(60, self.refresh_figures)  # time moves the SLA figures even when nothing changes

    def on_resize(self) -> None:
        columns = 1 if self.size.width < 120 else 2
        self.query_one("#health-grid", Grid).styles.grid_size_columns = columns

    def _title(self) -> None:
        state = ("PAUSED (p resumes)", WARN_BANNER) if self.paused else ("live", OK)
        at = stamp(self.health.at, self.zone) if self.health else "…"
        self.query_one("#health-title", Static).update(Text.assemble(("Queue health", "bold"), f"  {at}  ", state))

    def show_jobs(self, failures: list[Failure]) -> None:
        """The notice of failing background jobs (the console calls this when one starts or stops failing)."""
        notice = self.query_one("#health-jobs", Static)
        lines = job_notice(failures, self.zone)
        notice.display = bool(lines)
        text = Text("Background jobs failing (details in the log)")
        for line in lines:
            text.append("\n")
            text.append(line)
        text.stylize(ALARM)
        notice.update(text)

    def show_audit(self, breaks: list[Break]) -> None:
        """The notice of the audit chain's open breaks (the start-up check's, less those acknowledged since)."""
        notice = self.query_one("#health-audit", Static)
        lines = audit_notice(breaks)
        notice.display = bool(lines)
        text = Text("Audit trail broken (csp-console audit verify; a Global admin acknowledges)")
        for line in lines[:5]:
            text.append("\n")
            text.append(line)
        if len(lines) > 5:
            text.append(f"\n… and {len(lines) - 5} more")
        text.stylize(ALARM)
        notice.update(text)

    def audit_text(self) -> str:
        """What the audit notice shows, or "" when hidden (for tests)."""
        notice = self.query_one("#health-audit", Static)
        return str(notice.render()) if notice.display else ""

    def jobs_text(self) -> str:
        """What the notice shows, or "" when hidden (for tests)."""
        notice = self.query_one("#health-jobs", Static)
        return str(notice.render()) if notice.display else ""

    # -- refreshing ------------------------------------------------------------------------------
    def on_workspace_changed(self) -> None:
        self.refresh_figures()
        self.recheck_audit()

    def recheck_audit(self) -> None:
        """The breaks shown, less those acknowledged since (from any console or the command line)."""
        breaks = self.console.audit_breaks
        if breaks:
            desk = self.console.desk

            def still_open() -> Verdict:
                return Verdict(ChainReport(), open_breaks(desk, breaks))

            self.call_core(still_open, partial(show_breaks, self.console), group="health-audit")

    def refresh_figures(self) -> None:
        """Recompute unless paused; a refresh asked for while one runs waits for it, then runs once."""
        if self.paused or self.refused:
            return
        if self._computing:
            self._asked_again = True
            return
        self._computing = True
        console, clock = self.console, self.console.clock

        def compute() -> Health | Exception:
            board = console.health_board  # the desk's: refused without ticket.view, by the one handler's notice
            try:
                now: datetime = clock()
                health = board.compute(now)
                board.sample(now, health)
                return health
            except Exception as exc:  # shown as a notice; the next change tries again
                return exc

        self.call_core(compute, self._show, group="health", on_error=self._not_computed)

    def _not_computed(self, error: BaseException) -> bool:
        """A refusal (said once, by the one handler's notice; not asked again on every change) or a failure
        building the board (the next refresh tries again)."""
        self._computing = False
        self.refused = isinstance(error, RoleDenied)
        return False

    def _show(self, health: Health | Exception) -> None:
        self._computing = False
        if isinstance(health, Exception):
            self.console.log_failure(health)
            return
        self.refreshes += 1
        self.health = health
        self._title()
        panels = figures(health, self.console.vehicle_names, self.console.service_names, self.zone)
        for key, rows in panels.items():
            panel = self.query_one(f"#panel-{key}", Vertical)
            lines = list(panel.query(FigureLine))
            if [line.figure_id for line in lines] != [fid for fid, _, _ in rows]:
                focused = self.focused.figure_id if isinstance(self.focused, FigureLine) else None
                for line in lines:
                    line.remove()
                fresh = [FigureLine(fid, label, value) for fid, label, value in rows]
                panel.mount(*fresh)
                self.repaints += len(fresh)
                for line in fresh:
                    if line.figure_id == focused:
                        self.call_after_refresh(line.focus)
            else:
                for line, (_, label, value) in zip(lines, rows, strict=True):
                    self.repaints += line.set_value(label, value)
        backlog = [float(v) for _, v in health.trend["backlog"]] or [float(health.backlog["total"])]
        breached = [float(v) for _, v in health.trend["breached"]] or [float(health.sla["breached"])]
        for wid, name, data in (("trend-backlog", "Backlog", backlog), ("trend-breached", "Breached", breached)):
            spark = self.query_one(f"#{wid}", Sparkline)
            if list(spark.data or []) != data:
                spark.data = data
                heading = Text.assemble((f"{name} 24 h ", "bold"), f"{int(min(data)):,}–{int(max(data)):,}")
                self.query_one(f"#{wid}-label", Static).update(heading)
        if self.focused is None or not isinstance(self.focused, FigureLine):
            first = next(iter(self.query(FigureLine)), None)
            if first is not None:
                first.focus(scroll_visible=False)
        if self._asked_again:
            self._asked_again = False
            self.refresh_figures()

    # -- actions ---------------------------------------------------------------------------------
    def action_pause(self) -> None:
        self.paused = not self.paused
        self._title()
        if not self.paused:
            self.refresh_figures()

    def action_refresh_now(self) -> None:
        self.refresh_figures()

    def action_move(self, step: int) -> None:
        self.focus_next(FigureLine) if step > 0 else self.focus_previous(FigureLine)

    def action_open_figure(self) -> None:
        line = self.focused
        if not isinstance(line, FigureLine) or self.health is None:
            return
        query: QueueQuery | None = self.health.queries.get(line.figure_id)
        if query is None and line.figure_id.startswith("escalation."):
            query = self.health.queries.get("escalations.waiting")
        if query is None:
            self.app.notify("This figure has no queue behind it.", markup=False)
            return
        self.console.show_queue(query)

    def action_back(self) -> None:
        self.console.show_queue(None)

    def figure_text(self) -> dict[str, str]:
        """What the board shows, figure by figure (for tests)."""
        return {line.figure_id: f"{line.label}={line.value}" for line in self.query(FigureLine)}
