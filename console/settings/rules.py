"""The rules on the config file's values, past its shape (:mod:`console.settings.config`), and on the desk
policy's (:mod:`console.desk.policy`): ranges, time zones, URLs, role names. Each raises
:class:`console.shared.shapes.ShapeError` naming the key, so the error names its line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.settings.shapes import (
    DEFAULT_FIRST_RESPONSE_HOURS,
    THEMES,
    ConfigFile,
    ConsoleSection,
    MailSection,
    Microsoft,
    Sla,
    ViewSection,
)
from console.shared.shapes import ShapeError

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_URL = re.compile(r"^https?://[^/\s]+")


def check(shape: ConfigFile, given: Mapping[str, Any]) -> None:
    """Check the values of a file of the right shape; ``given`` is the file as read (what it sets). The desk's
    rules (roles, claim time, time zone, SLA defaults) are checked by the same functions when a Global admin sets
    them in the workspace (:mod:`console.desk.policy`)."""
    _check_console(shape.console)
    _check_microsoft(shape.microsoft, given.get("microsoft", {}))
    _check_views(shape.views, given.get("views", {}))
    _check_mail(shape.mail)
    if shape.audit.syslog and not shape.audit.syslog.startswith("/"):
        raise ShapeError(
            ("audit", "syslog"), "audit.syslog must be the path of a syslog socket, such as /dev/log", whole=True
        )


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_roles(roles: Mapping[str, list[str]], prefix: str = "roles") -> None:
    """Each action known, each role known (:class:`console.desk.roles.RoleMap`)."""
    from console.desk.roles import RoleMap

    try:
        RoleMap({k: list(v) for k, v in roles.items()})
    except ValueError as exc:
        action = str(exc).split("'")[1] if "'" in str(exc) else ""
        raise ShapeError((prefix, action) if action else (), str(exc), whole=True) from None


def check_range(path: tuple[str, ...], value: float, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ShapeError(path, f"{'.'.join(path)} must be {low} to {high}", whole=True)


def check_zone(path: tuple[str, ...], zone: str) -> None:
    if not _is_zone(zone):
        raise ShapeError(path, f"{'.'.join(path)} {zone!r} is not an IANA time zone", whole=True)


def _check_console(console: ConsoleSection) -> None:
    check_range(("console", "refresh_ms"), console.refresh_ms, 100, 60000)
    if console.theme not in THEMES:
        raise ShapeError(
            ("console", "theme"),
            f"console.theme {console.theme!r} is not a theme (one of {', '.join(THEMES)})",
            whole=True,
        )


def _check_microsoft(microsoft: Microsoft, given: Mapping[str, Any]) -> None:
    check_range(("microsoft", "poll_seconds"), microsoft.poll_seconds, 10, 86400)
    for key in ("partner_center_url", "azure_management_url", "authority", "graph_url"):
        if not _URL.match(getattr(microsoft, key)):
            raise ShapeError(("microsoft", key), f"microsoft.{key} must be an http(s) URL", whole=True)
    if microsoft.partner_tenant_id and not _GUID.match(microsoft.partner_tenant_id):
        raise ShapeError(
            ("microsoft", "partner_tenant_id"),
            "microsoft.partner_tenant_id must be the partner's Microsoft Entra tenant id (a GUID), not "
            f"{microsoft.partner_tenant_id!r}",
            whole=True,
        )
    _check_azure_contact(microsoft, given)
    _check_gdap_roles(microsoft.gdap_task_roles)


def _check_azure_contact(microsoft: Microsoft, given: Mapping[str, Any]) -> None:
    """The Azure Support API's ContactProfile wants a Windows time-zone id and an ISO 3166-1 alpha-3 country
    (see console/microsoft/contact.py for the sources)."""
    if "contact_time_zone" not in given and "contact_country" not in given:
        return
    from console.microsoft.contact import country_alpha3, is_windows_time_zone

    if "contact_time_zone" in given and not is_windows_time_zone(microsoft.contact_time_zone):
        raise ShapeError(
            ("microsoft", "contact_time_zone"),
            f"microsoft.contact_time_zone {microsoft.contact_time_zone!r} is not a Windows time-zone id (e.g. "
            '"Tokyo Standard Time", "Pacific Standard Time", "UTC"): Azure support tickets take Microsoft\'s '
            "time-zone names",
            whole=True,
        )
    if microsoft.contact_country and country_alpha3(microsoft.contact_country) != microsoft.contact_country:
        raise ShapeError(
            ("microsoft", "contact_country"),
            f"microsoft.contact_country {microsoft.contact_country!r} is not an ISO 3166-1 alpha-3 country code "
            '(e.g. "JPN", "USA")',
            whole=True,
        )


_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _check_mail(mail: MailSection) -> None:
    """The desk's mailbox: an address, the hosts it needs, known security words, sane numbers."""
    if not mail.address:
        return
    if not _ADDRESS.match(mail.address):
        raise ShapeError(("mail", "address"), f"mail.address {mail.address!r} is not a mail address", whole=True)
    for key, words in (
        ("imap_security", ("imaps", "starttls", "plain")),
        ("smtp_security", ("starttls", "smtps", "plain")),
    ):
        value = getattr(mail, key)
        if value not in words:
            raise ShapeError(("mail", key), f"mail.{key} {value!r} is not one of {', '.join(words)}", whole=True)
    for key in ("imap_port", "smtp_port"):
        check_range(("mail", key), getattr(mail, key), 1, 65535)
    check_range(("mail", "poll_seconds"), mail.poll_seconds, 5, 86400)
    check_range(("mail", "timeout_seconds"), mail.timeout_seconds, 1, 600)
    check_range(("mail", "max_attachment_mb"), mail.max_attachment_mb, 1, 150)
    if not mail.imap_host and not mail.smtp_host:
        raise ShapeError(
            ("mail", "address"), "mail.address is set but neither mail.imap_host nor mail.smtp_host is", whole=True
        )


