"""The configuration file (TOML): the partner profile, which decides the escalation vehicles it may use.

A missing file means the defaults below; a malformed one raises :class:`ConfigError` naming the file, the
line and the key. ``csp-console config show`` prints the effective configuration.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.settings.toml_lines import line_of

COMPETENCY_LEVELS = ("gold", "silver")


class ConfigError(Exception):
    """A malformed config file; the message names the file, line and key."""


@dataclass(frozen=True)
class Contracts:
    """The partner's paid Microsoft support contracts."""

    premier_support: bool = False  # Premier Support for Partners (PSfP)
    advanced_support: bool = False  # Advanced Support for Partners (ASfP)


@dataclass(frozen=True)
class Competency:
    """A Gold or Silver competency; cloud competencies give unlimited Signature Cloud Support incidents."""

    name: str
    level: str
    cloud: bool = False


@dataclass(frozen=True)
class Partner:
    name: str = "Your CSP partner"
    support_email: str = ""
    support_phone: str = ""
    partner_id: str = ""
    contracts: Contracts = field(default_factory=Contracts)
    competencies: tuple[Competency, ...] = ()


@dataclass(frozen=True)
class Microsoft:
    """How the console reaches Microsoft. URLs and tokens may also come from the environment
    (``CSP_CONSOLE_PARTNER_CENTER_URL``, ``CSP_CONSOLE_AZURE_MANAGEMENT_URL``, ``..._TOKEN``), which wins."""

    partner_center_url: str = "https://api.partnercenter.microsoft.com"
    azure_management_url: str = "https://management.azure.com"
    # The partner's own Microsoft Entra tenant id: Partner Center's and the auxiliary ARM token's tenant.
    partner_tenant_id: str = ""
    # Commands printing an access token; {resource} and {tenant} are filled in (see console/microsoft/credentials).
    partner_center_token_command: str = ""
    azure_token_command: str = ""
    graph_token_command: str = ""
    # The Secure Application Model (console/microsoft/msal_credentials.py, docs/microsoft.md): the partner's app
    # registration's client id, the identity platform's authority, and where the refresh token of the one-time
    # consent (`csp-console microsoft login`) lives: a file only the desk's service account can read (mode 0600,
    # outside the workspace) or a command printing it (a vault's CLI). The confidential app's secret never sits
    # here: it comes from the environment variable named by client_secret_env or from client_secret_command; a
    # certificate from client_certificate_file (PEM, private key included) with its SHA-1 thumbprint.
    client_id: str = ""
    authority: str = "https://login.microsoftonline.com"
    refresh_token_file: str = ""
    refresh_token_command: str = ""
    refresh_token_store_command: str = ""  # reads a rotated refresh token on its standard input
    client_secret_env: str = "CSP_CONSOLE_CLIENT_SECRET"
    client_secret_command: str = ""
    client_certificate_file: str = ""
    client_certificate_thumbprint: str = ""
    # A PEM file of certificate authorities to trust (the sandbox's test CA); empty: the system's.
    ca_bundle: str = ""
    graph_url: str = "https://graph.microsoft.com"
    # GDAP: which Microsoft Entra roles (template ids or names) in an active relationship allow each desk task;
    # empty: console.microsoft.gdap.DEFAULT_TASK_ROLES (Microsoft's "GDAP least-privileged roles by task" guidance).
    gdap_task_roles: dict[str, list[str]] = field(default_factory=dict)
    # Who Microsoft contacts about an Azure case opened through the API (the partner's engineer).
    contact_first_name: str = ""
    contact_last_name: str = ""
    contact_email: str = ""
    contact_time_zone: str = "UTC"
    contact_country: str = ""
    support_language: str = "en-US"
    poll_seconds: int = 120


