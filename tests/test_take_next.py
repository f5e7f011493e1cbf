"""Taking the next ticket: the first open, unassigned ticket of a view, in the view's order, picked and claimed
in one write (console.tickets.ops.claim_next): from the queue (``t``), from the command line (``csp-console next``),
and by many processes at once (each gets another ticket; none is refused because another was quicker). Run on
both engines (``--engine postgresql``: the processes are separate PostgreSQL sessions, as on separate hosts)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from console.cli.main import main
from console.desk.door import Desk
from console.desk.roles import RoleDenied
from console.plugins.host import load_plugins
from console.screens.ticket import TicketScreen
from console.settings.config import Config
from console.store import Workspace, audit_chain
from console.tickets.queue_query import QueueQuery
from tests.conftest import NOW
from tests.ui import AGENT, make_app, settle

ROOT = Path(__file__).parent.parent


def desk(ws: Workspace, agent: str = AGENT, session: str | None = None) -> Desk:
    return Desk(ws, Config(), load_plugins(installed=False), agent, lambda: NOW, session=session)


def unassigned_in_order(ws: Workspace, q: QueueQuery) -> list[str]:
    """The view's open, unassigned tickets in its order, as the queue pages them (what an agent sees)."""
    rows = ws.queue.queue_page(q.with_(assignee=""), limit=10_000)
    return [r.id for r in rows if r.status not in ("resolved", "closed")]


@pytest.mark.parametrize(
    "q",
    [
        QueueQuery(),
        QueueQuery(categories=("billing",), sort="severity", descending=True),
        QueueQuery(search="金額"),
        QueueQuery(services=("azure",), sort="created"),
    ],
    ids=["all-open-by-sla", "billing-by-severity", "search-kingaku", "azure-by-created"],
)
def test_next_is_the_first_unassigned_ticket_of_the_view_in_its_order(demo_ws: Workspace, q: QueueQuery) -> None:
    expected = unassigned_in_order(demo_ws, q)[:3]
    assert len(expected) == 3, "the demo has unassigned tickets in every one of these views"
    d = desk(demo_ws)
    taken = [d.claim_next(q) for _ in range(3)]
    assert [t["id"] for t in taken if t] == expected
    for t in taken:
        assert t is not None and t["assignee"] == AGENT and t["claimedUntil"]
    audit = [e for e in demo_ws.agents.audit_since(entity="ticket") if e["entityId"] in expected]
    assert [(e["action"], e["agent"], e["detail"].get("picked")) for e in audit] == [
        ("ticket.claim", AGENT, "next")
    ] * 3


def test_next_skips_assigned_and_closed_tickets_and_says_when_none_is_left(demo_ws: Workspace) -> None:
    q = QueueQuery(search="金額")
    left = unassigned_in_order(demo_ws, q)
    d = desk(demo_ws)
    got = []
    while (t := d.claim_next(q)) is not None:
        got.append(t["id"])
    assert got == left  # each once, in order, then nothing
    assert d.claim_next(q) is None
    mine = d.claim_next(QueueQuery(assignee=AGENT))  # "My queue": every ticket in it is assigned already
    assert mine is None


def test_next_needs_the_claim_role(demo_ws: Workspace) -> None:
    before = demo_ws.conn.execute("SELECT count(*) FROM tickets WHERE assignee IS NULL").fetchone()[0]
    with pytest.raises(RoleDenied):
        desk(demo_ws, "priya.nair").claim_next(QueueQuery())  # a Sales agent
    assert demo_ws.conn.execute("SELECT count(*) FROM tickets WHERE assignee IS NULL").fetchone()[0] == before


TAKER = """
import json, sys
from console.desk.door import Desk
from console.plugins.host import load_plugins
from console.settings.config import Config
from console.shared.clock import utcnow
from console.store import Workspace, audit_chain
from console.tickets.queue_query import QueueQuery
ws = Workspace.open(sys.argv[1]); agent = sys.argv[2]
d = Desk(ws, Config(), load_plugins(installed=False), agent, utcnow)
sys.stdout.write("ready\\n"); sys.stdout.flush(); sys.stdin.readline()  # all start together
got = []
for _ in range(int(sys.argv[3])):
    t = d.claim_next(QueueQuery(assignee=""))
    got.append(None if t is None else t["id"])
print(json.dumps(got))
"""

TAKERS = ["aiko.tanaka", "li.wei", "maria.garcia", "kenji.sato", "tom.becker", "desk.six", "desk.seven", "desk.eight"]


@pytest.mark.parametrize("processes", [4, 8])
def test_processes_taking_next_at_once_each_get_another_ticket(demo_ws: Workspace, processes: int) -> None:
    ws, each = demo_ws, 10
    agents = TAKERS[:processes]
    known = {a["login"] for a in ws.agents.agents()}
    for login in set(agents) - known:
        ws.agents.add_agent(login, login, f"{login}@example.com", ["helpdesk_agent"], by="test")
    first = unassigned_in_order(ws, QueueQuery(assignee=""))[: processes * each]
    assert len(first) == processes * each
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TAKER, str(ws.locator), a, str(each)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for a in agents
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    taken = {a: json.loads(p.communicate(timeout=120)[0]) for a, p in zip(agents, procs, strict=True)}
    ids = [i for got in taken.values() for i in got]
    assert None not in ids  # nobody came away empty while tickets were left
    assert Counter(ids).most_common(1)[0][1] == 1  # no ticket given twice
    assert sorted(ids) == sorted(first)  # together, exactly the queue's first tickets: none skipped
    for agent, got in taken.items():
        for ticket_id in got:
            assert ws.tickets.ticket(ticket_id)["assignee"] == agent
    claims = [e for e in ws.agents.audit_since(entity="ticket") if e["action"] == "ticket.claim"]
    assert Counter(e["entityId"] for e in claims if e["entityId"] in first) == Counter(first)
    chain = audit_chain.verify(ws.conn)  # the chain whole after the concurrent appends
    assert chain.intact, chain.breaks


