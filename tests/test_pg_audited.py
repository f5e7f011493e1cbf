"""No change to the desk's records without its audit row (console/store/pg_audited.py): an agent's own PostgreSQL
role, in a SQL session of its own past the door guard (whose setting any session may set), is refused at its
commit when it changes a ticket, the timeline, findings, time, an offer, a customer or a subscription with no
audit row of its own in the same transaction, and may not audit an action the role map does not allow it; the
console's own work as that role still passes. Real roles in a throw-away cluster of this module's own
(tests/pg_engine.py); the SQLSTATEs and "SET CONSTRAINTS" semantics are PostgreSQL's (its "SET CONSTRAINTS" and
"CREATE TRIGGER" pages: a constraint trigger DEFERRABLE INITIALLY DEFERRED runs at the commit)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from console.demo.workspace import generate
from console.desk.door import Desk as ConsoleDesk
from console.desk.identity import current_agent
from console.plugins.host import load_plugins
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from console.tickets.ops import NewTicket
from tests.conftest import NOW
from tests.pg_engine import throwaway_cluster
from tests.test_cli_postgresql import csp, said
from tests.test_pg_grants import ROLES, Desk, _role

pytestmark = [pytest.mark.xdist_group("pg_grants"), pytest.mark.postgresql_own]

UNAUDITED = "with no audit row of its own in the same transaction"
AUDIT = (
    "INSERT INTO audit_log (id, at, agent, action, entity, entityId, detail, hash) SELECT max(id) + 1, "
    "'2026-11-23T03:00:00Z', session_user, %s, 'ticket', 'x', '{}', 'x' FROM audit_log"
)
#: Raw changes of each kind of record, as an agent who wants to cheat would type them.
CHEATS = (
    ("tickets", "UPDATE tickets SET assignee = session_user WHERE seq = (SELECT min(seq) FROM tickets)"),
    ("tickets", "UPDATE tickets SET status = 'resolved' WHERE seq = (SELECT min(seq) FROM tickets)"),
    ("tickets", "UPDATE tickets SET customerId = (SELECT max(id) FROM customers), version = version + 1"),
    (
        "timeline",
        "INSERT INTO timeline (ticketSeq, kind, author, createdDate, text) "
        "SELECT min(seq), 'note', 'kenji.sato', '2026-11-23T03:00:00Z', 'I said so' FROM tickets",
    ),
    ("timeline", "DELETE FROM timeline WHERE id = (SELECT max(id) FROM timeline)"),
    (
        "findings",
        "INSERT INTO findings (ticketSeq, plugin, checkId, family, severity, title, createdDate) "
        "SELECT min(seq), 'azure', 'x', 'technical', 'info', 'all is well', '2026-11-23T03:00:00Z' FROM tickets",
    ),
    (
        "time_entries",
        "INSERT INTO time_entries (ticketSeq, customerId, agent, minutes, workDate, createdDate) "
        "SELECT seq, customerId, 'kenji.sato', 600, '2026-11-23', '2026-11-23T03:00:00Z' FROM tickets LIMIT 1",
    ),
    ("customers", "UPDATE customers SET companyName = 'someone else' WHERE id = (SELECT min(id) FROM customers)"),
    ("subscriptions", "DELETE FROM subscriptions WHERE id = (SELECT min(id) FROM subscriptions)"),
    ("support_offers", "UPDATE support_offers SET price = '0'"),
    ("holidays", "INSERT INTO holidays (id, calendar, date, name) VALUES ('jp/2026-12-24', 'jp', '2026-12-24', 'x')"),
    (
        "mail_contacts",
        "INSERT INTO mail_contacts (email, customerId, name, addedDate, addedBy) "
        "SELECT 'boss@rival.example', min(id), 'x', '2026-11-23T03:00:00Z', 'kenji.sato' FROM customers",
    ),
)
TABLES = sorted({table for table, _ in CHEATS})


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """A demo desk (owner ``csp``) set up for its agents' own roles by ``workspace grants``, in a cluster of its
    own (the LOGIN roles are the whole cluster's)."""
    with throwaway_cluster() as cluster:
        url = cluster.new_database()
        with Workspace.open(url) as ws:
            generate(ws, tickets=40, seed=11, now=NOW)
        for login in ROLES:
            _role(cluster, login)
        made = Desk(cluster, url.rsplit("/", 1)[1], tmp_path_factory.mktemp("audited"))
        code, text = made.grants()
        assert code == 0, text
        code, text = made.grants()  # (run again, as after adding agents: nothing it took away comes back)
        assert code == 0, text
        tables = (
            "tickets, timeline, findings, ticket_fields, time_entries, support_offers, customers, subscriptions, "
            "holidays, mail_contacts"
        )
        assert f"changed only with an audit row of the agent's own: {tables}" in text, text
        yield made


def _door(desk: Desk, login: str, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    conn = psycopg.connect(
        host="127.0.0.1", port=desk.cluster.port, user=login, dbname=desk.database, autocommit=autocommit
    )
    conn.execute("SET csp.door = 'on'")  # (the door guard's setting is the session's own)
    conn.commit()  # (kept by the session past the rollbacks of its transactions)
    return conn


def _contents(desk: Desk) -> dict[str, str]:
    """Each record table's rows as the owner sees them, as one digest."""
    with psycopg.connect(desk.url) as owner:
        return {
            t: str(
                owner.execute(
                    f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x"
                ).fetchone()
            )
            for t in TABLES
        }


def test_every_kind_of_record_changed_with_no_audit_row_is_refused_at_its_commit(desk: Desk) -> None:
    before = _contents(desk)
    assert all(before.values())
    with _door(desk, "maria.garcia") as conn:
        for table, statement in CHEATS:
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
                conn.execute(statement)  # type: ignore[arg-type]
                pytest.fail(f"let through: {statement}")
            said = str(refused.value)
            assert f"a change to {table} by maria.garcia {UNAUDITED}" in said, (statement, said)
            assert refused.value.sqlstate == "42501"
    assert _contents(desk) == before  # nothing of them stayed


def test_the_refusal_waits_for_the_commit_and_cannot_be_put_off(desk: Desk) -> None:
    """The console writes the audit row after the change, so the check runs at the commit; a session may make it
    run sooner (SET CONSTRAINTS … IMMEDIATE) but not turn it off: the trigger and the replica mode are the
    owner's and a superuser's."""
    with _door(desk, "maria.garcia", autocommit=False) as conn:
        assert conn.execute(CHEATS[0][1]).rowcount == 1  # type: ignore[arg-type]  # (taken, for now)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=UNAUDITED):
            conn.commit()
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=UNAUDITED):
            conn.execute(CHEATS[0][1])  # type: ignore[arg-type]
        conn.rollback()
        for statement in (
            "ALTER TABLE tickets DISABLE TRIGGER csp_audited",
            "DROP TRIGGER csp_audited ON tickets",
            "SET session_replication_role = replica",
            "INSERT INTO csp_audited_tx (tx) VALUES (pg_current_xact_id())",
            "SELECT count(*) FROM csp_audited_tx",
            "CREATE OR REPLACE FUNCTION csp_require_audit() RETURNS trigger LANGUAGE plpgsql "
            "AS 'BEGIN RETURN NULL; END'",
        ):
            with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedObject)):
                conn.execute(statement)  # type: ignore[arg-type]
            conn.rollback()


