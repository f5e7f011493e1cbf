"""The queue-health rollups: counts that triggers keep up to date as tickets and receivables change, so
that the health board never counts the 100,000s of open tickets (see :mod:`console.store.health`).

Each rollup has its table, the statement that fills it from scratch, and its triggers. A bulk load (the
demo, an import) drops the triggers, writes, then refills the rollups in one pass and puts the triggers
back, all in its one transaction (:meth:`console.store.Workspace.bulk_load`): the same counts, without a
trigger firing for each of a million rows.
"""

from __future__ import annotations

from console.store.portable import flag

#: Open tickets counted by class, by assignee and by customer, kept up to date by triggers on the tickets
#: table (so every writer keeps them right), so the board never counts the 100,000s of open tickets.
_ROLLUP_KEYS: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "health_open_class": (
        (("status", "{t}.status"), ("service", "coalesce({t}.service, '')"), ("severity", "{t}.severity")),
        "",
    ),
    "health_open_assignee": ((("assignee", "{t}.assignee"),), " AND {t}.assignee IS NOT NULL"),
    "health_open_customer": ((("customerId", "{t}.customerId"),), ""),
}


_IN_PROGRESS = "{t}.status = 'in_progress'"


def _rollup_statements() -> list[str]:
    out = [
        "CREATE TABLE health_open_class (status TEXT NOT NULL, service TEXT NOT NULL, severity TEXT NOT NULL, "
        "n INTEGER NOT NULL, inProgress INTEGER NOT NULL, PRIMARY KEY (status, service, severity))",
        "CREATE TABLE health_open_assignee (assignee TEXT PRIMARY KEY, n INTEGER NOT NULL, "
        "inProgress INTEGER NOT NULL)",
        "CREATE TABLE health_open_customer (customerId TEXT PRIMARY KEY, n INTEGER NOT NULL, "
        "inProgress INTEGER NOT NULL)",
        "CREATE INDEX idx_health_open_customer_n ON health_open_customer (n)",
    ]
    add, remove = [], []
    for table, (keys, extra) in _ROLLUP_KEYS.items():
        columns = ", ".join(c for c, _ in keys)

        def values(t: str, keys: tuple[tuple[str, str], ...] = keys) -> str:
            return ", ".join(e.format(t=t) for _, e in keys)

        add.append(
            f"INSERT INTO {table} ({columns}, n, inProgress) SELECT {values('NEW')}, 1, "
            f"{flag(_IN_PROGRESS.format(t='NEW'))} "
            f"WHERE NEW.isOpen = 1{extra.format(t='NEW')} "
            "ON CONFLICT DO UPDATE SET n = n + 1, inProgress = inProgress + excluded.inProgress;"
        )
        match = " AND ".join(f"{c} = {e.format(t='OLD')}" for c, e in keys)
        remove.append(
            f"UPDATE {table} SET n = n - 1, inProgress = inProgress - {flag(_IN_PROGRESS.format(t='OLD'))} "
            f"WHERE OLD.isOpen = 1 AND {match};"
        )
        out.append(
            f"INSERT INTO {table} ({columns}, n, inProgress) SELECT {values('tickets')}, count(*), "
            f"sum({flag(_IN_PROGRESS.format(t='tickets'))}) FROM tickets "
            f"WHERE tickets.isOpen = 1{extra.format(t='tickets')} "
            f"GROUP BY {values('tickets')}"
        )
    out.append(f"CREATE TRIGGER health_open_insert AFTER INSERT ON tickets BEGIN {' '.join(add)} END")
    out.append(f"CREATE TRIGGER health_open_delete AFTER DELETE ON tickets BEGIN {' '.join(remove)} END")
    out.append(
        "CREATE TRIGGER health_open_update AFTER UPDATE OF isOpen, status, service, severity, assignee, customerId "
        f"ON tickets BEGIN {' '.join(remove)} {' '.join(add)} END"
    )
    return out


_ROLLUPS = _rollup_statements()

