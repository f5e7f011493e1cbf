"""The filter dialog: status, service, category, severity and assignee."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from console.shared import model
from console.tickets.queue_query import QueueQuery

ANY = "*"
OPEN = "open"


class FilterDialog(ModalScreen[QueueQuery | None]):
    """Narrow the queue. ctrl+s applies, ctrl+l clears every filter, escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", priority=True, id="filter.apply"),
        Binding("ctrl+l", "clear", "Clear filters", priority=True, id="filter.clear"),
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
    ]

    def __init__(self, query: QueueQuery, agent: str, agents: list[str], services: dict[str, str]) -> None:
        super().__init__()
        self.base = query
        self.agent = agent
        self.agents = agents
        self.services = services

    def _select(self, name: str, options: list[tuple[str, str]], value: str) -> Select[str]:
        return Select([(Text(label), v) for v, label in options], value=value, allow_blank=False, id=name, compact=True)

    def compose(self) -> ComposeResult:
        q = self.base
        open_set = {s.value for s in model.OPEN_STATUSES}
        status = OPEN if set(q.statuses) == open_set else (q.statuses[0] if len(q.statuses) == 1 else ANY)
        assignee = ANY if q.assignee is None else ("" if q.assignee == "" else q.assignee)
        with Vertical(classes="dialog filters"):
            yield Label(Text("Filter the queue", style="bold"))
            yield Label("Status")
            yield self._select(
                "status",
                [
                    (OPEN, "open (not resolved or closed)"),
                    (ANY, "any"),
                    *[(s.value, s.value) for s in model.TicketStatus],
                ],
                status,
            )
            yield Label("Service")
            yield self._select("service", [(ANY, "any"), *self.services.items()], q.services[0] if q.services else ANY)
            yield Label("Category")
            yield self._select(
                "category",
                [(ANY, "any"), *[(c.value, c.value) for c in model.Category]],
                q.categories[0] if q.categories else ANY,
            )
            yield Label("Severity")
            yield self._select(
                "severity",
                [(ANY, "any"), *[(s.value, f"{s.value} (Sev {model.SEVERITY_LETTER[s]})") for s in model.Severity]],
                q.severities[0] if q.severities else ANY,
            )
            yield Label("Assignee")
            others = [a for a in self.agents if a != self.agent]
            yield self._select(
                "assignee",
                [(ANY, "anyone"), (self.agent, f"me ({self.agent})"), ("", "unassigned"), *[(a, a) for a in others]],
                assignee if assignee in (ANY, "", self.agent, *others) else ANY,
            )
            yield Static(
                Text("tab next · enter open a list · ctrl+s apply · ctrl+l clear · escape cancel", style="dim")
            )

    def on_mount(self) -> None:
        self.query_one("#status", Select).focus()

    def _value(self, name: str) -> Any:
        return self.query_one(f"#{name}", Select).value

    def action_apply(self) -> None:
        status, service = self._value("status"), self._value("service")
        category, severity, assignee = self._value("category"), self._value("severity"), self._value("assignee")
        statuses: tuple[str, ...]
        if status == OPEN:
            statuses = tuple(s.value for s in model.OPEN_STATUSES)
        elif status == ANY:
            statuses = ()
        else:
            statuses = (status,)
        self.dismiss(
            self.base.with_(
                statuses=statuses,
                services=() if service == ANY else (service,),
                categories=() if category == ANY else (category,),
                severities=() if severity == ANY else (severity,),
                assignee=None if assignee == ANY else assignee,
                due_before=None,
            )
        )

    def action_clear(self) -> None:
        self.dismiss(QueueQuery(search=self.base.search, sort=self.base.sort, descending=self.base.descending))

    def action_cancel(self) -> None:
        self.dismiss(None)
