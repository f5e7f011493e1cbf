"""What every console screen shares: running core calls in workers and showing their failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from console.desk.roles import RoleDenied
from console.shared.errors import StaleVersion, UserError
from console.tickets.ops import ClaimedByOther, TicketInputError
from console.widgets.fault_notice import notify_fault
from console.widgets.palette import ALARM, styled

if TYPE_CHECKING:
    from console.app import CspConsoleApp


class CoreCalls:
    """Mixin: ``self.call_core(fn, then)`` runs ``fn`` (store, plugins) on a thread and ``then(result)`` on
    the UI thread. Known failures become notices; nothing from the core ever crashes the screen."""

    _core_callbacks: dict[Worker[Any], Callable[[Any], object] | None]

    def call_core(
        self,
        fn: Callable[[], Any],
        then: Callable[[Any], object] | None = None,
        *,
        group: str = "core",
        exclusive: bool = False,
        on_stale: Callable[[dict[str, Any]], object] | None = None,
        on_error: Callable[[BaseException], bool] | None = None,
        title: str = "Not done: nothing was saved",
    ) -> Worker[Any]:
        """``on_error(error)`` sees a failure first and returns True when it showed it itself (a form naming
        the bad field); anything else gets this one handler's notice (a fault of the workspace, such as a full
        disk or another agent's long write, under ``title``: what was not done)."""
        if not hasattr(self, "_core_callbacks"):
            self._core_callbacks = {}
        worker = self.run_worker(fn, thread=True, group=group, exclusive=exclusive, exit_on_error=False)  # type: ignore[attr-defined]
        self._core_callbacks[worker] = then
        worker._csp_on_stale = on_stale
        worker._csp_on_error = on_error
        worker._csp_title = title
        return worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        callbacks = getattr(self, "_core_callbacks", {})
        if event.worker not in callbacks:
            return
        if event.state == WorkerState.SUCCESS:
            then = callbacks.pop(event.worker)
            if then is not None:
                then(event.worker.result)
        elif event.state == WorkerState.ERROR:
            callbacks.pop(event.worker)
            error = event.worker.error
            app: CspConsoleApp = self.app  # type: ignore[attr-defined]
            on_error = getattr(event.worker, "_csp_on_error", None)
            if error is not None and on_error is not None and on_error(error):
                return
            if error is not None and show_fault(app, error, getattr(event.worker, "_csp_title", "Not done")):
                return
            if isinstance(error, StaleVersion):
                app.notify(str(error), title="Changed by someone else", severity="warning", markup=False, timeout=10)
                on_stale = getattr(event.worker, "_csp_on_stale", None)
                if on_stale is not None:
                    on_stale(error.current)
            elif isinstance(error, UserError):
                app.notify(str(error), title=error.title, severity="error", markup=False, timeout=12)
            elif isinstance(error, TicketInputError):
                app.notify(str(error), title="Not saved", severity="error", markup=False)
            elif isinstance(error, (RoleDenied, ClaimedByOther)):
                app.notify(
                    error.said_in(app.config.time_zone) if isinstance(error, ClaimedByOther) else str(error),
                    title="Not allowed" if isinstance(error, RoleDenied) else "Held by another agent",
                    severity="warning",
                    markup=False,
                    timeout=8,
                )
                on_stale = getattr(event.worker, "_csp_on_stale", None)
                if on_stale is not None and isinstance(error, ClaimedByOther):
                    on_stale({})
            else:
                app.log_failure(error)
        elif event.state == WorkerState.CANCELLED:
            callbacks.pop(event.worker, None)


def show_fault(app: CspConsoleApp, error: BaseException, title: str = "Not done: nothing was saved") -> bool:
    """A fault of the workspace (disk full, read-only, damaged, busy) said in its one sentence; False when
    ``error`` is not one."""
    return notify_fault(app, error, title)


class ConsoleScreen(CoreCalls, Screen[None]):
    """A full screen of the console."""

    @property
    def console(self) -> CspConsoleApp:
        return self.app  # type: ignore[return-value]

    @property
    def zone(self) -> str:
        """The desk's time zone (the desk rule ``time_zone``): every time on screen is shown in it."""
        return self.console.config.time_zone


def form_values(screen: Screen[Any]) -> tuple[tuple[str, object], ...]:
    """What a form's fields hold now: each Input's and TextArea's text, each Select's value."""
    from textual.widgets import Input, Select, TextArea

    values: list[tuple[str, object]] = []
    for widget in screen.query("Input, TextArea, Select"):
        if isinstance(widget, Input):
            values.append((widget.id or "", widget.value))
        elif isinstance(widget, TextArea):
            values.append((widget.id or "", widget.text))
        elif isinstance(widget, Select):
            values.append((widget.id or "", widget.value))
    return tuple(values)


class UnsavedInput:
    """Mixin for a form screen: what was typed since it opened is unsaved until it is saved or cancelled
    (quitting asks first; see console/screens/leaving.py)."""

    form_name = "a form"
    _opened_with: tuple[tuple[str, object], ...] | None = None

    def on_mount(self) -> None:
        self._opened_with = form_values(self)  # type: ignore[arg-type]

    def has_unsaved_input(self) -> bool:
        return self._opened_with is not None and form_values(self) != self._opened_with  # type: ignore[arg-type]


def show_form_error(screen: Screen[Any], where: str, message: str, field: str | None) -> None:
    """A failed save said where the eye is: on the form's error line (in sight above the fields, red and
    reversed, so also without colour), the bad field marked and focused (scrolled into view)."""
    from textual.widgets import Static

    line = screen.query_one(where, Static)
    line.update(styled(f" {message} ", ALARM))
    line.display = True
    if field:
        widget = screen.query_one(field)
        widget.add_class("-bad-field")
        widget.focus()


def clear_form_error(screen: Screen[Any], where: str) -> None:
    from textual.widgets import Static

    screen.query_one(where, Static).display = False
    for widget in screen.query(".-bad-field"):
        widget.remove_class("-bad-field")