@dataclass(frozen=True)
class Sla:
    """``[sla]``: the desk's default SLA policy; a customer's support offer overrides its parts."""

    service_hours: str = "24x7"  # for customers without an offer
    time_zone: str = ""  # empty: the console's time zone
    holiday_calendar: str = ""
    first_response_hours: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FIRST_RESPONSE_HOURS))
    resolution_hours: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RESOLUTION_HOURS))
    pause_on_microsoft: bool = True
    warn_at: tuple[float, ...] = (0.75,)
    low_balance_hours: float = 2.0


#: Business hours to the first reply: the CSP entitlement's initial response times; one business day unset.
DEFAULT_FIRST_RESPONSE_HOURS: dict[str, float] = {"critical": 2.0, "moderate": 4.0, "minimal": 8.0, "unknown": 9.0}
#: Business hours to resolution.
DEFAULT_RESOLUTION_HOURS: dict[str, float] = {"critical": 8.0, "moderate": 27.0, "minimal": 45.0, "unknown": 45.0}


@dataclass(frozen=True)
class Config:
    partner: Partner = field(default_factory=Partner)
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> keys, e.g. "queue.claim" = "c,C"
    roles: dict[str, list[str]] = field(default_factory=dict)  # action -> roles allowed (overrides the default)
    claim_minutes: int = 30  # how long a claim lasts without activity
    time_zone: str = "UTC"  # where the desk's day starts and ends (the health board's "today")
    refresh_ms: int = 500  # how often the console looks for changes made by other sessions
    microsoft: Microsoft = field(default_factory=Microsoft)
    sla: Sla = field(default_factory=Sla)
    collections_policy: str = ""  # [collections] policy: a TOML file, relative to the config file
    path: Path | None = None
    loaded_from_file: bool = False

    def to_toml(self) -> str:
        data: dict[str, Any] = {"partner": asdict(self.partner)}
        data["partner"]["competencies"] = [asdict(c) for c in self.partner.competencies]
        data["console"] = {
            "claim_minutes": self.claim_minutes,
            "time_zone": self.time_zone,
            "refresh_ms": self.refresh_ms,
        }
        data["microsoft"] = asdict(self.microsoft)
        data["sla"] = {**asdict(self.sla), "warn_at": list(self.sla.warn_at)}
        if self.collections_policy:
            data["collections"] = {"policy": self.collections_policy}
        if self.keys:
            data["keys"] = dict(self.keys)
        if self.roles:
            data["roles"] = {k: list(v) for k, v in self.roles.items()}
        import tomli_w  # only to show the configuration

        return tomli_w.dumps(data)


_SCHEMA: dict[str, Any] = {
    "partner": {
        "name": str,
        "support_email": str,
        "support_phone": str,
        "partner_id": str,
        "contracts": {"premier_support": bool, "advanced_support": bool},
        "competencies": [{"name": str, "level": str, "cloud": bool}],
    },
    "keys": {"*": str},
    "roles": {"*": [str]},
    "console": {"claim_minutes": int, "time_zone": str, "refresh_ms": int},
    "microsoft": {
        name: (int if name == "poll_seconds" else {"*": [str]} if name == "gdap_task_roles" else str)
        for name in Microsoft.__dataclass_fields__
    },
    "sla": {
        "service_hours": str,
        "time_zone": str,
        "holiday_calendar": str,
        "first_response_hours": {"*": (int, float)},
        "resolution_hours": {"*": (int, float)},
        "pause_on_microsoft": bool,
        "warn_at": [(int, float)],
        "low_balance_hours": (int, float),
    },
    "collections": {"policy": str},
}


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _line_of(text: str, dotted: str) -> int | None:
    """The line where ``dotted`` (``partner.contracts.premier_support``) is set, best effort."""
    return line_of(text, dotted)


