"""The config file's shape: its tables and keys as msgspec structs (see :mod:`console.shared.shapes`). The loaded
sections are these structs too (``Config.partner``, ``Config.microsoft``); an unknown key is an error. ``Sla`` is
the desk policy's SLA defaults (``Config.sla``, from the workspace, never from the file)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

COMPETENCY_LEVELS = ("gold", "silver")


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A table of the config file: its keys are the fields; an unknown key is an error."""


class Contracts(_Section, frozen=True):
    """The partner's paid Microsoft support contracts."""

    premier_support: bool = False  # Premier Support for Partners (PSfP)
    advanced_support: bool = False  # Advanced Support for Partners (ASfP)


class Competency(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A Gold or Silver competency; cloud competencies give unlimited Signature Cloud Support incidents."""

    name: str
    level: Literal["gold", "silver"]
    cloud: bool = False


class Partner(_Section, frozen=True):
    name: str = "Your CSP partner"
    support_email: str = ""
    support_phone: str = ""
    partner_id: str = ""
    contracts: Contracts = Contracts()
    competencies: tuple[Competency, ...] = ()


class Microsoft(_Section, frozen=True):
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
    mail_token_command: str = ""  # Exchange Online's token for the desk's mailbox ([mail] oauth)
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
    # empty: console.gdap.DEFAULT_TASK_ROLES (Microsoft's "GDAP least-privileged roles by task" guidance).
    gdap_task_roles: dict[str, list[str]] = {}
    # Who Microsoft contacts about an Azure case opened through the API (the partner's engineer).
    contact_first_name: str = ""
    contact_last_name: str = ""
    contact_email: str = ""
    contact_time_zone: str = "UTC"
    contact_country: str = ""
    support_language: str = "en-US"
    poll_seconds: int = 120


#: Business hours to the first reply: the CSP entitlement's initial response times; one business day unset.
DEFAULT_FIRST_RESPONSE_HOURS: dict[str, float] = {"critical": 2.0, "moderate": 4.0, "minimal": 8.0, "unknown": 9.0}
#: Business hours to resolution.
DEFAULT_RESOLUTION_HOURS: dict[str, float] = {"critical": 8.0, "moderate": 27.0, "minimal": 45.0, "unknown": 45.0}


class Sla(_Section, frozen=True):
    """The desk's default SLA policy (the ``sla.*`` desk rules, :mod:`console.desk.policy`); a customer's support
    offer overrides its parts."""

    service_hours: str = "24x7"  # for customers without an offer
    time_zone: str = ""  # empty: the console's time zone
    holiday_calendar: str = ""
    first_response_hours: dict[str, float] = msgspec.field(default_factory=lambda: dict(DEFAULT_FIRST_RESPONSE_HOURS))
    resolution_hours: dict[str, float] = msgspec.field(default_factory=lambda: dict(DEFAULT_RESOLUTION_HOURS))
    pause_on_microsoft: bool = True
    warn_at: tuple[float, ...] = (0.75,)
    low_balance_hours: float = 2.0


#: The console's colour themes: Textual's built-in ones, by name (tests/test_ui_colour.py checks the list against
#: the installed Textual; this layer does not import it).
THEMES = (
    "textual-dark",
    "textual-light",
    "nord",
    "gruvbox",
    "catppuccin-mocha",
    "dracula",
    "tokyo-night",
    "monokai",
    "flexoki",
    "catppuccin-latte",
    "catppuccin-frappe",
    "catppuccin-macchiato",
    "solarized-light",
    "solarized-dark",
    "rose-pine",
    "rose-pine-moon",
    "rose-pine-dawn",
    "atom-one-dark",
    "atom-one-light",
    "ansi-dark",
    "ansi-light",
)


class ConsoleSection(_Section, frozen=True):
    """``[console]``: the agent's own settings (the claim time and the desk's time zone are desk rules, in the
    workspace: :mod:`console.desk.policy`)."""

    refresh_ms: int = 500  # how often the console looks for changes made by other sessions
    theme: str = "textual-dark"  # the colour theme, one of THEMES (a light one: "textual-light")


class CollectionsSection(_Section, frozen=True):
    """``[collections]``."""

    policy: str = ""  # a TOML file, relative to the config file


class AuditSection(_Section, frozen=True):
    """``[audit]``."""

    syslog: str = ""  # copy every audit row to the syslog socket at this path ("/dev/log"); "" for none


class ViewSection(_Section, frozen=True):
    """``[views."NAME"]``: a queue view's own settings (a built-in view's name or a saved view's)."""

    columns: tuple[str, ...] = ()  # the queue's columns in this view, by name (console/tickets/columns.py)


class MailSection(_Section, frozen=True):
    """``[mail]``: the desk's mailbox (the desk's deployment, like ``[microsoft]``): read over IMAP into tickets,
    replies sent over SMTP (console/mail). The password never sits here: it comes from the environment variable
    named by ``password_env`` or from ``password_command``; with ``oauth`` the XOAUTH2 token is Exchange Online's,
    from the Microsoft credentials (``[microsoft]``)."""

    address: str = ""  # the desk's address: replies come from it; empty: no mail
    display_name: str = ""  # the name beside it ("Sakura Cloud Partners サポート")
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "imaps"  # imaps | starttls | plain (plain: only to 127.0.0.1)
    imap_username: str = ""  # empty: the address
    folder: str = "INBOX"
    processed_folder: str = "Processed"  # where a mail goes once it is stored (created when missing)
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | smtps | plain (plain: only to 127.0.0.1)
    smtp_username: str = ""  # empty: the IMAP username
    password_env: str = "CSP_CONSOLE_MAIL_PASSWORD"
    password_command: str = ""  # a command printing the password (a vault's CLI)
    oauth: bool = False  # XOAUTH2 with an Exchange Online token instead of the password
    ca_bundle: str = ""  # a PEM file of certificate authorities to trust (a test CA); empty: the system's
    poll_seconds: int = 60  # how often the background runner reads the mailbox (IDLE wakes it sooner)
    timeout_seconds: int = 30
    max_attachment_mb: int = 25  # a larger attachment is listed, not kept
    signature: str = ""  # added under every reply; empty: the partner's name, mail and phone
    templates: str = ""  # a TOML file of reply templates (relative to this file); empty: the built-in ones


class ConfigFile(_Section, frozen=True):
    """The whole file, table by table."""

    partner: Partner = Partner()
    keys: dict[str, str] = {}  # binding id -> keys, e.g. "queue.claim" = "c,C"
    console: ConsoleSection = ConsoleSection()
    microsoft: Microsoft = Microsoft()
    collections: CollectionsSection = CollectionsSection()
    views: dict[str, ViewSection] = {}
    audit: AuditSection = AuditSection()
    mail: MailSection = MailSection()
    plugins: dict[str, dict[str, Any]] = {}  # [plugins.NAME]: each plugin's own settings, checked by its schema