#: Resolutions and first responses per hour (UTC), kept by triggers: the board's 7-day and "today" figures
#: add up a few hundred rows instead of reading tens of thousands of tickets. name -> (date column, measures)
_HOURLY_KEYS: dict[str, tuple[str, tuple[tuple[str, str, str], ...], tuple[str, ...], str]] = {
    "health_resolved_hourly": (
        "resolvedDate",
        (
            ("resolved", "INTEGER", "1"),
            (
                "met",
                "INTEGER",
                "(CASE WHEN {t}.resolutionDueDate IS NULL OR {t}.resolvedDate <= {t}.resolutionDueDate "
                "THEN 1 ELSE 0 END)",
            ),
            ("firstContact", "INTEGER", "(CASE WHEN {t}.replyCount <= 1 AND {t}.detoured = 0 THEN 1 ELSE 0 END)"),
            ("hours", "REAL", "(julianday({t}.resolvedDate) - julianday({t}.createdDate)) * 24"),
        ),
        ("resolvedDate", "resolutionDueDate", "createdDate", "replyCount", "detoured"),
        "",
    ),
    "health_first_response_hourly": (
        "firstResponseDate",
        (
            ("responded", "INTEGER", "1"),
            (
                "met",
                "INTEGER",
                "(CASE WHEN {t}.firstResponseDueDate IS NULL OR {t}.firstResponseDate <= {t}.firstResponseDueDate "
                "THEN 1 ELSE 0 END)",
            ),
        ),
        ("firstResponseDate", "firstResponseDueDate"),
        "",
    ),
    # Open tickets by the hour they were created (aging) and by the hour their next target falls (breaches).
    "health_open_created_hourly": ("createdDate", (("n", "INTEGER", "1"),), ("isOpen", "createdDate"), "isOpen = 1"),
    "health_open_due_hourly": ("slaDueDate", (("n", "INTEGER", "1"),), ("isOpen", "slaDueDate"), "isOpen = 1"),
}


def _hourly_statements() -> list[str]:
    out = []
    for table, (date, measures, watched, only) in _HOURLY_KEYS.items():
        new_only, old_only, all_only = (f" AND {t}.{only}" if only else "" for t in ("NEW", "OLD", "tickets"))
        names = [m for m, _, _ in measures]
        columns = ", ".join(f"{m} {kind} NOT NULL" for m, kind, _ in measures)
        out.append(f"CREATE TABLE {table} (hour TEXT PRIMARY KEY, {columns})")
        out.append(
            f"INSERT INTO {table} (hour, {', '.join(names)}) SELECT substr({date}, 1, 13), "
            + ", ".join(f"sum({e.format(t='tickets')})" for _, _, e in measures)
            + f" FROM tickets WHERE {date} IS NOT NULL{all_only} GROUP BY 1"
        )
        add = (
            f"INSERT INTO {table} (hour, {', '.join(names)}) SELECT substr(NEW.{date}, 1, 13), "
            + ", ".join(e.format(t="NEW") for _, _, e in measures)
            + f" WHERE NEW.{date} IS NOT NULL{new_only} ON CONFLICT DO UPDATE SET "
            + ", ".join(f"{m} = {m} + excluded.{m}" for m in names)
            + ";"
        )
        remove = (
            f"UPDATE {table} SET "
            + ", ".join(f"{m} = {m} - {e.format(t='OLD')}" for m, _, e in measures)
            + f" WHERE OLD.{date} IS NOT NULL{old_only} AND hour = substr(OLD.{date}, 1, 13);"
        )
        out.append(f"CREATE TRIGGER {table}_insert AFTER INSERT ON tickets BEGIN {add} END")
        out.append(f"CREATE TRIGGER {table}_delete AFTER DELETE ON tickets BEGIN {remove} END")
        out.append(
            f"CREATE TRIGGER {table}_update AFTER UPDATE OF {', '.join(watched)} ON tickets BEGIN {remove} {add} END"
        )
    return out


_HOURLY = _hourly_statements()

#: Each customer's oldest unpaid receivable (its due date), kept by triggers on receivables:
#: the collections figure is then a few range counts.
_UNPAID = "status IN ('open', 'partial', 'disputed')"
#: An upsert, not ``INSERT OR REPLACE``: SQLite applies the conflict policy of the statement that fired a trigger to
#: the trigger's own statements, so inside an import's upsert of receivables ``OR REPLACE`` became an abort
#: (https://www.sqlite.org/lang_createtrigger.html, "the conflict handling policy of the outer statement is used").
_OLDEST_DUE = (
    "INSERT INTO health_customer_due (customerId, oldestDue) SELECT {c}, "
    f"(SELECT min(dueDate) FROM receivables WHERE customerId = {{c}} AND {_UNPAID}) "
    "WHERE true ON CONFLICT (customerId) DO UPDATE SET oldestDue = excluded.oldestDue;"
)
#: The triggers that keep ``health_customer_due`` (migration 20 replaces the ``INSERT OR REPLACE`` ones).
CUSTOMER_DUE_TRIGGERS = ("health_customer_due_insert", "health_customer_due_delete", "health_customer_due_update")
_HOURLY += [
    "CREATE TABLE health_customer_due (customerId TEXT PRIMARY KEY, oldestDue TEXT)",
    f"INSERT INTO health_customer_due SELECT customerId, min(dueDate) FROM receivables WHERE {_UNPAID} "
    "GROUP BY customerId",
    "CREATE INDEX idx_health_customer_due ON health_customer_due (oldestDue)",
    "CREATE TRIGGER health_customer_due_insert AFTER INSERT ON receivables "
    f"BEGIN {_OLDEST_DUE.format(c='NEW.customerId')} END",
    "CREATE TRIGGER health_customer_due_delete AFTER DELETE ON receivables "
    f"BEGIN {_OLDEST_DUE.format(c='OLD.customerId')} END",
    "CREATE TRIGGER health_customer_due_update AFTER UPDATE OF status, dueDate, customerId ON receivables BEGIN "
    f"{_OLDEST_DUE.format(c='OLD.customerId')} {_OLDEST_DUE.format(c='NEW.customerId')} END",
]


