"""The collections view: what customers owe by age, each customer's dunning stage and the actions due, and what
the partner owes Microsoft and when. A Billing admin acts from here: record the due notices as sent, suspend a
non-paying customer (after reading the consequences), record a payment, reactivate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.billing.collections import Collections, CustomerStanding
from console.billing.desk import PartnerInvoice
from console.screens.base import ConsoleScreen
from console.screens.billing_dialogs import ConfirmSuspension, PaymentDialog
from console.screens.dialogs import Confirm
from console.shared.money import money
from console.shared.safe_text import clean_line
from console.widgets.cells import fit
from console.widgets.key_bar import KeyBar
from console.widgets.palette import ALARM, BAD, HEADING, OK, WARN, WARN_STRONG, styled
from console.widgets.render import aging_table

ACTION_TEXT = {"notice": "send", "suspend": "suspend", "reactivate": "reactivate"}


@dataclass
class CollectionsData:
    report: Collections
    invoices: list[PartnerInvoice]


def _load(desk: Any) -> CollectionsData:
    return CollectionsData(desk.billing.collections(), desk.billing.partner_invoices())


def _outstanding(c: CustomerStanding) -> str:
    """The customer's largest outstanding currency, with a + when there are others."""
    totals = [(sum(b.values(), Decimal(0)), cur) for cur, b in c.outstanding.items()]
    if not totals:
        return "—"
    amount, cur = max(totals)
    return money(amount, cur) + ("+" if len(totals) > 1 else "")


def _due_text(c: CustomerStanding) -> str:
    if c.actions:
        parts = []
        for a in c.actions:
            what = ACTION_TEXT.get(a.action, a.action)
            parts.append(f"{what} {a.stage.replace('_', ' ')}" if a.action == "notice" else what)
        return "due: " + ", ".join(dict.fromkeys(parts))
    return c.note or ""


