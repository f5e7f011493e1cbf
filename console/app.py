"""The Textual application: the console an agent keeps open all shift."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from console.desk.identity import UnknownAgent, current_agent, new_session
from console.desk.policy import PolicyWatch
from console.screens import reach
from console.screens.command_palette import TEXTUAL_COMMANDS_LEFT_OUT, palette_commands
from console.screens.commands import CommandMode
from console.screens.hangup import HangUp
from console.screens.leaving import Leaving
from console.screens.queue import QueueScreen
from console.settings.config import Config, ConfigError
from console.shared.clock import utcnow
from console.shared.model import VEHICLE_NAMES
from console.shared.safe_text import clean_line
from console.store import Workspace
from console.tickets.queue_query import QueueQuery
from console.widgets.fault_notice import described, notify_fault  # a fault of the workspace: its one sentence
from console.widgets.ordered_keys import OrderedKeys
from console.widgets.palette import ThemedApp

if TYPE_CHECKING:  # the desk, the plugins and the health board are set up after the queue is painted
    import subprocess

    from console.background.jobs import ClockUpgrade, Failure, Job, Jobs, Outcome
    from console.desk.audit_chain import Break
    from console.desk.door import Desk
    from console.health.board import HealthBoard
    from console.plugins.host import PluginHost
    from console.screens.notices import NoticeFeed

#: Seconds after mount by which the deferred set-up runs even if the queue has not shown its first page.
SETTLE_AT_LATEST = 2.0

log = logging.getLogger(__name__)


class CspConsoleApp(OrderedKeys, HangUp, Leaving, CommandMode, ThemedApp, App[None]):
    """CSP Triage Console."""

    TITLE = "CSP Triage Console"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("colon", "command_mode", "Command (:1511, :c name, :q, :help)", show=False, id="app.command"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
    ]

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        *,
        clock: Callable[[], datetime] = utcnow,
        notice: str | None = None,
        agent: str | None = None,
        host: PluginHost | None = None,
        cursor_blink: bool = True,
        poll_seconds: float | None = None,
        start_screen: str = "queue",
    ) -> None:
        super().__init__()
        self.use_palette(config.theme)  # NO_COLOR, the theme and our styles by role, before anything is shown
        self.cursor_blink = cursor_blink
        self.poll_seconds = poll_seconds if poll_seconds is not None else config.refresh_ms / 1000
        self.workspace = workspace
        self.policy_watch = PolicyWatch(workspace, config)  # the desk's policy over the file, as it changes
        self.config = self.policy_watch.config
        self.clock = clock
        self.notice = notice
        self.agent = agent or current_agent(workspace)
        if workspace.agents.agent(self.agent) is None:
            raise UnknownAgent(self.agent, workspace.location)
        self._host = host
        self.start_screen = start_screen
        self.agents: list[str] = []
        self.vehicle_names = {v.value: name for v, name in VEHICLE_NAMES.items()}
        self._settled = False
        self._upgrade: ClockUpgrade | None = None  # the SLA clock upgrade, when this workspace needs it
        self._jobs: list[Job] = []  # the background jobs (console.background.jobs), once the console has settled
        self._job_timers: dict[str, Timer] = {}  # each job's next run, set when its previous run ended
        self._job_workers: dict[Worker[Outcome], Job] = {}
        self.audit_breaks: list[Break] = []  # the open breaks of the audit chain its start-up check found

    # -- built on first use: the first painted queue needs none of them -------------------------
    @cached_property
    def host(self) -> PluginHost:
        if self._host is not None:
            return self._host
        from console.desk.plugin_host import desk_plugins

        return desk_plugins(self.workspace, self.config)

    @cached_property
    def desk(self) -> Desk:
        from console.desk.door import Desk

        return Desk(self.workspace, self.config, self.host, self.agent, self.clock, session=new_session())

    @cached_property
    def health_board(self) -> HealthBoard:
        """The board through the desk (``ticket.view``); raises :class:`RoleDenied` when refused."""
        return self.desk.health_board()

    @cached_property
    def service_names(self) -> dict[str, str]:
        return {sid: s.name for sid, s in sorted(self.host.services.items())}

    def get_default_screen(self) -> QueueScreen:
        """The queue is the bottom screen: built and painted once (not over an empty default screen, which
        cost a third of the time to the first painted queue)."""
        # The baseline for live updates is taken before anything is read, so no change can slip between
        # the first read and the first poll (one in-memory read of SQLite's change counter).
        self._data_version: int | None = self.workspace.data_version()
        return QueueScreen()

    def on_mount(self) -> None:
        if self.config.keys:
            self.set_keymap(self.config.keys)
        if self.start_screen == "health":
            self.open_health()
        elif self.start_screen == "collections":
            self.open_collections()
        if self.notice:
            self.notify(self.notice, title="First run", timeout=15, markup=False)
        self.set_interval(self.poll_seconds, self._poll)
        self.set_timer(SETTLE_AT_LATEST, self.settle)
        self.watch_terminal()  # SIGHUP, SIGTERM, the terminal gone: leave, as on quitting (console/screens/hangup.py)

    def settle(self) -> None:
        """The set-up the first painted queue does not wait for (plugins, the desk, the timers); run once, when
        the queue has shown its first page (or :data:`SETTLE_AT_LATEST` after mount)."""
        if self._settled or not self.is_running:
            return
        self._settled = True
        reach.attach(self)  # the plugins' actions checked (a refused key is the plugin's error), the queue's columns
        for name, errors in self.host.load_errors.items():
            part = name in self.host.plugins and bool(self.host.plugins[name].hooks)  # loaded, an item refused
            title = clean_line(f"Plugin {name} " + ("in part refused" if part else "not loaded"))
            self.notify(clean_line("; ".join(errors)), title=title, severity="warning", markup=False)
        try:
            desk = self.desk
        except ConfigError as exc:  # a broken collections policy: said as the CLI says it, with file and line
            self.exit(return_code=1, message=Text(f"csp-console: error: {exc}"))
            return
        self.run_worker(self._load_agents, thread=True, exit_on_error=False)
        self._start_jobs(desk)
        self.notice_feed.start()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    def _load_agents(self) -> None:
        agents = self.workspace.agents.agent_logins()
        self.call_from_thread(setattr, self, "agents", sorted({*agents, self.agent}))

    def on_unmount(self) -> None:
        self.let_go()

    def release_held(self) -> None:
        """Let go of what this console holds (once: :meth:`let_go`, on unmount or as a hang-up's last resort)."""
        if self._upgrade is not None:  # the next start runs it again
            self._upgrade.stop()
        desk = self.__dict__.get("desk")
        if desk is None:  # never set up: nothing claimed, nothing to close
            return
        with contextlib.suppress(Exception):  # leaving must never fail: release what this console still holds
            desk.leave()  # (only this console's claims: not the agent's in other consoles or from the CLI)
        with contextlib.suppress(Exception):  # the next console's runs take the once-per-workspace jobs over
            self.jobs.release(self._jobs)
        with contextlib.suppress(Exception):  # the next console's round takes the Microsoft work over at once
            if (lease := desk.__dict__.get("microsoft_lease")) is not None:
                lease.release()
        desk.close()

    # -- live between sessions -----------------------------------------------------------------
    def _poll(self) -> None:
        """Every half second, a look at SQLite's data_version (an in-memory read, on this thread: no worker to
        start); the screen in front refreshes only on change."""
        if not self.screen_stack:  # shutting down
            return
        changed, self._data_version = self.workspace.changed_since(self._data_version)
        if changed:  # a Global admin may have changed the desk's policy: the desk and the queue follow it
            self.config = self.policy_watch.follow(self.__dict__.get("desk"), self.screen_stack)
            self.notice_feed.check()  # this agent's new notices, as toasts (once the desk is set up)
            handler = getattr(self.screen, "on_workspace_changed", None)
            if handler is not None:
                handler()
            for screen in self.screen_stack[:-1]:  # screens below catch up when they come back
                if isinstance(screen, QueueScreen):
                    screen.catch_up_on_resume()

    @cached_property
    def notice_feed(self) -> NoticeFeed:
        from console.screens.notices import NoticeFeed

        return NoticeFeed(self)

    # -- background jobs (console.background.jobs) ----------------------------------------------------------
    @cached_property
    def jobs(self) -> Jobs:
        from console.background.jobs import Jobs

        return Jobs(self.clock)

    def _start_jobs(self, desk: Desk) -> None:
        """Schedule each background job's first run; one due at once (the Microsoft round, the SLA upgrade) starts."""
        from console.background.jobs import ClockUpgrade, console_jobs
        from console.sla.clocks import recompute_pending

        if recompute_pending(self.workspace):  # upgraded from wall-clock due times: once, in a child process
            self._upgrade = ClockUpgrade(self.workspace.locator, self.config.path, self.clock)
        self._jobs = console_jobs(desk, self.clock, upgrade=self._upgrade)
        for job in self._jobs:
            delay = job.first_delay()
            if delay <= 0:
                self._run_job(job)
            else:
                self._job_timers[job.name] = self.set_timer(delay, partial(self._run_job, job))

    def run_job_now(self, name: str) -> bool:
        """Run the job ``name`` now instead of at its next time (``False`` if there is no such job, or a run
        of it is under way: runs never overlap)."""
        job = next((j for j in self._jobs if j.name == name), None)
        if job is None or job in self._job_workers.values():
            return False
        timer = self._job_timers.get(name)
        if timer is not None:
            timer.stop()
        self._run_job(job)
        return True

    def _run_job(self, job: Job) -> None:
        """One run of ``job`` in a thread worker; the next is scheduled when it ends (:meth:`_job_ended`)."""
        self._job_timers.pop(job.name, None)
        if not self.is_running or job in self._job_workers.values():
            return
        jobs = self.jobs
        worker = self.run_worker(
            partial(jobs.run, job), thread=True, group=f"job:{job.name}", exit_on_error=False, name=f"job:{job.name}"
        )
        self._job_workers[worker] = job

    def _job_ended(self, job: Job, outcome: Outcome | None, error: BaseException | None) -> None:
        from console.escalation.courier import CourierReport
        from console.screens.audit_alarm import report_audit
        from console.screens.delivery import report_delivery

        if error is not None:  # not an Exception (Jobs.run catches those): said as any unexpected failure
            self.log_failure(error)
        if outcome is not None:
            if outcome.started_failing:
                self.notify(
                    clean_line(f"{job.title}: {described(outcome.error, self.workspace.path)}"),
                    title="A background job failed (details in the log; the health board lists it)",
                    severity="error",
                    markup=False,
                    timeout=10,
                )
            if outcome.started_failing or outcome.recovered:
                self._jobs_changed()
            if isinstance(outcome.value, CourierReport):
                report_delivery(self, outcome.value)
            report_audit(self, outcome.value)
        if job.repeat and self.is_running and job.name not in self._job_timers:
            self._job_timers[job.name] = self.set_timer(job.every(), partial(self._run_job, job))

    def job_failures(self) -> list[Failure]:
        """The background jobs failing now in this console (none before they started)."""
        return self.jobs.failures() if self._jobs else []

    def _jobs_changed(self) -> None:
        from console.screens.health import HealthScreen

        failures = self.job_failures()
        for screen in self.screen_stack:
            if isinstance(screen, HealthScreen):
                screen.show_jobs(failures)

    @property
    def _microsoft_timer(self) -> Timer | None:
        """The next Microsoft round, once scheduled (after the previous one ended)."""
        return self._job_timers.get("microsoft")

    @property
    def _recompute(self) -> subprocess.Popen[str] | None:
        """The SLA clock upgrade's child process, once started."""
        return self._upgrade.proc if self._upgrade is not None else None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        job = self._job_workers.pop(event.worker, None)
        if job is not None:
            result = event.worker.result if event.state == WorkerState.SUCCESS else None
            self._job_ended(job, result, event.worker.error)

    # -- navigation ----------------------------------------------------------------------------
    def open_ticket(self, ticket_id: str) -> None:
        from console.screens.ticket import TicketScreen

        self.push_screen(TicketScreen(ticket_id))

    def open_account(self, customer_id: str) -> None:
        from console.screens.account import AccountScreen

        self.push_screen(AccountScreen(customer_id))

    def open_intake(self) -> None:
        from console.screens.intake import IntakeScreen

        self.push_screen(IntakeScreen())

    def open_health(self) -> None:
        from console.screens.health import HealthScreen

        if not isinstance(self.screen, HealthScreen):
            self.push_screen(HealthScreen())

    def open_collections(self) -> None:
        from console.screens.collections import CollectionsScreen

        if not isinstance(self.screen, CollectionsScreen):
            self.push_screen(CollectionsScreen())

    def _back_to_queue(self) -> QueueScreen:
        """Close every screen over the queue (the bottom screen) and return it."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        return cast(QueueScreen, self.screen_stack[0])

    def show_queue(self, query: QueueQuery | None) -> None:
        """Back to the queue, filtered to ``query`` when given."""
        queue = self._back_to_queue()
        if query is not None:
            queue.show_query(query)

    def show_customer_queue(self, customer_id: str) -> None:
        queue = self._back_to_queue()
        queue.show_query(queue.table.query_.with_(customer_id=customer_id))

    def action_help(self) -> None:
        from console.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def claims_released_on_exit(self) -> list[str]:
        """The tickets whose claims leaving releases (this console's: :meth:`on_unmount`), named when quitting asks."""
        desk = self.__dict__.get("desk")
        return [] if desk is None else desk.session_claims()  # never set up: nothing is released

    # -- failures ------------------------------------------------------------------------------
    def log_failure(self, error: BaseException | None) -> None:
        """An unexpected failure in the core: a notice on screen, the traceback in the log file."""
        if error is not None and notify_fault(self, error, "The workspace cannot be used"):
            return
        log.error("unexpected failure", exc_info=error)
        self.notify(
            clean_line(f"{type(error).__name__}: {error}"),
            title="Something failed (details in the log)",
            severity="error",
            markup=False,
            timeout=10,
        )

    # -- command palette: the actions of the screen in front -----------------------------------
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from palette_commands(self, screen)
        yield from (c for c in super().get_system_commands(screen) if c.title not in TEXTUAL_COMMANDS_LEFT_OUT)
