"""Long text in $EDITOR (issue 19, "Long text in $EDITOR"): the core part, with real editor programs (small
scripts the test writes), and ctrl+o in the note dialog and the escalation form, driven with Pilot."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from textual.widgets import TextArea

from console.sandbox import Sandbox
from console.screens.dialogs import TextPrompt
from console.screens.escalate import EscalationForm
from console.shared import external_editor
from console.shared.external_editor import NoEditor, editor_command
from console.store import Workspace
from tests.test_escalation import pick
from tests.test_ui_escalation import open_form
from tests.ui import make_app, settle


def editor(tmp_path: Path, body: str, name: str = "fake-editor") -> Path:
    """An editor program: a Python script run as ``fake-editor FILE`` (``path`` is the file it edits); it also
    records the file's mode and its command line next to itself."""
    script = tmp_path / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, stat, json, pathlib\n"
        "path = pathlib.Path(sys.argv[-1])\n"
        "seen = {'argv': sys.argv[1:], 'mode': stat.S_IMODE(os.stat(path).st_mode),\n"
        "        'dir_mode': stat.S_IMODE(os.stat(path.parent).st_mode), 'text': path.read_text('utf-8')}\n"
        f"pathlib.Path({str(script) + '.seen'!r}).write_text(json.dumps(seen), 'utf-8')\n" + body,
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def seen(script: Path) -> dict[str, object]:
    import json

    return json.loads(Path(f"{script}.seen").read_text("utf-8"))  # type: ignore[no-any-return]


APPEND_JA = "path.write_text(path.read_text('utf-8') + '\\n金額を確認しました。', 'utf-8')\n"


# -- which editor ------------------------------------------------------------------------------------
def test_visual_before_editor_and_arguments_split_as_a_shell_would() -> None:
    found = {"code": "/usr/bin/code", "vim": "/usr/bin/vim", "vi": "/usr/bin/vi"}.get
    assert editor_command({"VISUAL": "code -w", "EDITOR": "vi"}, found) == ["code", "-w"]
    assert editor_command({"EDITOR": "vim -c 'set ft=markdown'"}, found) == ["vim", "-c", "set ft=markdown"]
    assert editor_command({"VISUAL": "  ", "EDITOR": "vi"}, found) == ["vi"]
    assert editor_command({}, found) == ["/usr/bin/vi"]  # the fallback, only because it is there


def test_no_editor_is_said_clearly() -> None:
    with pytest.raises(NoEditor, match="set VISUAL or EDITOR"):
        editor_command({}, lambda name: None)
    with pytest.raises(NoEditor, match="'emacsclient', which is not found"):
        editor_command({"EDITOR": "emacsclient -t"}, lambda name: None)
    with pytest.raises(NoEditor, match="cannot be read as a command"):
        editor_command({"EDITOR": "vim -c 'set ft"}, lambda name: "/usr/bin/vim")


# -- one edit ----------------------------------------------------------------------------------------
def test_the_text_goes_through_a_private_file_and_comes_back(tmp_path: Path) -> None:
    script = editor(tmp_path, APPEND_JA)
    edited = external_editor.edit("Checked the invoice", "Internal note on CSP-000001", command=[str(script)])
    assert edited.text == "Checked the invoice\n金額を確認しました。"
    record = seen(script)
    assert record["mode"] == 0o600 and record["dir_mode"] == 0o700 and record["text"] == "Checked the invoice"
    path = Path(record["argv"][-1])  # type: ignore[index]
    assert path.name == "Internal-note-on-CSP-000001.md" and not path.exists() and not path.parent.exists()


def test_a_failing_or_emptying_editor_leaves_the_text(tmp_path: Path) -> None:
    failing = editor(tmp_path, "path.write_text('lost', 'utf-8'); sys.exit(3)\n", "failing")
    edited = external_editor.edit("keep me", "note", command=[str(failing)])
    assert edited.text is None and "status 3" in edited.notice
    emptying = editor(tmp_path, "path.write_text('\\n  \\n', 'utf-8')\n", "emptying")
    edited = external_editor.edit("keep me", "note", command=[str(emptying)])
    assert edited.text is None and "empty" in edited.notice
    interrupted = editor(tmp_path, "import signal; os.kill(os.getpid(), signal.SIGINT)\n", "interrupted")
    edited = external_editor.edit("keep me", "note", command=[str(interrupted)])
    assert edited.text is None and "stopped by SIGINT" in edited.notice
    latin1 = editor(tmp_path, "path.write_bytes(b'caf\\xe9')\n", "latin1")
    edited = external_editor.edit("keep me", "note", command=[str(latin1)])
    assert edited.text is None and "not UTF-8" in edited.notice