def _check_gdap_roles(task_roles: dict[str, list[str]]) -> None:
    """Role names are read when the file is, not at the first escalation."""
    if not task_roles:
        return
    from console.microsoft.gdap import task_roles as resolve

    for task, entra_roles in task_roles.items():
        try:
            resolve({task: entra_roles})
        except ValueError as exc:
            raise ShapeError(("microsoft", "gdap_task_roles", task), str(exc), whole=True) from None


def check_sla(sla: Sla) -> None:
    """The desk's SLA defaults (``sla.*`` desk rules)."""
    from console.sla.service_hours import parse_service_hours

    try:
        parse_service_hours(sla.service_hours)
    except ValueError as exc:
        raise ShapeError(("sla", "service_hours"), str(exc)) from None
    if sla.time_zone and not _is_zone(sla.time_zone):
        raise ShapeError(("sla", "time_zone"), f"{sla.time_zone!r} is not an IANA time zone")
    for key, targets in (
        ("first_response_hours", sla.first_response_hours),
        ("resolution_hours", sla.resolution_hours),
    ):
        for severity, value in targets.items():
            if severity not in DEFAULT_FIRST_RESPONSE_HOURS:
                raise ShapeError(
                    ("sla", key, severity), f"unknown severity; expected {', '.join(DEFAULT_FIRST_RESPONSE_HOURS)}"
                )
            if not 0 < value <= 10_000:
                raise ShapeError(("sla", key, severity), f"expected business hours above 0, got {value:g}")
    if any(not 0 < v < 1 for v in sla.warn_at):
        raise ShapeError(
            ("sla", "warn_at"), "each threshold is a fraction of the target between 0 and 1, e.g. [0.75, 0.9]"
        )
    if sla.low_balance_hours < 0:
        raise ShapeError(("sla", "low_balance_hours"), "must not be negative")


def _check_views(views: dict[str, ViewSection], given: Mapping[str, Any]) -> None:
    """Each view's columns are known ones, none twice, at least one when the key is set."""
    from console.tickets.columns import column_problem

    for name, view in views.items():
        if "columns" in given.get(name, {}) and (problem := column_problem(view.columns)):
            raise ShapeError(("views", name, "columns"), problem)