def test_with_an_audit_row_of_its_own_the_change_is_let_through(desk: Desk) -> None:
    """What the console does (the change and its audit row in one transaction) passes, whatever the row says (the
    database does not tie the row to the change: the README says so). Rolled back: a raw audit row breaks the
    chain (test_pg_own_names checks the chain)."""
    for login in ("maria.garcia", "priya.nair"):  # (a Sales agent too: its console's background work audits)
        with _door(desk, login, autocommit=False) as conn:
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
            conn.execute(AUDIT, ("ticket.note",))
            assert conn.execute(CHEATS[0][1]).rowcount == 1  # type: ignore[arg-type]
            conn.rollback()


def test_an_audit_row_out_of_the_chains_order_is_refused(desk: Desk) -> None:
    """An audit row numbered at the end of bigint stopped every console's audit (the next id is out of range), and
    one numbered past a gap feigns removed rows: a member's row must be the chain's next (a review's finding)."""
    forged = (
        "INSERT INTO audit_log (id, at, agent, action, entity, entityId, detail, hash) VALUES "
        "(%s, '2026-11-23T03:00:00Z', session_user, 'ticket.note', 'ticket', 'x', '{}', 'x')"
    )
    with _door(desk, "priya.nair", autocommit=False) as conn:
        last = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]  # type: ignore[index]
        for number in (9223372036854775807, last + 5, last):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not the next one of the chain"):
                conn.execute(forged, (number,))
            conn.rollback()
        conn.execute(forged, (last + 1,))  # (the next: passes, then undone)
        conn.rollback()