class CollectionsScreen(ConsoleScreen):
    BINDINGS = [
        Binding("escape,backspace,q", "back", "Back", id="collections.back"),
        Binding("enter", "account", "Account", id="collections.account"),
        Binding("a", "act", "Send notices", id="collections.act"),
        Binding("s", "suspend", "Suspend", id="collections.suspend"),
        Binding("p", "payment", "Payment", id="collections.payment"),
        Binding("r", "reactivate", "Reactivate", id="collections.reactivate"),
        Binding("j", "cursor(1)", "Down", show=False, id="collections.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="collections.up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="collections.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="collections.page_up"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: CollectionsData | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Collections · loading…"), id="collections-title")
        with VerticalScroll(id="collections-body"):
            yield Static(id="aging")
            yield Static(styled("Customers (enter account · a send notices · s suspend · p payment)", HEADING))
            yield OptionList(id="standings")
            yield Static(id="standing-detail")
            yield Static(id="microsoft-invoices")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#standings", OptionList).focus()
        self.reload()

    def reload(self) -> None:
        desk = self.console.desk
        self.call_core(lambda: _load(desk), self._show, group="collections", exclusive=True)

    def on_workspace_changed(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    # -- painting ------------------------------------------------------------------------------
    def _show(self, data: CollectionsData) -> None:
        self.data = data
        report = data.report
        due = len(report.actions)
        title = Text.assemble(
            ("Collections", "bold"),
            f" · {report.today.isoformat()} · ",
            (f"{due} actions due", WARN_STRONG if due else OK),
            (f" · policy: {clean_line(Path(report.policy.source).name)}", "dim"),
            no_wrap=True,
            overflow="ellipsis",
        )
        self.query_one("#collections-title", Static).update(title)
        self.query_one("#aging", Static).update(self._aging(report))
        options = self.query_one("#standings", OptionList)
        keep = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        # Columns in terminal cells: name, days, stage, amount, what is due (the rest of the line).
        # (the list's width less its scrollbar and a margin, so a highlighted row never wraps)
        width = max(50, (options.size.width or self.size.width - 2) - 4)
        name_w = max(14, min(30, width - 56))
        due_w = max(8, width - name_w - 36)
        for c in report.customers:
            stage = c.stage.label if c.stage else "current"
            style = ALARM if c.stage and c.stage.action == "suspend" else (WARN_STRONG if c.stage else "dim")
            label = Text.assemble(
                fit(c.company, name_w),
                " ",
                (f"{c.days_overdue:>4}d" if c.days_overdue else "    -", ""),
                " ",
                (fit(stage, 13), style),
                " ",
                fit(_outstanding(c), 14),
                " ",
                (fit(_due_text(c), due_w), "bold" if c.actions else "dim"),
                no_wrap=True,
            )
            options.add_option(Option(label, id=c.customer_id))
        if report.customers:
            ids = [c.customer_id for c in report.customers]
            options.highlighted = ids.index(keep) if keep in ids else 0
        else:
            options.add_option(Option(Text("Nobody owes anything.", style="dim"), disabled=True))
        self._detail()
        self.query_one("#microsoft-invoices", Static).update(self._invoices(data.invoices))

    def _aging(self, report: Collections) -> Group:
        if not report.aging:
            return Group(Text("Nothing outstanding.", style="dim"))
        return Group(aging_table(report.aging, "Aging"))

    def _selected(self) -> CustomerStanding | None:
        if self.data is None:
            return None
        option = self.query_one("#standings", OptionList).highlighted_option
        return next((c for c in self.data.report.customers if option and c.customer_id == option.id), None)

    def _detail(self) -> None:
        c = self._selected()
        widget = self.query_one("#standing-detail", Static)
        if c is None:
            widget.update("")
            return
        lines = [Text.assemble((clean_line(c.company), "bold"), (f"  {clean_line(c.domain)}", "dim"))]
        if c.note:
            lines.append(styled(clean_line(c.note, 300), WARN))
        for a in c.actions:
            if a.action == "reactivate":
                lines.append(Text("• due: reactivate what was suspended (nothing is overdue past suspension)", "bold"))
            else:
                lines.append(
                    Text(
                        f"• due: {a.stage.replace('_', ' ')} ({a.action}) for {clean_line(a.receivable_id)}, "
                        f"{a.days_overdue} days overdue, {money(a.amount, a.currency)}",
                        style="bold",
                    )
                )
        for a in c.held_back:
            lines.append(Text(f"• held back: {a.stage.replace('_', ' ')} for {clean_line(a.receivable_id)}", "dim"))
        widget.update(Group(*lines))

    def _invoices(self, invoices: list[PartnerInvoice]) -> Group:
        head = styled("What the partner owes Microsoft (net 60)", HEADING)
        unpaid = [i for i in invoices if i.unpaid > 0]
        if not invoices:
            return Group(head, Text("No Microsoft invoices yet: csp-console sync pulls them.", style="dim"))
        table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold", expand=True)
        for name, width in (("Invoice", 12), ("Due", 10), ("Unpaid", 14), ("", None)):
            table.add_column(name, no_wrap=True, overflow="ellipsis", width=width, ratio=None if width else 1)
        for i in unpaid or invoices[-1:]:
            waiting = ""
            if i.waiting_on:
                waiting = f"waiting on {len(i.waiting_on)} customers' overdue invoices"
            warn = i.warning or waiting
            style = {"critical": ALARM, "overdue": BAD, "soon": WARN}.get(i.level, "dim")
            table.add_row(
                clean_line(i.row["id"]),
                i.due.isoformat(),
                money(i.unpaid, i.row["currencyCode"]),
                styled(clean_line(warn) + ("; " + waiting if i.warning and waiting else ""), style),
            )
        return Group(head, table)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._detail()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.console.open_account(event.option.id)

    # -- actions -------------------------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        options = self.query_one("#standings", OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def action_page(self, direction: int) -> None:
        body = self.query_one("#collections-body", VerticalScroll)
        body.scroll_relative(y=direction * max(1, body.size.height - 2), animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_account(self) -> None:
        c = self._selected()
        if c is not None:
            self.console.open_account(c.customer_id)

    def action_act(self) -> None:
        c = self._selected()
        if c is None:
            return
        notices = [a for a in c.actions if a.action == "notice"]
        if not notices:
            self.app.notify("No notice is due for this customer.", markup=False)
            return
        desk = self.console.desk

        def done(count: int) -> None:
            stages = ", ".join(dict.fromkeys(a.stage.replace("_", " ") for a in notices))
            self.app.notify(f"{stages}: {count} recorded as sent to {clean_line(c.company)}.", markup=False)
            self.reload()

        self.call_core(lambda: desk.billing.record_notices(notices), done)

    def action_suspend(self) -> None:
        c = self._selected()
        if c is None:
            return
        desk, cid = self.console.desk, c.customer_id
        live = c.suspension
        if live is not None and live["state"] == "suspending":
            self._run_suspend(cid, resume=True)
            return
        if live is not None:
            self.app.notify(f"Already suspended ({live['state']}).", markup=False)
            return

        def confirm(plan: Any) -> None:
            if not plan.items:
                self.app.notify("No active subscription to suspend.", markup=False)
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self._run_suspend(cid)

            self.app.push_screen(ConfirmSuspension(plan), answered)

        self.call_core(lambda: desk.billing.suspension_plan(cid), confirm)

    def _run_suspend(self, customer_id: str, *, resume: bool = False) -> None:
        desk = self.console.desk
        self.app.notify("Resuming the suspension…" if resume else "Suspending through Partner Center…", markup=False)

        def done(result: Any) -> None:
            blocked = f", {len(result.blocked)} Azure plan not suspended (active Azure subscriptions)"
            self.app.notify(
                f"Suspended: {len(result.done)} subscriptions"
                + (f", {len(result.already)} already" if result.already else "")
                + (f", {len(result.left)} left as they were (suspended by someone else)" if result.left else "")
                + (blocked if result.blocked else ""),
                title="Suspended for non-payment",
                markup=False,
            )
            self.reload()

        self.call_core(lambda: desk.billing.suspend(customer_id), done, group="suspend", exclusive=True)

    def action_reactivate(self) -> None:
        c = self._selected()
        if c is None:
            return
        if c.suspension is None:
            self.app.notify("This customer is not suspended for non-payment.", markup=False)
            return
        desk, cid = self.console.desk, c.customer_id

        def done(result: Any) -> None:
            self.app.notify(
                f"Reactivated {len(result.done)} subscriptions"
                + (f", {len(result.already)} already active" if result.already else "")
                + (f"; {len(result.left)} left suspended (not suspended by this console)" if result.left else "")
                + ".",
                markup=False,
            )
            self.reload()

        self.call_core(lambda: desk.billing.reactivate(cid), done, group="suspend", exclusive=True)

    def action_payment(self) -> None:
        c = self._selected()
        if c is None or self.data is None:
            return
        desk, cid = self.console.desk, c.customer_id

        def open_dialog(rows: list[dict[str, Any]]) -> None:
            mine = rows
            if not mine:
                self.app.notify("Nothing outstanding for this customer.", markup=False)
                return

            def record(invoice: str, amount: str, paid_on: date | None) -> dict[str, Any]:
                return desk.billing.record_payment(cid, invoice, amount, paid_on)

            def saved(receivable: dict[str, Any] | None) -> None:
                if receivable is None:
                    return
                self.app.notify(f"{clean_line(receivable['id'])}: {receivable['status']}.", markup=False)
                self.reload()
                self.call_core(lambda: desk.billing.reactivation_due(cid), offer_reactivation)

            today = self.data.report.today if self.data else date.today()
            self.app.push_screen(PaymentDialog(c.company, mine, today, record), saved)

        def offer_reactivation(due: bool) -> None:
            if not due:
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self.action_reactivate()

            question = f"{c.company} has paid what was overdue: reactivate what was suspended for non-payment now?"
            self.app.push_screen(Confirm(question), answered)

        self.call_core(lambda: desk.billing.open_receivables(cid), open_dialog)
