"""The mail intake's benchmark (bench/mail.py) on a few messages: they are what it says (each kind of mail, each
going where it should), the intake's second pass adds nothing, and its section replaces only itself in a results
file."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from bench import figures as fx
from bench import mail
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture


def test_the_messages_parse_and_go_where_each_kind_should_once(demo_copy: Callable[..., Where]) -> None:
    db = demo_copy("intake")
    raws = mail.build(db, 40)
    assert len(set(raws)) == 40
    charsets = {message_from_bytes(r, policy=policy.default).get_content_charset() for r in raws}
    assert {"iso-2022-jp", "shift_jis", "euc-jp", "utf-8"} <= charsets
    result = mail.intake(db, raws, block=15)  # the floor and the intake in turn, the last block short
    # Per cycle of ten: seven new tickets, a reply joined by References, an unknown sender, an auto-reply.
    assert result["states"] == {"ticket": 28, "joined": 4, "unmatched": 4, "ignored": 4}
    assert result["added"] == {"tickets": 28, "mail_messages": 40}
    assert result["again"] == {"duplicate": 40}
    assert result["again_added"] == {"tickets": 0, "mail_messages": 0}
    assert result["rate"] > 0 and result["floor"] > 0


def test_the_section_replaces_only_itself_in_the_results_file(tmp_path: Path) -> None:
    target = tmp_path / "RESULTS.md"
    target.write_text("# Benchmark results\n\n## Scaling\n\n| a |\n\n## What was measured and changed\n\n- n\n")
    key = fx.Figure("keystroke down during the intake, p95", 150.0, 50.0, "ms", mail.KEY_TARGET)
    figures: dict[str, dict[str, Any]] = {
        "floor": fx.Figure("floor", 1000.0, 1000.0, "msgs/s", "").__dict__,
        "intake": fx.Figure("intake", 200.0, 1000.0, "msgs/s", mail.INTAKE_TARGET).__dict__,
        "key.down": key.__dict__,
        "alone.down": fx.Figure("keystroke down with no intake, p95", 80.0, 40.0, "ms", "").__dict__,
    }
    raw: dict[str, Any] = {
        "date": "2026-12-03 13:00 UTC (1 minutes)",
        "machine": "x86_64",
        "load": [1.0, 2.5],
        "messages": 10,
        "bytes": 10_000,
        "figures": figures,
        "intake": {
            "states": {"ticket": 7, "joined": 1, "unmatched": 1, "ignored": 1},
            "added": {"tickets": 7, "mail_messages": 10},
            "again": {"duplicate": 10},
            "again_added": {"tickets": 0, "mail_messages": 0},
        },
        "during": {"taken": 10, "intake_s": 2.0, "keys_s": 1.0, "overlapped": True},
    }
    mail.splice(target, mail.lines_of(raw))
    first = target.read_text()
    assert first.index("## Scaling") < first.index(mail.HEADING) < first.index("## What was measured")
    assert "| intake | 200.0 msgs/s | 1,000.0 msgs/s | 0.20 | >= 0.3x | **missed** |" in first
    assert "- machine: x86_64; load average 1.0 and 2.5 at the start" in first
    assert "3.00x its floor (**not all within target**)" in first
    assert "with no intake beside it instead, the worst is down at 3.75x" in first
    figures["key.down"] = fx.Figure("keystroke down", 60.0, 50.0, "ms", mail.KEY_TARGET).__dict__
    mail.splice(target, mail.lines_of(raw))
    second = target.read_text()
    assert second.count(mail.HEADING) == 1 and "1.20x its floor (all within target)" in second
    assert second.replace(mail.HEADING, "").startswith("# Benchmark results\n\n## Scaling\n\n| a |\n")
    assert second.endswith("## What was measured and changed\n\n- n\n")
