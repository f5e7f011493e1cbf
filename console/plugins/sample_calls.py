"""The calls ``plugins check`` makes of a plugin's items (:mod:`console.plugins.checkup`), one function per
kind of item; each adds what it called and every problem to the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from console.plugins import validate
from console.plugins.checkup import (
    COLUMN_BUDGET,
    SECTION_LINES,
    Checkup,
    parser_for,
    refusal,
    run_checks,
    samples,
    timed,
)
from console.plugins.host import PluginHost
from console.plugins.views import CheckContext, TicketView
from console.shared.model import Vehicle

PAGE = 24  # rows of a queue page at 80x24, the most a column's value is asked for at once


def _page(value: Callable[[TicketView], str], ticket: TicketView) -> list[str]:
    return [value(ticket) for _ in range(PAGE)]


def _listed(lines: Callable[[CheckContext], Sequence[str]], ctx: CheckContext) -> list[Any]:
    return list(lines(ctx))


def _columns(host: PluginHost, plugin: str, report: Checkup) -> None:
    for registered in (c for c in host.columns if c.plugin == plugin):
        column = registered.item
        for what, ctx in samples(host, plugin):
            assert ctx.ticket is not None
            value, seconds, error = timed(partial(_page, column.value, ctx.ticket))
            report.checked.append(f"queue column {column.id} on {what}")
            if error is not None:
                report.problems.append(f"plugin {plugin}: queue column {column.id} raised {refusal(error)}")
            elif not all(isinstance(v, str) for v in value):
                report.problems.append(f"plugin {plugin}: queue column {column.id} returned {value[0]!r}, not text")
            elif seconds > COLUMN_BUDGET:
                report.problems.append(
                    f"plugin {plugin}: queue column {column.id} took {seconds * 1000:.0f} ms for a page of {PAGE}"
                    f" rows (the queue allows {COLUMN_BUDGET * 1000:.0f} ms, then hides the column)"
                )


def _sections(host: PluginHost, plugin: str, report: Checkup) -> None:
    for registered in (s for s in host.sections if s.plugin == plugin):
        section = registered.item
        for what, ctx in samples(host, plugin):
            value, _, error = timed(partial(_listed, section.lines, ctx))
            report.checked.append(f"account section {section.id} for the customer of {what}")
            if error is not None:
                report.problems.append(f"plugin {plugin}: account section {section.id} raised {refusal(error)}")
            elif not all(isinstance(line, str) for line in value):
                report.problems.append(f"plugin {plugin}: account section {section.id} gave a line that is not text")
            elif len(value) > SECTION_LINES:
                report.problems.append(
                    f"plugin {plugin}: account section {section.id} gave {len(value)} lines; the console shows "
                    f"{SECTION_LINES}"
                )


def _intake(host: PluginHost, plugin: str, report: Checkup) -> None:
    for registered in (f for f in host.intake_fields if f.plugin == plugin):
        item = registered.item
        if item.check is None:
            continue
        for sample in ("", "x" * item.max_length, "金額の確認"):
            value, _, error = timed(partial(item.check, sample))
            if error is not None:
                report.problems.append(
                    f"plugin {plugin}: intake field {item.id} check({sample[:10]!r}) raised {refusal(error)}"
                )
            elif value is not None and not isinstance(value, str):
                report.problems.append(f"plugin {plugin}: intake field {item.id} check returned {value!r}")
        report.checked.append(f"intake field {item.id}'s check")


def _handlers(host: PluginHost, plugin: str, report: Checkup) -> None:
    for registered in (h for h in host.handlers if h.plugin == plugin):
        handler = registered.handler
        vehicle = validate.vehicle(handler.vehicle, "vehicle")
        where = f"handler {handler.service}:{vehicle.value}"
        for what, ctx in samples(host, plugin):
            report.checked.append(f"{where} on {what}")
            value, _, error = timed(partial(handler.eligibility, ctx))
            try:
                if error is not None:
                    raise error
                validate.eligibility(plugin, f"{where} eligibility", value)
                case, _, error = timed(partial(handler.build_case, ctx, ()))
                if error is not None:
                    raise error
                validate.case_draft(plugin, f"{where} build_case", case, Vehicle(vehicle), handler.service)
            except BaseException as exc:  # the plugin's fault, reported
                report.problems.append(f"plugin {plugin}: {where} {refusal(exc).removeprefix(f'plugin {plugin}: ')}")


def _commands(host: PluginHost, plugin: str, report: Checkup) -> None:
    for registered in (c for c in host.commands if c.plugin == plugin):
        command = registered.item
        report.checked.append(f"command {command.name}'s arguments")
        if command.arguments is None:
            continue
        _, _, error = timed(partial(parser_for, command.name, command.arguments))
        if error is not None:
            report.problems.append(f"plugin {plugin}: command {command.name} arguments() raised {refusal(error)}")


def _not_run(host: PluginHost, plugin: str, report: Checkup) -> None:
    for action in (a.item for a in host.actions if a.plugin == plugin):
        report.checked.append(f"ticket action {action.id} on key {action.key} (checked, not run: it acts)")
    for receiver in (r.item for r in host.receivers if r.plugin == plugin):
        kinds = ", ".join(k.value for k in receiver.kinds)
        report.checked.append(f"event receiver {receiver.id} of {kinds} (checked, not run: it acts)")


CALLS: tuple[Callable[[PluginHost, str, Checkup], None], ...] = (
    run_checks,
    _columns,
    _sections,
    _intake,
    _handlers,
    _commands,
    _not_run,
)
