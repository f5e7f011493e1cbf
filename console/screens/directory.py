"""The customer directory: find the customer, or the caller on the line, as you type (its name, domain, a
caller's name, email or phone in any format, Japanese in any width); each customer with its people; enter opens
its account (its open tickets)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from console.desk.directory import CustomerHit, Found, Person
from console.screens.base import ConsoleScreen
from console.shared.clock import parse_iso
from console.shared.safe_text import clean_line
from console.widgets.cells import fit
from console.widgets.key_bar import KeyBar

#: Keys that an empty find box leaves to the console (``:`` command mode, ``?`` help): a name, domain, email or
#: phone never starts with them; once something is typed they are part of the search.
LEFT_WHEN_EMPTY = {"colon": ":", "question_mark": "?"}

PLACEHOLDER = "name, domain, caller's name, email or phone (山田 · contoso · 03-1234-5678)"
HOW = {"phone": "by phone", "email": "by email or domain", "name": "by name, domain or email", "all": ""}


class FindBox(Input):
    """The find box: ``:`` and ``?`` as its first character are the console's (command mode, help), as on every
    other screen; after that they are typed."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if not self.value and key in LEFT_WHEN_EMPTY:
            return False  # the app's binding stays in the chain (and in the key bar and help)
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if not self.value and event.key in LEFT_WHEN_EMPTY:
            event.prevent_default()  # Input's handler does not type it: it bubbles to the console's binding

    def watch_value(self, value: str) -> None:
        if not value or len(value) == 1:  # whether : and ? are the console's changed
            self.refresh_bindings()


class DirectoryScreen(ConsoleScreen):
    """Customers and their callers, found as you type."""

    DEFAULT_CSS = """
    DirectoryScreen #directory-title { height: 1; background: $panel; padding: 0 1; }
    DirectoryScreen #directory-find { margin: 0 1; }
    DirectoryScreen #directory-find:focus { background: $accent 60%; text-style: bold; }
    DirectoryScreen #directory-list { height: 1fr; border: none; padding: 0 1; }
    DirectoryScreen #directory-people { height: 45%; padding: 0 1; border-top: solid $panel-lighten-2; }
    """
    BINDINGS = [
        Binding("enter", "open_account", "Account", id="directory.account", priority=True),
        Binding("ctrl+t", "tickets", "Tickets in queue", id="directory.tickets"),
        Binding("escape", "back", "Back (clear first)", id="directory.back"),
        Binding("down", "move(1)", "Next customer", show=False, id="directory.down"),
        Binding("up", "move(-1)", "Previous customer", show=False, id="directory.up"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="directory.page_down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="directory.page_up"),
    ]

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.initial = text
        self.found: Found | None = None
        self.people: list[Person] = []  # the highlighted customer's, as listed
        self._shown_people: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Customers and callers", style="bold"), id="directory-title")
        yield FindBox(self.initial, placeholder=PLACEHOLDER, id="directory-find", compact=True, select_on_focus=False)
        yield OptionList(id="directory-list")
        yield Static(id="directory-people")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#directory-find", Input).focus()
        self._find(self.initial)

    @property
    def typed(self) -> str:
        return self.query_one("#directory-find", Input).value

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "directory-find":
            self._find(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open_account()

    def on_workspace_changed(self) -> None:
        self._find(self.typed)

    def _find(self, text: str) -> None:
        directory = self.console.desk.reads.directory
        self.call_core(lambda: directory.find(text), self._show, group="directory", exclusive=True)

    # -- showing ---------------------------------------------------------------------------------
    def _show(self, found: Found) -> None:
        if found.text != self.typed.strip():
            return  # a keystroke since: its own search follows
        self.found = found
        options = self.query_one("#directory-list", OptionList)
        keep = self.current.id if self.current else None
        options.clear_options()
        width = max(20, options.size.width - 3 if options.size.width else self.size.width - 5)
        for hit in found.customers:
            options.add_option(Option(customer_lines(hit, width), id=hit.id))
        if not found.customers:
            options.add_option(Option(Text(f"Nothing matches “{clean_line(found.text)}”.", style="dim"), disabled=True))
        else:
            ids = [h.id for h in found.customers]
            options.highlighted = ids.index(keep) if keep in ids else 0
        self._title()
        self._show_people()

    def _title(self) -> None:
        found = self.found
        title = Text("Customers and callers", style="bold")
        if found is not None:
            n = len(found.customers)
            count = f"{n}{'+' if found.more else ''} customer{'' if n == 1 else 's'}"
            how = f" {HOW[found.how]}" if found.customers and HOW[found.how] else ""
            title.append(f"  ·  {count}{how}", style="dim")
            if found.more:
                title.append(" · type more to narrow", style="dim")
        title.no_wrap, title.overflow = True, "ellipsis"
        self.query_one("#directory-title", Static).update(title)

    @property
    def current(self) -> CustomerHit | None:
        options = self.query_one("#directory-list", OptionList)
        if self.found is None or options.highlighted is None:
            return None
        hits = self.found.customers
        return hits[options.highlighted] if options.highlighted < len(hits) else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_people()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open_account()

    def _show_people(self) -> None:
        hit = self.current
        panel = self.query_one("#directory-people", Static)
        if hit is None:
            self._shown_people = None
            panel.update(Text(""))
            return
        directory, cid = self.console.desk.reads.directory, hit.id
        self._shown_people = cid
        self.call_core(lambda: (cid, directory.people(cid)), self._people_loaded, group="people", exclusive=True)

    def _people_loaded(self, result: tuple[str, tuple[list[Person], int]]) -> None:
        cid, (people, total) = result
        hit = self.current
        if hit is None or hit.id != cid or self._shown_people != cid:
            return
        matched = {(p.name, p.email, p.phone) for p in hit.matched}
        self.people = people
        self.query_one("#directory-people", Static).update(people_table(hit, people, total, matched, self._day))

    def _day(self, stamp: str | None) -> str:
        """The date of ``stamp`` in the desk's time zone."""
        if not stamp:
            return ""
        try:
            zone = ZoneInfo(self.console.config.time_zone)
        except (KeyError, ValueError):
            zone = ZoneInfo("UTC")
        moment: datetime = parse_iso(stamp)
        return moment.astimezone(zone).date().isoformat()

    # -- acting ----------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        options = self.query_one("#directory-list", OptionList)
        if options.option_count and self.found and self.found.customers:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self.found.customers) - 1, current + delta))

    def action_open_account(self) -> None:
        hit = self.current
        if hit is None:
            return
        if self.console.desk.may("billing.view"):
            self.console.open_account(hit.id)
        else:  # the account is not this agent's to read: the customer's tickets are
            self.console.show_customer_queue(hit.id)

    def action_tickets(self) -> None:
        if (hit := self.current) is not None:
            self.console.show_customer_queue(hit.id)

    def action_back(self) -> None:
        find = self.query_one("#directory-find", Input)
        if find.value:
            find.value = ""
        else:
            self.app.pop_screen()


