"""``csp-console deploy check`` on the README's recipe and on each unsafe variant of it (no sshd needed: the files
are judged as sshd and sudo read them, ``man sshd_config`` and ``man sudoers``)."""

from __future__ import annotations

import grp
import json
import os
import pwd
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from console.cli import CommandError
from console.cli.deploy import ssh_words
from console.cli.main import main
from console.deploy.check import check_host
from console.store import Workspace
from tests.recipe import SSHD_DROP_IN, SUDOERS_DROP_IN, recipe


@dataclass
class Host:
    """A host set up as the README says, the running user standing for the service account and its primary group
    for the agents' group."""

    root: Path
    srv: Path
    db: Path
    config: Path
    token: Path
    sshd: Path
    sshd_drop_in: Path
    sudoers: Path
    sudoers_drop_in: Path

    def check(self) -> list[str]:
        return [f.line() for f in check_host(self.db, self.config, self.sshd, self.sudoers)]

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {path}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def host(tmp_path: Path) -> Host:
    service = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    srv = tmp_path / "srv"
    srv.mkdir(mode=0o700)
    srv.chmod(0o700)
    db = srv / "workspace.db"
    Workspace.open(db).close()
    db.chmod(0o600)
    token = srv / "refresh-token"
    token.write_text("rt-value\n", encoding="utf-8")
    token.chmod(0o600)
    config = srv / "config.toml"
    config.write_text(f'[microsoft]\nrefresh_token_file = "{token}"\n', encoding="utf-8")
    config.chmod(0o600)
    names = {"service": service, "group": group, "venv": Path("/opt/venv"), "srv": srv}
    (tmp_path / "sshd_config.d").mkdir()
    sshd_drop_in = tmp_path / "sshd_config.d" / "csp-console.conf"
    sshd_drop_in.write_text(recipe(SSHD_DROP_IN, **names), encoding="utf-8")
    sshd = tmp_path / "sshd_config"  # as Debian's: Include first, then its own settings
    sshd.write_text(
        f"Include {tmp_path}/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\n"
        "X11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem sftp /usr/lib/openssh/sftp-server\n",
        encoding="utf-8",
    )
    (tmp_path / "sudoers.d").mkdir()
    sudoers_drop_in = tmp_path / "sudoers.d" / "csp-console"
    sudoers_drop_in.write_text(recipe(SUDOERS_DROP_IN, **names), encoding="utf-8")
    sudoers = tmp_path / "sudoers"  # as Debian's
    sudoers.write_text(
        'Defaults\tenv_reset\nDefaults\tmail_badpass\nDefaults\tsecure_path="/usr/sbin:/usr/bin:/sbin:/bin"\n'
        "Defaults\tuse_pty\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n"
        f"@includedir {tmp_path}/sudoers.d\n",
        encoding="utf-8",
    )
    return Host(tmp_path, srv, db, config, token, sshd, sshd_drop_in, sudoers, sudoers_drop_in)