def test_the_sla_clock_and_a_claims_renewal_change_without_an_audit_row(desk: Desk) -> None:
    """The columns the console keeps without an audit row of their own (the SLA clock, recomputed from the ticket's
    history by every console; a live claim's renewal) are left out of the check; the owner is never checked."""
    with _door(desk, "maria.garcia") as conn:
        renewed = "UPDATE tickets SET slaDueDate = slaDueDate, claimedUntil = claimedUntil WHERE isOpen = 1"
        assert conn.execute(renewed + " AND (assignee = session_user OR claimedUntil IS NULL)").rowcount > 0
    with psycopg.connect(desk.url, autocommit=True) as owner:
        owner.execute("SET csp.door = 'on'")
        assert owner.execute("UPDATE tickets SET title = title WHERE seq = (SELECT min(seq) FROM tickets)").rowcount


def test_the_console_works_a_ticket_through_as_the_agents_own_role(desk: Desk, tmp_path: Path) -> None:
    """Every change of a ticket's life as maria.garcia's own role (Helpdesk agent), and an offer changed by kenji.sato
    (Global admin): each lands, with its audit row."""
    config = tmp_path / "config.toml"
    write_demo_config(config)
    ws = Workspace.open(desk.url_as("maria.garcia"))
    console = ConsoleDesk(ws, load_config(config), load_plugins(), current_agent(ws, env={}), lambda: NOW)
    try:
        customer = ws.conn.execute("SELECT customerId FROM tickets ORDER BY seq LIMIT 1").fetchone()[0]
        ticket_id = console.log_ticket(
            NewTicket(customer, "phone", "請求書の金額を確認したい", "本文", contact_name="佐藤")
        )
        console.claim(ticket_id)
        console.note(ticket_id, "確認します")
        console.set_status(ticket_id, "in_progress")
        console.classify(ticket_id, severity="moderate")
        console.billing.log_time(ticket_id, 15, "電話")
        console.check(ticket_id)
        console.check(ticket_id)  # (again, the same checks: written again, audited once for the batch)
        console.release(ticket_id)
        console.set_status(ticket_id, "resolved", "answered")
        console.renew([ticket_id])
    finally:
        console.close()
        ws.close()
    admin_ws = Workspace.open(desk.url_as("kenji.sato"))
    admin = ConsoleDesk(admin_ws, load_config(config), load_plugins(), current_agent(admin_ws, env={}), lambda: NOW)
    try:
        admin.offers.update(customer, {"price": "12000"})
        admin.offers.add_holiday("jp", date(2026, 12, 31), "大晦日")
        admin.offers.remove_holiday("jp", date(2026, 12, 31))
        admin.mail.intake().assign_sender("keiri@sakura-shoji.co.jp", customer, "経理部")
    finally:
        admin.close()
        admin_ws.close()
    with psycopg.connect(desk.url) as owner:
        row = owner.execute("SELECT status, assignee FROM tickets WHERE id = %s", (ticket_id,)).fetchone()
        actions = [
            r[0]
            for r in owner.execute(
                "SELECT action FROM audit_log WHERE entityId = %s AND agent = 'maria.garcia' ORDER BY id", (ticket_id,)
            )
        ]
    assert row == ("resolved", None), row
    with psycopg.connect(desk.url) as owner:
        offer = owner.execute("SELECT price FROM support_offers WHERE customerId = %s", (customer,)).fetchone()
    assert offer == ("12000",), offer
    with psycopg.connect(desk.url) as owner:
        contact = owner.execute(
            "SELECT customerId, addedBy FROM mail_contacts WHERE email = 'keiri@sakura-shoji.co.jp'"
        )
        assert contact.fetchone() == (customer, "kenji.sato")
        assert owner.execute("SELECT count(*) FROM holidays WHERE id = 'jp/2026-12-31'").fetchone() == (0,)
    assert {"ticket.create", "ticket.claim", "ticket.note", "ticket.status", "ticket.classify"} <= set(actions), actions


