"""The plugin API 1.0 contract (issue 21): values checked at the boundary, ownership decided by rules, pluggy's
order meaning what pluggy says, the API version honoured. Each test is one of the failures a partner's
developer found, and fails on the code before the contract."""

from __future__ import annotations

import dataclasses
import sqlite3
import types
from pathlib import Path

import pytest

from console import testing
from console.desk.door import Desk
from console.escalation import cases
from console.plugin_api import (
    API_VERSION,
    Boundary,
    Check,
    CheckContext,
    EscalationHandler,
    Family,
    Finding,
    Level,
    Service,
    Vehicle,
    hookimpl,
    standard_handlers,
)
from console.plugins.host import load_plugins
from console.plugins.runner import MAX_FINDINGS_PER_CHECK, CheckRunner
from console.plugins.validate import TITLE_LIMIT
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.store.migrations.door_guard import GUARDED
from tests.conftest import NOW
from tests.foreign_conn import foreign_connection


def plugin(name: str, *, tryfirst: bool = False, trylast: bool = False, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(tryfirst=tryfirst, trylast=trylast)(fn))  # type: ignore[call-overload]
    return module


def _desk(ws: Workspace, tmp_path: Path, **plugins: object) -> Desk:
    write_demo_config(tmp_path / "d.toml")
    return Desk(ws, load_config(tmp_path / "d.toml"), load_plugins(extra=plugins), "maria.garcia", lambda: NOW)


# -- 1. plain strings where enums are expected --------------------------------------------------------------


def _stringly(ctx: CheckContext) -> list[Finding]:
    """What a plugin's unit test passes with (the strings compare equal to the enums)."""
    return [
        Finding(
            check_id="intune.enrolment",
            family="technical",  # type: ignore[arg-type]
            level="warning",  # type: ignore[arg-type]
            title="Device enrolment is blocked",
            explanation="The enrolment restrictions refuse personal devices.",
            boundary="escalate",  # type: ignore[arg-type]
            vehicle="advanced",  # type: ignore[arg-type]
        ),
        Finding(
            check_id="intune.bad",
            family=Family.TECHNICAL,
            level="loud",
            title="A level that does not exist",
            explanation="x",
        ),  # type: ignore[arg-type]
    ]


STRINGLY = plugin("intune", csp_checks=lambda: [Check(id="intune.enrolment", family=Family.TECHNICAL, run=_stringly)])


def test_plain_string_enums_are_taken_and_triage_covers_every_ticket(demo_ws: Workspace, tmp_path: Path) -> None:
    desk = _desk(demo_ws, tmp_path, intune=STRINGLY)
    try:
        results = list(desk.check_open())
    finally:
        desk.close()
    assert len(results) == demo_ws.records.counts()["open tickets"] > 0  # every ticket triaged, none lost
    first = results[0]
    ours = [f for p, f in first.findings if p == "intune" and f.check_id == "intune.enrolment"]
    assert len(ours) == 1
    assert ours[0].boundary is Boundary.ESCALATE and ours[0].vehicle is Vehicle.ADVANCED
    assert ours[0].family is Family.TECHNICAL and ours[0].level is Level.WARNING
    # The finding that cannot be taken costs only itself, and says whose and which field.
    (failure,) = first.failures
    assert failure.plugin == "intune" and failure.check_id == "intune.enrolment"
    assert "field level is 'loud'" in failure.message and "'critical'" in failure.message


# -- 2. hijacking a built-in service ----------------------------------------------------------------------------


def _impostor_case(ctx: CheckContext, findings: object) -> object:
    raise AssertionError("the impostor's case must never be built")


IMPOSTOR = plugin(
    "acme365",
    tryfirst=True,
    csp_services=lambda: [Service(id="office365", name="Microsoft 365 (acme)")],
    csp_checks=lambda: [Check(id="office365.licences", family=Family.BILLING, run=lambda ctx: [])],
    csp_escalation_handlers=lambda: [
        EscalationHandler(
            vehicle=Vehicle.COMMERCIAL, service="office365", eligibility=lambda ctx: None, build_case=_impostor_case
        )  # type: ignore[arg-type]
    ],
)


def test_a_third_party_plugin_cannot_replace_a_built_in_service() -> None:
    host = load_plugins(extra={"acme365": IMPOSTOR})
    assert host.service_owner["office365"] == "office365"
    assert host.services["office365"].name == "Microsoft 365"
    errors = " | ".join(host.plugins["acme365"].errors)
    assert "service 'office365' refused: it belongs to plugin 'office365'" in errors
    assert "check id 'office365.licences' is not in the plugin's namespace" in errors
    assert "handler office365:commercial refused" in errors
    assert host.plugins["office365"].errors == []  # the error is the impostor's, not shown on the built-in
    assert {h.plugin for h in host.handlers_for("office365")} == {"office365"}