def test_ctrl_c_in_the_editor_is_the_editors(tmp_path: Path) -> None:
    """ctrl+c in a terminal signals the whole foreground process group: the console must live on (as git does,
    it ignores SIGINT while it waits). Run in a process of its own, in a session of its own, so that the group
    signalled is not the test run's."""
    import subprocess

    script = editor(tmp_path, "import signal; os.killpg(os.getpgrp(), signal.SIGINT)\n")
    program = (
        "from console.shared import external_editor\n"
        f"edited = external_editor.edit('keep me', 'note', command=[{str(script)!r}])\n"
        "print('alive:', edited.notice)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, start_new_session=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "alive: The editor was stopped by SIGINT" in done.stdout


def test_an_editor_command_with_arguments_runs_without_a_shell(tmp_path: Path) -> None:
    script = editor(tmp_path, "path.write_text(' '.join(sys.argv[1:-1]), 'utf-8')\n")
    edited = external_editor.edit("x", "note", command=[str(script), "-c", "set ft=markdown; rm -rf /"])
    assert edited.text == "-c set ft=markdown; rm -rf /"


# -- in the console ----------------------------------------------------------------------------------
async def test_ctrl_o_in_the_note_dialog_brings_the_editor_text_back(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = editor(tmp_path, APPEND_JA)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{script} --wait")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket("CSP-000001")
        await settle(pilot)
        await pilot.press("n", *"Called the customer")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TextPrompt)
        assert "$EDITOR" in " ".join(str(b.binding.description) for b in dialog.active_bindings.values())
        await pilot.press("ctrl+o")
        await settle(pilot)
        area = dialog.query_one("#text", TextArea)
        assert area.text == "Called the customer\n金額を確認しました。"
        assert seen(script)["argv"][0] == "--wait"  # type: ignore[index]
        await pilot.press("ctrl+z")  # one edit: undone at once
        assert area.text == "Called the customer"
        await pilot.press("ctrl+o", "ctrl+s")
        await settle(pilot)
        notes = [e["text"] for e in demo_ws.tickets.timeline(demo_ws.tickets.ticket("CSP-000001")["seq"])]  # type: ignore[index]
        assert "Called the customer\n金額を確認しました。" in notes


async def test_a_failing_editor_leaves_the_dialog_text_and_says_so(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = editor(tmp_path, "path.write_text('', 'utf-8'); sys.exit(1)\n")
    monkeypatch.setenv("VISUAL", str(script))
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket("CSP-000001")
        await settle(pilot)
        await pilot.press("r", *"Sent the steps")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.screen.query_one("#text", TextArea).text == "Sent the steps"
        assert any("status 1" in n.message for n in app._notifications)


async def test_escape_sequences_from_the_file_are_shown_literally(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = "ok \\x1b]0;owned\\x07 \\x1b[31mred\\x1b[0m [bold]x[/bold]"
    script = editor(tmp_path, f"path.write_text({hostile!r}, 'utf-8')\n".replace("\\\\", "\\"))
    monkeypatch.setenv("EDITOR", str(script))
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket("CSP-000001")
        await settle(pilot)
        await pilot.press("n", "ctrl+o")
        await settle(pilot)
        area = app.screen.query_one("#text", TextArea)
        assert "\x1b" not in area.text and "\x07" not in area.text
        assert area.text == "ok ␛]0;owned␇ ␛[31mred␛[0m [bold]x[/bold]"
        drawn = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "\x1b" not in drawn and "␛[31mred" in drawn


async def test_no_editor_is_a_notice_and_the_text_stays(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "no-such-editor-here --wait")
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket("CSP-000001")
        await settle(pilot)
        await pilot.press("n", *"typed")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.screen.query_one("#text", TextArea).text == "typed"
        assert any("'no-such-editor-here', which is not found" in n.message for n in app._notifications)


async def test_ctrl_o_in_the_escalation_form_edits_the_case_text(
    sandbox: Sandbox, demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = editor(tmp_path, "path.write_text('Replaced: 仮想マシンが起動しません。\\n', 'utf-8')\n")
    monkeypatch.setenv("EDITOR", str(script))
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, pick(demo_ws, "azure", "technical"))
        form = app.screen
        assert isinstance(form, EscalationForm)
        original = form.query_one("#esc-description", TextArea).text
        await pilot.press("ctrl+o")  # from the title field: it is the case text that is edited
        await settle(pilot)
        assert seen(script)["text"] == original
        assert form.query_one("#esc-description", TextArea).text == "Replaced: 仮想マシンが起動しません。"
        assert app.focused is form.query_one("#esc-description") and form.has_unsaved_input()
        await pilot.press("ctrl+s")
        await settle(pilot)
        (esc,) = demo_ws.escalations.escalations()
        assert esc["description"].startswith("Replaced: 仮想マシンが起動しません。")


def test_the_editor_file_is_private_even_with_a_lax_umask(tmp_path: Path) -> None:
    script = editor(tmp_path, "")
    old = os.umask(0)
    try:
        external_editor.edit("secret", "note", command=[str(script)])
    finally:
        os.umask(old)
    assert seen(script)["mode"] == 0o600