def customer_lines(hit: CustomerHit, width: int) -> Text:
    """A customer's line (name, domain, open tickets), then a line per person of it the search matched."""
    tickets = f"{hit.open_tickets} open" if hit.open_tickets else "no open tickets"
    domain = clean_line(hit.domain)
    name_width = max(8, min(50, width - cell_len(domain) - len(tickets) - 4))
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(fit(hit.name, name_width), style="bold")
    text.append(f"  {domain}  ", style="")
    text.append(tickets, style="dim" if not hit.open_tickets else "")
    for person in hit.matched:
        text.append("\n  ↳ ")
        text.append(person_line(person), style="italic")
    if hit.matched_more:
        text.append(f"\n    and {hit.matched_more} more", style="dim")
    return text


def person_line(person: Person) -> str:
    parts = [clean_line(p) for p in (person.name, person.email, person.phone) if p]
    return " · ".join(parts) + (" (billing)" if person.kind == "billing" else "")


def people_table(
    hit: CustomerHit,
    people: list[Person],
    total: int,
    matched: set[tuple[str, str, str]],
    day: Callable[[str | None], str],
) -> Group:
    """The customer's people: the billing contact, then the callers, the latest first; what matched in bold."""
    title = Text.assemble(("People at ", "bold"), (clean_line(hit.name), "bold"), no_wrap=True, overflow="ellipsis")
    title.append(f" · {total}" + (f", the latest {len(people)} shown" if total > len(people) else ""), style="dim")
    table = Table(box=None, padding=(0, 1), collapse_padding=True, show_header=True, header_style="bold", expand=True)
    for name, ratio in (("name", 2), ("email", 3), ("phone", 2), ("last ticket", 0)):
        table.add_column(name, no_wrap=True, overflow="ellipsis", ratio=ratio or None, width=None if ratio else 11)
    for p in people:
        style = "bold" if (p.name, p.email, p.phone) in matched else ""
        last = "billing" if p.kind == "billing" else day(p.last_seen)
        table.add_row(*(Text(clean_line(v), style=style) for v in (p.name, p.email, p.phone, last)))
    if not people:
        table.add_row(Text("No contact recorded yet.", style="dim"), "", "", "")
    return Group(title, table)
