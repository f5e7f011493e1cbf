"""An agent's own PostgreSQL role writes the audit log, the escalations' outbox and the mail outbox in its own name
only (console/store/pg_policies.py): raw rows naming another agent, or 'system', are refused by the server with
SQLSTATE 42501, while the console's own work as that role (escalating and the Microsoft round, replies and the
mail round, the background jobs, the Partner Center sync) still passes and its audit rows name the role. Real
roles in the worker's throw-away cluster (tests/pg_engine.py), a real Microsoft sandbox on 127.0.0.1 and a real
SMTP server (tests/mail_smtpd.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from console.background.jobs import Jobs, console_jobs
from console.demo.workspace import generate
from console.desk.door import Desk as ConsoleDesk
from console.desk.identity import current_agent
from console.mail.intake import Arrival
from console.plugins.host import load_plugins
from console.sandbox import Sandbox
from console.sandbox.seed import state_from_workspace
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from tests.conftest import NOW, SANDBOX_ENV, set_policy
from tests.mail_smtpd import PASSWORD, USER, SmtpServer
from tests.pg_engine import throwaway_cluster
from tests.test_cli_postgresql import csp, said
from tests.test_mail_intake import mail
from tests.test_mail_sending import Clock
from tests.test_pg_grants import ROLES, Desk, _role

pytestmark = [pytest.mark.xdist_group("pg_grants"), pytest.mark.postgresql_own]

REFUSED = "new row violates row-level security policy"
AUDIT = (
    "INSERT INTO audit_log (id, at, agent, action, entity, entityId, detail, hash) SELECT max(id) + 1, "
    "'2026-11-23T03:00:00Z', {}, 'test', 'x', 'x', '{{}}', 'x' FROM audit_log"
)


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[Any]:
    """A cluster of this module's own: the LOGIN roles ``--create-logins`` makes for every demo agent are the
    whole cluster's, and tests/test_pg_grants.py counts a desk's members among the cluster's roles (on the
    worker's shared cluster its set-up then saw aiko.tanaka and li.wei too, depending on the order of modules)."""
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def desk(pg_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """A demo desk (owner ``csp``) set up for its agents' own roles by ``workspace grants --create-logins``."""
    url = pg_cluster.new_database()
    with Workspace.open(url) as ws:
        generate(ws, tickets=120, seed=7, now=NOW)
        set_policy(ws, {"mail.acknowledge": True})
    for login in ROLES:
        _role(pg_cluster, login)
    made = Desk(pg_cluster, url.rsplit("/", 1)[1], tmp_path_factory.mktemp("own-names"))
    code, text = made.grants("--create-logins")
    assert code == 0, text
    yield made


def _through_the_door(desk: Desk, login: str) -> psycopg.Connection[Any]:
    """A raw session of ``login`` past the door guard (its setting is the session's own: csp_door() would refuse
    first otherwise, with the same SQLSTATE), so what refuses is the row-level security or the grants."""
    conn = desk.connect(login)
    conn.execute("SET csp.door = 'on'")
    return conn


def _refused(conn: psycopg.Connection[Any], statement: str, said: str = REFUSED) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        conn.execute(statement)  # type: ignore[arg-type]
    assert refused.value.sqlstate == "42501" and said in str(refused.value), refused.value


def _count(desk: Desk, query: str, *args: Any) -> int:
    with psycopg.connect(desk.url) as owner:
        row = owner.execute(query, args).fetchone()  # type: ignore[arg-type]
    return int(row[0]) if row else -1


def test_an_audit_row_in_another_name_is_refused(desk: Desk) -> None:
    before = _count(desk, "SELECT count(*) FROM audit_log")
    with _through_the_door(desk, "maria.garcia") as conn:
        for forged in ("'kenji.sato'", "'system'", "'microsoft-sync'", "upper(session_user)"):
            _refused(conn, AUDIT.format(forged))
        conn.execute(f'SET ROLE "csp_agents_{desk.database}"')  # current_user is the group now; the login stays
        _refused(conn, AUDIT.format("current_user"))
        with conn.transaction(force_rollback=True):  # its own name passes (a raw row breaks the chain: undone)
            conn.execute(AUDIT.format("session_user"))  # type: ignore[arg-type]
    with psycopg.connect(desk.url) as owner, owner.transaction(force_rollback=True):
        owner.execute(AUDIT.format("'system'"))  # type: ignore[arg-type]  # (the owner is not under the policy)
    assert _count(desk, "SELECT count(*) FROM audit_log") == before


def _seed_rows(desk: Desk) -> dict[str, int]:
    """As the owner: kenji.sato's escalation with a delivery made and one failed, and his reply sent by mail (none
    that a round of another test would send)."""
    with psycopg.connect(desk.url, autocommit=True) as owner:
        owner.execute("SET csp.door = 'on'")
        seq = owner.execute("SELECT min(seq) FROM tickets").fetchone()[0]  # type: ignore[index]
        esc = owner.execute(
            "INSERT INTO escalations (ticketSeq, vehicle, state, title, createdBy, createdDate) "
            "VALUES (%s, 'advanced', 'pending', 'x', 'kenji.sato', '2026-11-23') RETURNING id",
            (seq,),
        ).fetchone()[0]  # type: ignore[index]
        owner.execute(
            "INSERT INTO outbox (escalationId, kind, name, requestId, payload, createdBy, createdDate, state) "
            "VALUES (%s, 'create', 'n1', 'r1', '{}', 'kenji.sato', '2026-11-23', 'delivered'), "
            "(%s, 'note', 'n2', 'r2', '{}', 'kenji.sato', '2026-11-23', 'failed')",
            (esc, esc),
        )
        message = owner.execute(
            "INSERT INTO mail_messages (messageId, direction, state, ticketSeq, receivedDate, author) "
            "VALUES ('<seed@x>', 'out', 'sent_reply', %s, '2026-11-23', 'kenji.sato') RETURNING id",
            (seq,),
        ).fetchone()[0]  # type: ignore[index]
        owner.execute(
            "INSERT INTO mail_outbox (messageRow, sender, recipients, createdDate, state) "
            "VALUES (%s, 'support@x', '[\"a@x\"]', '2026-11-23', 'sent')",
            (message,),
        )
    return {"seq": seq, "escalation": esc, "message": message}


def _rows(desk: Desk) -> tuple[int, ...]:
    """How many rows the outboxes, the escalations, the outgoing mails and the raw mails have (as the owner)."""
    tables = ("outbox", "mail_outbox", "escalations", "mail_messages", "mail_blobs")
    return tuple(_count(desk, f"SELECT count(*) FROM {t}") for t in tables)


def test_the_outboxes_written_behind_the_console_are_refused(desk: Desk) -> None:
    rows = _seed_rows(desk)
    esc, message, seq = rows["escalation"], rows["message"], rows["seq"]
    outbox = "INSERT INTO outbox (escalationId, kind, name, requestId, payload, createdBy, createdDate) VALUES "
    before = _rows(desk)
    with _through_the_door(desk, "maria.garcia") as helpdesk:  # (a Helpdesk agent may escalate)
        _refused(helpdesk, outbox + f"({esc}, 'note', 'x', 'x', '{{}}', 'kenji.sato', 'x')")  # another's name
        _refused(helpdesk, outbox + f"({esc}, 'create', 'x', 'x', '{{}}', session_user, 'x')")  # another's case
        _refused(helpdesk, outbox + f"({esc}, 'other', 'x', 'x', '{{}}', session_user, 'x')")  # no such delivery
        _refused(helpdesk, f'UPDATE outbox SET payload = \'{{"title": "x"}}\' WHERE escalationId = {esc}', "denied")
        _refused(helpdesk, f"UPDATE outbox SET createdBy = session_user WHERE escalationId = {esc}", "denied")
        _refused(helpdesk, "DELETE FROM outbox", "permission denied")
        _refused(helpdesk, f"UPDATE escalations SET azureSubscriptionId = 'x' WHERE id = {esc}", "permission denied")
        _refused(helpdesk, "DELETE FROM escalations", "permission denied")
        _refused(
            helpdesk,
            "INSERT INTO escalations (ticketSeq, vehicle, state, createdBy, createdDate) "
            f"VALUES ({seq}, 'advanced', 'pending', 'kenji.sato', 'x')",
        )
        mail_outbox = "INSERT INTO mail_outbox (messageRow, sender, recipients, createdDate) VALUES "
        _refused(helpdesk, mail_outbox + f"({message}, 'support@x', '[\"b@x\"]', 'x')")  # kenji's message
        _refused(
            helpdesk,
            "INSERT INTO mail_messages (messageId, direction, state, receivedDate, author) "
            "VALUES ('<forged@x>', 'out', 'sent_reply', 'x', 'kenji.sato')",
        )
        _refused(helpdesk, "UPDATE mail_outbox SET recipients = '[\"b@x\"]'", "permission denied")
        _refused(helpdesk, "UPDATE mail_messages SET body = 'x', rawSha256 = 'x'", "permission denied")
        _refused(helpdesk, "DELETE FROM mail_outbox", "permission denied")
        _refused(helpdesk, "INSERT INTO mail_blobs (sha256, size, data) VALUES (repeat('0', 64), 1, 'x')")
        with helpdesk.transaction(force_rollback=True):  # (what stays possible: in its own name, with the role)
            helpdesk.execute(outbox + f"({esc}, 'note', 'x', 'x', '{{}}', session_user, 'x')")  # type: ignore[arg-type]
    with _through_the_door(desk, "tom.becker") as billing:  # (a Billing admin may not escalate)
        _refused(billing, outbox + f"({esc}, 'note', 'x', 'x', '{{}}', session_user, 'x')")
        _refused(
            billing,
            "INSERT INTO escalations (ticketSeq, vehicle, state, createdBy, createdDate) "
            f"VALUES ({seq}, 'advanced', 'pending', session_user, 'x')",
        )
        requeued = billing.execute("UPDATE outbox SET state = 'pending' WHERE state = 'failed'")
        assert requeued.rowcount == 0  # (a failed delivery is put back only with ticket.escalate)
        # The Microsoft round on a Billing admin's console cancels the pending update of a case Microsoft closed
        # (console/store/escalations.py): allowed, as the courier's other outcomes are.
        with psycopg.connect(desk.url, autocommit=True) as owner:  # (a pending update, as a reclassify queues it)
            owner.execute("SET csp.door = 'on'")
            owner.execute(
                "INSERT INTO outbox (escalationId, kind, name, requestId, payload, createdBy, createdDate, state) "
                "VALUES (%s, 'update', 'u1', 'ru1', '{}', 'kenji.sato', '2026-11-23', 'pending')",
                (esc,),
            )
        cancelled = billing.execute(
            "UPDATE outbox SET state = 'cancelled' WHERE escalationId = %s AND kind = 'update' AND state = 'pending'",
            (esc,),
        )
        assert cancelled.rowcount == 1
        with psycopg.connect(desk.url, autocommit=True) as owner:
            owner.execute("SET csp.door = 'on'")
            owner.execute("DELETE FROM outbox WHERE requestId = 'ru1'")
    assert _rows(desk) == before


def _console(desk: Desk, login: str, config: Path, clock: Callable[[], datetime] = lambda: NOW) -> ConsoleDesk:
    """The console's desk on a session of ``login``'s own role: the agent is what the server says it is."""
    ws = Workspace.open(desk.url_as(login))
    agent = current_agent(ws, env={})
    assert agent == login
    return ConsoleDesk(ws, load_config(config), load_plugins(), agent, clock)


def _audit_agents(desk: Desk, after: int, actions: tuple[str, ...]) -> set[str]:
    with psycopg.connect(desk.url) as owner:
        rows = owner.execute(
            "SELECT DISTINCT agent FROM audit_log WHERE id > %s AND action = ANY(%s)", (after, list(actions))
        ).fetchall()
    return {str(r[0]) for r in rows}


@pytest.fixture
def sandbox(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Workspace.open(desk.url) as ws, Sandbox(state_from_workspace(ws)) as box:
        for var in ("CSP_CONSOLE_PARTNER_CENTER_URL", "CSP_CONSOLE_AZURE_MANAGEMENT_URL"):
            monkeypatch.setenv(var, box.url)
        for var, value in SANDBOX_ENV.items():
            monkeypatch.setenv(var, value)
        yield box


def test_escalating_and_the_microsoft_round_as_the_agents_own_role(
    desk: Desk, sandbox: Sandbox, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    write_demo_config(config)
    last = _count(desk, "SELECT max(id) FROM audit_log")
    console = _console(desk, "maria.garcia", config)
    try:
        ticket_id = console.ws.conn.execute(
            "SELECT id FROM tickets WHERE isOpen = 1 AND service = 'azure' AND category = 'technical' "
            "AND status != 'waiting_microsoft' AND title LIKE 'Production VMs%' ORDER BY seq LIMIT 1"
        ).fetchone()[0]
        stored = console.escalate(console.escalation_draft(ticket_id, "advanced"))
        assert console.microsoft_sync(poll=False).delivered  # the courier, as maria.garcia
        assert console.message_microsoft(stored["id"], "Logs attached.")
        severity = "moderate" if console.ws.tickets.ticket(ticket_id)["severity"] != "moderate" else "minimal"  # type: ignore[index]
        console.classify(ticket_id, severity=severity)  # (a case update queued in the outbox)
        report = console.microsoft_sync()
        assert report.ok and len(report.delivered) == 2, report
    finally:
        console.close()
        console.ws.close()
    assert len(sandbox.state.tickets) == 1
    actions = ("ticket.escalate", "escalation.create", "escalation.delivered", "escalation.message", "ticket.classify")
    assert _audit_agents(desk, last, actions) == {"maria.garcia"}
    with psycopg.connect(desk.url) as owner:
        made = owner.execute(
            "SELECT kind, createdBy, state FROM outbox WHERE escalationId = %s ORDER BY id", (stored["id"],)
        ).fetchall()
    assert made == [
        ("create", "maria.garcia", "delivered"),
        ("note", "maria.garcia", "delivered"),
        ("update", "maria.garcia", "delivered"),
    ]


def test_the_partner_center_sync_as_the_agents_own_role(desk: Desk, sandbox: Sandbox, tmp_path: Path) -> None:
    """The sync's updates of records were audited as ``microsoft-sync``; as an agent's own role they name it."""
    config = tmp_path / "config.toml"
    write_demo_config(config)
    with psycopg.connect(desk.url, autocommit=True) as owner:
        owner.execute("SET csp.door = 'on'")
        owner.execute("UPDATE customers SET companyName = companyName || ' (old)'")  # (the sync puts it back)
        gone = owner.execute("DELETE FROM subscriptions WHERE id = (SELECT min(id) FROM subscriptions) RETURNING id")
        subscription = gone.fetchone()[0]  # type: ignore[index]  # (the sync adds it again: audited, pg_audited)
    last = _count(desk, "SELECT max(id) FROM audit_log")
    console = _console(desk, "kenji.sato", config)
    try:
        report = console.partner.sync()
    finally:
        console.close()
        console.ws.close()
    assert report.customers > 0
    assert _audit_agents(desk, last, ("customer.update",)) == {"kenji.sato"}
    assert _audit_agents(desk, last, ("subscription.sync", "customer.sync")) == {"kenji.sato"}
    with psycopg.connect(desk.url) as owner:
        pages = owner.execute("SELECT detail FROM audit_log WHERE id > %s AND action = 'subscription.sync'", (last,))
        assert any(subscription in str(d) for (d,) in pages)  # (the page that added it back names it)
    assert _count(desk, "SELECT count(*) FROM subscriptions WHERE id = %s", subscription) == 1


def _mail_config(path: Path, server: SmtpServer) -> Path:
    path.write_text(
        '[partner]\nname = "Sakura Cloud Partners"\n\n'
        '[mail]\naddress = "support@sakura-cloud.example"\ndisplay_name = "Sakura Cloud Partners"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {server.port}\nsmtp_security = "{server.security}"\n'
        f'smtp_username = "{USER}"\nca_bundle = "{server.ca_file}"\ntimeout_seconds = 5\npoll_seconds = 60\n',
        encoding="utf-8",
    )
    return path


def test_mail_and_the_background_jobs_as_the_agents_own_role(
    desk: Desk, smtp_server: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Mail taken in and replied to, a claim left to expire, then every background job of the console (claim
    expiry, the breach sweep, health samples, the mail round, the audit chain's check) run as maria.garcia: none
    fails, the replies reach the SMTP server, and the expired claim's audit row names her, not 'system'."""
    monkeypatch.setenv("CSP_CONSOLE_MAIL_PASSWORD", PASSWORD)
    server = smtp_server("starttls")
    clock = Clock()
    last = _count(desk, "SELECT max(id) FROM audit_log")
    console = _console(desk, "maria.garcia", _mail_config(tmp_path / "config.toml", server), clock)
    try:
        raw = mail(message_id="<own-names@sakura-shoji.co.jp>", subject="請求書について")
        taken = console.mail.acknowledging_intake().take(Arrival(raw, NOW - timedelta(minutes=5)))
        assert taken.state == "ticket" and taken.ticket_id
        console.mail.reply(taken.ticket_id, "確認いたします。")
        claimed = console.ws.conn.execute(
            "SELECT id FROM tickets WHERE isOpen = 1 AND assignee IS NULL ORDER BY seq LIMIT 1"
        ).fetchone()[0]
        console.claim(claimed)
        clock.now = NOW + timedelta(days=2)
        jobs, runner = console_jobs(console, clock), Jobs(clock)
        assert {"claim-expiry", "breach-sweep", "mail", "audit-chain"} <= {j.name for j in jobs}
        for job in jobs:
            outcome = runner.run(job)
            assert outcome.error is None, (job.name, outcome.error)
        runner.release(jobs)
    finally:
        console.close()
        console.ws.close()
    assert len(server.received) == 2  # the intake's acknowledgement and the reply
    assert _audit_agents(desk, last, ("ticket.claim_expired", "ticket.reply", "ticket.claim")) == {"maria.garcia"}
    sent = "SELECT count(*) FROM mail_outbox o JOIN mail_messages m ON m.id = o.messageRow WHERE o.state = 'sent' "
    assert _count(desk, sent + "AND m.author = 'maria.garcia'") == 2


def test_the_audit_chain_is_whole_under_the_policies(desk: Desk) -> None:
    """Row-level security on audit_log is no trigger of a stranger: ``audit verify`` finds the chain intact, as the
    agents' own roles wrote it (run after the other tests of this module on the same desk, or alone)."""
    done = csp(desk.home, "audit", "verify", "--db", desk.url_as("kenji.sato"))
    assert done.returncode == 0 and "intact" in done.stdout, said(done)


def test_set_role_does_not_change_who_the_console_says_the_agent_is(desk: Desk) -> None:
    """The console's agent is the login the server authenticated (session_user), as the policies check: a
    session that switched to the desk's group role (SET ROLE, PostgreSQL's "Session Information Functions":
    it changes current_user only) is still its login, not the group and not the database's owner."""
    from console.store.db_identity import session_role

    with Workspace.open(desk.url_as("maria.garcia")) as ws:
        assert session_role(ws) == ("maria.garcia", False)
        ws.conn.execute(f'SET ROLE "csp_agents_{desk.database}"')
        assert session_role(ws) == ("maria.garcia", False)
