"""The account screen: who the customer is, what support it bought, its subscriptions, what it owes,
its open tickets and Microsoft cases, and what sales could offer it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.billing.account import Account
from console.desk.reach import SectionShown
from console.screens.base import ConsoleScreen
from console.screens.reach import sections_block
from console.settings.local_time import customer_zone, day, short
from console.shared.money import money
from console.shared.safe_text import clean_line
from console.widgets.key_bar import KeyBar
from console.widgets.palette import ALARM, BAD, HEADING, OK, WARN, WARN_STRONG, styled
from console.widgets.render import STATUS_TEXT, aging_table, audit_block, stamp


def _table(*columns: str | tuple[str, int]) -> Table:
    """A borderless table; a ``(name, width)`` column keeps that width, the others share the rest."""
    table = Table(box=None, padding=(0, 1), collapse_padding=True, show_header=True, header_style="bold", expand=True)
    for column in columns:
        name, width = column if isinstance(column, tuple) else (column, None)
        table.add_column(name, overflow="ellipsis", no_wrap=True, width=width, ratio=None if width else 1)
    return table


class AccountScreen(ConsoleScreen):
    BINDINGS = [
        Binding("escape,backspace,q", "back", "Back", id="account.back"),
        Binding("t", "tickets", "Tickets in queue", id="account.tickets"),
        Binding("b", "collections", "Collections", show=False, id="account.collections"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False, id="account.down"),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False, id="account.up"),
    ]

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.account: Account | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading the account…"), id="account-header")
        with VerticalScroll(id="account-body"):
            yield Static(id="offer")
            yield Static(id="subscriptions")
            yield Static(id="receivables")
            yield Static(id="bills")
            yield Static(styled("Open tickets", HEADING), classes="section", id="open-title")
            yield OptionList(id="open-tickets")
            yield Static(id="cases")
            yield Static(id="opportunities")
            yield Static(id="gdap")
            plugins = Static(id="plugin-sections", classes="section")  # the plugins' sections, when any apply
            plugins.display = False
            yield plugins
            yield Static(styled("History (audit trail)", HEADING), classes="section")
            yield Static(id="history")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#account-body").focus()
        desk, cid = self.console.desk, self.customer_id
        self.call_core(lambda: desk.account(cid), self._show, group="account", exclusive=True)
        if desk.host.sections:  # the plugins' code, each with its budget: once, when the screen opens
            self.call_core(lambda: desk.reach.sections(cid), self._show_sections, group="account-sections")

    def _show_sections(self, sections: list[SectionShown]) -> None:
        widget = self.query_one("#plugin-sections", Static)
        widget.display = bool(sections)
        widget.update(sections_block(sections))

    def on_workspace_changed(self) -> None:
        self.on_screen_resume()

    def on_screen_resume(self) -> None:
        desk, cid = self.console.desk, self.customer_id
        self.call_core(lambda: desk.account(cid), self._show, group="account", exclusive=True)

    def _show(self, account: Account) -> None:
        self.account = account
        c = account.customer
        relation = "indirect (through a reseller)" if c.indirect else "direct"
        header = Group(
            Text(clean_line(c.company_name), style="bold", no_wrap=True, overflow="ellipsis"),
            Text.assemble(
                (clean_line(c.domain), ""),
                ("  ·  ", "dim"),
                relation,
                ("  ·  tenant ", "dim"),
                clean_line(c.id),
                no_wrap=True,
                overflow="ellipsis",
            ),
        )
        self.query_one("#account-header", Static).update(header)
        self.query_one("#offer", Static).update(self._offer(account))
        self.query_one("#subscriptions", Static).update(self._subscriptions(account))
        self.query_one("#receivables", Static).update(self._receivables(account))
        self.query_one("#bills", Static).update(self._bills(account))
        self._open_tickets(account)
        self.query_one("#cases", Static).update(self._cases(account))
        self.query_one("#opportunities", Static).update(self._opportunities(account))
        self.query_one("#gdap", Static).update(self._gdap(account))
        self.query_one("#history", Static).update(audit_block(account.history, self.zone))

    def _open_tickets(self, a: Account) -> None:
        """Every open ticket of the customer, most urgent first, in a list of its own (tab to it; j/k move,
        enter opens), its count in the title; the one highlighted stays so when the account refreshes."""
        listed, count = len(a.open_tickets), max(a.open_count, len(a.open_tickets))
        title = Text.assemble(("Open tickets", HEADING), (f" {count:,} ", HEADING))
        if count:
            title.append("  tab to the list · enter opens · t all in the queue", style="dim")
        if listed < count:
            title.append(f" · the {listed:,} most urgent listed", style=WARN_STRONG)
        self.query_one("#open-title", Static).update(title)
        options = self.query_one("#open-tickets", OptionList)
        was = options.highlighted_option.id if options.highlighted_option is not None else None
        options.clear_options()
        for t in a.open_tickets:
            due = short(t["slaDueDate"], self.zone, label=True) if t["slaDueDate"] and t["slaDueDate"] < "9999" else "—"
            label = Text.assemble(
                (t["id"], "bold"),
                "  ",
                (f"due {due}", "dim"),
                "  ",
                (STATUS_TEXT.get(t["status"], t["status"]), "dim"),
                "  ",
                clean_line(t["title"], 200),
                no_wrap=True,
                overflow="ellipsis",
            )
            options.add_option(Option(label, id=t["id"]))
        if not a.open_tickets:
            options.add_option(Option(Text("No open tickets.", style="dim"), disabled=True))
            return
        ids = [t["id"] for t in a.open_tickets]
        options.highlighted = ids.index(was) if was in ids else 0

    def _offer(self, a: Account) -> Group:
        title = styled("Support offer", HEADING)
        o = a.offer
        if o is None:
            return Group(title, styled("No support offer recorded: the partner must state one to each customer.", WARN))
        cost = money(o.price, o.currency) if o.price is not None else None
        if o.pricing_model == "prepaid_hours":
            # The desk reads the balance with the offer; without it, the offer's hours (NULL reads as 0 hours, as in
            # console.billing.desk.offer_balance).
            left = a.balance.balance if a.balance is not None else o.prepaid_hours or Decimal(0)
            price = f"prepaid: {left.normalize():f} of {o.prepaid_hours} h left" + (f" ({cost})" if cost else "")
        elif o.pricing_model in ("per_incident", "hourly"):
            price = f"{cost or '—'} {'per incident' if o.pricing_model == 'per_incident' else 'per hour'}"
        else:
            price = "included in the customer's plan"
        services = ", ".join(self.console.service_names.get(s, s) for s in o.services) or "all services"
        rows = [
            ("Offer", clean_line(o.name)),
            ("Covers", f"{', '.join(o.support_types)} support · {services}"),
            (
                "Hours",
                f"{a.hours_text} {customer_zone(o.time_zone)}"
                + (f" · holidays: {o.holiday_calendar}" if o.holiday_calendar else ""),
            ),
            ("Contact", ", ".join(o.contact_methods)),
            ("Price", price),
        ]
        table = Table(box=None, show_header=False, padding=(0, 1))
        table.add_column(style="dim", no_wrap=True)
        table.add_column()
        for label, value in rows:
            table.add_row(label, Text(value))
        if a.balance is not None and a.balance.warning:
            return Group(title, table, styled(clean_line(a.balance.warning), WARN_STRONG))
        return Group(title, table)

    def _subscriptions(self, a: Account) -> Group:
        table = _table("Offer", ("Seats", 7), ("Term", 4), ("Cycle", 7), ("Status", 9), ("Ends", 10), ("Window", 8))
        for sub, hours in a.subscriptions:
            window = "—" if hours is None else (f"{int(hours)} h left" if hours > 0 else "closed")
            seats = f"{sub.quantity}/{sub.assigned_seats}"
            style = BAD if sub.assigned_seats > sub.quantity else ""
            status = ("trial " if sub.is_trial else "") + sub.status
            table.add_row(
                Text(clean_line(sub.offer_name)),
                Text(seats, style=style),
                sub.term or "—",
                sub.billing_cycle,
                styled(status, "" if sub.status == "active" else WARN),
                f"{sub.commitment_end:%Y-%m-%d}" if sub.commitment_end else "—",
                styled(window, OK if hours and hours > 0 else "dim"),
            )
        head = styled(f"Subscriptions ({len(a.subscriptions)}) · seats purchased/assigned", HEADING)
        return Group(head, table, *(styled(line, OK) for line in a.refunds))

    def _receivables(self, a: Account) -> Group:
        head = styled("Receivables", HEADING)
        aging = aging_table(a.aging)
        lines = _table("Invoice", ("Due", 10), ("Outstanding", 15), ("Days over", 9), ("Stage", 16))
        for line in a.receivables:
            r = line.receivable
            lines.add_row(
                Text(clean_line(r.id)),
                r.due_date.isoformat(),
                money(r.outstanding, r.currency),
                str(max(line.days_overdue, 0)) if r.status not in ("paid", "written_off") else "—",
                styled(
                    (line.stage or r.status).replace("_", " "),
                    ALARM if line.stage in ("suspension", "collections", "access_warning") else "",
                ),
            )
        extra: list[Any] = []
        if a.suspension is not None:
            extra.append(
                styled(
                    f"Suspended for non-payment: {a.suspension['state']} "
                    f"since {day(a.suspension['startedDate'], self.zone)} "
                    f"({len(a.suspension['items'])} subscriptions)",
                    ALARM,
                )
            )
        if not a.aging:
            return Group(head, *extra, Text("Nothing outstanding.", style="dim"), lines)
        return Group(head, *extra, aging, lines)

    def _bills(self, a: Account) -> Group:
        head = styled("Why is the bill this amount (invoices, newest first)", HEADING)
        if not a.bills:
            return Group(head, Text("No invoices.", style="dim"))
        parts: list[Any] = [head]
        for bill in a.bills[:4]:
            r = bill.receivable
            total = money(bill.total, r["currencyCode"])
            parts.append(
                Text.assemble(
                    (clean_line(r["id"]), "bold"),
                    f"  {r['invoiceDate']}  {total}  ",
                    (r["status"].replace("_", " "), "dim"),
                )
            )
            if not bill.lines:
                parts.append(Text("  no lines recorded for this invoice", style="dim"))
            for x in bill.lines:
                sub = clean_line(x.line["description"], 200)
                parts.append(Text.assemble("  • ", sub))
                parts.append(styled(f"    {clean_line(x.text, 300)}", "dim" if x.matches else BAD))
            if bill.lines and not bill.balanced:
                parts.append(
                    styled(f"  the lines add up to {money(bill.lines_total, r['currencyCode'])}, not {total}", BAD)
                )
        return Group(*parts)

    def _cases(self, a: Account) -> Group:
        head = styled("Open Microsoft cases", HEADING)
        if not a.cases and not a.service_requests:
            return Group(head, Text("None.", style="dim"))
        table = _table("Ticket", "Vehicle", "State", "Microsoft case", "Opened")
        for case in a.cases:
            table.add_row(
                case["ticketId"],
                case["vehicle"],
                case["state"],
                clean_line(case["microsoftCaseId"] or "—"),
                stamp(case["createdDate"], self.zone),
            )
        if a.service_requests:
            requests = _table("Service request", "Title", "Status", "Severity", "Last change")
            for sr in a.service_requests:
                requests.add_row(
                    clean_line(sr["id"]),
                    clean_line(sr["title"], 60),
                    clean_line(sr["status"] or "—"),
                    clean_line(sr["severity"] or "—"),
                    stamp(sr["lastModifiedDate"], self.zone),
                )
            return Group(
                head, table, Text("Service requests at Microsoft (from the last sync)", style="bold"), requests
            )
        return Group(head, table)

    def _opportunities(self, a: Account) -> Group:
        head = styled("Opportunities (for sales)", HEADING)
        if not a.opportunities:
            return Group(head, Text("None found.", style="dim"))
        return Group(
            head,
            *[Text.assemble("• ", clean_line(f.title, 300), (f"  ({plugin})", "dim")) for plugin, f in a.opportunities],
        )

    def _gdap(self, a: Account) -> Group:
        head = styled("Delegated admin (GDAP) relationships", HEADING)
        if not a.gdap_known:
            return Group(head, Text("Not read from Microsoft yet (csp-console gdap sync).", style="dim"))
        if not a.gdap:
            return Group(
                head,
                styled("None: the desk cannot act in this customer's tenant (the customer approves one).", BAD),
            )
        parts: list[Any] = [head]
        table = _table("Relationship", ("Status", 14), ("Ends", 10))
        table.add_column("Roles given to the desk", ratio=2, overflow="fold")  # every role, wrapped
        for line in a.gdap:
            rel = line.relationship
            end = day(rel["endDateTime"], self.zone)
            table.add_row(
                Text(clean_line(rel["displayName"] or rel["id"])),
                styled(clean_line(rel["status"]), OK if line.in_force else WARN),
                styled(end, WARN_STRONG if line.warning else ""),
                styled(clean_line(", ".join(line.roles) or "none assigned"), "" if line.roles else WARN),
            )
        parts.append(table)
        for line in a.gdap:
            if line.warning:
                parts.append(styled(clean_line(line.warning, 300), WARN_STRONG))
            if line.unassigned and line.in_force:
                parts.append(
                    styled(
                        clean_line(f"Granted but assigned to no group of the desk: {', '.join(line.unassigned)}", 300),
                        WARN,
                    )
                )
        return Group(*parts)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.console.open_ticket(event.option.id)

    def action_scroll(self, lines: int) -> None:
        options = self.query_one("#open-tickets", OptionList)
        if options.has_focus:  # j/k move in the open tickets' list
            (options.action_cursor_down if lines > 0 else options.action_cursor_up)()
            return
        self.query_one("#account-body", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_collections(self) -> None:
        self.console.open_collections()

    def action_tickets(self) -> None:
        self.console.show_customer_queue(self.customer_id)