def _check(value: Any, schema: Any, dotted: str, problems: list[str]) -> None:
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            problems.append(f"{dotted}: expected a table")
            return
        for key, item in value.items():
            where = f"{dotted}.{key}" if dotted else key
            if "*" in schema:
                _check(item, schema["*"], where, problems)
            elif key not in schema:
                problems.append(f"{where}: unknown key (expected one of {', '.join(schema)})")
            else:
                _check(item, schema[key], where, problems)
    elif isinstance(schema, list):
        if not isinstance(value, list):
            expected = f"an array of tables ([[{dotted}]])" if isinstance(schema[0], dict) else "a list"
            problems.append(f"{dotted}: expected {expected}")
            return
        for index, item in enumerate(value):
            _check(item, schema[0], f"{dotted}.{index}", problems)
    elif not isinstance(value, schema) or (schema is not bool and isinstance(value, bool)):
        expected = "a number" if isinstance(schema, tuple) else schema.__name__
        problems.append(f"{dotted}: expected {expected}, got {type(value).__name__}")


def load_config(path: Path) -> Config:
    """Read the config file at ``path``; defaults when it does not exist."""
    if not path.exists():
        return Config(path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise ConfigError(f"{where}: malformed TOML: {exc}") from None
    problems: list[str] = []
    _check(data, _SCHEMA, "", problems)
    if problems:
        first = problems[0]
        dotted = first.split(":", 1)[0]
        line = _line_of(text, dotted)
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: {first}")
    raw = data.get("partner", {})
    competencies = []
    for index, item in enumerate(raw.get("competencies", [])):
        level = item.get("level", "")
        if level not in COMPETENCY_LEVELS or "name" not in item:
            dotted = f"partner.competencies.{index}.level"
            line = _line_of(text, dotted) if "name" in item else _line_of(text, "partner.competencies")
            problem = f"level must be gold or silver, got {level!r}" if "name" in item else "a competency needs a name"
            raise ConfigError(f"{path}:{line}: partner.competencies.{index}: {problem}")
        competencies.append(Competency(item["name"], level, item.get("cloud", False)))
    partner = Partner(
        name=raw.get("name", Partner.name),
        support_email=raw.get("support_email", ""),
        support_phone=raw.get("support_phone", ""),
        partner_id=raw.get("partner_id", ""),
        contracts=Contracts(**raw.get("contracts", {})),
        competencies=tuple(competencies),
    )
    roles = {k: list(v) for k, v in data.get("roles", {}).items()}
    try:
        from console.desk.roles import RoleMap

        RoleMap(roles)
    except ValueError as exc:
        line = _line_of(text, f"roles.{str(exc).split(chr(39))[1]}") if "'" in str(exc) else None
        raise ConfigError(f"{path}:{line}: {exc}" if line else f"{path}: {exc}") from None
    claim_minutes = data.get("console", {}).get("claim_minutes", 30)
    if not 1 <= claim_minutes <= 24 * 60:
        raise ConfigError(f"{path}:{_line_of(text, 'console.claim_minutes')}: console.claim_minutes must be 1 to 1440")
    console = data.get("console", {})
    time_zone = console.get("time_zone", "UTC")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{path}:{_line_of(text, 'console.time_zone')}: console.time_zone {time_zone!r} is not an IANA time zone"
        ) from None
    refresh_ms = console.get("refresh_ms", 500)
    if not 100 <= refresh_ms <= 60000:
        raise ConfigError(f"{path}:{_line_of(text, 'console.refresh_ms')}: console.refresh_ms must be 100 to 60000")
    microsoft = Microsoft(**data.get("microsoft", {}))
    if not 10 <= microsoft.poll_seconds <= 86400:
        raise ConfigError(
            f"{path}:{_line_of(text, 'microsoft.poll_seconds')}: microsoft.poll_seconds must be 10 to 86400"
        )
    for key in ("partner_center_url", "azure_management_url", "authority", "graph_url"):
        url = getattr(microsoft, key)
        if not re.match(r"^https?://[^/\s]+", url):
            raise ConfigError(f"{path}:{_line_of(text, 'microsoft.' + key)}: microsoft.{key} must be an http(s) URL")
    if microsoft.partner_tenant_id and not _GUID.match(microsoft.partner_tenant_id):
        raise ConfigError(
            f"{path}:{_line_of(text, 'microsoft.partner_tenant_id')}: microsoft.partner_tenant_id must be the "
            f"partner's Microsoft Entra tenant id (a GUID), not {microsoft.partner_tenant_id!r}"
        )
    _check_azure_contact(microsoft, data.get("microsoft", {}), path, text)
    if microsoft.gdap_task_roles:  # role names are read when the file is, not at the first escalation
        from console.microsoft.gdap import task_roles

        for task, entra_roles in microsoft.gdap_task_roles.items():
            try:
                task_roles({task: entra_roles})
            except ValueError as exc:
                line = _line_of(text, f"microsoft.gdap_task_roles.{task}") or _line_of(
                    text, "microsoft.gdap_task_roles"
                )
                raise ConfigError(f"{path}:{line}: {exc}") from None
    sla = _load_sla(data.get("sla", {}), path, text)
    return Config(
        partner=partner,
        keys=dict(data.get("keys", {})),
        roles=roles,
        claim_minutes=claim_minutes,
        time_zone=time_zone,
        refresh_ms=refresh_ms,
        microsoft=microsoft,
        sla=sla,
        collections_policy=data.get("collections", {}).get("policy", ""),
        path=path,
        loaded_from_file=True,
    )