def test_the_desks_policy_can_name_a_replacement() -> None:
    honest = plugin(
        "acme365",
        csp_services=lambda: [Service(id="office365", name="Microsoft 365 (acme)")],
        csp_escalation_handlers=lambda: standard_handlers("office365", "Microsoft 365", {"technical": "Email"}),
    )
    host = load_plugins(env={"CSP_CONSOLE_DISABLE_PLUGINS": "office365"}, extra={"acme365": honest}, replace={})
    assert "office365" not in host.services  # not its namespace, and no policy says so
    host = load_plugins(extra={"acme365": honest}, replace={"office365": "acme365"})
    assert host.service_owner["office365"] == "acme365"
    assert {h.plugin for h in host.handlers_for("office365")} == {"acme365"}
    assert any("the desk's policy lets plugin 'acme365'" in e for e in host.plugins["office365"].errors)


def test_escalation_menu_and_submit_take_the_same_handler(demo_ws: Workspace, tmp_path: Path) -> None:
    desk = _desk(demo_ws, tmp_path, acme365=IMPOSTOR)
    try:
        ticket = next(r for b in demo_ws.tickets.iter_tickets() for r in b if r["service"] == "office365")
        ticket = dict(ticket, category="billing")
        commercial = next(o for o in cases.options(desk, ticket) if o.vehicle == Vehicle.COMMERCIAL)
        assert commercial.plugin == "office365" and commercial.eligible
        draft = cases.build_draft(desk, ticket, Vehicle.COMMERCIAL)  # the impostor's builder would raise
        assert draft.vehicle == Vehicle.COMMERCIAL and draft.service == "office365"
    finally:
        desk.close()


def _order_plugin(name: str, **marks: bool) -> types.ModuleType:
    return plugin(name, csp_services=lambda: [Service(id=name, name=name.title())], **marks)  # type: ignore[arg-type]


def test_tryfirst_and_trylast_mean_what_pluggy_says() -> None:
    host = load_plugins(
        env={"CSP_CONSOLE_LOAD_PLUGINS": "late,plain,early"},
        extra={
            "late": _order_plugin("late", trylast=True),
            "plain": _order_plugin("plain"),
            "early": _order_plugin("early", tryfirst=True),
        },
    )
    assert list(host.services) == ["early", "plain", "late"]
    assert [impl.plugin_name for impl in reversed(host.pm.hook.csp_services.get_hookimpls())] == list(host.services)


def test_built_ins_load_before_third_party_plugins() -> None:
    host = load_plugins(extra={"aaa": _order_plugin("aaa")})
    names = list(host.plugins)
    assert names.index("aaa") > max(names.index(n) for n in ("azure", "office365", "dynamics365", "common"))


# -- 6. findings checked beyond a few fields ---------------------------------------------------------------


def _noisy(ctx: CheckContext) -> list[Finding]:
    return [
        Finding(
            check_id="noisy.long",
            family=Family.TECHNICAL,
            level=Level.INFO,
            title="x" * 5000,
            explanation="y\n" * 10,
            audience="managers",
        ),  # type: ignore[arg-type]
        Finding(
            check_id="azure.budget",
            family=Family.BILLING,
            level=Level.CRITICAL,
            title="Budget exceeded",
            explanation="Someone else's id.",
        ),
        Finding(
            check_id="noisy.ok",
            family=Family.TECHNICAL,
            level=Level.INFO,
            title="Line one\nline two" + "z" * 5000,
            explanation="fine",
        ),
    ]


def _runner(**plugins: object) -> CheckRunner:
    env = {"CSP_CONSOLE_LOAD_PLUGINS": ",".join(plugins)}
    return CheckRunner(load_plugins(env=env, extra=plugins))


def test_findings_are_checked_field_by_field_and_ids_stay_in_the_plugins_namespace() -> None:
    noisy = plugin("noisy", csp_checks=lambda: [Check(id="noisy.all", family=Family.TECHNICAL, run=_noisy)])
    runner = _runner(noisy=noisy)
    try:
        run = runner.run(testing.context(ticket=testing.ticket()))
    finally:
        runner.close()
    kept = [f for p, f in run.findings if not f.check_id.endswith(".failed")]
    assert [f.check_id for f in kept] == ["noisy.ok"]
    (ok,) = kept
    assert len(ok.title) == TITLE_LIMIT and ok.title.endswith("…") and "\n" not in ok.title
    (failure,) = run.failures
    assert "field audience is 'managers'" in failure.message  # an unknown audience is refused, not dropped
    assert "(and 1 more refused)" in failure.message  # azure.budget: not this plugin's id


def test_at_most_fifty_findings_a_check() -> None:
    many = plugin(
        "many",
        csp_checks=lambda: [
            Check(
                id="many.all",
                family=Family.TECHNICAL,
                run=lambda ctx: [
                    Finding(
                        check_id=f"many.{i}", family=Family.TECHNICAL, level=Level.INFO, title=f"n{i}", explanation=""
                    )
                    for i in range(500)
                ],
            )
        ],
    )
    runner = _runner(many=many)
    try:
        run = runner.run(testing.context(ticket=testing.ticket()))
    finally:
        runner.close()
    assert len(run.findings) == MAX_FINDINGS_PER_CHECK and run.failures == []


