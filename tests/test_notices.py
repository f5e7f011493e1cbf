"""Notices (issue 19, "Notifications"): each kind written by the code path that makes the change, in its
transaction, to the agent concerned; the breach warning once however many consoles sweep; the queue's
"changed since you looked" marker, read for the page's tickets only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from console.background.jobs import Jobs, console_jobs
from console.desk.door import Desk
from console.notices.kinds import Notice
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.tickets.queue_query import QueueQuery
from console.tickets.views import BREACHING_WITHIN
from tests.conftest import NOW

AGENT = "aiko.tanaka"
OTHER = "li.wei"  # helpdesk_agent and user_admin: may take tickets over
LEAD = "kenji.sato"  # global_admin: assigns


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    return path


def desk_of(ws: Workspace, config_path: Path, agent: str, *, at: timedelta = timedelta(0)) -> Desk:
    return Desk(ws, load_config(config_path), load_plugins(), agent, lambda: NOW + at)


@pytest.fixture
def desks(demo_ws: Workspace, config_path: Path) -> Iterator[dict[str, Desk]]:
    made = {a: desk_of(demo_ws, config_path, a) for a in (AGENT, OTHER, LEAD, "tom.becker")}
    yield made
    for d in made.values():
        d.close()


def notices(ws: Workspace, agent: str) -> list[Notice]:
    return [Notice(**row) for row in ws.notices.recent(agent)]


def free_ticket(ws: Workspace, **match: object) -> str:
    for batch in ws.tickets.iter_tickets():
        for row in batch:
            free = row["assignee"] is None and row["status"] not in ("new", "waiting_microsoft")
            if free and all(row[k] == v for k, v in match.items()):
                return str(row["id"])
    raise AssertionError(f"no free ticket with {match}")


def query_plan(ws: Workspace, query: str) -> str:
    """The plan the engine's planner makes for ``query``: SQLite's ``EXPLAIN QUERY PLAN``, or PostgreSQL's
    ``EXPLAIN`` with sequential scans priced out (an empty table is otherwise scanned, however it is indexed)."""
    if ws.engine == "sqlite":
        return " ".join(str(r[3]) for r in ws.conn.execute(f"EXPLAIN QUERY PLAN {query}"))
    ws.conn.execute("SET enable_seqscan = off")
    try:
        return " ".join(str(r[0]) for r in ws.conn.execute(f"EXPLAIN {query}"))
    finally:
        ws.conn.execute("RESET enable_seqscan")


def test_the_schema_holds_notices_and_read_markers(empty_ws: Workspace) -> None:
    for table in ("notices", "ticket_seen"):
        assert empty_ws.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    names = [r[0] for r in empty_ws.conn.execute("SELECT name FROM schema_migrations ORDER BY version")]
    assert names[22] == "m023_notices"  # version 23 (later migrations follow it)
    plan = query_plan(empty_ws, "SELECT * FROM notices WHERE agent = 'a' AND id > 5 ORDER BY id LIMIT 50")
    # The consoles' poll is an index range, not a scan (and, on PostgreSQL, not a sort either).
    if empty_ws.engine == "sqlite":
        assert "USING INDEX idx_notices_agent" in plan
    else:
        assert "Index Scan using idx_notices_agent on notices" in plan and "Sort" not in plan, plan


# -- someone took over my ticket -----------------------------------------------------------------
def test_a_takeover_tells_the_agent_it_was_taken_from(desks: dict[str, Desk], demo_ws: Workspace) -> None:
    ticket_id = free_ticket(demo_ws)
    desks[AGENT].claim(ticket_id)
    assert notices(demo_ws, AGENT) == []  # one's own claim tells nobody
    desks[OTHER].claim(ticket_id, takeover=True)
    (notice,) = notices(demo_ws, AGENT)
    assert (notice.kind, notice.ticketId, notice.seenAt) == ("takeover", ticket_id, None)
    assert notice.text.startswith(f"{ticket_id} taken over by {OTHER}: ")
    assert notices(demo_ws, OTHER) == []
    # Written with the change, in its transaction: the claim's audit row and the notice are both there.
    assert demo_ws.agents.audit_since(entity="ticket", entity_id=ticket_id)[-1]["action"] == "ticket.takeover"


def test_a_leads_reassignment_tells_the_holder_but_giving_ones_own_ticket_away_does_not(
    desks: dict[str, Desk], demo_ws: Workspace
) -> None:
    ticket_id = free_ticket(demo_ws)
    desks[AGENT].claim(ticket_id)
    desks[LEAD].assign(ticket_id, OTHER)
    (notice,) = notices(demo_ws, AGENT)
    assert notice.text.startswith(f"{ticket_id} assigned to {OTHER} by {LEAD}: ")
    desks[OTHER].assign(ticket_id, AGENT)  # li.wei hands it back: nobody took it from anyone
    assert notices(demo_ws, OTHER) == [] and len(notices(demo_ws, AGENT)) == 1


def test_a_refused_takeover_writes_no_notice(desks: dict[str, Desk], demo_ws: Workspace) -> None:
    from console.tickets.ops import ClaimedByOther

    ticket_id = free_ticket(demo_ws)
    desks[AGENT].claim(ticket_id)
    with pytest.raises(ClaimedByOther):
        desks[OTHER].claim(ticket_id)  # not confirmed as a takeover: refused, and nothing is said
    assert notices(demo_ws, AGENT) == []


# -- Microsoft replied on a case of mine -----------------------------------------------------------
def azure_ticket(ws: Workspace) -> str:
    row = ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND service = 'azure' AND category = 'technical' "
        "AND status != 'waiting_microsoft' AND title LIKE 'Production VMs%' ORDER BY seq LIMIT 1"
    ).fetchone()
    return str(row[0])


def test_microsofts_reply_tells_the_assignee_once_and_literally(
    sandbox: Sandbox, demo_ws: Workspace, config_path: Path
) -> None:
    desk = desk_of(demo_ws, config_path, AGENT)
    ticket_id = azure_ticket(demo_ws)
    desk.claim(ticket_id, takeover=True)
    stored = desk.escalate(desk.escalation_draft(ticket_id, "advanced"))
    desk.microsoft_sync()  # delivered; Microsoft's welcome comes back with it
    case = demo_ws.escalations.escalation(stored["id"])["microsoftCaseId"]  # type: ignore[index]
    before = len(notices(demo_ws, AGENT))
    sandbox.state.respond(case, "Please send the [bold]query plan[/bold] \x1b[31m.", author="Engineer Sato")
    desk.microsoft_sync()
    desk.microsoft_sync()  # nothing new: nothing more said
    fresh = notices(demo_ws, AGENT)[: len(notices(demo_ws, AGENT)) - before]
    assert [n.kind for n in fresh] == ["microsoft"]
    assert fresh[0].ticketId == ticket_id
    assert fresh[0].text.startswith(f"{ticket_id}: Engineer Sato on case {case}: ")
    assert fresh[0].text.endswith("Please send the [bold]query plan[/bold] \x1b[31m.")  # stored as written
    desk.release(ticket_id)  # nobody holds the ticket now: who escalated hears Microsoft instead
    sandbox.state.respond(case, "Fixed by the product group.", status="Closed")
    desk.microsoft_sync()
    latest = notices(demo_ws, AGENT)[:2]
    assert f"{ticket_id}: Microsoft closed case {case}; the ticket is back with the desk" in [n.text for n in latest]
    desk.close()


# -- a customer on my queue was suspended ------------------------------------------------------------
def test_a_suspension_tells_each_agent_with_open_tickets_of_the_customer(
    sandbox: Sandbox, demo_ws: Workspace, config_path: Path, desks: dict[str, Desk]
) -> None:
    cid = demo_ws.accounts.find_customer("sakura-shoji.co.jp")
    assert cid is not None
    mine, theirs = [
        r["id"] for r in demo_ws.tickets.open_tickets_of(cid) if r["assignee"] is None and r["status"] != "new"
    ][:2]
    desks[AGENT].claim(mine)
    desks[OTHER].claim(theirs)
    desks["tom.becker"].billing.suspend(cid)
    for agent in (AGENT, OTHER):
        (notice,) = [n for n in notices(demo_ws, agent) if n.kind == "suspension"]
        assert notice.customerId == cid and "suspended for non-payment by tom.becker" in notice.text
        held = sum(1 for r in demo_ws.tickets.open_tickets_of(cid) if r["assignee"] == agent)
        assert notice.text.endswith(f"({held} open ticket{'' if held == 1 else 's'} of yours)")
    assert notices(demo_ws, "tom.becker") == []  # who suspended knows


# -- a ticket of mine is about to breach ---------------------------------------------------------------
def breaching_soon(ws: Workspace) -> list[str]:
    until = (NOW + BREACHING_WITHIN).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = ws.conn.execute(
        "SELECT id FROM tickets WHERE isOpen = 1 AND slaDueDate > ? AND slaDueDate <= ? AND slaPausedSince IS NULL",
        (NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), until),
    )
    return [r[0] for r in rows]


def test_the_breach_warning_is_written_once_however_many_consoles_sweep(demo_ws: Workspace, config_path: Path) -> None:
    soon = breaching_soon(demo_ws)
    assert soon, "the demo has tickets due within the hour"
    for ticket_id in soon:
        demo_ws.conn.execute("UPDATE tickets SET assignee = ? WHERE id = ?", (AGENT, ticket_id))
    # Two consoles (two processes: two connections), racing, outside the lease (the unique key holds alone).
    consoles = [desk_of(Workspace.open(demo_ws.locator), config_path, OTHER) for _ in range(2)]
    barrier, written = threading.Barrier(2), []

    def sweep(desk: Desk) -> None:
        barrier.wait()
        written.append(desk.notices.warn_breaching())

    threads = [threading.Thread(target=sweep, args=(d,)) for d in consoles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(written) == [0, len(soon)]
    warned = [n for n in notices(demo_ws, AGENT) if n.kind == "breach"]
    assert sorted(n.ticketId for n in warned) == sorted(soon)
    assert all(" JST: " in n.says("Asia/Tokyo") and n.dueAt for n in warned)  # said in each reader's zone
    # Later sweeps, through the jobs each console runs (under the lease), add nothing for the same due times.
    jobs = [next(j for j in console_jobs(d, d.clock) if j.name == "breach-sweep") for d in consoles]
    outcomes = [Jobs(d.clock).run(job) for d, job in zip(consoles, jobs, strict=True)]
    assert [o.ran for o in outcomes] == [True, False]  # one console holds the sweep's lease
    assert "0 about to breach told" in str(outcomes[0].value)
    assert len([n for n in notices(demo_ws, AGENT) if n.kind == "breach"]) == len(soon)
    # A due time that moves warns again, once.
    demo_ws.conn.execute("UPDATE tickets SET slaDueDate = ? WHERE id = ?", ("2026-11-23T03:40:00Z", soon[0]))
    assert consoles[1].notices.warn_breaching() == 1
    for d in consoles:
        d.ws.close()
        d.close()


def test_no_breach_warning_for_the_unassigned_or_a_paused_clock(demo_ws: Workspace, config_path: Path) -> None:
    soon = breaching_soon(demo_ws)
    demo_ws.conn.execute("UPDATE tickets SET assignee = NULL")
    demo_ws.conn.execute(
        "UPDATE tickets SET assignee = ?, slaPausedSince = ? WHERE id = ?", (AGENT, NOW.isoformat(), soon[0])
    )
    desk = desk_of(demo_ws, config_path, AGENT)
    assert desk.notices.warn_breaching() == 0
    desk.close()


# -- seen, and changed since you looked ---------------------------------------------------------------
def test_seeing_a_ticket_marks_its_notices_seen_and_writes_only_when_something_changed(
    desks: dict[str, Desk], demo_ws: Workspace
) -> None:
    ticket_id = free_ticket(demo_ws)
    desks[AGENT].claim(ticket_id)
    desks[OTHER].claim(ticket_id, takeover=True)
    assert desks[AGENT].notices.unseen_count() == 1
    desks[AGENT].details(ticket_id)
    assert desks[AGENT].notices.unseen_count() == 1  # reading writes nothing: the screen records it after
    assert desks[AGENT].notices.see_ticket(ticket_id)
    assert desks[AGENT].notices.unseen_count() == 0
    version = demo_ws.data_version()
    desks[AGENT].details(ticket_id)  # looked again, nothing new: no write (consoles refreshing never ping-pong)
    assert not desks[AGENT].notices.see_ticket(ticket_id)
    assert demo_ws.data_version() == version


def test_a_ticket_changed_by_someone_else_is_marked_until_it_is_opened(
    desks: dict[str, Desk], demo_ws: Workspace
) -> None:
    me, other = desks[AGENT], desks[OTHER]
    ticket_id, untouched = free_ticket(demo_ws), free_ticket(demo_ws, service="office365")
    page = [r.id for r in me.reads.queue_page(QueueQuery(), limit=400)]
    assert ticket_id in page

    def marked() -> set[str]:
        return {r.id for r in me.reads.queue_page(QueueQuery(), limit=400) if r.changed}

    other.note(ticket_id, "Called the customer back.")
    assert marked() == set()  # never opened: nothing to compare with
    me.notices.see_ticket(ticket_id)  # (what the ticket screen records once it has shown the ticket)
    me.notices.see_ticket(untouched)
    me.note(ticket_id, "My own note")
    assert marked() == set()  # one's own changes are not news
    other.note(ticket_id, "Customer sent the logs.")
    assert marked() == {ticket_id}
    assert me.notices.changed([ticket_id, untouched]) == {ticket_id}
    me.notices.see_ticket(ticket_id)
    assert marked() == set()


def test_a_takeover_from_the_command_line_tells_the_holder_too(
    desks: dict[str, Desk], demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.cli.main import main

    ticket_id = free_ticket(demo_ws)
    desks[AGENT].claim(ticket_id)
    monkeypatch.setenv("CSP_CONSOLE_AGENT", OTHER)
    assert main(["ticket", "claim", ticket_id, "--takeover", "--db", str(demo_ws.locator)]) == 0
    (notice,) = notices(demo_ws, AGENT)
    assert notice.text.startswith(f"{ticket_id} taken over by {OTHER}: ")


def test_the_sweep_forgets_notices_older_than_it_keeps(demo_ws: Workspace, config_path: Path) -> None:
    from console.notices.desk import KEEP

    with demo_ws.transaction():
        demo_ws.notices.add(AGENT, "takeover", "old news", ticket_id="CSP-000001")
    old = (NOW - KEEP - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    demo_ws.conn.execute("UPDATE notices SET createdAt = ?", (old,))
    with demo_ws.transaction():
        demo_ws.notices.add(AGENT, "takeover", "recent news", ticket_id="CSP-000002")
    desk = desk_of(demo_ws, config_path, AGENT)
    desk.notices.warn_breaching()
    assert [n.text for n in notices(demo_ws, AGENT) if n.kind == "takeover"] == ["recent news"]
    desk.close()