def _check_azure_contact(microsoft: Microsoft, raw: dict[str, Any], path: Path, text: str) -> None:
    """The Azure Support API's ContactProfile wants a Windows time-zone id and an ISO 3166-1 alpha-3 country
    (see console/microsoft/contact.py for the sources)."""
    if "contact_time_zone" not in raw and "contact_country" not in raw:
        return
    from console.microsoft.contact import country_alpha3, is_windows_time_zone

    if "contact_time_zone" in raw and not is_windows_time_zone(microsoft.contact_time_zone):
        raise ConfigError(
            f"{path}:{_line_of(text, 'microsoft.contact_time_zone')}: microsoft.contact_time_zone "
            f'{microsoft.contact_time_zone!r} is not a Windows time-zone id (e.g. "Tokyo Standard Time", '
            '"Pacific Standard Time", "UTC"): Azure support tickets take Microsoft\'s time-zone names'
        )
    if microsoft.contact_country and country_alpha3(microsoft.contact_country) != microsoft.contact_country:
        raise ConfigError(
            f"{path}:{_line_of(text, 'microsoft.contact_country')}: microsoft.contact_country "
            f'{microsoft.contact_country!r} is not an ISO 3166-1 alpha-3 country code (e.g. "JPN", "USA")'
        )


def _load_sla(raw: dict[str, Any], path: Path, text: str) -> Sla:
    def fail(key: str, message: str) -> ConfigError:
        line = _line_of(text, f"sla.{key}")
        return ConfigError(f"{path}:{line}: sla.{key}: {message}" if line else f"{path}: sla.{key}: {message}")

    from console.sla.service_hours import parse_service_hours

    hours = raw.get("service_hours", "24x7")
    try:
        parse_service_hours(hours)
    except ValueError as exc:
        raise fail("service_hours", str(exc)) from None
    zone = raw.get("time_zone", "")
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise fail("time_zone", f"{zone!r} is not an IANA time zone") from None
    targets = {}
    for key, default in (
        ("first_response_hours", DEFAULT_FIRST_RESPONSE_HOURS),
        ("resolution_hours", DEFAULT_RESOLUTION_HOURS),
    ):
        given = raw.get(key, {})
        for severity, value in given.items():
            if severity not in default:
                raise fail(f"{key}.{severity}", f"unknown severity; expected {', '.join(default)}")
            if not 0 < value <= 10_000:
                raise fail(f"{key}.{severity}", f"expected business hours above 0, got {value}")
        targets[key] = {**default, **{k: float(v) for k, v in given.items()}}
    warn_at = tuple(float(v) for v in raw.get("warn_at", [0.75]))
    if any(not 0 < v < 1 for v in warn_at):
        raise fail("warn_at", "each threshold is a fraction of the target between 0 and 1, e.g. [0.75, 0.9]")
    low = float(raw.get("low_balance_hours", 2.0))
    if low < 0:
        raise fail("low_balance_hours", "must not be negative")
    return Sla(
        service_hours=hours,
        time_zone=zone,
        holiday_calendar=raw.get("holiday_calendar", ""),
        first_response_hours=targets["first_response_hours"],
        resolution_hours=targets["resolution_hours"],
        pause_on_microsoft=raw.get("pause_on_microsoft", True),
        warn_at=tuple(sorted(warn_at)),
        low_balance_hours=low,
    )