def test_the_recipe_is_safe(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    assert host.check() == []
    args = ["deploy", "check", "--db", str(host.db), "--config", str(host.config)]
    umask = os.umask(0o077)  # as the recipe's sudo runs the console: the log it writes is private too
    try:
        assert main([*args, "--sshd-config", str(host.sshd), "--sudoers", str(host.sudoers)]) == 0
    finally:
        os.umask(umask)
    assert capsys.readouterr().out == "safe\n"


def _chmod(mode: int, name: str) -> Callable[[Host], None]:
    def change(host: Host) -> None:
        path = host.srv / name if name else host.srv
        if not path.exists():
            path.write_text("", encoding="utf-8")
        path.chmod(mode)

    return change


def _sshd(old: str, new: str) -> Callable[[Host], None]:
    return lambda host: host.edit(host.sshd_drop_in, old, new)


def _sshd_main(line: str) -> Callable[[Host], None]:
    return lambda host: host.edit(host.sshd, "KbdInteractiveAuthentication no\n", f"{line}\n")


def _sudoers(old: str, new: str) -> Callable[[Host], None]:
    return lambda host: host.edit(host.sudoers_drop_in, old, new)


FORCE = "    ForceCommand sudo -n -u "
VARIANTS: dict[str, tuple[Callable[[Host], None], str]] = {
    "group-writable workspace": (_chmod(0o660, "workspace.db"), "the workspace is readable and writable by its group"),
    "world-readable workspace": (_chmod(0o604, "workspace.db"), "the workspace is readable by others"),
    "world-readable token": (_chmod(0o644, "refresh-token"), "the refresh-token file is readable by its group and"),
    "group-readable config": (_chmod(0o640, "config.toml"), "the desk's config is readable by its group"),
    "open directory": (_chmod(0o755, ""), "the workspace's directory is readable by its group and others"),
    "world-readable wal": (_chmod(0o644, "workspace.db-wal"), "the workspace's write-ahead log is readable"),
    "AcceptEnv LOGNAME": (_sshd_main("AcceptEnv LOGNAME"), "AcceptEnv LOGNAME lets an agent send LOGNAME"),
    "AcceptEnv CSP_*": (_sshd("PermitTTY yes", "AcceptEnv CSP_*"), "AcceptEnv CSP_* lets an agent send CSP_CONSOLE_"),
    "AcceptEnv *": (_sshd_main("AcceptEnv *"), "lets an agent send CSP_CONSOLE_AGENT, CSP_CONSOLE_DB"),
    "PermitUserEnvironment": (_sshd_main("PermitUserEnvironment yes"), "PermitUserEnvironment yes"),
    "missing ForceCommand": (_sshd(FORCE, "    # ForceCommand sudo -n -u "), "no ForceCommand running the console"),
    "ForceCommand without sudo": (_sshd("ForceCommand sudo -n -u ", "ForceCommand "), "no ForceCommand running"),
    "forwarding": (_sshd("DisableForwarding yes", "PermitTTY yes"), "AllowTcpForwarding yes for the group"),
    "X11 of Debian's default": (_sshd("DisableForwarding yes", "AllowTcpForwarding no"), "X11Forwarding yes"),
    "sudoers SETENV": (_sudoers("NOPASSWD: ", "NOPASSWD: SETENV: "), "SETENV"),
    "sudoers ALL": (_sudoers("NOPASSWD: CSP_CONSOLE", "NOPASSWD: ALL"), "runs any command"),
    "sudoers any arguments": (_sudoers(" --db ", " \\\n  #--db "), "runs the console with any arguments"),
    "sudoers wildcard": (_sudoers(" ssh-command\n", " *\n"), "runs the console with wildcard arguments"),
    "sudoers a shell": (_sudoers("NOPASSWD: CSP_CONSOLE", "NOPASSWD: CSP_CONSOLE, /bin/sh"), "runs /bin/sh"),
    "sudoers env_keep": (_sudoers('"SSH_ORIGINAL_COMMAND"', '"SSH_ORIGINAL_COMMAND CSP_*"'), "env_keep keeps CSP_*"),
    "sudoers !env_reset": (lambda h: h.edit(h.sudoers, "Defaults\tenv_reset", "Defaults\t!env_reset"), "!env_reset"),
    "sudoers env_keep LOGNAME": (_sudoers("umask = 0077", 'env_keep += "LOGNAME USER"'), "keeps LOGNAME, USER"),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_unsafe_variant_is_flagged(host: Host, variant: str, capsys: pytest.CaptureFixture[str]) -> None:
    change, expected = VARIANTS[variant]
    change(host)
    found = host.check()
    assert any(expected in line for line in found), found
    args = ["deploy", "check", "--db", str(host.db), "--config", str(host.config), "--json"]
    assert main([*args, "--sshd-config", str(host.sshd), "--sudoers", str(host.sudoers)]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["safe"] is False
    assert all(set(f) == {"what", "where", "why", "fix"} for f in answer["findings"])


def test_a_finding_says_where_why_and_how(host: Host) -> None:
    host.token.chmod(0o644)
    (line,) = host.check()
    assert line == (
        f"{host.token}: the refresh-token file is readable by its group and others (mode 0644): it is the "
        f"partner's standing access to every customer. Fix: chmod 600 {host.token}"
    )
    host.token.chmod(0o600)
    host.edit(host.sudoers_drop_in, "NOPASSWD: ", "NOPASSWD: SETENV: ")
    (line,) = host.check()
    assert line.startswith(f"{host.sudoers_drop_in}:5: lets %")
    assert line.endswith("SETENV: an agent passes any environment (CSP_CONSOLE_AGENT, PYTHONPATH). Fix: remove SETENV")


def test_a_missing_workspace_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "check", "--db", str(tmp_path / "none.db"), "--config", str(tmp_path / "c.toml")]) == 1
    assert "the workspace is missing" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    ["--db /tmp/mine.db agents list", "agents list --config=/tmp/x.toml", "agents list --con /tmp/x.toml",
     "--d=/tmp/x.db health", "demo", "sandbox", "agents list 'unclosed"],
)  # fmt: skip
def test_an_ssh_command_keeps_the_forcecommands_workspace_and_config(command: str) -> None:
    """``ssh desk COMMAND`` runs ``csp-console COMMAND`` (README): never with another workspace or config (argparse
    takes an abbreviated ``--con``), nor the commands that write files or start servers where the agent says."""
    with pytest.raises(CommandError):
        ssh_words(command)


def test_an_ssh_command_is_the_console_words() -> None:
    assert ssh_words("csp-console agents grant li.wei 'global_admin'") == ["agents", "grant", "li.wei", "global_admin"]
    assert ssh_words("") == []


@pytest.mark.parametrize("written", [False, True])
def test_an_ssh_command_runs_with_the_desks_config_or_none_written(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    written: bool,
) -> None:  # fmt: skip
    """The ForceCommand passed the config it was given on to the command: where none was written (the default
    path), that named a file that was not there, which a named config may not be."""
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "agents list")
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "kenji.sato")
    config = tmp_path / "desk.toml"
    if written:
        config.write_text('[partner]\nname = "Contoso Japan"\n', encoding="utf-8")
        monkeypatch.setenv("CSP_CONSOLE_CONFIG", str(config))
    assert main(["ssh-command", "--db", str(demo_ws.locator)]) == 0
    assert "kenji.sato" in capsys.readouterr().out
    config.unlink(missing_ok=True)  # the desk's config gone: said, not read as no settings
    if written:
        assert main(["ssh-command", "--db", str(demo_ws.locator)]) == 1
        assert "no config file here (named by $CSP_CONSOLE_CONFIG)" in capsys.readouterr().err