def test_a_case_draft_of_the_wrong_vehicle_or_severity_is_refused_naming_the_plugin(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    def wrong(ctx: CheckContext, findings: object) -> object:
        draft = standard_handlers("office365", "Microsoft 365", {})[0].build_case(ctx, [])
        return dataclasses.replace(draft, severity="urgent")

    handlers = [dataclasses.replace(h, build_case=wrong) for h in standard_handlers("acme365", "Acme", {})]
    acme = plugin(
        "acme365",
        csp_services=lambda: [Service(id="acme365", name="Acme 365")],
        csp_escalation_handlers=lambda: handlers,
    )
    desk = _desk(demo_ws, tmp_path, acme365=acme)
    try:
        ticket = next(r for b in demo_ws.tickets.iter_tickets() for r in b if r["service"] == "office365")
        ticket = dict(ticket, service="acme365", category="billing")
        with pytest.raises(Exception, match="plugin acme365 failed to build the case"):
            cases.build_draft(desk, ticket, Vehicle.COMMERCIAL)
        assert any("built a case for office365" in e for e in desk.host.plugins["acme365"].errors)
    finally:
        desk.close()


# -- 7. an API version, declared and honoured -------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "loads"),
    [(None, True), (API_VERSION, True), ("1.0", True), ("1.99", False), ("2.0", False), ("one", False)],
)
def test_a_plugin_needing_an_api_the_console_lacks_is_refused_clearly(declared: str | None, loads: bool) -> None:
    module = _order_plugin("versioned")
    if declared is not None:
        module.csp_console_api = declared  # type: ignore[attr-defined]
    host = load_plugins(env={"CSP_CONSOLE_LOAD_PLUGINS": "versioned"}, extra={"versioned": module})
    assert ("versioned" in host.services) is loads
    if not loads:
        (error,) = host.plugins["versioned"].errors
        assert repr(declared) in error or f"needs plugin API {declared}" in error


# -- 6. a plugin writing the workspace file itself -----------------------------------------------------------


def test_a_plugin_that_writes_the_workspace_file_directly_changes_nothing(demo_ws: Workspace, tmp_path: Path) -> None:
    def sneaky(ctx: CheckContext) -> list[Finding]:
        # The check runs in the check process: what it met comes back as a finding. (The connection commits each
        # statement: a write the door let through would stay.)
        ticket_id = ctx.ticket.id  # type: ignore[union-attr]
        conn = foreign_connection(demo_ws)
        try:
            conn.execute("UPDATE tickets SET status = 'resolved', assignee = 'intruder' WHERE id = ?", (ticket_id,))
            met = "written"
        except sqlite3.Error as exc:
            met = str(exc)
        finally:
            conn.close()
        return [Finding(check_id="sneak.write", family=Family.TECHNICAL, level=Level.INFO, title="t", explanation=met)]

    sneak = plugin("sneak", csp_checks=lambda: [Check(id="sneak.write", family=Family.TECHNICAL, run=sneaky)])
    desk = _desk(demo_ws, tmp_path, sneak=sneak)
    try:
        ticket = next(r for b in demo_ws.tickets.iter_tickets() for r in b if r["status"] == "new")
        result = desk.check(ticket["id"])
    finally:
        desk.close()
    attempts = [f.explanation for _, f in result.findings if f.check_id == "sneak.write"]
    assert attempts == ["no such function: csp_door"]
    after = demo_ws.tickets.ticket(ticket["id"])
    assert after is not None and after["status"] == "new" and after["assignee"] != "intruder"


@pytest.mark.parametrize("table", GUARDED)
def test_every_guarded_table_refuses_a_foreign_write(demo_ws: Workspace, table: str) -> None:
    column = demo_ws.conn.execute(f"SELECT * FROM {table} LIMIT 0").description[0][0]
    rows = demo_ws.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    foreign = foreign_connection(demo_ws)
    try:
        for statement in (
            f"DELETE FROM {table}",
            f"DELETE FROM {table} WHERE 1 = 0",  # (no row at all: refused as a statement, not row by row)
            f"UPDATE {table} SET {column} = {column}",
            f"INSERT INTO {table} DEFAULT VALUES",
            *([f"TRUNCATE {table} CASCADE"] if demo_ws.engine == "postgresql" else []),  # (PostgreSQL's own)
        ):
            with pytest.raises(sqlite3.OperationalError, match="no such function: csp_door"):
                foreign.execute(statement)
    finally:
        foreign.close()
    assert demo_ws.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == rows
    # The console's own connection writes as before.
    with demo_ws.transaction() as conn:
        assert conn.execute(f"UPDATE {table} SET {column} = {column}").rowcount == rows
