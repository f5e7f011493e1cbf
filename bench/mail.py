"""The mail intake of issue 20: ``python -m bench.run mail [--quick]``.

10,000 varied messages (2,000 with ``--quick``), built in memory with the test corpus's builders
(:mod:`tests.mail_corpus`), from the demo workspace's customers' domains. Two figures against the floor of the
same run, which is Python's :mod:`email` package alone (parse with the modern policy, read the body's content):

- the intake: :meth:`console.mail.intake.Intake.take` of every message into a real workspace file (the demo),
  each message its own transaction as the runner's fetch does (:func:`console.mail.fetching.fetch`), in
  blocks of 500 messages taken in turn with the floor's;
- the queue's keystrokes while another process takes the same messages into the same file, measured the way
  :mod:`bench.keys` measures them, each against the bare app's as in the main run.

The section is written into ``bench/RESULTS.md`` (or ``RESULTS-quick.md``) in place, its figures kept in
``bench/RESULTS-mail.json`` (``RESULTS-mail-quick.json``) so that the main run writes it again unchanged.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from bench import figures as fx
from bench.common import ROOT, env, machine
from tests import mail_corpus as corpus

HEADING = "## Mail intake (issue 20)"
INTAKE_TARGET = ">= 0.3x"
KEY_TARGET = "<= 2x"  # the keystrokes' target of the main run (bench.run.measure)
AGENT = "aiko.tanaka"
#: The demo the messages go into: 10,000 tickets, 50 customers.
DEMO_TICKETS = 10_000
#: The messages arrive this far apart, the last one just before the clock's now.
SPACING = timedelta(seconds=5)
SLOTS = 10  # messages per cycle: one customer's mails, see build()
ROWS = ("tickets", "mail_messages")  # the tables a mail adds rows to
#: What the runs and the profile of the intake showed (1,000 messages into the 10,000-ticket demo, 2026-12-03).
NOTES = [
    "Intake (target 0.3x): met at 0.32-0.36x in each of the eleven full runs of 2026-12-03 14:54-15:57 UTC, "
    "after two changes the first runs' profile called for (0.17-0.20x before): the "
    "parse builds no header objects (the email package's feed parser with the compat32 policy; under the modern "
    "policy its header registry parsed each part's Content-Type again at every look, most of our parse), and the "
    "sender's customer is found through an index on the directory's lowered addresses (migration 35; before, "
    "each mail scanned the directory's 4,348 rows). What a mail costs now: the new ticket (its indexes, search "
    "entries, triggers, audit entry and SLA clocks in the customer's business hours) about half, our parse a "
    "quarter, the commit of each mail's own transaction most of the rest.",
    "Keystrokes during the intake (target: each p95 within 2x the bare app's under the same load): met in the "
    "run recorded here and in one of the two before it (15:53-15:57 UTC); the other missed by a little (down "
    "2.2x, end 2.1x): a p95 over 6-30 presses is the slowest one or two, on two cores of which the intake "
    "takes one. The medians stay at 62-85 ms (1.0-1.3x). The runs before 15:52 were made with a console left "
    "behind by a killed tmux session taking 87 % of a core (a Textual console whose terminal was closed "
    "under it: see the issue's closing note), and missed one or two keys each. Three changes on the way: the "
    "queue's live reload waits for the agent's keys (console/screens/queue_live.py: 0.4 s without a key, at "
    "most 3 s; the views bar's counts at most every 2 s); a keystroke is timed until its own work is done, "
    "not the console's background jobs' (bench/keys.py had stopped leaving them out when their workers were "
    "renamed job:NAME: a checkpoint of the WAL the intake grows, every 2 s, was timed as a keystroke's); and "
    "the filter key's floor is the bare app's table refilled by a key press, as the console's view keys are "
    "(it was a refill without the key press every other floor has). The main run's keystroke figures above "
    "were measured before the last two.",
]


def _json(quick: bool) -> Path:
    return ROOT / "bench" / ("RESULTS-mail-quick.json" if quick else "RESULTS-mail.json")


def _when(i: int, count: int) -> datetime:
    return fx.NOW - SPACING * (count - i)


def one_message(i: int, count: int, domains: list[str]) -> bytes:
    """The ``i``-th message: cycle ``i // 10`` is one customer's, each slot another kind of mail. Slots 0-6 are
    new requests (ISO-2022-JP, Shift_JIS, UTF-8 quoted-printable, UTF-8 base64, HTML-only, multipart with a
    small PDF, EUC-JP) from the customer's domain; 7 an unknown sender (a public mail domain, or a domain no
    customer has); 8 an auto-reply to slot 0's mail; 9 slot 0's sender answering by References."""
    cycle, slot = divmod(i, SLOTS)
    domain = domains[cycle % len(domains)]
    person = (cycle // len(domains)) % 5  # five people of each customer, one address a slot each
    sender = f"{corpus.JA_NAME} <p{person}.s{slot}@{domain}>"
    first = f"p{person}.s0@{domain}"
    envelope: dict[str, Any] = {
        "from_": sender,
        "message_id": f"<bench-{i}@{domain}>",
        "date": _when(i, count) - timedelta(seconds=30),
    }
    if slot == 0:
        return corpus.japanese_iso2022jp(subject=f"請求書の金額について（{cycle}）", **envelope)
    if slot == 1:
        return corpus.japanese_shift_jis(subject=f"【至急】ライセンスが足りません {cycle}", **envelope)
    if slot == 2:
        return corpus.utf8_plain(subject=f"Licences missing after renewal {cycle}", **envelope)
    if slot == 3:
        return corpus.utf8_plain(subject=f"Sign-in fails for user {cycle}", cte="base64", **envelope)
    if slot == 4:
        return corpus.html_only(subject=f"Subscription suspended {cycle}", **envelope)
    if slot == 5:
        return _with_attachment(cycle, envelope)
    if slot == 6:
        return corpus.japanese_euc_jp(subject=f"請求書の宛名の変更 {cycle}", **envelope)
    if slot == 7:
        stranger = f"someone{cycle}@gmail.com" if cycle % 2 else f"info@unknown{cycle}.example"
        return corpus.utf8_plain(subject=f"Question {cycle}", **{**envelope, "from_": f"Someone <{stranger}>"})
    parent = f"<bench-{i - slot}@{domain}>"
    if slot == 8:
        return corpus.auto_reply(in_reply_to=parent, **{**envelope, "from_": f"Yamada <{first}>"})
    return corpus.reply_by_references(
        parent, from_=f"Yamada <{first}>", message_id=envelope["message_id"], date=envelope["date"]
    )


def _with_attachment(cycle: int, envelope: dict[str, Any]) -> bytes:
    parts = [
        corpus.text_part(f"見積書を添付します。ご確認ください。\n{cycle}\n"),
        corpus.binary_part(corpus.PDF, "application/pdf", "attachment", '; filename="estimate.pdf"'),
    ]
    content = corpus.multipart("mixed", parts, f"bench-boundary-{cycle}")
    return corpus.message(content, corpus.Envelope(subject=f"見積書の件 {cycle}", **envelope))


def build(db: Path, count: int) -> list[bytes]:
    """``count`` messages from the customers of the workspace ``db`` (see :func:`one_message`)."""
    from console.store import Workspace

    ws = Workspace.open(db)
    domains = [str(r[0]) for r in ws.conn.execute("SELECT domain FROM customers ORDER BY id")]
    ws.close()
    return [one_message(i, count, domains) for i in range(count)]


def floor_seconds(raws: list[bytes]) -> float:
    """The floor: seconds of the :mod:`email` package alone over ``raws``, parsing each message with the modern
    policy and reading its body's content (the plain part, else the HTML one)."""
    start = time.perf_counter()
    for raw in raws:
        msg = message_from_bytes(raw, policy=policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_content()
    return time.perf_counter() - start


class Feeder:
    """The runner's side: the workspace ``db`` opened through the desk, its mail intake, every message taken
    as the fetch takes it (one transaction each)."""

    def __init__(self, db: Path) -> None:
        from console.desk.door import Desk
        from console.plugins.host import load_plugins
        from console.settings.config import Config
        from console.store import Workspace

        self.ws = Workspace.open(db)
        self.desk = Desk(self.ws, Config(), load_plugins(installed=False), AGENT, lambda: fx.NOW)
        self.intake = self.desk.mail.intake()

    def take_all(self, raws: list[bytes], first: int = 0, total: int | None = None) -> Counter[str]:
        """Take ``raws``, the messages ``first`` on of ``total`` (all of them by default); their states."""
        from console.mail.intake import Arrival

        states: Counter[str] = Counter()
        for i, raw in enumerate(raws, first):
            arrival = Arrival(raw, _when(i, total or len(raws)), "support@partner.example/INBOX", 7, i + 1)
            states[self.intake.take(arrival).state] += 1
        return states

    def rows(self) -> dict[str, int]:
        return {t: int(self.ws.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in ROWS}

    def close(self) -> None:
        self.ws.close()


def intake(db: Path, raws: list[bytes], block: int = 500) -> dict[str, Any]:
    """Every message through the intake into ``db`` and through the floor, alternating by blocks of ``block``
    messages (so that a slow spell of this shared machine weighs on both), each timed; then all again through
    the intake, which must add no row."""
    feeder = Feeder(db)
    before = feeder.rows()
    states: Counter[str] = Counter()
    ours = floor = 0.0
    for first in range(0, len(raws), block):
        part = raws[first : first + block]
        floor += floor_seconds(part)
        start = time.perf_counter()
        states += feeder.take_all(part, first, len(raws))
        ours += time.perf_counter() - start
    after = feeder.rows()
    again = feeder.take_all(raws)
    final = feeder.rows()
    feeder.close()
    return {
        "rate": len(raws) / ours,
        "floor": len(raws) / floor,
        "states": dict(states),
        "added": {k: after[k] - before[k] for k in after},
        "again": dict(again),
        "again_added": {k: final[k] - after[k] for k in final},
    }


FEED = (
    "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; import bench.mail as m; "
    "raws = m.build(Path(sys.argv[2]), int(sys.argv[3])); f = m.Feeder(Path(sys.argv[2])); "
    "print('ready', flush=True); sys.stdin.readline(); print(sum(f.take_all(raws).values()), flush=True)"
)


def keystrokes_during(db: Path, tmp: Path, count: int, which: str = "console") -> dict[str, Any]:
    """The keystrokes of the console (or of the bare app: ``which``) measured by :func:`bench.keys.run` in this
    process while another process takes ``count`` messages into the workspace file ``db``; whether that intake
    was still running after the last keystroke, and how long it ran."""
    from bench import keys

    feeder = subprocess.Popen(
        [sys.executable, "-c", FEED, str(ROOT), str(db), str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env(tmp),
        cwd=ROOT,
    )
    assert feeder.stdin is not None and feeder.stdout is not None
    if feeder.stdout.readline().strip() != "ready":
        raise RuntimeError("the intake process did not start")
    feeder.stdin.write("go\n")
    feeder.stdin.flush()
    start = time.perf_counter()
    measured = asyncio.run(keys.run(which, str(db)))
    keys_s = time.perf_counter() - start
    overlapped = feeder.poll() is None
    taken = int(feeder.communicate()[0].split()[-1])
    return {
        "keys": measured,
        "keys_s": keys_s,
        "intake_s": time.perf_counter() - start,
        "overlapped": overlapped,
        "taken": taken,
    }


def measure(count: int, tmp: Path) -> dict[str, Any]:
    """Every figure of the mail intake over ``count`` messages, with the counts that show the work was done."""
    from bench.keys import KEYS

    demo = tmp / "mail-demo.db"
    fx.make_demo(demo, DEMO_TICKETS)
    for name in ("intake.db", "keys.db", "bare.db"):
        shutil.copyfile(demo, tmp / name)
    raws = build(demo, count)
    ours = intake(tmp / "intake.db", raws)
    floor = ours["floor"]
    # Each alone (no intake beside it, the main run's measurement), then each while an intake runs beside it.
    alone = {which: fx._in_process(tmp, "run", which, demo) for which in ("console", "bare")}
    bare = keystrokes_during(tmp / "bare.db", tmp, count, "bare")["keys"]
    during = keystrokes_during(tmp / "keys.db", tmp, count)
    figures = {
        "floor": fx.Figure("floor: the email package alone (parse, body's content)", floor, floor, "msgs/s", ""),
        "intake": fx.Figure(
            f"intake of {count:,} messages, one transaction each", ours["rate"], floor, "msgs/s", INTAKE_TARGET
        ),
    }
    for key in KEYS:
        c, b = during["keys"][key], bare[key]
        figures[f"key.{key}"] = fx.Figure(
            f"keystroke {key} during the intake, p95 (median {c['median_ms']:.1f})",
            c["p95_ms"],
            b["p95_ms"],
            "ms",
            KEY_TARGET,
        )
        figures[f"alone.{key}"] = fx.Figure(
            f"keystroke {key} with no intake, p95",
            alone["console"][key]["p95_ms"],
            alone["bare"][key]["p95_ms"],
            "ms",
            "",
        )
    return {
        "messages": count,
        "bytes": sum(len(r) for r in raws),
        "figures": {k: asdict(f) for k, f in figures.items()},
        "intake": {k: v for k, v in ours.items() if k not in ("rate", "floor")},
        "during": {k: v for k, v in during.items() if k != "keys"},
    }


def section(quick: bool) -> list[str]:
    """The mail intake's section of the results, from the figures its last run kept (none before one)."""
    kept = _json(quick)
    return lines_of(json.loads(kept.read_text(encoding="utf-8"))) if kept.exists() else []


def lines_of(raw: dict[str, Any]) -> list[str]:
    """The section's lines of one run's result (:func:`measure`'s, with its date and machine)."""
    figures = {k: fx.Figure(**f) for k, f in raw["figures"].items()}
    took, during = raw["intake"], raw["during"]
    states = ", ".join(f"{n:,} {s}" for s, n in sorted(took["states"].items()))
    lines = [
        HEADING,
        "",
        f"- date: {raw['date']}",
        f"- machine: {raw['machine']}; load average {' and '.join(f'{x:.1f}' for x in raw['load'])} at the "
        "start and end (other sessions share it)",
        f"- {raw['messages']:,} messages ({raw['bytes'] / 2**20:.1f} MiB) into the demo workspace of "
        f"{DEMO_TICKETS:,} tickets, each its own transaction: {states}; the tickets table grew by "
        f"{took['added']['tickets']:,} rows, mail_messages by {took['added']['mail_messages']:,}",
        f"- the same messages again: {', '.join(f'{n:,} {s}' for s, n in took['again'].items())}, "
        f"{took['again_added']['tickets']} tickets and {took['again_added']['mail_messages']} messages added",
        f"- keystrokes: the console in this process while another took the {during['taken']:,} messages into "
        f"the same file ({during['intake_s']:.1f} s; the keystrokes took {during['keys_s']:.1f} s, "
        + ("all of them during the intake" if during["overlapped"] else "**the intake ended before them**")
        + "); floor: the bare 60-row DataTable app of bench/keys.py measured the same way while the same intake "
        "runs beside it in another process (this machine has two cores, and the bare app's refills slow down "
        "too); the target is the main run's. 'With no intake': the console and the bare app alone, as the "
        "main run measures them, for comparison",
        "",
        "| figure | value | floor | ratio | target | |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures.values():
        verdict = "" if not f.target else ("met" if f.met else "**missed**")
        lines.append(
            f"| {f.name} | {f.value:,.1f} {f.unit} | {f.floor:,.1f} {f.unit} | {f.ratio:.2f} | {f.target} | {verdict} |"
        )
    keys = [f for k, f in figures.items() if k.startswith("key.")]
    worst = max(keys, key=lambda f: f.ratio)
    verdict = "all within target" if all(f.met for f in keys) else "**not all within target**"
    idle = {k: f.value / figures[f"alone.{k[4:]}"].floor for k, f in figures.items() if k.startswith("key.")}
    harsh = max(idle, key=lambda k: idle[k])
    lines += [
        "",
        f"Worst keystroke: {worst.name.split(',')[0]}, {worst.ratio:.2f}x its floor ({verdict}). Against the "
        f"bare app with no intake beside it instead, the worst is {harsh[4:]} at {idle[harsh]:.2f}x.",
        "",
        *[f"- {n}" for n in NOTES],
        "",
    ]
    return lines


def splice(target: Path, lines: list[str]) -> None:
    """Put the section ``lines`` into the results file ``target`` in place of its earlier one (from its heading
    to the next), else before the notes; nothing else in the file changes."""
    old = target.read_text(encoding="utf-8").splitlines() if target.exists() else []
    if HEADING in old:
        start = old.index(HEADING)
        end = next((i for i in range(start + 1, len(old)) if old[i].startswith("## ")), len(old))
    else:
        notes = [i for i, line in enumerate(old) if line.startswith("## What was measured")]
        start = end = notes[0] if notes else len(old)
    target.write_text("\n".join([*old[:start], *lines, *old[end:]]) + "\n", encoding="utf-8")


def main(quick: bool) -> None:
    """Measure, keep the figures, and write the section into the results file."""
    from bench.run import RESULTS, RESULTS_QUICK

    count = 2_000 if quick else 10_000
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        load = [os.getloadavg()[0]]
        result = measure(count, Path(tmp))
        load.append(os.getloadavg()[0])
    minutes = (time.perf_counter() - began) / 60
    result["date"] = f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z} ({minutes:.0f} minutes)"
    result["machine"] = machine()
    result["load"] = load  # the machine is shared: what else ran beside the bench (1-minute load averages)
    _json(quick).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = section(quick)
    print("\n".join(lines))
    splice(RESULTS_QUICK if quick else RESULTS, lines)
