"""``csp-console microsoft login|status|logout`` (the Secure Application Model's one-time consent, see
docs/microsoft.md) and ``csp-console gdap sync|list|check`` (the partner's GDAP relationships).

Exit status: 0 done, 1 failed, 3 ``gdap check``: the desk may not do the task.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.desk import APPLIED, FAILED
from console.cli.output import out
from console.microsoft.credentials import AUDIENCES, MissingToken
from console.settings.config import load_config
from console.settings.paths import WorkspaceAt
from console.shared.safe_text import clean_line

if TYPE_CHECKING:
    from console.desk.door import Desk

REFUSED = 3


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ms = sub.add_parser("microsoft", parents=[common], help="sign the desk in to Microsoft (Secure Application Model)")
    ms.add_argument("action", choices=("login", "status", "logout"))
    ms.add_argument("--tenant", action="append", default=[], help="status: also a customer's tenant (ARM token)")

    gd = sub.add_parser("gdap", parents=[common], help="the partner's GDAP relationships with its customers")
    gd.add_argument("action", choices=("sync", "list", "check"))
    gd.add_argument("customer", nargs="?", help="check: the customer (id or domain)")
    gd.add_argument("task", nargs="?", default="diagnose", help="check: diagnose, escalate, escalate_azure, ...")


def _say(line: str, err: bool = False) -> None:
    out(clean_line(line, 2000), err=err, flush=True)


def cmd_microsoft(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.microsoft.msal_credentials import msal_credentials_for

    settings = load_config(config).microsoft
    try:
        creds = msal_credentials_for(settings, config_file=str(config))
    except MissingToken as exc:
        _say(f"csp-console: error: {exc}", err=True)
        return FAILED
    if creds is None:
        _say(
            "csp-console: error: the Secure Application Model is not configured: set client_id (the partner's app "
            "registration) and refresh_token_file or refresh_token_command in the [microsoft] table of "
            f"{config} (docs/microsoft.md).",
            err=True,
        )
        return FAILED
    try:
        if args.action == "login":
            _say(f"Signing in to the app registration {creds.client_id} with a device code (a partner admin, MFA).")
            claims = creds.login(_say)
            who = claims.get("preferred_username") or claims.get("upn") or "the partner admin"
            tid = str(claims.get("tid") or "")
            _say(f"Signed in as {who} (tenant {tid}). The refresh token is in {creds.store.describe()}.")
            if tid and not creds.partner_tenant:
                _say(f'Set partner_tenant_id = "{tid}" in the [microsoft] table of {config}.')
            return APPLIED
        if args.action == "logout":
            gone = creds.logout()
            _say(
                f"Removed {creds.store.describe()}."
                if gone
                else f"Nothing to remove at {creds.store.describe()} (revoke the consent in Microsoft Entra too)."
            )
            return APPLIED
        return _status(creds, args.tenant)
    except MissingToken as exc:
        _say(f"csp-console: error: {exc}", err=True)
        return FAILED


def _status(creds: object, tenants: list[str]) -> int:
    from console.microsoft.msal_credentials import MsalCredentials

    assert isinstance(creds, MsalCredentials)
    _say(f"App registration {creds.client_id} at {creds.authority}; refresh token: {creds.store.describe()}.")
    if creds.partner_tenant:
        _say(f"Partner tenant {creds.partner_tenant}, from {creds.partner_tenant_origin}.")
    else:
        _say(
            "Partner tenant: not set (partner_tenant_id in the [microsoft] table of the config file, or "
            "CSP_CONSOLE_PARTNER_TENANT_ID; `csp-console microsoft login` prints the tenant it signed in to)."
        )
    failed = 0
    wanted = [(a, None) for a in AUDIENCES] + [(a, t) for t in tenants for a in AUDIENCES if a.api.startswith("Azure")]
    for audience, tenant in wanted:
        source = creds.source(audience, tenant)
        try:
            source.get()
        except MissingToken as exc:
            failed += 1
            _say(f"  {source.describe()}: refused. {exc}")
        else:
            _say(f"  {source.describe()}: ok")
    return FAILED if failed else APPLIED


def cmd_gdap(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.cli.desk import outcome

    return outcome(lambda: _gdap(args, db, config))


def _gdap(args: argparse.Namespace, db: WorkspaceAt, config: Path) -> int:
    from console.cli.desk import desk_for

    with desk_for(db, config, owner_if_empty=True) as desk:
        if args.action == "sync":
            return _gdap_sync(desk)
        if args.action == "list":
            from console.microsoft.gdap import role_name
            from console.settings.local_time import day

            for rel in desk.partner.gdap_relationships():
                roles = ", ".join(role_name(r["roleDefinitionId"]) for r in rel["roles"] if r["granted"])
                ends = day(rel["endDateTime"], desk.config.time_zone)  # the desk's day
                _say(
                    f"{rel['customerTenantId']}  {rel['status']:<16} ends {ends}  "
                    f"{clean_line(rel['displayName'] or '')}: {roles or 'no roles'}"
                )
            return APPLIED
        if not args.customer:
            _say("csp-console: error: 'gdap check' needs the customer (id or domain)", err=True)
            return FAILED
        try:
            verdict = desk.partner.gdap_readiness(args.customer, args.task, desk.clock())
        except ValueError as exc:
            _say(f"csp-console: error: {exc}", err=True)
            return FAILED
        _say(verdict.message)
        return APPLIED if verdict.ok else REFUSED


def _gdap_sync(desk: Desk) -> int:
    from console.microsoft.http import ApiError

    try:
        report = desk.partner.gdap_sync()
    except (ApiError, MissingToken) as exc:
        _say(f"csp-console: gdap sync failed: {exc}", err=True)
        return FAILED
    if report is None:
        _say("csp-console: gdap sync failed: no Microsoft Graph client is configured", err=True)
        return FAILED
    _say(f"Read {report.relationships} GDAP relationships ({report.active} in force).")
    for line in report.skipped:
        _say(f"  skipped: {line}")
    for _rel, warning in desk.partner.gdap_expiring(desk.clock()):
        _say(f"  warning: {warning}")
    return APPLIED