#: "Waiting on Microsoft" (issue 19): the open tickets in ``waiting_microsoft``, one row each with the moment of
#: its last move to that status (else its last change) and its latest case (the escalation of highest id), and
#: their count per vehicle and state of that case ('' for none). Every write that can change a ticket's row
#: (the ticket's status, openness or last change; an escalation's ticket, vehicle, state or case number; a
#: status change to ``waiting_microsoft`` on the timeline) recomputes that one ticket's row, so the board reads
#: a handful of counts and the first row of an index, whatever the size of the workspace.
_WAITING_SINCE = (
    "coalesce((SELECT max(l.createdDate) FROM timeline l WHERE l.ticketSeq = t.seq AND l.kind = 'status_change' "
    "AND l.toValue = 'waiting_microsoft'), t.lastModifiedDate)"
)
_WAITING_ROWS = (
    f"INSERT INTO health_waiting (seq, since, escalationId, vehicle, state, caseId) SELECT t.seq, {_WAITING_SINCE}, "
    "e.id, e.vehicle, e.state, e.microsoftCaseId FROM tickets t "
    "LEFT JOIN escalations e ON e.id = (SELECT max(x.id) FROM escalations x WHERE x.ticketSeq = t.seq) "
    "WHERE t.status = 'waiting_microsoft' AND t.isOpen = 1"
)


def _refresh_waiting(seq: str) -> str:
    """The statements that recompute ticket ``seq``'s row of ``health_waiting`` (none when it is not waiting)."""
    return f"DELETE FROM health_waiting WHERE seq = {seq}; {_WAITING_ROWS} AND t.seq = {seq};"


_WAITING_STEP = "status_change' AND {r}.toValue = 'waiting_microsoft'"
_WAITING = [
    "CREATE TABLE health_waiting (seq INTEGER PRIMARY KEY, since TEXT, escalationId INTEGER, vehicle TEXT, "
    "state TEXT, caseId TEXT)",
    "CREATE INDEX idx_health_waiting_since ON health_waiting (since, seq)",
    "CREATE TABLE health_waiting_case (vehicle TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL, "
    "PRIMARY KEY (vehicle, state))",
    _WAITING_ROWS,
    "INSERT INTO health_waiting_case (vehicle, state, n) SELECT coalesce(vehicle, ''), coalesce(state, ''), "
    "count(*) FROM health_waiting GROUP BY 1, 2",
    "CREATE TRIGGER health_waiting_case_insert AFTER INSERT ON health_waiting BEGIN "
    "INSERT INTO health_waiting_case (vehicle, state, n) VALUES (coalesce(NEW.vehicle, ''), coalesce(NEW.state, ''), "
    "1) ON CONFLICT DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER health_waiting_case_delete AFTER DELETE ON health_waiting BEGIN "
    "UPDATE health_waiting_case SET n = n - 1 WHERE vehicle = coalesce(OLD.vehicle, '') "
    "AND state = coalesce(OLD.state, ''); END",
    "CREATE TRIGGER health_waiting_ticket_insert AFTER INSERT ON tickets WHEN NEW.status = 'waiting_microsoft' "
    f"BEGIN {_refresh_waiting('NEW.seq')} END",
    "CREATE TRIGGER health_waiting_ticket_delete AFTER DELETE ON tickets WHEN OLD.status = 'waiting_microsoft' "
    "BEGIN DELETE FROM health_waiting WHERE seq = OLD.seq; END",
    "CREATE TRIGGER health_waiting_ticket_update AFTER UPDATE OF status, isOpen, lastModifiedDate ON tickets "
    "WHEN NEW.status = 'waiting_microsoft' OR OLD.status = 'waiting_microsoft' "
    f"BEGIN {_refresh_waiting('NEW.seq')} END",
    f"CREATE TRIGGER health_waiting_escalation_insert AFTER INSERT ON escalations BEGIN "
    f"{_refresh_waiting('NEW.ticketSeq')} END",
    f"CREATE TRIGGER health_waiting_escalation_delete AFTER DELETE ON escalations BEGIN "
    f"{_refresh_waiting('OLD.ticketSeq')} END",
    "CREATE TRIGGER health_waiting_escalation_update AFTER UPDATE OF ticketSeq, vehicle, state, microsoftCaseId "
    f"ON escalations BEGIN {_refresh_waiting('OLD.ticketSeq')} {_refresh_waiting('NEW.ticketSeq')} END",
    "CREATE TRIGGER health_waiting_timeline_insert AFTER INSERT ON timeline "
    f"WHEN NEW.kind = '{_WAITING_STEP.format(r='NEW')} BEGIN {_refresh_waiting('NEW.ticketSeq')} END",
    "CREATE TRIGGER health_waiting_timeline_delete AFTER DELETE ON timeline "
    f"WHEN OLD.kind = '{_WAITING_STEP.format(r='OLD')} BEGIN {_refresh_waiting('OLD.ticketSeq')} END",
    "CREATE TRIGGER health_waiting_timeline_update AFTER UPDATE OF ticketSeq, kind, toValue, createdDate ON timeline "
    f"WHEN (OLD.kind = '{_WAITING_STEP.format(r='OLD')}) OR (NEW.kind = '{_WAITING_STEP.format(r='NEW')}) "
    f"BEGIN {_refresh_waiting('OLD.ticketSeq')} {_refresh_waiting('NEW.ticketSeq')} END",
]

