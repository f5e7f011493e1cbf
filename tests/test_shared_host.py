"""The README's shared-host recipe on a real sshd on 127.0.0.1, tried as a helpdesk agent who wants to cheat.

A service account and two agent logins are created (useradd), the sshd and sudoers drop-ins are the README's own
(tests/recipe.py), and every agent action goes over ssh through the ForceCommand. Needs root (users, sudoers) and
OpenSSH's sshd and sudo, which `.ci/run` installs.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import site
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.recipe import SSHD_DROP_IN, SUDOERS_DROP_IN, recipe

SSHD = Path("/usr/sbin/sshd")
SERVICE, GROUP, AIKO, KENJI = "cspt-desk", "cspt-agents", "cspt-aiko", "cspt-kenji"
SUDOERS_FILE = Path("/etc/sudoers.d/cspt-console")  # no dot: sudo's @includedir skips names with one
TOKEN = "rt-cspt-secret-0123456789"

pytestmark = [
    # The logins are the host's, not the test's: every test of this file on one worker (make test runs pytest
    # with --dist loadgroup), else two workers' fixtures would create the same users at once.
    pytest.mark.xdist_group("shared_host"),
    pytest.mark.skipif(os.getuid() != 0, reason="creating logins and a sudoers drop-in needs root"),
    pytest.mark.skipif(
        not (SSHD.exists() and shutil.which("ssh") and shutil.which("sudo") and shutil.which("visudo")),
        reason="OpenSSH's sshd, ssh and sudo are not installed (.ci/run installs them)",
    ),
]


def run(*command: str, check: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, **kwargs)  # type: ignore[call-overload]
    if check and done.returncode != 0:
        raise AssertionError(f"{command} exited {done.returncode}: {done.stderr}")
    return done  # type: ignore[no-any-return]


def as_user(login: str, *command: str) -> subprocess.CompletedProcess[str]:
    """``command`` as ``login`` with a clean environment and umask 077, as the recipe's sudo runs the console."""
    env = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={pwd.getpwnam(login).pw_dir}"]
    return run("runuser", "-u", login, "--", *env, "sh", "-c", 'umask 077; exec "$@"', "-", *command, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _remove_logins() -> None:
    for login in (AIKO, KENJI, SERVICE):
        run("userdel", "--force", login, check=False)
    run("groupdel", GROUP, check=False)
    SUDOERS_FILE.unlink(missing_ok=True)


def _console(base: Path) -> Path:
    """The console as the service account runs it: a program under ``base`` (the venv of the test run may live
    where other accounts cannot reach, as under /root), on a Python every account can run."""
    program = base / "opt" / "bin" / "csp-console"
    program.parent.mkdir(parents=True)
    python = "/usr/bin/python3"
    paths = [*site.getsitepackages(), str(Path(__file__).resolve().parents[1])]
    program.write_text(
        f"#!{python} -SE\nimport site, sys\nfor p in {paths!r}:\n    site.addsitedir(p)\n"
        "from console.cli.main import main\nsys.exit(main())\n",
        encoding="utf-8",
    )
    program.chmod(0o755)
    return program


@dataclass
class Desk:
    base: Path
    srv: Path
    db: Path
    config: Path
    token: Path
    console: Path
    port: int
    sshd_config: Path

    def ssh(self, login: str, command: str, *options: str) -> subprocess.CompletedProcess[str]:
        key = self.base / "keys" / login
        return run(
            "ssh", "-F", "/dev/null", "-i", str(key), "-p", str(self.port), "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={self.base}/known_hosts",
            "-o", "LogLevel=ERROR", *options, "--", f"{login}@127.0.0.1", command,
            check=False,
        )  # fmt: skip


def _logins(base: Path) -> None:
    run("groupadd", GROUP)
    (base / "home").mkdir(mode=0o755)
    (base / "keys").mkdir(mode=0o700)
    for login, groups in ((SERVICE, []), (AIKO, [GROUP]), (KENJI, [GROUP])):
        home = base / "home" / login
        extra = ["-G", ",".join(groups)] if groups else []
        # '*': no password, yet not locked (sshd refuses a locked account, "!" in the shadow file)
        run("useradd", "-m", "-d", str(home), "-s", "/bin/sh", "-p", "*", *extra, login)
        if groups:
            key = base / "keys" / login
            run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
            (home / ".ssh").mkdir(mode=0o700)
            shutil.copy(f"{key}.pub", home / ".ssh" / "authorized_keys")
            run("chown", "-R", f"{login}:", str(home / ".ssh"))


def _workspace(desk: Desk) -> None:
    """As the recipe's first steps: the desk's directory, config, refresh token and workspace, as the service
    account (umask 077); the first Global admin is kenji (the workspace's owner names them)."""
    run("install", "-d", "-o", SERVICE, "-g", SERVICE, "-m", "0700", str(desk.srv))
    config = f'[microsoft]\nrefresh_token_file = "{desk.token}"\n'
    assert as_user(SERVICE, "sh", "-c", f"printf '%s' '{config}' > {desk.config}").returncode == 0
    assert as_user(SERVICE, "sh", "-c", f"echo {TOKEN} > {desk.token}").returncode == 0
    made = as_user(
        SERVICE, "env", f"CSP_CONSOLE_AGENT={KENJI}", str(desk.console),
        "--db", str(desk.db), "--config", str(desk.config), "demo", "--tickets", "30",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr


def _sshd(desk: Desk, names: dict[str, object]) -> Iterator[None]:
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(desk.base / "host_key"))
    desk.sshd_config.write_text(
        f"Port {desk.port}\nListenAddress 127.0.0.1\nHostKey {desk.base}/host_key\nPidFile {desk.base}/sshd.pid\n"
        "AuthorizedKeysFile .ssh/authorized_keys\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nAcceptEnv LANG LC_*\n" + recipe(SSHD_DROP_IN, **names),  # type: ignore[arg-type]
        encoding="utf-8",
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    run(str(SSHD), "-t", "-f", str(desk.sshd_config))
    server = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(desk.sshd_config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", desk.port), timeout=1):
                break
            time.sleep(0.05)
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def desk() -> Iterator[Desk]:
    _remove_logins()  # what a killed run left
    base = Path(tempfile.mkdtemp(prefix="cspt-", dir="/tmp"))  # not pytest's 0700 tmp: every account reaches it
    base.chmod(0o755)
    srv = base / "srv"
    desk = Desk(base, srv, srv / "workspace.db", srv / "config.toml", srv / "refresh-token", _console(base),
                free_port(), base / "sshd_config")  # fmt: skip
    try:
        _logins(base)
        reach = as_user(SERVICE, str(desk.console), "--version")
        if reach.returncode != 0:
            pytest.skip(f"the service account cannot run the console from {desk.console}: {reach.stderr.strip()}")
        _workspace(desk)
        names: dict[str, object] = {"service": SERVICE, "group": GROUP, "venv": base / "opt", "srv": srv}
        SUDOERS_FILE.write_text(recipe(SUDOERS_DROP_IN, **names), encoding="utf-8")  # type: ignore[arg-type]
        SUDOERS_FILE.chmod(0o440)
        run("visudo", "-cf", str(SUDOERS_FILE))
        yield from _sshd_then(desk, names)
    finally:
        _remove_logins()
        shutil.rmtree(base, ignore_errors=True)


def _sshd_then(desk: Desk, names: dict[str, object]) -> Iterator[Desk]:
    for _ in _sshd(desk, names):
        yield desk


def _roles(desk: Desk, login: str) -> list[str]:
    listed = desk.ssh(KENJI, "agents list --json")
    assert listed.returncode == 0, listed.stderr
    agents = json.loads(listed.stdout)
    return next(a["roles"] for a in agents if a["login"] == login)


def test_an_agent_cannot_act_as_another(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    added = desk.ssh(KENJI, f"agents add {AIKO} --role helpdesk_agent")
    assert added.returncode == 0, added.stderr
    grant = f"agents grant {AIKO} global_admin"
    env = f"LOGNAME={KENJI} USER={KENJI} CSP_CONSOLE_AGENT={KENJI} SUDO_USER={KENJI}"
    cheats = {  # what the agent tries: (ssh options, the command, the exit status: 3 refused, 2 usage, 1 failed)
        "plain": ((), grant, 3),
        "SetEnv": (("-o", f"SetEnv={env}"), grant, 3),
        "environment in the command": ((), f"{env} csp-console {grant}", 2),
        "another config": ((), f"--config /tmp/x.toml {grant}", 1),
        "an abbreviated option": ((), f"{grant} --con=/tmp/x.toml", 1),
        "another workspace": ((), f"--db=/tmp/x.db {grant}", 1),
    }
    monkeypatch.setenv("LOGNAME", KENJI)  # SendEnv would carry it, if sshd accepted it
    for name, (options, command, status) in cheats.items():
        tried = desk.ssh(AIKO, command, "-o", "SendEnv=LOGNAME", *options)
        assert tried.returncode == status, (name, tried.stdout, tried.stderr)
    assert _roles(desk, AIKO) == ["helpdesk_agent"]
    refused = desk.ssh(AIKO, f"agents grant {AIKO} global_admin")
    assert refused.returncode == 3
    assert "Global admin" in refused.stderr or "global_admin" in refused.stderr


def test_the_audit_names_the_real_agent(desk: Desk) -> None:
    desk.ssh(KENJI, f"agents add {AIKO} --role helpdesk_agent")
    note = desk.ssh(AIKO, "ticket note CSP-000001 'seen by aiko'", "-o", f"SetEnv=LOGNAME={KENJI}")
    assert note.returncode == 0, note.stderr
    audit = desk.ssh(KENJI, "audit --ticket CSP-000001 --json")
    assert audit.returncode == 0, audit.stderr
    rows = [json.loads(line) for line in audit.stdout.splitlines()]
    assert [r["agent"] for r in rows if r["action"] == "ticket.note"] == [AIKO], rows
    every = [json.loads(line) for line in desk.ssh(KENJI, "audit --json").stdout.splitlines()]
    assert any(r["agent"] == KENJI and AIKO in json.dumps(r) for r in every)


def test_no_shell_and_no_file_access(desk: Desk) -> None:
    for command in (f"cat {desk.db}", f"sh -c 'cat {desk.token}'", "/bin/sh", "sandbox", "demo"):
        tried = desk.ssh(AIKO, command)
        assert tried.returncode in (1, 2), (command, tried.stderr)  # the console's refusal: no shell ran it
        assert TOKEN not in tried.stdout + tried.stderr
    for path in (desk.db, Path(f"{desk.db}-wal"), desk.token, desk.config):
        read = as_user(AIKO, "cat", str(path))
        assert read.returncode != 0 and "Permission denied" in read.stderr, path
        wrote = as_user(AIKO, "sh", "-c", f"echo x >> {path}")
        assert wrote.returncode != 0 and "Permission denied" in wrote.stderr, path
    # sudo lets the agents run the console's exact command only
    for command in (["cat", str(desk.token)], [str(desk.console), "--db", str(desk.db), "agents", "list"]):
        escaped = as_user(AIKO, "sudo", "-n", "-u", SERVICE, *command)
        assert escaped.returncode != 0 and TOKEN not in escaped.stdout, command


def test_deploy_check_finds_the_recipe_safe(desk: Desk) -> None:
    checked = run(
        sys.executable, "-m", "console.cli", "deploy", "check", "--db", str(desk.db), "--config", str(desk.config),
        "--sshd-config", str(desk.sshd_config), "--sudoers", "/etc/sudoers", check=False,
    )  # fmt: skip
    assert (checked.returncode, checked.stdout) == (0, "safe\n"), checked.stdout + checked.stderr
