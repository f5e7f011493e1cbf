"""SVG snapshots of mail in the console at 80x24 and 160x48 (fixed clock, no blink): the Unmatched mail screen
(Japanese senders and subjects lined up, hostile text shown literally) and a ticket with its mail and attachments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.store import Workspace
from tests import mail_corpus
from tests.conftest import NOW
from tests.engine_ws import Where
from tests.engine_ws import demo_copy_fixture as demo_copy_fixture
from tests.test_ui_mail import CUSTOMER_MAIL, HOSTILE_SUBJECT, mail_app
from tests.ui import settle

SIZES = [(80, 24), (160, 48)]
Steps = Callable[[Pilot[None]], Awaitable[None]]


async def unmatched(pilot: Pilot[None]) -> None:
    await settle(pilot)
    app: Any = pilot.app
    for raw in (
        mail_corpus.japanese_iso2022jp(from_="髙橋 花子 <hanako.takahashi@gmail.com>", message_id="<s-1@gmail.com>"),
        mail_corpus.hostile_text(),
        mail_corpus.utf8_plain(from_="Chen Wei <chen@outlook.example>", subject=HOSTILE_SUBJECT),
    ):
        assert app.desk.mail.take(raw).state == "unmatched"
    await pilot.press("e")
    await settle(pilot)


async def unmatched_read(pilot: Pilot[None]) -> None:
    await unmatched(pilot)
    await pilot.press("down", "enter")  # the hostile mail, read
    await settle(pilot)


async def ticket_mail(pilot: Pilot[None]) -> None:
    await settle(pilot)
    app: Any = pilot.app
    taken = app.desk.mail.take(mail_corpus.multipart_with_attachments(from_=CUSTOMER_MAIL))
    app.open_ticket(taken.ticket_id)
    await settle(pilot)
    app.screen.query_one("#mail-title").scroll_visible(animate=False, top=True)
    await settle(pilot)


SCREENS: dict[str, Steps] = {"unmatched": unmatched, "unmatched_read": unmatched_read, "ticket_mail": ticket_mail}
CASES = [(name, size) for name in SCREENS for size in SIZES]


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{w}x{h}" for n, (w, h) in CASES])
def test_snapshot(
    snap_compare: object, demo_copy: Callable[..., Where], tmp_path: Path, case: tuple[str, tuple[int, int]]
) -> None:
    """Each screen on its own copy of the demo (the mails taken in it), the time frozen in what is written."""
    app = mail_app(Workspace.open(demo_copy("snap"), clock=lambda: NOW), tmp_path)
    assert snap_compare(app, terminal_size=case[1], run_before=SCREENS[case[0]])  # type: ignore[operator]
