"""The command line: demo, import, export, config, first run; exit codes and messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli.main import main
from console.demo.first_run import open_or_create
from console.settings.paths import default_config_path, default_db_path, log_path
from console.shared.errors import WorkspaceError
from console.store import Workspace

EXAMPLES = Path(__file__).parent.parent / "examples" / "import"


def test_demo_command_writes_workspace_and_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db), "--tickets", "120", "--seed", "2", "--now", "2026-11-23T03:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "120 tickets" in out and str(db) in out
    assert default_config_path().exists()
    # A second run refuses to overwrite.
    assert main(["demo", "--db", str(db)]) == 1
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--tickets", "-1"], "--tickets"), (["--now", "yesterday"], "--now")],
)
def test_demo_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str) -> None:
    assert main(["demo", "--db", str(tmp_path / "d.db"), *args]) == 2  # a value of the wrong form (issue 19, item 9)
    assert words in capsys.readouterr().err
    assert not (tmp_path / "d.db").exists()


def test_import_and_export_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.db"
    files = [str(p) for p in sorted(EXAMPLES.iterdir())]
    assert main(["import", "--db", str(db), *files]) == 0
    assert "tickets: 3 new" in capsys.readouterr().out
    assert main(["export", "--db", str(db), "--kind", "customers", "-o", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["companyName"] for line in lines] == ["北斗電機株式会社", "Alpine Winery LLC"]
    out_dir = tmp_path / "out"
    assert main(["export", "--db", str(db), "--format", "csv", "-o", str(out_dir)]) == 0
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "customers.csv",
        "holidays.csv",
        "offers.csv",
        "receivable_lines.csv",
        "receivables.csv",
        "subscriptions.csv",
        "tickets.csv",
    ]
    assert main(["export", "--db", str(db), "-o", "-"]) == 1
    assert "exactly one --kind" in capsys.readouterr().err


def test_import_failure_exits_non_zero_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.db"
    bad = tmp_path / "tickets.jsonl"
    bad.write_text('{"customerId": "0f8c2a4e-1111-4c1e-9a51-000000000001", "channel": "pigeon"}\n', encoding="utf-8")
    assert main(["import", "--db", str(db), str(EXAMPLES / "customers.jsonl"), str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1: field 'channel'" in err and "Nothing was imported" in err
    assert main(["export", "--db", str(db), "--kind", "customers", "-o", "-"]) == 0
    assert capsys.readouterr().out == ""


def test_export_of_missing_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--db", str(tmp_path / "nope.db"), "-o", str(tmp_path)]) == 1
    assert f"no workspace at {tmp_path / 'nope.db'}: create one" in capsys.readouterr().err


@pytest.mark.sqlite_only("a file (an empty database: tests/test_cli_postgresql.py)")
@pytest.mark.parametrize("command", [["ticket", "show", "CSP-000001"], ["audit", "verify"], ["agents", "list"]])
def test_a_read_command_on_an_empty_file_says_so_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    assert main([*command, "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert f"the workspace {db} is empty (0 bytes): create one with `csp-console import --db {db}" in err
    assert "Global admin" not in err  # (it said to ask one, in a workspace that has none)
    assert db.stat().st_size == 0 and sorted(tmp_path.iterdir()) == [db]


@pytest.mark.parametrize("url", ["postgresq://root@127.0.0.1:5432/desk", "mysql://x:secret@y/z"])
def test_a_url_of_another_scheme_is_refused_not_taken_for_a_path(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped scheme was a file's path: the error lost a slash and ``demo --db`` made folders ``mysql:/x@y/``
    (a new user's walk-through). Refused by the argument, naming the scheme, no password shown, nothing made."""
    monkeypatch.chdir(tmp_path)
    for argv in (["demo", "--db", url], ["ticket", "show", "CSP-000001", "--db", url]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"unknown scheme '{url.split(':', 1)[0]}'" in err and "secret" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_config_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "does not exist: defaults" in out and "advanced_support = false" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[partner]\nname = 1\n", encoding="utf-8")
    assert main(["config", "show", "--config", str(bad)]) == 1
    assert f"{bad}:2: partner.name" in capsys.readouterr().err


@pytest.mark.parametrize("named_by", ["--config", "$CSP_CONSOLE_CONFIG"])
def test_a_named_config_file_that_is_not_there_is_refused(
    demo_ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    named_by: str,
) -> None:
    """A mistyped --config (or a desk's file gone) was read as no settings at all: the partner's contracts,
    keys and mail left out without a word."""
    typo = tmp_path / "confg.toml"
    option = ["--config", str(typo)] if named_by == "--config" else []
    if named_by != "--config":
        monkeypatch.setenv("CSP_CONSOLE_CONFIG", str(typo))
    assert main(["policy", "show", "--db", str(demo_ws.locator), *option]) == 1
    assert capsys.readouterr().err == (
        f"csp-console: error: {typo}: no config file here (named by {named_by}): give the path of an existing "
        "file, or name none for the default\n"
    )
    assert main(["config", "path", *option]) == 0  # (where it is read from: said, there or not)
    assert capsys.readouterr().out == f"{typo}\n"
    assert not typo.exists()


def test_env_var_chooses_workspace_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSP_CONSOLE_DB", str(tmp_path / "env.db"))
    monkeypatch.setenv("CSP_CONSOLE_CONFIG", str(tmp_path / "env.toml"))
    assert default_db_path() == tmp_path / "env.db"
    assert default_config_path() == tmp_path / "env.toml"


def test_first_run_creates_demo_then_reopens(tmp_path: Path) -> None:
    db = default_db_path()
    assert not db.exists()
    opened = open_or_create(db, default_config_path(), tickets=50)
    assert opened.notice and "demo one with 50 tickets" in opened.notice
    assert db.name in opened.notice and default_config_path().name in opened.notice
    assert opened.workspace.records.counts()["tickets"] == 50
    opened.workspace.close()
    again = open_or_create(db, default_config_path())
    assert again.notice is None
    assert again.workspace.records.counts()["tickets"] == 50
    again.workspace.close()


def test_diagnostics_go_to_the_log_file(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = subprocess.run(
        [sys.executable, "-m", "console.cli", "demo", "--db", str(tmp_path / "d.db"), "--tickets", "30"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # piped: no progress bar, no log lines
    logs = list((tmp_path / "state").rglob("console.log"))
    assert logs and "demo written" in logs[0].read_text(encoding="utf-8")
    assert log_path().name == "console.log"


def test_readme_starts_with_the_two_commands_and_its_picture_exists() -> None:
    import re
    from urllib.parse import unquote

    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split("#")[0].strip() for line in block] == ["make run", "make test"]
    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme):
        assert (root / unquote(target)).exists(), target


def test_make_run_with_a_password_in_its_args_never_prints_it(tmp_path: Path) -> None:
    """`make run ARGS='--db postgresql://user:secret@…'` (the README's form): make echoes a recipe's command
    line unless told not to, so the password was printed before the console, which hides it, even started
    (found by a new user's walk-through, 2026-12-07; `make run-postgresql` is kept quiet the same way,
    tests/test_run_postgresql.py). The install is not redone (``-o`` its stamp)."""
    root = Path(__file__).parent.parent
    env = {**os.environ, "HOME": str(tmp_path)}
    proc = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "run",
         "ARGS=--db postgresql://user:secret@127.0.0.1:1/x"],
        cwd=root, capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    said = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "cannot connect" in said, said
    assert "secret" not in said and "user:***@127.0.0.1:1/x" in said, said


def test_the_sandboxs_next_steps_followed_literally_sync_the_workspace_it_serves(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    """`csp-console sandbox --db PATH` prints what to run in another terminal; run as printed there (another
    directory, no --db), `csp-console sync` fills the sandbox's workspace, not the default one. README's
    sandbox paragraph says the same."""
    db = demo_ws.locator
    box = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "sandbox", "--db", str(db), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert box.stdout is not None
        printed: list[str] = []
        while not printed or not printed[-1].startswith("Ctrl-C stops it."):
            line = box.stdout.readline()
            assert line, box.stderr.read() if box.stderr else "the sandbox ended"
            printed.append(line)
        exports = [line.strip() for line in printed if line.strip().startswith("export ")]
        shown = Path(db).resolve() if demo_ws.engine == "sqlite" else demo_ws.location  # (a URL: without its password)
        assert exports[0] == f"export CSP_CONSOLE_DB={shown}"
        steps = [line.split("#")[0].strip() for line in printed if line.strip().startswith("csp-console ")]
        assert steps == ["csp-console sync"]
        elsewhere = tmp_path / "another-terminal"
        elsewhere.mkdir()
        script = "\n".join([f'csp-console() {{ "{sys.executable}" -m console.cli "$@"; }}', *exports, *steps])
        agent = {**os.environ, "CSP_CONSOLE_AGENT": "kenji.sato"}  # an agent, as `demo` makes its writer
        done = subprocess.run(
            ["bash", "-c", script], cwd=elsewhere, capture_output=True, text=True, check=False, env=agent
        )
        assert done.returncode == 0, done.stderr
        assert "Synced" in done.stdout and "customers" in done.stdout
        assert not default_db_path().exists()  # the default workspace was never written
        with Workspace.open(db, create=False) as ws:
            assert ws.microsoft.sync_state("partner_center") is not None
    finally:
        box.send_signal(signal.SIGINT)
        box.wait(10)
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    paragraph = readme.split("**Try it without credentials.**", 1)[1].split("\n\n", 1)[0]
    assert "CSP_CONSOLE_DB" in paragraph and f"{len(exports)} `export` lines" in paragraph


def test_the_first_run_notice_fits_a_toast_at_80_columns(
    tmp_path: Path, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new-user trial: the first-run toast wrapped its paths mid-name. Short lines, each path on its own
    (``~`` for home, a long one split after its directory), at most 34 columns but the first line's words."""
    monkeypatch.setenv("HOME", str(isolated_dirs))
    db, config = default_db_path(), default_config_path()
    opened = open_or_create(db, config, tickets=20)
    assert opened.notice is not None
    opened.workspace.close()
    lines = opened.notice.splitlines()
    assert lines[0] == "No workspace yet: created a demo one with 20 tickets."
    assert all(len(line) <= 34 for line in lines[1:]), lines
    said = "".join(line.strip() for line in lines if line.startswith(("~", " ")))
    home = str(isolated_dirs)
    assert said == f"{db}{config}".replace(home, "~"), lines  # each path whole, in order


def test_a_missing_workspace_at_a_configured_path_is_refused_never_a_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deployed workspace gone missing (`--db`, `CSP_CONSOLE_DB`) must not become a demo whose first login is a
    Global admin: one sentence naming the path and what to do; nothing is created there."""
    db = tmp_path / "srv" / "workspace.db"
    assert main(["--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"csp-console: error: no workspace at {db}: create one with `csp-console import --db {db} FILE...` (or "
        f"restore a backup), or write a demo there with `csp-console demo --db {db}`\n"
    )
    assert not db.exists() and not db.parent.exists()
    monkeypatch.setenv("CSP_CONSOLE_DB", str(db))
    assert main([]) == 1
    assert f"no workspace at {db}" in capsys.readouterr().err
    assert not db.exists()


def test_an_empty_workspace_file_at_a_configured_path_is_refused_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "workspace.db"
    db.touch()  # 0 bytes: a failed copy, a truncated restore
    assert main(["--db", str(db)]) == 1
    assert f"the workspace {db} is empty (0 bytes): create one with" in capsys.readouterr().err
    assert db.stat().st_size == 0
    with pytest.raises(WorkspaceError, match="is empty"):
        open_or_create(db, tmp_path / "config.toml", tickets=20, personal=False)
    assert db.stat().st_size == 0 and not (tmp_path / "config.toml").exists()


def test_the_demo_at_a_configured_path_only_when_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.db"
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "aiko.tanaka")
    assert main(["demo", "--db", str(db), "--tickets", "20", "--config", str(tmp_path / "c.toml")]) == 0
    opened = open_or_create(db, tmp_path / "c.toml", personal=False)
    assert opened.notice is None and opened.workspace.records.counts()["tickets"] == 20
    opened.workspace.close()
