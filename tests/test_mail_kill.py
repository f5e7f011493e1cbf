"""The mail runner killed with SIGKILL at random moments (``csp-console mail fetch`` and ``send-pending`` in
child processes, against pymap and aiosmtpd on 127.0.0.1, on a real workspace file), then run to the end: 0
duplicate tickets, 0 lost mails, 0 replies sent twice.

Why it holds: a mail is stored with its ticket in one transaction and moved out of the inbox only after that
commit (console/mail/fetching.py), and the mailbox's UID under its UIDVALIDITY (RFC 3501 section 2.3.1.1) and
the Message-ID are unique in the workspace; a reply is marked ``sending`` before its SMTP conversation and a
reply found ``sending`` by the next holder of the mail lease is uncertain, never sent again by itself
(console/mail/sending.py)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from console.desk.door import Desk
from console.mail.intake import Arrival
from console.plugins.host import load_plugins
from console.settings.config import load_config
from console.store import Workspace
from tests import mail_corpus as corpus
from tests.conftest import NOW
from tests.mail_imapd import PASSWORD, Imapd, folders
from tests.mail_smtpd import SmtpServer
from tests.test_mail_runner import AGENT, CUSTOMER_DOMAIN, DESK_ADDRESS, write_config

KILLS = 6
#: Replies owed: at a quarter of a second each, more than the kills leave time to send.
REPLIES = 40
#: Mails in the inbox: each kill of `mail fetch` comes at a random point of a round over the ones left.
MAILS = 240


def start(config: Path, db: Path | str, action: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CSP_CONSOLE_AGENT": AGENT, "CSP_CONSOLE_MAIL_PASSWORD": PASSWORD}
    return subprocess.Popen(
        [sys.executable, "-m", "console.cli", "--db", str(db), "--config", str(config), "mail", action],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def kill_at_random(
    config: Path, db: Path | str, action: str, rng: random.Random, progress: Callable[[], int] | None = None
) -> list[float]:
    """Start ``mail ACTION`` and SIGKILL it :data:`KILLS` times; the moments (seconds after its start) of the
    kills that struck a running round (a round that ended first is not counted).

    Without ``progress`` a kill comes after a random delay. With it (a count the round raises as it works,
    read from the workspace), a kill comes once the count has risen by a random number of steps, then a random
    few milliseconds later: a round's length depends on the machine (240 mails took 4 s on one, 0.4 s on
    another), its progress does not, so every kill lands inside a round, at a random point of it."""
    moments = []
    for _ in range(KILLS):
        proc = start(config, db, action)
        started = time.monotonic()
        if progress is None:
            deadline = started + rng.uniform(0.4, 2.0)  # the start-up takes about half a second
        else:
            target = progress() + rng.randint(1, max(1, (MAILS - progress()) // 2))
            while proc.poll() is None and progress() < target and time.monotonic() < started + 60:
                time.sleep(0.001)
            deadline = time.monotonic() + rng.uniform(0.0, 0.005)
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            moments.append(round(time.monotonic() - started, 3))
        proc.communicate()
    return moments


def run_to_the_end(config: Path, db: Path | str, action: str) -> str:
    done = start(config, db, action)
    out, err = done.communicate(timeout=180)
    assert done.returncode in (0, 1), err
    return out


@pytest.fixture
def servers(pymapd: Imapd, smtp_server: object, monkeypatch: pytest.MonkeyPatch) -> tuple[Imapd, SmtpServer]:
    import tests.mail_smtpd as smtpd

    monkeypatch.setattr(smtpd, "PASSWORD", PASSWORD)  # the mailbox account's one password for both
    monkeypatch.setenv("CSP_CONSOLE_MAIL_PASSWORD", PASSWORD)
    return pymapd, smtp_server("starttls")  # type: ignore[operator]


def test_fetch_killed_at_random_moments_stores_each_mail_once_and_loses_none(
    demo_ws: Workspace, tmp_path: Path, servers: tuple[Imapd, SmtpServer]
) -> None:
    imapd, smtp = servers
    inbox, processed = folders()
    config = write_config(tmp_path, imapd, smtp, inbox, processed)
    mails = []
    for n in range(MAILS):
        sender = f"担当{n} <user{n}@{CUSTOMER_DOMAIN}>" if n % 4 else f"Stranger {n} <s{n}@unknown-{n}.example>"
        mails.append(
            corpus.japanese_iso2022jp(
                from_=sender, to=DESK_ADDRESS, subject=f"お問い合わせ {n}", message_id=f"<k{n}@x.example>"
            )
        )
    imapd.put(inbox, *mails)
    rng = random.Random(int(os.environ.get("MAIL_KILL_SEED", time.time_ns() % 10_000)))

    def stored_so_far() -> int:
        return int(demo_ws.conn.execute("SELECT count(*) FROM mail_messages WHERE direction = 'in'").fetchone()[0])

    delays = kill_at_random(config, demo_ws.locator, "fetch", rng, stored_so_far)
    assert len(delays) >= KILLS - 1, f"the kills did not strike running rounds (kills at {delays})"
    partly = demo_ws.conn.execute("SELECT count(*) FROM mail_messages WHERE direction = 'in'").fetchone()[0]
    for _ in range(5):  # a round reads at most its limit; the last round finds nothing left
        run_to_the_end(config, demo_ws.locator, "fetch")
        if not imapd.listing(inbox):
            break
    stored = Counter(r[0] for r in demo_ws.conn.execute("SELECT messageId FROM mail_messages WHERE direction = 'in'"))
    assert sorted(stored) == sorted(f"k{n}@x.example" for n in range(MAILS)), f"lost or extra (kills at {delays})"
    assert set(stored.values()) == {1}
    assert partly < MAILS, "the kills never stopped a round before its end"
    states = Counter(r[0] for r in demo_ws.conn.execute("SELECT state FROM mail_messages WHERE direction = 'in'"))
    assert states == {"ticket": MAILS * 3 // 4, "unmatched": MAILS // 4}, f"kills at {delays}"
    tickets = demo_ws.conn.execute(
        "SELECT count(*), count(DISTINCT title) FROM tickets WHERE title LIKE 'お問い合わせ %'"
    ).fetchone()
    assert tuple(tickets) == (MAILS * 3 // 4,) * 2, f"a duplicate ticket (kills at {delays})"
    assert imapd.listing(inbox) == {} and len(imapd.listing(processed)) == MAILS


def test_send_pending_killed_at_random_moments_sends_no_reply_twice(
    demo_ws: Workspace, tmp_path: Path, servers: tuple[Imapd, SmtpServer]
) -> None:
    imapd, smtp = servers
    inbox, processed = folders()
    config = write_config(tmp_path, imapd, smtp, inbox, processed)
    desk = Desk(demo_ws, load_config(config), load_plugins(), AGENT, lambda: NOW)
    for n in range(REPLIES):
        raw = corpus.japanese_iso2022jp(
            from_=f"担当{n} <user{n}@{CUSTOMER_DOMAIN}>", to=DESK_ADDRESS, message_id=f"<r{n}@x.example>"
        )
        taken = desk.mail.intake().take(Arrival(raw, NOW))
        assert taken.ticket_id
        desk.mail.answer(taken.ticket_id, f"確認いたします ({n})。")
    smtp.faults.slow_reply = 0.25  # each reply's 250 comes late: kills land inside SMTP conversations
    rng = random.Random(int(os.environ.get("MAIL_KILL_SEED", time.time_ns() % 10_000)))
    delays = kill_at_random(config, demo_ws.locator, "send-pending", rng)
    assert len(delays) >= KILLS // 2, "the kills did not strike running rounds"
    smtp.faults.slow_reply = 0.0
    run_to_the_end(config, demo_ws.locator, "send-pending")
    received = Counter(str(message_from_bytes(r.raw, policy=default)["Message-ID"]).strip("<>") for r in smtp.received)
    assert max(received.values()) == 1, f"a reply sent twice (kills at {delays})"
    rows = demo_ws.conn.execute(
        "SELECT o.state, m.messageId FROM mail_outbox o JOIN mail_messages m ON m.id = o.messageRow"
    ).fetchall()
    assert len(rows) == REPLIES
    by_state = Counter(state for state, _ in rows)
    assert set(by_state) <= {"sent", "uncertain"}, by_state
    for state, message_id in rows:
        if state == "sent":
            assert received[message_id] == 1  # delivered, once
        else:
            assert received[message_id] <= 1  # killed in its conversation: it may have gone out, once at most
    assert by_state["uncertain"] <= KILLS  # at most one reply in flight per kill


def test_two_runners_at_once_store_each_mail_once(
    demo_ws: Workspace, tmp_path: Path, servers: tuple[Imapd, SmtpServer]
) -> None:
    """Two ``mail fetch`` started together (two hosts' consoles, a cron job beside a console): one holds the mail
    lease and reads, the other says who does; every mail is stored once."""
    imapd, smtp = servers
    inbox, processed = folders()
    config = write_config(tmp_path, imapd, smtp, inbox, processed)
    imapd.put(
        inbox,
        *(
            corpus.japanese_iso2022jp(
                from_=f"担当{n} <user{n}@{CUSTOMER_DOMAIN}>", to=DESK_ADDRESS, message_id=f"<two{n}@x.example>"
            )
            for n in range(30)
        ),
    )
    first, second = (start(config, demo_ws.locator, "fetch") for _ in range(2))
    outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    assert sum("reads this workspace's mail (it holds the mail lease" in out for out in outputs) <= 1
    run_to_the_end(config, demo_ws.locator, "fetch")
    stored = Counter(r[0] for r in demo_ws.conn.execute("SELECT messageId FROM mail_messages WHERE direction = 'in'"))
    assert len(stored) == 30 and set(stored.values()) == {1}
    assert imapd.listing(inbox) == {}