#: Resolutions per hour (UTC) and assignee: the board's "resolved today" per agent adds up a few rows per agent
#: instead of reading every ticket resolved today (issue 23: a desk resolving ten times as many a day made it
#: ten times slower).
_AGENT_HOUR = "substr({t}.resolvedDate, 1, 13)"
_AGENT_ROW = "{t}.resolvedDate IS NOT NULL AND {t}.assignee IS NOT NULL"
_RESOLVED_BY_AGENT = [
    "CREATE TABLE health_resolved_agent_hourly (hour TEXT NOT NULL, assignee TEXT NOT NULL, "
    "resolved INTEGER NOT NULL, PRIMARY KEY (hour, assignee))",
    f"INSERT INTO health_resolved_agent_hourly (hour, assignee, resolved) SELECT {_AGENT_HOUR.format(t='tickets')}, "
    f"assignee, count(*) FROM tickets WHERE {_AGENT_ROW.format(t='tickets')} GROUP BY 1, 2",
]
_AGENT_ADD = (
    f"INSERT INTO health_resolved_agent_hourly (hour, assignee, resolved) SELECT {_AGENT_HOUR.format(t='NEW')}, "
    f"NEW.assignee, 1 WHERE {_AGENT_ROW.format(t='NEW')} ON CONFLICT DO UPDATE SET resolved = resolved + 1;"
)
_AGENT_REMOVE = (
    "UPDATE health_resolved_agent_hourly SET resolved = resolved - 1 "
    f"WHERE {_AGENT_ROW.format(t='OLD')} AND hour = {_AGENT_HOUR.format(t='OLD')} AND assignee = OLD.assignee;"
)
_RESOLVED_BY_AGENT += [
    f"CREATE TRIGGER health_resolved_agent_insert AFTER INSERT ON tickets BEGIN {_AGENT_ADD} END",
    f"CREATE TRIGGER health_resolved_agent_delete AFTER DELETE ON tickets BEGIN {_AGENT_REMOVE} END",
    "CREATE TRIGGER health_resolved_agent_update AFTER UPDATE OF resolvedDate, assignee ON tickets "
    f"BEGIN {_AGENT_REMOVE} {_AGENT_ADD} END",
]


def _split(statements: list[str]) -> tuple[list[str], list[str], dict[str, str]]:
    tables = [s for s in statements if s.startswith(("CREATE TABLE", "CREATE INDEX"))]
    fills = [s for s in statements if s.startswith("INSERT INTO")]
    triggers = {s.split()[2]: s for s in statements if s.startswith("CREATE TRIGGER")}
    return tables, fills, triggers


#: What migration 10 created (the board's first rollups) and what migration 24 adds ("waiting on Microsoft").
M010_TABLES, M010_FILLS, M010_TRIGGERS = _split(_ROLLUPS + _HOURLY)
WAITING_TABLES, WAITING_FILLS, WAITING_TRIGGERS = _split(_WAITING)
#: And what migration 30 adds (resolutions per hour and agent).
AGENT_TABLES, AGENT_FILLS, AGENT_TRIGGERS = _split(_RESOLVED_BY_AGENT)
#: Every rollup, as a bulk load drops its triggers, refills it (in this order) and puts its triggers back.
TABLES = M010_TABLES + WAITING_TABLES + AGENT_TABLES
FILLS = M010_FILLS + WAITING_FILLS + AGENT_FILLS
TRIGGERS = {**M010_TRIGGERS, **WAITING_TRIGGERS, **AGENT_TRIGGERS}
#: The rollup tables, emptied before a refill.
CLEARS = [f"DELETE FROM {s.split()[2]}" for s in TABLES if s.startswith("CREATE TABLE")]