def test_next_on_the_command_line(
    demo_ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CONSOLE_AGENT", AGENT)
    db = str(demo_ws.locator)
    billing = unassigned_in_order(demo_ws, QueueQuery(categories=("billing",)))
    assert main(["--db", db, "next", "--view", "billing"]) == 0  # a view by its name, any case
    said = capsys.readouterr().out
    assert said.startswith(f"{billing[0]}: claimed (next of Billing;") and "held until" in said
    assert main(["--db", db, "next", "--json", "--view", "Billing"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == billing[1]
    assert main(["--db", db, "next", "--view", "My queue"]) == 3  # nothing unassigned in it: said on stderr
    seen = capsys.readouterr()
    assert seen.out == "" and "nothing to take: no open, unassigned ticket in My queue" in seen.err
    assert main(["--db", db, "next", "--view", "My queue", "--json"]) == 3
    assert json.loads(capsys.readouterr().err)["status"] == "nothing"
    for wrong in ("\x1b[31mNope", ""):
        assert main(["--db", db, "next", "--view", wrong]) == 1
        err = capsys.readouterr().err
        assert "no view '" in err and "the views: My queue, Unassigned" in err and "\x1b" not in err
    assert "␛[31mNope" not in err
    assert main(["--db", db, "ticket", "show", "--json", billing[0]]) == 0  # options before the ticket, as before
    assert json.loads(capsys.readouterr().out)["ticket"]["id"] == billing[0]


async def test_t_on_the_queue_takes_the_views_next_ticket_and_opens_it(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")  # the Billing view
        await settle(pilot)
        expected = unassigned_in_order(demo_ws, app.screen.table.query_)[0]
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == expected
        ticket = demo_ws.tickets.ticket(expected)
        assert ticket["assignee"] == AGENT
        assert ticket["claimSession"] == app.desk.session  # the console's claim: leaving it releases it
        await pilot.press("escape")
        await settle(pilot)
        table = app.screen.table
        assert table.current_row is not None and table.current_row.id == expected  # back on the ticket taken
        assert table.cursor > 0  # (not the view's first row: the cursor moved to it)
        await pilot.press("1")  # My queue: all of it assigned
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert "Nothing to take: no open, unassigned ticket in this view." in said
        assert not isinstance(app.screen, TicketScreen)


def test_a_claim_on_postgresql_costs_few_round_trips(demo_ws: Workspace, engine: str) -> None:
    """A claim's writes take turns with other claims' (console.store.pg_dialect), so every round trip from its
    turn to its commit is time no other claim can write (the bench's claims figure, bench/RESULTS-postgresql.md):
    the transaction's start goes with its (shared) write lock, the turn's lock with its first write (one pipeline),
    the change notice with the commit, several timeline rows in one executemany (psycopg pipelines it), the audit
    chain's head with the last id given out; the ticket is read and locked once, and its SLA clock's reads made,
    before the turn, and it is read back for the caller after the commit (statements counted as the trace
    callback sees them: one entry a round trip)."""
    if engine != "postgresql":
        pytest.skip("round trips to a server: PostgreSQL's (--engine postgresql)")
    d = desk(demo_ws)
    first, second = unassigned_in_order(demo_ws, QueueQuery(statuses=("new",)))[:2]
    d.claim(first)  # (the desk's first write reads what it caches)
    sent: list[str] = []
    demo_ws.conn.set_trace_callback(sent.append)
    d.claim(second)  # a new ticket: claiming it writes two timeline rows (assignment, new -> triaged)
    demo_ws.conn.set_trace_callback(None)
    assert "BEGIN; SELECT pg_advisory_xact_lock_shared(" in next(s for s in sent if "BEGIN" in s)
    turn = [i for i, s in enumerate(sent) if s.startswith("SELECT pg_advisory_xact_lock(")]
    assert len(turn) == 1 and "; UPDATE tickets SET" in sent[turn[0]], "\n".join(sent)  # the turn with the write
    before = sent[: turn[0]]  # the ticket locked (once), its SLA clock's reads: its status history, its offer
    assert sum("FOR UPDATE" in s for s in before) == 1 and any("kind = 'status_change'" in s for s in before)
    commit = next(i for i, s in enumerate(sent) if s.endswith("; COMMIT"))
    assert "pg_notify" in sent[commit]
    assert [s.split()[:2] for s in sent[commit + 1 :]] == [["SELECT", "t.*,"]]  # read back after it, not in the turn
    assert sum("INSERT INTO timeline" in s for s in sent) == 1
    # in the turn: the lock with the UPDATE, the timeline rows, the chain's head, the audit row, the commit
    assert len(sent) <= 12 and commit - turn[0] <= 4, "\n".join(sent)
    sent.clear()  # and "next": its pick the first statement after the start, the read-back after the commit
    demo_ws.conn.set_trace_callback(sent.append)
    taken = d.claim_next(QueueQuery(statuses=("new",)))
    demo_ws.conn.set_trace_callback(None)
    assert taken is not None and taken["assignee"] == d.agent
    commit = next(i for i, s in enumerate(sent) if s.endswith("; COMMIT"))
    assert [s.split()[:2] for s in sent[commit + 1 :]] == [["SELECT", "t.*,"]], "\n".join(sent)
    assert sum("SKIP LOCKED" in s for s in sent[:commit]) == 1