DEMO_CONFIG = """\
# CSP Triage Console configuration (written by `csp-console demo`; edit freely).

[partner]
name = "Sakura Cloud Partners"
support_email = "support@sakura-cloud.example"
support_phone = "+81-3-5555-0100"
partner_id = "4812345"

# Paid Microsoft support contracts: Premier / Advanced Support for Partners.
[partner.contracts]
premier_support = false
advanced_support = true

# Gold or Silver competencies (Signature Cloud Support comes with them).
[[partner.competencies]]
name = "Cloud Platform"
level = "gold"
cloud = true

[[partner.competencies]]
name = "Cloud Productivity"
level = "silver"
cloud = true

[console]
time_zone = "Asia/Tokyo"     # the desk's day (health board: resolved today, attainment today)

# SLA clocks count in business hours: the customer's support offer (its hours, time zone and holiday
# calendar, its targets if it sets them), else these defaults. They stop while a ticket waits on the customer.
[sla]
service_hours = "mon-fri 09:00-18:00"
holiday_calendar = "jp"
pause_on_microsoft = true
warn_at = [0.75, 0.9]
low_balance_hours = 2
[sla.first_response_hours]
critical = 2
moderate = 4
minimal = 8
unknown = 9
[sla.resolution_hours]
critical = 8
moderate = 27
minimal = 45
unknown = 45

# The dunning stages, holds and payment plans (see collections.toml beside this file).
[collections]
policy = "collections.toml"

# Microsoft's APIs. Tokens are per API and per tenant (a customer's Azure cases need a token from the
# customer's tenant plus the partner's): from a command with {resource} and {tenant} filled in, e.g.
#   azure_token_command = "az account get-access-token --resource {resource} --tenant {tenant} -o json"
# Try everything locally first: `csp-console sandbox` serves the APIs on 127.0.0.1.
[microsoft]
contact_first_name = "Aiko"
contact_last_name = "Tanaka"
contact_email = "support@sakura-cloud.example"
contact_time_zone = "Tokyo Standard Time"
contact_country = "JPN"
support_language = "ja-JP"
"""


def demo_collections_policy(today: date) -> str:
    """The demo's collections policy: the dunning stages, a hold and a payment plan dated around ``today``."""

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    return f"""\
# Collections policy: dunning stages by days overdue, holds and payment plans (docs: README, Billing).
# A customer is named by its id or its domain.

[[stage]]
days = 1
name = "reminder"
action = "notice"

[[stage]]
days = 15
name = "second_reminder"
action = "notice"

[[stage]]
days = 30
name = "final_notice"
action = "notice"

[[stage]]
days = 45
name = "suspension"
action = "suspend"

[[hold]]
customer = "adatum-legal.com"
until = "{day(30)}"
reason = "Invoice disputed by the customer's finance team; review agreed with the account manager"

[[plan]]
customer = "tailspintoys.com"
agreed = "{day(-10)}"
installments = [{{ due = "{day(10)}", amount = "400.00" }}, {{ due = "{day(40)}", amount = "400.00" }}]
"""


def write_demo_config(path: Path, today: date | None = None) -> bool:
    """Write the demo partner profile to ``path`` (and its collections policy beside it) unless a config file
    is already there."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEMO_CONFIG, encoding="utf-8")
    policy = path.parent / "collections.toml"
    if not policy.exists():
        policy.write_text(demo_collections_policy(today or date.today()), encoding="utf-8")
    return True
