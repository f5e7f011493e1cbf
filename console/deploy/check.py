"""``csp-console deploy check``: every unsafe thing about this host's shared-host set-up, as findings.

The service account is whoever owns the workspace file; the agents are the groups that sudo lets run the
console as that account (``%group`` in the rule); sshd's rules are judged for each such group.
"""

from __future__ import annotations

import grp
import os
from collections.abc import Mapping
from pathlib import Path

from console.deploy import files, sshd, sudoers
from console.deploy.findings import Finding
from console.microsoft.token_stores import REFRESH_TOKEN_ENV
from console.settings.config import ConfigError, load_config
from console.settings.paths import log_path


def _secret_files(config_path: Path, env: Mapping[str, str]) -> tuple[list[tuple[str, Path]], list[Finding]]:
    """The files of the config that hold the partner's credentials: the refresh token and the certificate."""
    try:
        settings = load_config(config_path).microsoft
    except ConfigError as exc:
        return [], [Finding("the desk's config cannot be read", str(config_path), str(exc), "correct it")]
    named = [
        ("the refresh-token file", env.get(REFRESH_TOKEN_ENV) or settings.refresh_token_file),
        ("the client certificate", settings.client_certificate_file),
    ]
    return [(what, Path(value.strip()).expanduser()) for what, value in named if value.strip()], []


def check_host(
    db: Path, config: Path, sshd_config: Path, sudoers_file: Path, env: Mapping[str, str] | None = None
) -> list[Finding]:
    env = os.environ if env is None else env
    service_uid = files.owner_uid(db)
    if service_uid is None:
        return [Finding("the workspace is missing", str(db), "deploy check judges a set-up desk", "create it first")]
    service = files.login_of(service_uid)
    secrets, found = _secret_files(config, env)
    log = files.service_log(service_uid, files.running_uid(), log_path())
    for expect in files.desk_files(db, config, secrets, log):
        found += files.check_path(expect, service_uid)
    rules, groups = sudoers.check(sudoers_file, service)
    found += rules
    for group in groups:
        try:
            members = grp.getgrnam(group).gr_mem
        except KeyError:
            found.append(Finding(f"the group {group} does not exist", str(sudoers_file), "sudo names it", "add it"))
            continue
        found += sshd.check(sshd_config, group, list(members), service)
    return found