def test_an_import_in_batches_as_the_agents_own_role(desk: Desk, tmp_path: Path) -> None:
    """An import into a desk that has tickets commits batch by batch; each batch carries its own audit row
    (``import.batch``), so a Global admin's own role imports a new customer and renames another."""
    with psycopg.connect(desk.url) as owner:
        known = owner.execute("SELECT id, domain FROM customers ORDER BY id LIMIT 1").fetchone()
    assert known is not None
    new = "0f0e0d0c-0b0a-4908-8706-050403020100"
    path = tmp_path / "customers.csv"
    path.write_text(
        f"id,domain,companyName\n{known[0]},{known[1]},北斗電機（新社名）\n{new},shinsei.example,新星商事株式会社\n",
        encoding="utf-8",
    )
    done = csp(desk.home, "import", "--db", desk.url_as("kenji.sato"), str(path))
    assert done.returncode == 0, said(done)
    with psycopg.connect(desk.url) as owner:
        names = owner.execute("SELECT companyName FROM customers WHERE id IN (%s, %s) ORDER BY id", (new, known[0]))
        assert sorted(r[0] for r in names) == sorted(["北斗電機（新社名）", "新星商事株式会社"])
        batch = owner.execute(
            "SELECT agent, detail FROM audit_log WHERE action = 'import.batch' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert batch is not None and batch[0] == "kenji.sato" and f"{path}:2-3" in batch[1], batch


def test_the_audit_chain_names_the_note_when_it_was_changed(desk: Desk) -> None:
    """``audit verify`` knows the grants' own trigger on the audit log word for word: intact as the grants made it,
    named when its function does anything else (the owner's change here; the grants put it back)."""
    done = csp(desk.home, "audit", "verify", "--db", desk.url_as("kenji.sato"))
    assert done.returncode == 0 and "intact" in done.stdout, said(done)
    with psycopg.connect(desk.url, autocommit=True) as owner:
        owner.execute(
            "CREATE OR REPLACE FUNCTION csp_note_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
            "AS 'BEGIN INSERT INTO csp_audited_tx (tx) VALUES (pg_current_xact_id()); RETURN NULL; END'"
        )
    try:
        done = csp(desk.home, "audit", "verify", "--db", desk.url_as("kenji.sato"))
        assert done.returncode != 0 and "trigger csp_note_audit on audit_log is not the console's" in done.stdout, said(
            done
        )
    finally:
        code, text = desk.grants()
        assert code == 0, text
    done = csp(desk.home, "audit", "verify", "--db", desk.url_as("kenji.sato"))
    assert done.returncode == 0 and "intact" in done.stdout, said(done)


def test_an_agent_has_no_table_of_its_own_to_run_the_owners_functions_on(desk: Desk) -> None:
    """The way round the audit row a review found: a temporary table of the agent's own named like the desk's
    (PostgreSQL searches pg_temp first where a search_path does not name it), with the owner's trigger functions
    hung on it, ran the agent's code as the owner. Now an agent has no TEMP on the database, calls no trigger
    function, and every SECURITY DEFINER function searches the schema, then pg_temp."""
    with _door(desk, "maria.garcia") as conn:
        for statement in (
            "CREATE TEMP TABLE csp_sequence (name text PRIMARY KEY, seq bigint)",
            "CREATE TEMP TABLE audit_log (id bigint)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)  # type: ignore[arg-type]
        functions = conn.execute(
            "SELECT p.proname, p.prorettype = 'trigger'::regtype, has_function_privilege(p.oid, 'EXECUTE') "
            "FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace"
        ).fetchall()
    callable_ = {name for name, _, may in functions if may}
    assert {"csp_may", "csp_door"} <= callable_
    assert not [name for name, trigger, may in functions if trigger and may]
    assert {"csp_note_audit", "csp_require_audit", "audit_log_chained_counter_fn"} <= {n for n, t, _ in functions if t}
    with psycopg.connect(desk.url) as owner:
        pinned = owner.execute(
            "SELECT proname, proconfig FROM pg_proc WHERE pronamespace = current_schema()::regnamespace AND prosecdef"
        ).fetchall()
    assert pinned and all(c == ["search_path=public, pg_temp"] for _, c in pinned), pinned
    with psycopg.connect(desk.url) as owner, owner.transaction(force_rollback=True):
        owner.execute("CREATE TABLE bait (action text)")  # (the owner's own: its trigger functions check their table)
        owner.execute("CREATE TRIGGER n AFTER INSERT ON bait FOR EACH ROW EXECUTE FUNCTION csp_note_audit('x')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="runs only before the audit log's new rows"):
            owner.execute("INSERT INTO bait VALUES ('ticket.note')")
    fresh = desk.cluster.new_database()  # (a desk never set up for agents: the migrations pin the counters too)
    Workspace.open(fresh).close()
    with psycopg.connect(fresh) as owner:
        made = owner.execute("SELECT proconfig FROM pg_proc WHERE proname = 'audit_log_chained_counter_fn'").fetchone()
    assert made == (["search_path=public, pg_temp"],), made


def test_a_member_through_another_role_is_an_agent_too(desk: Desk) -> None:
    with psycopg.connect(desk.cluster.url("postgres"), autocommit=True) as su:
        su.execute("CREATE ROLE team_tokyo NOLOGIN")
        su.execute("CREATE ROLE eve LOGIN")
        su.execute(f'GRANT "csp_agents_{desk.database}" TO team_tokyo')
        su.execute("GRANT team_tokyo TO eve")
    with _door(desk, "eve") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege, match=f"by eve {UNAUDITED}"):
        conn.execute(CHEATS[0][1])  # type: ignore[arg-type]


def test_a_closed_tickets_clock_and_another_agents_claim_need_their_audit_row(desk: Desk) -> None:
    """The columns left out of the check are those the console keeps without an audit row: an open ticket's clock
    and one's own claim. A closed ticket's breach (no console recomputes it) and another's claim are not."""
    with _door(desk, "maria.garcia") as conn:
        for statement in (
            "UPDATE tickets SET resolutionBreachedDate = NULL, firstResponseBreachedDate = NULL WHERE isOpen = 0",
            "UPDATE tickets SET claimedUntil = '2026-01-01T00:00:00Z' WHERE assignee IS DISTINCT FROM session_user",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=UNAUDITED):
                conn.execute(statement)  # type: ignore[arg-type]
        assert conn.execute("UPDATE tickets SET slaDueDate = slaDueDate WHERE isOpen = 1").rowcount > 0
        conn.execute("UPDATE tickets SET claimedUntil = claimedUntil WHERE assignee = session_user AND isOpen = 1")


def test_a_column_a_migration_adds_is_watched_too(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """A later migration's new column joins the watched ones in the migration's own transaction (the triggers list
    the columns when they are made). A desk of its own: it ends at a version no console has."""
    from console.store import migrations

    url = desk.cluster.new_database()
    with Workspace.open(url) as ws:
        generate(ws, tickets=5, seed=3, now=NOW)
    other = Desk(desk.cluster, url.rsplit("/", 1)[1], desk.home)
    code, text = other.grants()
    assert code == 0, text

    def m999_ticket_colour(db: Any) -> None:
        db.execute("ALTER TABLE tickets ADD COLUMN colour TEXT")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m999_ticket_colour])
    Workspace.open(url).close()  # (the owner's console applies it)
    with _door(other, "maria.garcia") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege, match=UNAUDITED):
        conn.execute("UPDATE tickets SET colour = 'red'")
